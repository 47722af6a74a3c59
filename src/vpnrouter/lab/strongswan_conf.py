"""swanctl.conf and strongswan.conf for the lab's charons, generated from small dataclasses.

Three IKEv1 roles: `L2LConn` (a LAN-to-LAN peer with a pre-shared key, main or aggressive
mode), `XauthClientConn` (the Cisco VPN Client: aggressive mode with ``keyid:GROUP`` and the
group key, XAuth user/password, Mode Config pull) and `XauthServerConn` (the router's side of
that: group, local users, address pool with DNS/WINS/domain).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from vpnrouter.lab import seed
from vpnrouter.lab.seed import RouterSpec

CHARON = Path("/usr/lib/ipsec/charon")
PLUGIN_DIR = Path("/usr/lib/ipsec/plugins")
# kernel-libipsec MUST come before kernel-netlink: the first kernel-ipsec interface wins,
# kernel-netlink then only provides routes and addresses.
PLUGINS = (
    *("random", "nonce", "openssl", "gcrypt", "gmp", "aes", "des", "sha1", "sha2", "md5"),
    *("hmac", "pem", "pkcs1", "x509", "pubkey", "kernel-libipsec", "kernel-netlink"),
    *("socket-default", "vici", "updown", "attr", "unity", "xauth-generic"),
)
DEFAULT_LOG_LEVELS: Mapping[str, int] = {"default": 1, "ike": 2, "cfg": 2, "knl": 2, "esp": 1}


def available_plugins(plugin_dir: Path = PLUGIN_DIR) -> list[str]:
    """`PLUGINS` in order, without those this strongSwan build does not ship.

    Debian 12 has no separate ``des`` plugin (DES comes from openssl/gcrypt); charon would
    only log its absence, but a clean load list keeps the log free of red herrings.
    """
    if not plugin_dir.is_dir():
        return list(PLUGINS)
    return [p for p in PLUGINS if (plugin_dir / f"libstrongswan-{p}.so").exists()]


# -- configuration ---------------------------------------------------------------------------

# (connection section, secrets sections, pools sections) of swanctl.conf
Sections = tuple[dict[str, object], dict[str, object], dict[str, object]]


@dataclass(frozen=True)
class L2LConn:
    """An IKEv1 LAN-to-LAN peer with a pre-shared key (main mode unless `aggressive`)."""

    name: str
    local_addr: str
    remote_addr: str
    psk: str
    local_ts: tuple[str, ...]
    remote_ts: tuple[str, ...]
    ike_proposals: tuple[str, ...] = ("des-md5-modp768",)
    esp_proposals: tuple[str, ...] = ("3des-md5",)
    aggressive: bool = False
    local_id: str | None = None
    remote_id: str | None = None
    child: str | None = None
    rekey_time: int = 0  # seconds; 0 = never
    dpd_delay: int = 0
    start_action: str = "none"  # none | trap | start

    @property
    def child_name(self) -> str:
        return self.child or self.name

    def sections(self) -> Sections:
        """(connection section, secrets sections, pools) for swanctl.conf."""
        local_id = self.local_id or self.local_addr
        remote_id = self.remote_id or self.remote_addr
        conn: dict[str, object] = {
            "version": 1,
            "aggressive": _yes(self.aggressive),
            "local_addrs": self.local_addr,
            "remote_addrs": self.remote_addr,
            "proposals": ",".join(self.ike_proposals),
            "rekey_time": self.rekey_time,
            "dpd_delay": self.dpd_delay,
            "local": {"auth": "psk", "id": local_id},
            "remote": {"auth": "psk", "id": remote_id},
            "children": {
                self.child_name: {
                    "local_ts": ",".join(self.local_ts),
                    "remote_ts": ",".join(self.remote_ts),
                    "mode": "tunnel",
                    "esp_proposals": ",".join(self.esp_proposals),
                    "rekey_time": self.rekey_time,
                    "start_action": self.start_action,
                }
            },
        }
        secrets: dict[str, object] = {
            f"ike-{self.name}": {"id-1": local_id, "id-2": remote_id, "secret": self.psk}
        }
        return conn, secrets, {}


@dataclass(frozen=True)
class XauthClientConn:
    """The Cisco VPN Client role: aggressive mode, group name as ``keyid:`` identity with the
    group key, then XAuth user/password, then Mode Config (``vips = 0.0.0.0``)."""

    name: str
    remote_addr: str
    group: str
    group_psk: str
    xauth_user: str
    xauth_password: str
    remote_ts: tuple[str, ...]
    ike_proposals: tuple[str, ...] = ("3des-sha1-modp1024",)
    esp_proposals: tuple[str, ...] = ("3des-md5",)
    local_addr: str = "%any"
    remote_id: str | None = None
    aggressive: bool = True
    child: str | None = None

    @property
    def child_name(self) -> str:
        return self.child or self.name

    def sections(self) -> Sections:
        conn: dict[str, object] = {
            "version": 1,
            "aggressive": _yes(self.aggressive),
            "local_addrs": self.local_addr,
            "remote_addrs": self.remote_addr,
            "vips": "0.0.0.0",
            "proposals": ",".join(self.ike_proposals),
            "rekey_time": 0,
            "dpd_delay": 0,
            "local": {"auth": "psk", "id": f"keyid:{self.group}"},
            "local-xauth": {"auth": "xauth", "xauth_id": self.xauth_user},
            "remote": {"auth": "psk", "id": self.remote_id or self.remote_addr},
            "children": {
                self.child_name: {
                    "remote_ts": ",".join(self.remote_ts),
                    "mode": "tunnel",
                    "esp_proposals": ",".join(self.esp_proposals),
                    "rekey_time": 0,
                }
            },
        }
        secrets: dict[str, object] = {
            f"ike-{self.name}": {"id": f"keyid:{self.group}", "secret": self.group_psk},
            f"xauth-{self.name}": {"id": self.xauth_user, "secret": self.xauth_password},
        }
        return conn, secrets, {}


# Unity attribute numbers strongSwan's attr plugin takes as pool keys
UNITY_DEF_DOMAIN = 28674


@dataclass(frozen=True)
class XauthServerConn:
    """The Cisco "VPN Client server" role (the seed's vpn2611 ``3000client`` group):
    aggressive-mode responder for ``keyid:GROUP`` with the group key, XAuth against local
    users, Mode Config from an address pool with DNS/WINS/domain."""

    name: str
    local_addr: str
    group: str
    group_psk: str
    users: tuple[tuple[str, str], ...]  # (user, password)
    pool_addrs: str  # e.g. "14.1.1.100-14.1.1.200"
    local_ts: tuple[str, ...]
    ike_proposals: tuple[str, ...] = ("3des-sha1-modp1024", "des-md5-modp768")
    esp_proposals: tuple[str, ...] = ("3des-md5",)
    dns: str | None = None
    nbns: str | None = None
    domain: str | None = None
    child: str | None = None

    @property
    def child_name(self) -> str:
        return self.child or self.name

    @property
    def pool_name(self) -> str:
        return f"pool-{self.name}"

    def sections(self) -> Sections:
        conn: dict[str, object] = {
            "version": 1,
            "aggressive": "yes",
            "local_addrs": self.local_addr,
            "remote_addrs": "%any",
            "pools": self.pool_name,
            "proposals": ",".join(self.ike_proposals),
            "rekey_time": 0,
            "dpd_delay": 0,
            "local": {"auth": "psk", "id": self.local_addr},
            "remote": {"auth": "psk", "id": f"keyid:{self.group}"},
            "remote-xauth": {"auth": "xauth"},
            "children": {
                self.child_name: {
                    "local_ts": ",".join(self.local_ts),
                    "mode": "tunnel",
                    "esp_proposals": ",".join(self.esp_proposals),
                    "rekey_time": 0,
                }
            },
        }
        secrets: dict[str, object] = {
            f"ike-{self.name}": {"id": f"keyid:{self.group}", "secret": self.group_psk}
        }
        for i, (user, password) in enumerate(self.users):
            secrets[f"xauth-{self.name}-{i}"] = {"id": user, "secret": password}
        pool: dict[str, object] = {"addrs": self.pool_addrs}
        if self.dns:
            pool["dns"] = self.dns
        if self.nbns:
            pool["nbns"] = self.nbns
        if self.domain:
            pool[str(UNITY_DEF_DOMAIN)] = self.domain
        return conn, secrets, {self.pool_name: pool}


Conn = L2LConn | XauthClientConn | XauthServerConn


def render_swanctl_conf(conns: Sequence[Conn]) -> str:
    """swanctl.conf text for the given connections and their secrets."""
    connections: dict[str, object] = {}
    secrets: dict[str, object] = {}
    pools: dict[str, object] = {}
    for conn in conns:
        if conn.name in connections:
            raise ValueError(f"duplicate connection name {conn.name!r}")
        section, conn_secrets, conn_pools = conn.sections()
        connections[conn.name] = section
        secrets.update(conn_secrets)
        pools.update(conn_pools)
    tree: dict[str, object] = {"connections": connections, "secrets": secrets}
    if pools:
        tree["pools"] = pools
    return _render(tree)


def render_strongswan_conf(
    vici_socket: Path,
    log_path: Path,
    *,
    log_levels: Mapping[str, int] = DEFAULT_LOG_LEVELS,
    plugins: Sequence[str] | None = None,
) -> str:
    """strongswan.conf for one charon instance: plugins, vici socket, file log."""
    tree: dict[str, object] = {
        "charon": {
            "load_modular": "no",
            "load": " ".join(plugins if plugins is not None else available_plugins()),
            # aggressive mode with PSK (the Cisco VPN Client role) is refused otherwise
            "i_dont_care_about_security_and_use_aggressive_mode_psk": "yes",
            # the default per-IP half-open limit (5) throttles benchmarks and probes
            "block_threshold": 1000,
            "cookie_threshold": 1000,
            "half_open_timeout": 5,
            "retransmit_tries": 3,
            "retransmit_timeout": 2.0,
            "plugins": {
                "vici": {"socket": f"unix://{vici_socket}"},
                "kernel-libipsec": {"load": "yes"},
            },
            "filelog": {
                "lab": {
                    "path": str(log_path),
                    "time_format": "%T",
                    "append": "no",
                    "flush_line": "yes",
                    **dict(log_levels),
                }
            },
            "syslog": {"daemon": {"default": -1}},
        },
        "swanctl": {"socket": f"unix://{vici_socket}"},
    }
    return _render(tree)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


_BARE = re.compile(r"^[A-Za-z0-9_.,:/%@*+=\[\]-]+$")


def _value(value: object) -> str:
    text = str(value)
    if _BARE.match(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _render(tree: Mapping[str, object], indent: int = 0) -> str:
    pad = "    " * indent
    lines: list[str] = []
    for key, value in tree.items():
        if isinstance(value, Mapping):
            lines.append(f"{pad}{key} {{")
            lines.append(_render(value, indent + 1))
            lines.append(f"{pad}}}")
        else:
            lines.append(f"{pad}{key} = {_value(value)}")
    return "\n".join(line for line in lines if line) + ("\n" if indent == 0 else "")


def seed_l2l(
    local: RouterSpec,
    remote: RouterSpec,
    *,
    name: str = "l2l",
    ike_proposals: tuple[str, ...] = (seed.IKE_POLICY,),
    esp_proposals: tuple[str, ...] = (seed.TRANSFORM_SET,),
    psk: str = seed.PSK,
) -> L2LConn:
    """The seed's LAN-to-LAN tunnel as seen from `local` (main mode, PSK cisco123,
    IKE des-md5-modp768, ESP 3des-md5, LAN to LAN)."""
    return L2LConn(
        name=name,
        local_addr=local.outside_ip,
        remote_addr=remote.outside_ip,
        psk=psk,
        local_ts=(local.lan,),
        remote_ts=(remote.lan,),
        ike_proposals=ike_proposals,
        esp_proposals=esp_proposals,
    )


def seed_xauth_server(router: RouterSpec = seed.VPN2611, *, name: str = "ra") -> XauthServerConn:
    """vpn2611's remote-access service for group 3000client (XAuth user cisco, pool ippool)."""
    return XauthServerConn(
        name=name,
        local_addr=router.outside_ip,
        group=seed.CLIENT_GROUP,
        group_psk=seed.CLIENT_GROUP_KEY,
        users=(seed.XAUTH_USER,),
        pool_addrs=seed.POOL,
        local_ts=(router.lan,),
        ike_proposals=("3des-sha1-modp1024", seed.IKE_POLICY),
        esp_proposals=(seed.TRANSFORM_SET,),
        dns=seed.CLIENT_DNS,
        nbns=seed.CLIENT_WINS,
        domain=seed.CLIENT_DOMAIN,
    )


def seed_xauth_client(
    router: RouterSpec = seed.VPN2611,
    *,
    name: str = "ra",
    ike_proposals: tuple[str, ...] = ("3des-sha1-modp1024",),
    esp_proposals: tuple[str, ...] = (seed.TRANSFORM_SET,),
) -> XauthClientConn:
    """A Cisco-VPN-Client-style peer of `router`: group 3000client, XAuth cisco/cisco."""
    return XauthClientConn(
        name=name,
        remote_addr=router.outside_ip,
        group=seed.CLIENT_GROUP,
        group_psk=seed.CLIENT_GROUP_KEY,
        xauth_user=seed.XAUTH_USER[0],
        xauth_password=seed.XAUTH_USER[1],
        remote_ts=(router.lan,),
        ike_proposals=ike_proposals,
        esp_proposals=esp_proposals,
    )
