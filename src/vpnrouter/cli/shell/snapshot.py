"""What the show commands display: a typed, JSON-serialisable picture of a running router.

The router's control socket answers ``{"command": "snapshot"}`` with ``Snapshot.to_json()``
and the shell rebuilds it with ``Snapshot.from_json()`` (docs/CONTRACTS.md, "control socket /
show"). Every renderer works from a snapshot only, so the shell does not care how it arrived.

Conventions: addresses are dotted-quad strings, networks ``"10.10.10.0/24"``; algorithms are
the IANA numbers of docs/CONTRACTS.md (IKE: RFC 2409 App. A; ESP: RFC 2407 4.4.4 / 4.5);
durations are seconds (floats allowed where they count down); counters are plain ints.
Fields with defaults may be left out of the JSON; unknown keys are rejected (a typo on the
router side should fail loudly in a test, not print zeros).
"""

from __future__ import annotations

import ipaddress
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any, TypeVar, Union

SCHEMA_VERSION = 1


class SnapshotError(ValueError):
    """A snapshot document does not follow the schema (the message names the field)."""


@dataclass(frozen=True)
class InterfaceInfo:
    """An interface of the configuration, as the router bound it."""

    name: str  # IOS name, "Ethernet0/0"
    address: str | None = None  # "172.18.124.159/24"
    linux_name: str | None = None  # the Linux device it runs on
    crypto_map: str | None = None
    up: bool = True


@dataclass(frozen=True)
class RouterInfo:
    hostname: str
    software_version: str  # vpnrouter's own version
    ios_version: str | None = None  # the config's `version` line: "12.2" -> 12.x dialect
    uptime: float = 0.0  # seconds since the router started
    platform: str = ""  # "Linux 6.1.0-18-amd64 x86_64, Python 3.11.2"
    image: str = ""  # the program running
    config_file: str = ""  # the configuration loaded
    interfaces: tuple[InterfaceInfo, ...] = ()
    debug: tuple[str, ...] = ()  # debug facilities on: "isakmp", "ipsec", "engine"


@dataclass(frozen=True)
class IkeSa:
    """One ISAKMP (phase 1) SA: a row of ``show crypto isakmp sa`` and what ``detail`` adds.

    ``dst`` is the responder and ``src`` the initiator, as on IOS. ``status`` is ACTIVE, or
    DELETED / FAILED for an SA kept visible after it went away (15.x prints both as ``ACTIVE
    (deleted)``). ``capabilities`` are the IOS codes: C (Mode Config), D (DPD), K
    (keepalives), N (NAT-T), X (XAuth). ``interface`` None prints ``<none>`` in ``show crypto
    engine connections active``.
    """

    conn_id: int
    dst: str
    src: str
    state: str  # MM_NO_STATE, MM_SA_SETUP, MM_KEY_EXCH, MM_KEY_AUTH, AG_*, QM_IDLE
    local: str
    peer: str
    status: str = "ACTIVE"
    slot: int = 0
    local_port: int = 500
    peer_port: int = 500
    initiator: bool = False
    interface: str | None = None
    encryption: int | None = None  # RFC 2409 attr 1: DES=1, 3DES=5, AES=7
    key_length: int | None = None  # AES key bits
    hash: int | None = None  # MD5=1, SHA=2, SHA2-256=4, ...
    auth: int | None = None  # PSK=1, RSA-SIG=3, XAUTHInitPreShared=65001, ...
    group: int | None = None
    lifetime: int | None = None  # agreed seconds
    remaining: float | None = None  # seconds left (None: not established)
    capabilities: tuple[str, ...] = ()
    username: str | None = None  # XAuth user
    group_name: str | None = None  # client group (aggressive mode identity)
    assigned_address: str | None = None  # Mode Config address
    established: float | None = None  # seconds since the SA came up
    vrf: str = ""  # I-VRF (empty: none)
    engine_id: int | None = None  # crypto engine connection (15.x "SW:N"); None: conn_id
    encrypt_count: int = 0  # IKE messages encrypted/decrypted (engine connections)
    decrypt_count: int = 0


@dataclass(frozen=True)
class EspSa:
    """One direction of an IPsec SA (``inbound esp sas`` / ``outbound esp sas``)."""

    spi: int
    conn_id: int
    encryption: int  # ESP transform id: ESP_DES=2, ESP_3DES=3, ESP_NULL=11, ESP_AES=12
    key_length: int | None = None  # AES key bits
    auth: int | None = None  # HMAC-MD5=1, HMAC-SHA=2, HMAC-SHA2-256=5, ...
    flow_id: int = 0
    mode: str = "Tunnel"  # Tunnel | Transport
    udp_encap: bool = False  # RFC 3948 ESP in UDP (NAT-T)
    lifetime_kilobytes: int = 4608000
    lifetime_seconds: int = 3600
    remaining_kilobytes: int = 4608000
    remaining_seconds: float = 3600.0
    iv_size: int = 8
    replay_detection: bool = True
    packets: int = 0  # encrypted (outbound) or decrypted (inbound) on this SA
    last_seq: int = 0  # last sequence number sent / received
    status: str = "ACTIVE"


@dataclass(frozen=True)
class FlowCounters:
    """The ``#pkts`` lines of ``show crypto ipsec sa`` (the flow's SAs added up)."""

    encaps: int = 0
    encrypt: int = 0
    digest: int = 0
    decaps: int = 0
    decrypt: int = 0
    verify: int = 0
    compressed: int = 0
    decompressed: int = 0
    not_compressed: int = 0
    compr_failed: int = 0
    not_decompressed: int = 0
    decompress_failed: int = 0
    send_errors: int = 0
    recv_errors: int = 0


