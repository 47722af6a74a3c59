"""Extended authentication (draft-beaulieu-ike-xauth-02) over the transaction exchange.

::

    Router (edge device)                         Client
    HDR*, HASH, ATTR(REQUEST: USER_NAME, USER_PASSWORD)  -->
                                   <--  HDR*, HASH, ATTR(REPLY: USER_NAME=u, USER_PASSWORD=p)
    HDR*, HASH, ATTR(SET: XAUTH_STATUS=1|0)      -->          (new message ID)
                                   <--  HDR*, HASH, ATTR(ACK: XAUTH_STATUS)

The router starts right after phase 1 (section 4.2: the edge device initiates), checks the
credentials with the crypto map's ``client authentication list`` and gives the client
``xauth_attempts`` tries: a wrong password brings a new REQUEST (the Cisco VPN Client asks
the user again), the last one STATUS=FAIL and the deletion of the ISAKMP SA. Passwords are
never logged, not even at the secrets level; only the attribute types are.

Debug wording. The IOS-looking lines (``Need XAUTH``, ``ISAKMP/xauth: request attribute
..._V2``, ``ISAKMP/xauth: reply attribute ..._V2``, ``XAUTH ACK Processed``) are as
remembered from IOS 12.2-12.4 routers and remain unconfirmed: the seed document (Cisco's
Japanese configuration example, shared/seed/) shows no debug output, the reference
shared/reference/ios-show-formats.md has no XAuth lines, and no stored public page reached
in November 2026 (Cisco TAC notes, pastebin transcripts) shows a 12.x transaction exchange.
Lines marked "ours" have no IOS counterpart we know of.
"""

from __future__ import annotations

from vpnrouter.ike import lifecycle, sessions
from vpnrouter.ike.context import Context
from vpnrouter.ike.events import XauthFailed, XauthRequested, XauthSucceeded
from vpnrouter.ike.exchanges import cfgmsg, informational, mode_config
from vpnrouter.ike.proposals import duration
from vpnrouter.ike.ra import PendingXauth, RaState, Transaction, TxKind
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire.attributes import (
    DataAttribute,
    cfg_attribute,
    find_attribute,
    phase1_attribute,
    push_attributes,
)
from vpnrouter.wire.constants import (
    CfgAttr,
    CfgMessageType,
    LifeType,
    NotifyType,
    Phase1Attr,
    XauthStatus,
    XauthType,
)
from vpnrouter.wire.payloads import AttributePayload

_A = CfgAttr
# draft-beaulieu-ike-xauth-02 6.1: what an edge device may ask for, with our field names.
FIELDS: dict[int, str] = {
    _A.XAUTH_USER_NAME: "username",
    _A.XAUTH_USER_PASSWORD: "password",
    _A.XAUTH_PASSCODE: "passcode",
    _A.XAUTH_ANSWER: "answer",
    _A.XAUTH_NEXT_PIN: "next_pin",
    _A.XAUTH_DOMAIN: "domain",
}
_IOS_NAMES: dict[int, str] = {
    _A.XAUTH_TYPE: "XAUTH_TYPE_V2",
    _A.XAUTH_USER_NAME: "XAUTH_USER_NAME_V2",
    _A.XAUTH_USER_PASSWORD: "XAUTH_USER_PASSWORD_V2",
    _A.XAUTH_PASSCODE: "XAUTH_PASSCODE_V2",
    _A.XAUTH_MESSAGE: "XAUTH_MESSAGE_V2",
    _A.XAUTH_STATUS: "XAUTH_STATUS_V2",
    _A.XAUTH_ANSWER: "XAUTH_ANSWER_V2",
}
RETRY_MESSAGE = "Authentication failed. Please enter your user name and password again."


def _ios(attr_type: int) -> str:
    return _IOS_NAMES.get(attr_type, str(attr_type))


def _ra(sa: IkeSa) -> RaState:
    if sa.ra is None:
        raise RuntimeError("XAuth on a SA without remote-access state")
    return sa.ra


def is_xauth(payload: AttributePayload) -> bool:
    return any(CfgAttr.XAUTH_TYPE <= a.type <= CfgAttr.XAUTH_ANSWER for a in payload.attributes)


