"""The remote-access client half (the Cisco VPN Client 4.x / vpnc role), for ``vpnclient``.

``IkeEngine.initiate_remote_access`` starts aggressive mode with the group name as ID and the
group key as pre-shared key, offering what vpnc offers: AES-256/192/128, 3DES and DES, each
with SHA and MD5, first with XAUTHInitPreShared then with plain pre-shared keys, all for one
Diffie-Hellman group (default 2, Cisco's default). Then, driven by the gateway:

1. XAuth: :class:`~vpnrouter.ike.events.XauthRequested`; the application answers with
   ``IkeEngine.provide_xauth(username, password, now)``; a repeated request means the
   password was refused (:class:`~vpnrouter.ike.events.XauthFailed` with
   ``attempts_left=None``), STATUS=FAIL ends the connection (``attempts_left=0``).
2. Mode Config: the client asks; :class:`~vpnrouter.ike.events.ModeConfigReceived`.
3. Quick mode for (assigned address <-> each split-include network, or 0.0.0.0/0), with
   the gateway's PFS setting; :class:`~vpnrouter.ike.events.ChildSaUp` as for any SA.
4. DPD (``IkePolicy.dpd``) and NAT keepalives while connected; ``disconnect`` deletes the
   IPsec SAs, then the ISAKMP SA, as vpnc does on exit.
5. Re-authentication, as the Cisco VPN Client does it: at the rekey margin of the phase-1
   lifetime (``IkePolicy.rekey_margin``) a new aggressive mode with the same group, key and
   offers (``IkeSaUp.replaces`` names the old conn-id), XAuth again (the application answers
   the new :class:`~vpnrouter.ike.events.XauthRequested`), no Mode Config: the new SA keeps
   the address, configuration and IPsec SAs of the old one, which is deleted (Delete sent)
   ``HANDOVER_GRACE`` seconds after XAuth on the new one has succeeded. The IPsec SAs stay
   up throughout (RFC 2409: they do not depend on the ISAKMP SA that negotiated them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from vpnrouter.ike import lifecycle
from vpnrouter.ike.context import Context
from vpnrouter.ike.exchanges import aggressive_mode, informational, xauth
from vpnrouter.ike.policy import (
    AUTH_PRE_SHARE,
    AUTH_XAUTH_INIT_PSK,
    ENCR_3DES,
    ENCR_AES,
    ENCR_DES,
    ESP_3DES,
    ESP_AES,
    ESP_AUTH_MD5,
    ESP_AUTH_SHA,
    ESP_DES,
    HASH_MD5,
    HASH_SHA,
    IOS_DEFAULT_LIFETIME,
    IsakmpPolicy,
    TransformSet,
)
from vpnrouter.ike.sa import IkeSa
from vpnrouter.wire.constants import IdType

CIPHERS: Final = (
    (ENCR_AES, 256),
    (ENCR_AES, 192),
    (ENCR_AES, 128),
    (ENCR_3DES, None),
    (ENCR_DES, None),
)
HASHES: Final = (HASH_SHA, HASH_MD5)
HANDOVER_GRACE: Final = 3.0  # seconds the old SA outlives a re-authentication


def _esp(name: str, transform: int, key_length: int | None, auth: int, text: str) -> TransformSet:
    return TransformSet(name, transform, key_length, auth, ios_names=text)


# The ESP transforms offered in quick mode, strongest first (vpnc's order).
CLIENT_TRANSFORM_SETS: Final = (
    _esp("aes256-sha", ESP_AES, 256, ESP_AUTH_SHA, "esp-aes 256 esp-sha-hmac"),
    _esp("aes256-md5", ESP_AES, 256, ESP_AUTH_MD5, "esp-aes 256 esp-md5-hmac"),
    _esp("aes128-sha", ESP_AES, 128, ESP_AUTH_SHA, "esp-aes esp-sha-hmac"),
    _esp("aes128-md5", ESP_AES, 128, ESP_AUTH_MD5, "esp-aes esp-md5-hmac"),
    _esp("3des-sha", ESP_3DES, None, ESP_AUTH_SHA, "esp-3des esp-sha-hmac"),
    _esp("3des-md5", ESP_3DES, None, ESP_AUTH_MD5, "esp-3des esp-md5-hmac"),
    _esp("des-sha", ESP_DES, None, ESP_AUTH_SHA, "esp-des esp-sha-hmac"),
    _esp("des-md5", ESP_DES, None, ESP_AUTH_MD5, "esp-des esp-md5-hmac"),
)


def proposals(group: int = 2, lifetime: int = IOS_DEFAULT_LIFETIME) -> tuple[IsakmpPolicy, ...]:
    """The phase-1 transforms of aggressive mode message 1: XAuth ones first, like vpnc."""
    offers: list[IsakmpPolicy] = []
    for auth in (AUTH_XAUTH_INIT_PSK, AUTH_PRE_SHARE):
        for encryption, key_length in CIPHERS:
            for hash_alg in HASHES:
                offers.append(
                    IsakmpPolicy(
                        priority=len(offers) + 1,
                        encryption=encryption,
                        key_length=key_length,
                        hash=hash_alg,
                        auth=auth,
                        group=group,
                        lifetime=lifetime,
                    )
                )
    return tuple(offers)


@dataclass(frozen=True)
class RemoteAccessOptions:
    """How the client half connects (defaults: what a Cisco VPN Client profile does)."""

    nat_t: bool = True
    dh_group: int = 2
    lifetime: int = IOS_DEFAULT_LIFETIME
    id_type: int = IdType.KEY_ID
    transform_sets: tuple[TransformSet, ...] = CLIENT_TRANSFORM_SETS
    local: str | None = None


def start(ctx: Context, gateway: str, group: str, key: str, options: RemoteAccessOptions) -> IkeSa:
    local = options.local or ctx.local_addrs[0]
    sa = aggressive_mode.start(
        ctx,
        local,
        gateway,
        group,
        key,
        proposals(options.dh_group, options.lifetime),
        options.transform_sets,
        nat_t=options.nat_t,
        id_type=options.id_type,
    )
    if sa.ra is not None:
        sa.ra.options = options
    return sa


def reauthenticate(ctx: Context, old: IkeSa) -> IkeSa | None:
    """A new phase 1 before ``old`` expires (step 5 of the module doc): same gateway, group,
    key and offers; it inherits the configuration, so Mode Config is not asked for again."""
    ra = old.ra
    if ra is None or ra.server or ra.options is None or not old.established:
        return None
    if not ra.ready or not ra.config_done:
        return None  # still connecting when its time came (a user slow to log in): it ends
    if any(sa.replaces == old.conn_id for sa in clients(ctx)):
        return None  # already under way
    options = ra.options
    new = aggressive_mode.start(
        ctx,
        old.local,
        old.peer,
        ra.group,
        old.psk.decode(),
        old.offered,
        ra.transform_sets,
        nat_t=options.nat_t,
        id_type=options.id_type,
    )
    new.replaces = old.conn_id
    if new.ra is not None:
        new.ra.options = options
        new.ra.config = ra.config
        new.ra.config_done = ra.config_done
        new.ra.address = ra.address
        new.ra.entry = ra.entry
    ctx.isakmp(f"{old.tag}: re-authenticating with {old.peer}: new phase 1 {new.tag}")
    return new


def retire_later(ctx: Context, new: IkeSa, old: IkeSa) -> bool:
    """A re-authenticated client SA is deleted ``HANDOVER_GRACE`` seconds after the new one
    is ready, when its lifetime ends (Delete sent): a gateway may move the IPsec SAs and the
    address to the new SA in a job of its own after XAuth (strongSwan does), and a Delete
    overtaking that job takes them down with the old SA. False for other rekeys."""
    ra = new.ra
    if ra is None or ra.server:
        return False
    until = ctx.now + HANDOVER_GRACE
    if old.expires_at is None or old.expires_at > until:
        old.expires_at = until
        old.rekey_at = None
        ctx.isakmp(f"{old.tag}: re-authenticated as {new.tag}: deleting it in {HANDOVER_GRACE:g} s")
    return True


def handed_over(sa: IkeSa) -> bool:
    """May the SA that ``sa`` replaces go? A client's re-authentication only once XAuth on
    ``sa`` succeeded (the gateway may still refuse the user; the old SA serves till then)."""
    return sa.ra is None or sa.ra.server or sa.ra.ready


def clients(ctx: Context) -> list[IkeSa]:
    """Live client-half ISAKMP SAs, oldest first."""
    return [
        sa for sa in ctx.table.ike.values() if sa.alive and sa.ra is not None and not sa.ra.server
    ]


def provide_xauth(ctx: Context, sa: IkeSa, username: str, password: str) -> bool:
    return xauth.provide(ctx, sa, username, password)


def disconnect(ctx: Context, sa: IkeSa, reason: str = "disconnected by the user") -> None:
    """Delete our IPsec SAs, then the ISAKMP SA, telling the gateway (as vpnc on exit)."""
    children = ctx.table.children_of(sa.peer_key)
    if sa.established and children:
        informational.send_delete_children(ctx, sa, children)
    for child in children:
        lifecycle.drop_child(ctx, child, reason)
    informational.send_delete_ike(ctx, sa)
    lifecycle.drop_ike(ctx, sa, reason)
