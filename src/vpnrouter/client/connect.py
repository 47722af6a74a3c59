"""``vpnclient connect ENTRY``: connect to the gateway of a connection entry, in the foreground.

The flow, as the Cisco VPN Client 4.x shows it:

1. "Initializing the connection...": the entry is read (unknown keys are warned about and
   kept), the group password taken from it (or asked for), the gateway's address resolved
   and the way to it looked up; the TUN device and the IKE/ESP sockets are opened.
2. "Contacting the security gateway at A.B.C.D...": aggressive mode with the group name and
   key, the Cisco vendor IDs, NAT-T when a NAT is detected (:mod:`vpnrouter.client.session`).
   If the gateway stays silent through the retransmissions (bounded by ``PeerTimeout``),
   the entry's backup servers are contacted in turn (:mod:`vpnrouter.client.backup`).
3. XAuth: the user name and password are asked on the terminal (password without echo), or
   taken from ``--username``/``--password-stdin``; "Authenticating user..."; when the gateway
   asks again the password was refused, and the user is asked again, as often as the
   gateway allows.
4. "Negotiating security profiles...": Mode Config (address, netmask, DNS, WINS, domain,
   banner, split-include), the TUN device gets the address; quick mode for the address to
   each split-include network, or to everything.
5. "Your link is now secure.", the banner, the tunnel information; the routes go in (split
   networks, or 0.0.0.0/1 and 128.0.0.0/1 plus a host route to the gateway by the way it was
   reached) and the DNS information is applied to /etc/resolv.conf (or printed); backup
   servers the gateway sent are written into the entry for the next connection.

While connected the engine does DPD, rekeying and NAT keepalives; ``vpnclient status`` and
``vpnclient disconnect`` talk to the control socket (:mod:`vpnrouter.client.control`).

Before the phase-1 lifetime ends the engine re-authenticates (aggressive mode and XAuth again;
the address, routes and IPsec SAs stay): "Re-authenticating user...". As the Cisco client
asks again unless the password was saved, a password typed on the terminal is asked for
again there (if there still is a terminal); one from ``--password-stdin``, or with no
terminal left, is the one kept in memory for this run (never written, never logged). Once
the gateway accepts it: "Your link is now secure." again; if it refuses it, the connection
ends as a refused login would.
Ctrl-C, SIGTERM or ``disconnect`` send the Delete notifications and restore routes and DNS.

With ``--background`` the run detaches right after the tunnel information
(:mod:`vpnrouter.client.background`); from then on there is no terminal to ask on, so a
re-authentication uses the password kept in memory, and one the gateway refuses ends the
connection.

Exit status: 0 disconnected by the user once the link was secure; 1 the connection failed,
was lost or was cancelled before it was secure (the reason on standard error, with Cisco's
"Reason NNN" where it has one); 2 wrong usage.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any, Final, TextIO

from vpnrouter.client import backup, messages
from vpnrouter.client import control as ctl
from vpnrouter.client.background import BackgroundChild
from vpnrouter.client.dns import DnsSettings, ResolvConf
from vpnrouter.client.netconf import (
    NetconfError,
    NetworkChanges,
    PathToGateway,
    interface_address,
    route_to,
    tunnel_routes,
)
from vpnrouter.client.profiles import Profile, ProfileError
from vpnrouter.client.prompt import LinesPrompter, Prompter, PromptError, TerminalPrompter
from vpnrouter.client.session import (
    DEFAULT_TUN,
    ClientEvent,
    ClientSession,
    GroupKeyRefused,
    SessionSettings,
    retransmit_policy,
)
from vpnrouter.ike.events import (
    ChildSaDown,
    ChildSaUp,
    IkeSaDown,
    IkeSaUp,
    LogFacility,
    ModeConfigReceived,
    NegotiationFailed,
    XauthFailed,
    XauthRequested,
    XauthSucceeded,
)
from vpnrouter.ike.exchanges.mode_config import client_selectors
from vpnrouter.ike.policy import IOS_DEFAULT_LIFETIME
from vpnrouter.router.control import ControlError, ControlServer
from vpnrouter.router.ioslog import IosLogger
from vpnrouter.wire.constants import NotifyType

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130

SECRET_FIELDS: Final = {"password": "Password", "passcode": "Passcode", "next_pin": "Next PIN"}
SECRET_FIELDS_ANSWER: Final = "answer"


class ConnectFailed(Exception):
    """The connection cannot be made or was lost; ``lines`` say why, for the user."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class GatewaySilent(ConnectFailed):
    """Nothing came back from the gateway: a backup server may be tried."""