def after_phase1(ctx: Context, sa: IkeSa, request: bytes = b"") -> None:
    """What follows phase 1 on a remote-access SA: the router starts XAuth (or pushes Mode
    Config for ``address initiate``); the client waits for XAuth or asks for its config."""
    ra = sa.ra
    if ra is None:
        return
    if not ra.server:
        if not ra.xauth_required:
            mode_config.client_request(ctx, sa)
        return
    if ra.xauth_required:
        tx = start(ctx, sa)
        if request:
            cfgmsg.also_answers(sa, request, cfgmsg.last_message(tx))
        return
    settings = sessions.client_map(ctx, sa)
    if settings is not None and settings.address == "initiate":
        mode_config.push(ctx, sa)


# --- router (edge device) -----------------------------------------------------------------


# draft-beaulieu-ike-xauth-02 4.2/6.1: REQUEST with empty USER_NAME and USER_PASSWORD.
def start(ctx: Context, sa: IkeSa, message: str = "") -> Transaction:
    attrs = [cfg_attribute(_A.XAUTH_USER_NAME, b""), cfg_attribute(_A.XAUTH_USER_PASSWORD, b"")]
    if message:
        attrs.append(cfg_attribute(_A.XAUTH_MESSAGE, message.encode()))
    if not _ra(sa).xauth_failures:
        ctx.isakmp(f"{sa.tag}: Need XAUTH")  # remembered IOS wording, unconfirmed
    for attr in attrs:  # remembered IOS wording, unconfirmed; attribute types only
        ctx.isakmp(f"ISAKMP/xauth: request attribute {_ios(attr.type)}")
    return cfgmsg.start(ctx, sa, TxKind.XAUTH_REQUEST, CfgMessageType.REQUEST, attrs)


def _credentials(payload: AttributePayload) -> tuple[str, str] | None:
    user = find_attribute(payload.attributes, _A.XAUTH_USER_NAME)
    secret = find_attribute(payload.attributes, _A.XAUTH_USER_PASSWORD) or find_attribute(
        payload.attributes, _A.XAUTH_PASSCODE
    )
    if user is None or secret is None or user.is_tv or secret.is_tv:
        return None
    try:
        return user.as_bytes().decode(), secret.as_bytes().decode()
    except UnicodeDecodeError:
        return None


# draft-beaulieu-ike-xauth-02 4.2: the REPLY carries the credentials (or STATUS=FAIL if the
# user cancelled); we answer with a new REQUEST (retry) or a SET(XAUTH-STATUS).
def server_reply(ctx: Context, sa: IkeSa, tx: Transaction, payload: AttributePayload) -> None:
    ra = _ra(sa)
    cfgmsg.finish(ctx, sa, tx, "Done with xauth request/reply exchange")
    for attr in payload.attributes:  # remembered IOS wording, unconfirmed; never a value
        ctx.isakmp(f"ISAKMP/xauth: reply attribute {_ios(attr.type)}")
    status = find_attribute(payload.attributes, _A.XAUTH_STATUS)
    if status is not None and status.is_tv and status.as_int() == XauthStatus.FAIL:
        _refused(ctx, sa, "", "the client cancelled the authentication", final=True)
        return
    credentials = _credentials(payload)
    if credentials is None:
        _refused(ctx, sa, "", "the reply carries no user name or password")
        return
    username, password = credentials
    settings = sessions.client_map(ctx, sa)
    list_name = settings.authentication_list if settings is not None else None
    if ctx.aaa is None or not list_name:
        ok, why = False, "no authentication list or AAA configured"
    else:
        result = ctx.aaa.authenticate(list_name, username, password)
        ok, why = result.ok, result.reason
    del password
    if not ok:
        _refused(ctx, sa, username, why)
        return
    ra.username = username
    ctx.isakmp(f"{sa.tag}: XAUTH user {username} authenticated by list {list_name}")  # ours
    sessions.tunnel_status(ctx, sa, "User Authenticated")
    ctx.emit(XauthSucceeded(sa.conn_id, sa.peer, username, ra.group))
    _send_status(ctx, sa, XauthStatus.OK)