@dataclass(frozen=True)
class IpsecFlow:
    """One ``local ident`` / ``remote ident`` block of ``show crypto ipsec sa``.

    ``local_net``/``remote_net`` are the proxy identities seen from this router;
    ``origin_is_acl`` False prints ``flags={}`` (an SA negotiated from the peer's narrower
    identities, or a dynamic map). ``inbound``/``outbound`` are in creation order: the last
    outbound SA is the ``current outbound spi``.
    """

    interface: str
    map_name: str
    map_seq: int
    local_address: str
    peer: str
    local_net: str
    remote_net: str
    protocol: int = 0
    local_port: int = 0
    remote_port: int = 0
    peer_port: int = 500
    origin_is_acl: bool = True
    counters: FlowCounters = FlowCounters()
    path_mtu: int = 1500
    media_mtu: int = 1500
    pfs_group: int | None = None
    vrf: str = ""
    ike_conn_id: int | None = None
    inbound: tuple[EspSa, ...] = ()
    outbound: tuple[EspSa, ...] = ()

    @property
    def current_outbound(self) -> EspSa | None:
        return self.outbound[-1] if self.outbound else None


@dataclass(frozen=True)
class PoolLease:
    address: str
    owner: str = ""  # XAuth user name, else the peer address


@dataclass(frozen=True)
class LocalPool:
    """``ip local pool NAME FIRST LAST`` and the addresses handed out from it."""

    name: str
    first: str
    last: str
    in_use: tuple[PoolLease, ...] = ()

    @property
    def size(self) -> int:
        return int(ipaddress.IPv4Address(self.last)) - int(ipaddress.IPv4Address(self.first)) + 1


@dataclass(frozen=True)
class ConfigRef:
    """A line of the router's configuration file (secrets masked)."""

    line: int  # line number in the file the router loaded
    text: str  # "crypto isakmp policy 10"


@dataclass(frozen=True)
class Diagnosis:
    """``show crypto isakmp diagnose [PEER]``: what the router knows went right or wrong with
    one peer, in one or two sentences, and the configuration lines involved.

    ``verdict`` is ``up`` (phase 1 up, no failure), ``failed`` (the last phase 1 failed, or
    a quick mode failed over a live one: see ``phase``), ``deleted`` (a phase 1 that was up
    went away), ``negotiating`` or ``idle`` (a configured peer with no SA yet).
    """

    peer: str
    verdict: str
    text: str
    phase: int = 0  # the failed phase: 1 or 2 (0: none)
    conn_id: int | None = None
    state: str = ""  # the ISAKMP SA's (last) state: MM_NO_STATE, MM_KEY_EXCH, QM_IDLE ...
    age: float | None = None  # seconds since the failure or deletion
    config: tuple[ConfigRef, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    router: RouterInfo
    ike_sas: tuple[IkeSa, ...] = ()
    ipsec: tuple[IpsecFlow, ...] = ()
    pools: tuple[LocalPool, ...] = ()
    running_config: str = ""  # `show running-config` text, header included
    diagnoses: tuple[Diagnosis, ...] = ()  # one per peer the router knows of
    schema: int = field(default=SCHEMA_VERSION)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (``json.dumps`` it as it is)."""
        return typing.cast(dict[str, Any], to_jsonable(self))

    @classmethod
    def from_json(cls, data: Any) -> Snapshot:
        """Rebuild a snapshot; SnapshotError names the first field that is wrong."""
        snapshot = from_jsonable(cls, data, "snapshot")
        if snapshot.schema != SCHEMA_VERSION:
            raise SnapshotError(
                f"snapshot.schema: version {snapshot.schema} (this shell reads {SCHEMA_VERSION})"
            )
        return snapshot


def to_jsonable(value: Any) -> Any:
    """Dataclasses -> dicts, tuples -> lists; everything else in the schema is JSON already."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [to_jsonable(item) for item in value]
    return value


T = TypeVar("T")


def from_jsonable(cls: type[T], data: Any, where: str) -> T:
    """Build dataclass ``cls`` from a dict, checking every field against its annotation."""
    if not isinstance(data, dict):
        raise SnapshotError(f"{where}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SnapshotError(f"{where}: unknown field {unknown[0]!r}")
    kwargs: dict[str, Any] = {}
    for name, spec in known.items():
        if name not in data:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise SnapshotError(f"{where}.{name}: missing")
            continue
        kwargs[name] = _convert(hints[name], data[name], f"{where}.{name}")
    return cls(**kwargs)


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = (o for o in options if o is not type(None))
        return _convert(inner, value, where)
    if origin is tuple:
        item_type = typing.get_args(hint)[0]
        if not isinstance(value, list):
            raise SnapshotError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(_convert(item_type, item, f"{where}[{i}]") for i, item in enumerate(value))
    if isinstance(hint, type) and is_dataclass(hint):
        return from_jsonable(hint, value, where)
    return _scalar(hint, value, where)


def _scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif hint is str:
        ok = isinstance(value, str)
    else:  # pragma: no cover - a schema change without a converter
        raise SnapshotError(f"{where}: no converter for {hint!r}")
    if not ok:
        name = "null" if value is None else type(value).__name__
        raise SnapshotError(f"{where}: expected {hint.__name__}, got {name}")
    return value