class NoPrompter:
    """No terminal and no ``--password-stdin``: a question cannot be answered."""

    async def ask(self, prompt: str, *, secret: bool) -> str:
        raise PromptError(
            "no terminal to ask for the user name and password on;"
            " use --username and --password-stdin"
        )


@dataclass
class Options:
    """``connect``'s command line and entry, resolved."""

    entry: str
    profile: Profile
    group_key: str = field(repr=False)
    gateway: IPv4Address
    prompter: Prompter
    username: str | None = None
    socket_path: Path = Path()
    tun_name: str = DEFAULT_TUN
    apply_dns: bool = True
    resolv_conf: Path = Path("/etc/resolv.conf")
    debug: frozenset[LogFacility] = frozenset()
    ike_lifetime: int = IOS_DEFAULT_LIFETIME
    background: BackgroundChild | None = None  # --background: detach once secure


class Connection:
    """One ``vpnclient connect`` run: the flow, the user interface and the control socket."""

    def __init__(self, options: Options, out: TextIO, err: TextIO) -> None:
        self.options = options
        self.out = out
        self.err = err
        self.state = "initializing"
        self.path: PathToGateway | None = None
        self.gateway = options.gateway  # the Host, or the backup server being tried
        self.session: ClientSession | None = None
        self.changes = NetworkChanges()
        self.resolv = ResolvConf(options.resolv_conf, options.socket_path.with_suffix(".resolv"))
        self.secured: tuple[IPv4Network, ...] = ()
        self.username = options.username or options.profile.username
        self.dns_note = ""
        self.backup_note = ""
        self._stop = asyncio.Event()
        self._user_stop = False
        self.state_reached = ""  # "connected" once the link was secure
        self._negotiating_shown = False
        self._xauth_rounds = 0
        self._refused = False
        self._renewing = False  # a re-authentication is under way
        # The password given this run and whether it was typed on the terminal: kept in
        # memory only, for re-authentication (never written, never logged).
        self._password: str | None = None
        self._typed = False

    # -- output -------------------------------------------------------------------------------
    def say(self, *lines: str) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    def warn(self, *lines: str) -> None:
        self.out.flush()
        for line in lines:
            self.err.write(line + "\n")
        self.err.flush()

    # -- the run ------------------------------------------------------------------------------
    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        options = self.options
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, self.request_stop)
        control = ControlServer(
            options.socket_path, {"status": self.status, "disconnect": self._disconnect_request}
        )
        try:
            self.say(messages.INITIALIZING)
            try:
                await control.start()
            except ControlError as exc:
                raise ConnectFailed([messages.TERMINATED_LOCALLY, str(exc)]) from None
            except OSError as exc:
                raise ConnectFailed(
                    [
                        messages.TERMINATED_LOCALLY,
                        f"cannot create the control socket {options.socket_path}:"
                        f" {exc.strerror or exc}",
                    ]
                ) from None
            try:
                return await self._run_gateways()
            finally:
                await control.close()
        except ConnectFailed as exc:
            self.warn(*exc.lines)
            self.say(messages.NOT_CONNECTED)
            return EXIT_FAILED
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.remove_signal_handler(sig)

    async def _run_gateways(self) -> int:
        """The Host, then each backup server while the one tried stays silent."""
        backups = list(backup.gateways(self.options.profile)[1:])
        while True:
            try:
                self.path = await route_to(self.gateway)
            except NetconfError as exc:
                raise ConnectFailed([messages.TERMINATED_LOCALLY, str(exc)]) from None
            try:
                return await self._run_session()
            except GatewaySilent:
                following = await self._next_backup(backups)
                if following is None or self._user_stop:
                    raise
                policy = retransmit_policy(self.options.profile.peer_timeout)
                self.say(
                    messages.trying_backup(
                        str(self.gateway), policy.retries + 1, policy.total(), str(following)
                    )
                )
                self._start_over(following)

    async def _next_backup(self, backups: list[str]) -> IPv4Address | None:
        """The next backup server's address (names resolved now; one that does not resolve
        is skipped with a warning), or None when there is none left."""
        loop = asyncio.get_running_loop()
        while backups:
            host = backups.pop(0)
            try:
                infos = await loop.getaddrinfo(host, 500, family=socket.AF_INET)
                return IPv4Address(infos[0][4][0])
            except (OSError, ValueError, IndexError) as exc:
                self.warn(f"vpnclient: backup server {host!r} skipped: cannot resolve it: {exc}")
        return None

    def _start_over(self, gateway: IPv4Address) -> None:
        """A new attempt (a new session) with another gateway."""
        self.gateway = gateway
        self.session = None
        self.state = "initializing"
        self.state_reached = ""
        self._negotiating_shown = False
        self._xauth_rounds = 0
        self._refused = False

    def request_stop(self) -> None:
        self._user_stop = True
        self._stop.set()

    async def _run_session(self) -> int:
        options, path = self.options, self.path
        if path is None:
            raise RuntimeError("the path to the gateway is looked up first")
        settings = SessionSettings(
            gateway=self.gateway,
            local=path.source,
            group=options.profile.group_name,
            group_key=options.group_key,
            nat_t=options.profile.enable_nat,
            dh_group=options.profile.dh_group,
            peer_timeout=options.profile.peer_timeout,
            tun_name=options.tun_name,
            lifetime=options.ike_lifetime,
        )
        logger = self._logger()
        session = ClientSession(
            settings,
            log=logger.emit if logger is not None else None,
            secrets_logging=LogFacility.SECRETS in options.debug,
        )
        try:
            await session.start()
        except OSError as exc:
            await session.close()
            raise ConnectFailed(messages.adapter_failed(_open_problem(exc, settings))) from None
        self.session = session
        failure: ConnectFailed | None = None
        try:
            flow = asyncio.create_task(self._flow())
            stop = asyncio.create_task(self._stop.wait())
            try:
                await asyncio.wait({flow, stop}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop.cancel()
                if not flow.done():
                    flow.cancel()
                try:
                    await flow
                except asyncio.CancelledError:
                    pass  # stopped by the user (Ctrl-C, SIGTERM, vpnclient disconnect)
                except ConnectFailed as exc:
                    failure = exc
        finally:
            await self._teardown()
            await session.close()
        if failure is not None:
            raise failure
        if self.state_reached != "connected":
            raise ConnectFailed([messages.CANCELLED])
        self.say(messages.NOT_CONNECTED)
        return EXIT_OK

    def _logger(self) -> IosLogger | None:
        if not self.options.debug:
            return None
        loop = asyncio.get_running_loop()
        return IosLogger(self.err, self.options.debug, loop.time)

    async def _teardown(self) -> None:
        """Deletes to the gateway (when there is still an SA), routes and DNS back."""
        session = self.session
        if self._user_stop:
            self.say(messages.DISCONNECTING)
        self.state = "disconnecting"
        if session is not None:
            session.disconnect()
        for problem in await self.changes.restore():
            self.warn(f"vpnclient: could not restore {problem}")
        warning = self.resolv.restore()
        if warning:
            self.warn(f"vpnclient: {warning}")

    # -- negotiation --------------------------------------------------------------------------
    async def _flow(self) -> None:
        await self._negotiate()
        await self._secure()
        self._go_background()
        await self._watch()

    def _session(self) -> ClientSession:
        if self.session is None:
            raise RuntimeError("no session")
        return self.session

    async def _negotiate(self) -> None:
        session = self._session()
        gateway = str(self.gateway)
        self.state = "contacting"
        self.say(messages.contacting(gateway))
        session.connect()
        expected: int | None = None
        up = 0
        while expected is None or up < expected:
            event = await session.next_event()
            if isinstance(event, ModeConfigReceived):
                self._negotiating()
                await self._configured(event)
                expected = len(client_selectors(event)) or None
            elif isinstance(event, ChildSaUp):
                up += event.replaces is None
            else:
                await self._early_event(event)

    async def _early_event(self, event: ClientEvent) -> None:
        """Events before the link is secure that are not Mode Config / quick mode."""
        if isinstance(event, GroupKeyRefused):
            raise ConnectFailed(messages.group_key_wrong(self.options.profile.group_name))
        if isinstance(event, XauthRequested):
            await self._answer_xauth(event)
        elif isinstance(event, XauthFailed):
            if event.attempts_left == 0:
                raise ConnectFailed(messages.user_refused(event.username or self.username))
            self._refused = True  # the gateway's next request says so, or we do
        elif isinstance(event, XauthSucceeded):
            self._negotiating()
        elif isinstance(event, NegotiationFailed):
            if event.phase == 1 and not self._session().heard_from_gateway:
                policy = retransmit_policy(self.options.profile.peer_timeout)
                raise GatewaySilent(
                    messages.unreachable(
                        str(self.gateway), policy.retries + 1, policy.total(), self.options.entry
                    )
                )
            raise ConnectFailed(self._failure(event))
        elif isinstance(event, IkeSaDown) and event.conn_id == self._session().conn_id:
            raise ConnectFailed(messages.phase1_failed(event.peer, event.reason))

    def _negotiating(self) -> None:
        if not self._negotiating_shown:
            self._negotiating_shown = True
            self.state = "negotiating"
            self.say(messages.NEGOTIATING)

    def _failure(self, event: NegotiationFailed) -> list[str]:
        session = self._session()
        gateway, profile = str(self.gateway), self.options.profile
        if event.phase == 2:
            return messages.phase2_failed(gateway, event.reason)
        if "assigned no address" in event.reason:
            return messages.no_address(gateway)
        if event.notify == NotifyType.INVALID_ID_INFORMATION:
            return messages.group_unknown(profile.group_name, gateway)
        if event.notify == NotifyType.NO_PROPOSAL_CHOSEN:
            return messages.no_proposal(gateway, profile.dh_group)
        row = session.isakmp_row()
        if row is not None and "hash check" in row.failure:
            return messages.group_key_wrong(profile.group_name)
        cause = row.failure if row is not None and row.failure else event.reason
        return messages.phase1_failed(gateway, cause)

    # -- XAuth --------------------------------------------------------------------------------
    async def _answer_xauth(self, event: XauthRequested) -> None:
        self.state = "authenticating"
        profile = self.options.profile
        if self._xauth_rounds == 0:
            self.say(f"User Authentication for {self.options.entry}...")
        if event.message:
            self.say(event.message.strip())
        elif self._refused:
            self.say(messages.USER_RETRY)
        self._refused = False
        self._xauth_rounds += 1
        username = await self._username(event)
        if username is None:
            return
        password = ""
        secret = next((f for f in event.fields if f in SECRET_FIELDS), None)
        if secret is not None or SECRET_FIELDS_ANSWER in event.fields:
            saved = profile.user_password if profile.save_user_password else None
            if saved and self._xauth_rounds == 1:
                password = saved
            else:
                label = SECRET_FIELDS.get(secret or "", "Answer")
                answer = await self._ask(f"{label}: ", secret=True)
                if answer is None:
                    return
                password = answer
                self._typed = isinstance(self.options.prompter, TerminalPrompter)
            self._password = password
        self.say(messages.AUTHENTICATING)
        self._session().provide_xauth(username, password)

    async def _reanswer_xauth(self, event: XauthRequested) -> None:
        """XAuth on the re-authenticating phase 1: the same user; the password asked for
        again if it was typed on a terminal that is still there (or the gateway refused
        it), else the one kept from this run."""
        if self._xauth_rounds == 0:
            self.say(messages.REAUTHENTICATING)
            self.state = "re-authenticating"
        retry = self._refused
        if event.message:
            self.say(event.message.strip())
        elif retry:
            self.say(messages.USER_RETRY)
        self._refused = False
        self._xauth_rounds += 1
        password = self._password or ""
        needs_secret = any(f in SECRET_FIELDS or f == SECRET_FIELDS_ANSWER for f in event.fields)
        if needs_secret and (retry or self._password is None or self._ask_again()):
            secret = next((f for f in event.fields if f in SECRET_FIELDS), "")
            answer = await self._ask(f"{SECRET_FIELDS.get(secret, 'Answer')}: ", secret=True)
            if answer is None:
                return
            password = self._password = answer
        self.say(messages.AUTHENTICATING)
        self._session().provide_xauth(self.username or "", password)

    def _ask_again(self) -> bool:
        """The Cisco client asks again unless the password was saved: here, when it was
        typed on the terminal and there still is one."""
        prompter = self.options.prompter
        return (
            self._typed
            and isinstance(prompter, TerminalPrompter)
            and TerminalPrompter.available(prompter.fd)
        )

    async def _username(self, event: XauthRequested) -> str | None:
        if "username" not in event.fields:
            return self.username
        if self.options.username is not None:
            return self.options.username
        if isinstance(self.options.prompter, LinesPrompter):
            if not self.username:
                raise ConnectFailed(
                    ["vpnclient: the entry has no Username: give one with --username"]
                )
            return self.username
        prompt = f"Username [{self.username}]: " if self.username else "Username: "
        answer = await self._ask(prompt, secret=False)
        if answer is None:
            return None
        self.username = answer.strip() or self.username
        return self.username

    async def _ask(self, prompt: str, *, secret: bool) -> str | None:
        """The user's answer, or None when the connection ended while they were typing
        (its failure event is then waiting in the queue)."""
        session = self._session()
        question = asyncio.ensure_future(self.options.prompter.ask(prompt, secret=secret))
        ended = asyncio.ensure_future(session.ended.wait())
        try:
            await asyncio.wait({question, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
            if not question.done():
                question.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await question
                self.say("")
        if question.cancelled():
            return None
        try:
            return question.result()
        except PromptError as exc:
            raise ConnectFailed([f"vpnclient: {exc}"]) from None

    # -- configuration ------------------------------------------------------------------------
    async def _configured(self, config: ModeConfigReceived) -> None:
        """Mode Config: the TUN device gets the assigned address."""
        if config.address is None:
            return  # the engine gives up (NegotiationFailed follows)
        tun = self._session().plane.tun
        if tun is None:
            return
        address = interface_address(config.address, config.netmask)
        try:
            await self.changes.set_address(tun.ifindex, address)
        except NetconfError as exc:
            raise ConnectFailed(messages.adapter_failed(str(exc))) from None

    async def _secure(self) -> None:
        """All quick modes done: routes, DNS, and the good news."""
        session, path = self._session(), self.path
        config = session.config
        if config is None or path is None:
            raise ConnectFailed(messages.phase1_failed(str(self.gateway), "no config"))
        self.secured = tunnel_routes(config.split_include)
        try:
            if self.secured != config.split_include:
                await self.changes.pin_gateway(path)
            for network in self.secured:
                await session.plane.add_route(network)
        except OSError as exc:
            raise ConnectFailed(messages.adapter_failed(f"cannot add the routes: {exc}")) from None
        self._apply_dns(config)
        self._remember_backups(config)
        self.state = self.state_reached = "connected"
        self.say(messages.SECURE)
        if config.banner:
            self.say("", *config.banner.strip("\r\n").splitlines())
        self.say("", *self._information())
        entry = self.options.entry
        if self.options.background is None:
            self.say("", f"Press Ctrl-C or run 'vpnclient disconnect {entry}' to disconnect.")
        else:
            self.say(
                "",
                f"The connection continues in the background (PID {os.getpid()});"
                f" run 'vpnclient disconnect {entry}' to disconnect.",
            )

    def _go_background(self) -> None:
        """``--background``: leave the terminal; questions can no longer be asked."""
        child = self.options.background
        if child is None:
            return
        child.detach()
        self.options.prompter = NoPrompter()

    def _remember_backups(self, config: ModeConfigReceived) -> None:
        """The gateway's backup servers go into the entry, as the Cisco client keeps them."""
        if not config.backup_servers:
            return
        try:
            saved = backup.remember(self.options.profile, config.backup_servers)
        except ProfileError as exc:
            self.warn(f"vpnclient: the gateway's backup servers are not saved: {exc}")
            return
        if saved:
            self.backup_note = "saved in the connection entry"

    def _apply_dns(self, config: ModeConfigReceived) -> None:
        settings = DnsSettings(config.dns, config.domain, config.nbns, config.split_dns)
        if settings.empty:
            self.dns_note = "none from the gateway"
        elif not self.options.apply_dns:
            self.dns_note = "not applied (--no-dns)"
        else:
            why = self.resolv.apply(settings, self.options.entry)
            self.dns_note = (
                f"applied to {self.options.resolv_conf}" if not why else f"not applied: {why}"
            )

    def _information(self) -> list[str]:
        result = self.status({})
        lines = [
            "VPN tunnel information.",
            f"Client address: {result['client_address']}",
            f"Server address: {result['gateway']}",
            f"Encryption: {result['encryption']}",
            f"Authentication: {result['authentication']}",
            "IP Compression: None",
        ]
        if result["nat_t"]:
            lines.append(f"NAT passthrough is active on port UDP {result['gateway_port']}")
        else:
            lines.append("NAT passthrough is inactive")
        tunnel = self.options.tun_name
        if result["all_traffic"]:
            lines.append(f"Secured routes: all traffic (0.0.0.0/1 and 128.0.0.0/1 via {tunnel})")
        else:
            lines.append(f"Secured routes: {', '.join(result['secured_networks'])} via {tunnel}")
        config = self._session().config
        if config is not None:
            settings = DnsSettings(config.dns, config.domain, config.nbns, config.split_dns)
            lines += settings.describe()
        lines.append(f"DNS: {self.dns_note}")
        if config is not None and config.backup_servers:
            note = f" ({self.backup_note})" if self.backup_note else ""
            lines.append(f"Backup servers: {', '.join(config.backup_servers)}{note}")
        return lines

    # -- connected ----------------------------------------------------------------------------
    async def _watch(self) -> None:
        """Until the connection is lost (the stop request cancels this)."""
        session = self._session()
        while True:
            event = await session.next_event()
            if isinstance(event, IkeSaUp) and event.replaces is not None:
                self._renewing, self._xauth_rounds = True, 0
            elif isinstance(event, XauthRequested):
                if self._renewing and event.conn_id == session.conn_id:
                    await self._reanswer_xauth(event)
                else:
                    await self._answer_xauth(event)  # a gateway re-authenticating its users
            elif isinstance(event, XauthFailed):
                if event.attempts_left == 0:
                    raise ConnectFailed(messages.user_refused(event.username or self.username))
                self._refused = True
            elif isinstance(event, XauthSucceeded) and self._renewing:
                self._renewing = False
                self.state = "connected"
                self.say(messages.SECURE)
            elif isinstance(event, ChildSaDown) and not session.pairs:
                raise ConnectFailed(self._lost(event.reason, ipsec=True))
            elif isinstance(event, IkeSaDown) and event.conn_id == session.conn_id:
                raise ConnectFailed(self._lost(event.reason, ipsec=False))

    def _lost(self, reason: str, *, ipsec: bool) -> list[str]:
        """Why a secure link ended: no DPD answer, a Delete from the gateway, or else."""
        gateway = str(self.gateway)
        if reason.startswith("DPD"):
            return messages.peer_gone(gateway)
        if "peer" in reason or "initial contact" in reason:
            return messages.peer_deleted(reason)
        return messages.sas_gone(reason) if ipsec else messages.phase1_failed(gateway, reason)

    # -- control socket -----------------------------------------------------------------------
    def _disconnect_request(self, request: Any) -> dict[str, Any]:
        asyncio.get_running_loop().call_soon(self.request_stop)
        return {"entry": self.options.entry, "state": self.state}

    def status(self, request: Any) -> dict[str, Any]:
        """The control socket's ``status`` answer."""
        options = self.options
        facts = ctl.ConnectionFacts(
            entry=options.entry,
            state=self.state,
            gateway=str(self.gateway),
            local=str(self.path.source) if self.path else None,
            group=options.profile.group_name,
            username=self.username,
            secured=self.secured,
            dns_status=self.dns_note,
            tun=options.tun_name,
        )
        return ctl.build_status(facts, self.session)


def _open_problem(exc: OSError, settings: SessionSettings) -> str:
    """Why the TUN device or the sockets could not be opened, in words."""
    if isinstance(exc, PermissionError) or exc.errno in (errno.EPERM, errno.EACCES):
        return "vpnclient needs root (CAP_NET_ADMIN and CAP_NET_RAW) for its TUN device and sockets"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"UDP port 500 or 4500 on {settings.local} is in use by another program"
            " (another VPN client or IKE daemon?)"
        )
    return f"cannot open the VPN adapter {settings.tun_name} and its sockets: {exc}"