def _refused(ctx: Context, sa: IkeSa, username: str, why: str, *, final: bool = False) -> None:
    ra = _ra(sa)
    ra.xauth_failures += 1
    left = 0 if final else max(0, ctx.policy.xauth_attempts - ra.xauth_failures)
    ra.username = username
    # ours; ``why`` comes from the AAA result, which never carries the password
    ctx.isakmp(f"{sa.tag}: XAUTH authentication of {username or '<no user>'} failed: {why}")
    sessions.tunnel_status(ctx, sa, f"User Authentication failed ({why}), {left} attempt(s) left")
    ctx.emit(XauthFailed(sa.conn_id, sa.peer, left, username, why))
    if left:
        start(ctx, sa, RETRY_MESSAGE)
    else:
        _send_status(ctx, sa, XauthStatus.FAIL)


def _send_status(ctx: Context, sa: IkeSa, status: int) -> None:
    tx = cfgmsg.start(
        ctx, sa, TxKind.XAUTH_STATUS, CfgMessageType.SET, [cfg_attribute(_A.XAUTH_STATUS, status)]
    )
    tx.status = status


# draft-beaulieu-ike-xauth-02 4.2: the ACK closes XAuth; a failed one ends the ISAKMP SA.
def server_ack(ctx: Context, sa: IkeSa, tx: Transaction) -> None:
    cfgmsg.finish(ctx, sa, tx, "Transaction mode done")
    ctx.isakmp(f"{sa.tag}: XAUTH ACK Processed")  # remembered IOS wording, unconfirmed
    if tx.status == XauthStatus.OK:
        _authenticated(ctx, sa)
    else:
        _give_up(ctx, sa, "XAuth failed")


def _authenticated(ctx: Context, sa: IkeSa) -> None:
    ra = _ra(sa)
    ra.xauth_done = True
    renewing = ra.address is None
    sessions.adopt_address(ctx, sa)
    if renewing and ra.address is not None:
        _renewed_lifetime(ctx, sa)
    settings = sessions.client_map(ctx, sa)
    if settings is not None and settings.address == "initiate" and ra.address is None:
        mode_config.push(ctx, sa)


# RFC 2407 4.6.3.1: a client renewing its phase 1 (it keeps its address and asks for no Mode
# Config) is told the new SA's lifetime once XAuth is through. vpnc 0.5.3 waits for exactly
# this before it deletes its old ISAKMP SA (vpnc.c rekey_phase1: after XAuth it reads one more
# message, a lifetime notice); until one comes it forwards no traffic, and after 15 s of
# silence it exits ("no response from target"). Other clients log the notice and go on.
def _renewed_lifetime(ctx: Context, sa: IkeSa) -> None:
    if sa.suite is None:
        return
    out = bytearray()
    push_attributes(
        out,
        [
            phase1_attribute(Phase1Attr.LIFE_TYPE, LifeType.SECONDS),
            duration(Phase1Attr.LIFE_DURATION, sa.suite.lifetime),
        ],
    )
    informational.send_notify(ctx, sa, NotifyType.RESPONDER_LIFETIME, data=bytes(out))


def implied_ack(ctx: Context, sa: IkeSa) -> bool:
    """A client that already sends Mode Config got our STATUS=OK (its ACK was lost)."""
    ra = _ra(sa)
    for tx in list(ra.transactions.values()):
        if tx.kind is TxKind.XAUTH_STATUS and tx.status == XauthStatus.OK:
            cfgmsg.finish(ctx, sa, tx, "XAuth ACK implied by a Mode Config request")
            _authenticated(ctx, sa)
            return True
    return False


def _give_up(ctx: Context, sa: IkeSa, reason: str) -> None:
    informational.send_delete_ike(ctx, sa)
    lifecycle.drop_ike(ctx, sa, reason)


def expired(ctx: Context, sa: IkeSa, tx: Transaction) -> None:
    """No answer after every retransmission."""
    if tx.kind is TxKind.XAUTH_STATUS and tx.status == XauthStatus.OK:
        cfgmsg.finish(ctx, sa, tx, "no XAuth ACK; the status was sent")
        _authenticated(ctx, sa)
        return
    cfgmsg.finish(ctx, sa, tx, f"{tx.kind.value} not answered")
    if tx.kind is TxKind.XAUTH_REQUEST:
        sessions.tunnel_status(ctx, sa, "User Authentication timed out")
    _give_up(ctx, sa, f"XAuth: {tx.kind.value} not answered")


# --- client half ----------------------------------------------------------------------------
# Its log lines are ours: the Cisco VPN Client 4.8 writes its own numbered log
# ("Sev=Info/4 CM/0x..."; seen in https://pastebin.com/xCJwcC2Q), not IOS debug lines.


# draft-beaulieu-ike-xauth-02 6.1: tell the user what the gateway asks for.
def client_request(
    ctx: Context, sa: IkeSa, mid: int, payload: AttributePayload, raw: bytes
) -> None:
    ra = _ra(sa)
    asked = tuple(a.type for a in payload.attributes if a.type in FIELDS or a.type == _A.XAUTH_TYPE)
    kind = find_attribute(payload.attributes, _A.XAUTH_TYPE)
    if kind is not None and kind.as_int() != XauthType.GENERIC:
        ctx.isakmp(f"{sa.tag}: XAUTH type {kind.as_int()} not supported, answering as generic")
    text = find_attribute(payload.attributes, _A.XAUTH_MESSAGE)
    message = text.as_bytes().decode(errors="replace") if text is not None else ""
    if ra.xauth_replied:
        ctx.emit(XauthFailed(sa.conn_id, sa.peer, None, ra.username, "the gateway asks again"))
    ra.pending_xauth = PendingXauth(mid, payload.identifier, asked, raw)
    fields = tuple(FIELDS[t] for t in asked if t in FIELDS)
    ctx.isakmp(f"{sa.tag}: XAUTH request for {', '.join(fields) or 'nothing'}")
    ctx.emit(XauthRequested(sa.conn_id, sa.peer, fields, message))


def provide(ctx: Context, sa: IkeSa, username: str, password: str, domain: str = "") -> bool:
    """The user's answer to the pending REQUEST; False when none is pending."""
    ra = _ra(sa)
    pending = ra.pending_xauth
    if pending is None or sa.dead:
        return False
    attrs: list[DataAttribute] = []
    for attr_type in pending.types:
        if attr_type == _A.XAUTH_TYPE:
            attrs.append(cfg_attribute(attr_type, XauthType.GENERIC))
        elif attr_type == _A.XAUTH_USER_NAME:
            attrs.append(cfg_attribute(attr_type, username.encode()))
        elif attr_type == _A.XAUTH_DOMAIN:
            attrs.append(cfg_attribute(attr_type, domain.encode()))
        else:
            attrs.append(cfg_attribute(attr_type, password.encode()))
    ra.pending_xauth = None
    ra.username = username
    ra.xauth_replied = True
    cfgmsg.answer(
        ctx, sa, pending.mid, CfgMessageType.REPLY, pending.identifier, attrs, pending.raw
    )
    return True


# draft-beaulieu-ike-xauth-02 4.2: acknowledge the status; OK goes on to Mode Config.
def client_status(ctx: Context, sa: IkeSa, mid: int, payload: AttributePayload, raw: bytes) -> None:
    ra = _ra(sa)
    status = find_attribute(payload.attributes, _A.XAUTH_STATUS)
    value = status.as_int() if status is not None else XauthStatus.FAIL
    ack = [cfg_attribute(_A.XAUTH_STATUS, value)]
    cfgmsg.answer(ctx, sa, mid, CfgMessageType.ACK, payload.identifier, ack, raw)
    ra.pending_xauth = None
    if value == XauthStatus.OK:
        ra.xauth_done = True
        ctx.isakmp(f"{sa.tag}: XAUTH authentication of {ra.username} succeeded")
        ctx.emit(XauthSucceeded(sa.conn_id, sa.peer, ra.username, ra.group))
        mode_config.client_request(ctx, sa)
        return
    ctx.isakmp(f"{sa.tag}: XAUTH authentication of {ra.username} failed")
    ctx.emit(XauthFailed(sa.conn_id, sa.peer, 0, ra.username, "the gateway refused the login"))
    lifecycle.drop_ike(ctx, sa, "XAuth failed")
