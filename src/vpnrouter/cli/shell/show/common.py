"""What the show renderers share: the dialect, the IOS names of algorithms, number formats.

``Dialect.from_version(config_version)``: 12.x speaks the seed's (IOS 12.2) format, 15 and
later the newer one; ``ShowResult(text, data)`` is what every show command returns (``data``
is what ``| json`` prints).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from vpnrouter.cli.shell.snapshot import EspSa, IpsecFlow, Snapshot
from vpnrouter.config import RunningConfig, parse
from vpnrouter.crypto import cipher, prf

DEFAULT_MAJOR = 15  # a configuration without a `version` line speaks the newer dialect


@dataclass(frozen=True)
class Dialect:
    major: int
    minor: int

    @classmethod
    def from_version(cls, version: str | None) -> Dialect:
        match = re.match(r"\s*(\d+)(?:\.(\d+))?", version or "")
        if match is None:
            return cls(DEFAULT_MAJOR, 0)
        return cls(int(match.group(1)), int(match.group(2) or 0))

    @property
    def legacy(self) -> bool:
        """IOS 12.x and older: the seed's formats."""
        return self.major < 15

    @property
    def isakmp_status(self) -> bool:
        """``show crypto isakmp sa`` has a status column from 12.4 on."""
        return (self.major, self.minor) >= (12, 4)

    @property
    def name(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass(frozen=True)
class ShowResult:
    text: str
    data: Any


@functools.lru_cache(maxsize=4)
def _parse_config(text: str) -> RunningConfig:
    return parse(text, "running-config").config


def config_of(snap: Snapshot) -> RunningConfig:
    """The running configuration as our parser reads it (for the config-derived shows)."""
    return _parse_config(snap.running_config)


def lines_text(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


# -- IKE (phase 1) names --------------------------------------------------------------------
_IKE_ENCR = {1: "des", 5: "3des", 7: "aes"}
_IKE_HASH = {1: "md5", 2: "sha", 4: "sha256", 5: "sha384", 6: "sha512"}
_AUTH_SHORT = {1: "psk", 3: "rsig", 65001: "psk", 65002: "psk", 65005: "rsig", 65006: "rsig"}


def ike_encr_short(encryption: int | None, key_length: int | None) -> str:
    """``show crypto isakmp sa detail`` column: des, 3des, aes, aes192, aes256."""
    if encryption is None:
        return ""
    word = _IKE_ENCR.get(encryption, str(encryption))
    if encryption == 7 and key_length not in (None, 128):
        word += str(key_length)
    return word


def ike_hash_short(hash_id: int | None) -> str:
    return "" if hash_id is None else _IKE_HASH.get(hash_id, str(hash_id))


def auth_short(auth: int | None) -> str:
    return "" if auth is None else _AUTH_SHORT.get(auth, str(auth))


# -- ESP names ------------------------------------------------------------------------------
_ESP_ENCR = {2: "esp-des", 3: "esp-3des", 11: "esp-null", 12: "esp-aes"}
_ESP_AUTH = {
    1: "esp-md5-hmac",
    2: "esp-sha-hmac",
    5: "esp-sha256-hmac",
    6: "esp-sha384-hmac",
    7: "esp-sha512-hmac",
}


def esp_transform(sa: EspSa) -> str:
    """``esp-3des esp-md5-hmac``, AES-256 as ``esp-256-aes`` (show crypto ipsec sa)."""
    word = _ESP_ENCR.get(sa.encryption, f"esp-{sa.encryption}")
    if sa.encryption == 12 and sa.key_length not in (None, 128):
        word = f"esp-{sa.key_length}-aes"
    words = [word]
    if sa.auth is not None:
        words.append(_ESP_AUTH.get(sa.auth, f"esp-{sa.auth}-hmac"))
    return " ".join(words)


# -- crypto engine algorithm names ----------------------------------------------------------
_ENGINE_HASH = {1: "MD5", 2: "SHA", 4: "SHA256", 5: "SHA384", 6: "SHA512"}
_ENGINE_ESP_HASH = {1: "MD5", 2: "SHA", 5: "SHA256", 6: "SHA384", 7: "SHA512"}


def _engine_cipher(name: str, key_length: int | None, legacy: bool) -> str:
    if legacy:
        if name == "AES":
            return f"AES_{key_length or 128}_CBC"
        if name == "NULL":
            return "NULL"
        return f"{name}_56_CBC"  # IOS 12 calls 3DES "3DES_56_CBC" too
    if name == "AES" and key_length not in (None, 128):
        return f"AES{key_length}"
    return name


def engine_ike_algorithm(
    encryption: int | None, key_length: int | None, hash_id: int | None, legacy: bool
) -> str:
    """``HMAC_MD5+DES_56_CB`` (12.x, cut to 18 columns) or ``SHA+DES`` (15.x, HASH+ENC)."""
    enc = _engine_cipher(
        {1: "DES", 5: "3DES", 7: "AES"}.get(encryption or 0, "?"), key_length, legacy
    )
    hash_word = _ENGINE_HASH.get(hash_id or 0, "?")
    if legacy:
        return f"HMAC_{hash_word}+{enc}"[:18]
    return f"{hash_word}+{enc}"


def engine_esp_algorithm(sa: EspSa, legacy: bool) -> str:
    """``HMAC_MD5+3DES_56_C`` (12.x, HASH+ENC cut to 18) or ``3DES+MD5`` (15.x, ENC+HASH)."""
    enc_name = {2: "DES", 3: "3DES", 11: "NULL", 12: "AES"}.get(sa.encryption, "?")
    enc = _engine_cipher(enc_name, sa.key_length, legacy)
    hash_word = _ENGINE_ESP_HASH.get(sa.auth, "") if sa.auth is not None else ""
    if legacy:
        return (f"HMAC_{hash_word}+{enc}" if hash_word else enc)[:18]
    return f"{enc}+{hash_word}" if hash_word else enc


# -- addresses, identities, times -------------------------------------------------------------
def network(text: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(text, strict=False)


def ident(net: str, protocol: int, port: int) -> str:
    """``(10.10.10.0/255.255.255.0/0/0)`` — a proxy identity as show crypto ipsec sa prints it."""
    n = network(net)
    return f"({n.network_address}/{n.netmask}/{protocol}/{port})"


def flow_address(net: str) -> str:
    """``host 14.1.1.106``, ``10.10.10.0/255.255.255.0``, ``0.0.0.0/0.0.0.0`` (IPSEC FLOW)."""
    n = network(net)
    if n.prefixlen == 32:
        return f"host {n.network_address}"
    return f"{n.network_address}/{n.netmask}"


def hms(seconds: float | None) -> str:
    """``23:25:03`` (hours may pass 24, as IOS lifetimes do)."""
    total = max(0, int(seconds or 0))
    hours, rest = divmod(total, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def plaintext_mtu(flow: IpsecFlow) -> int:
    """The largest inner packet the current outbound SA fits in ``path_mtu`` (RFC 4303 2.4)."""
    sa = flow.current_outbound
    if sa is None:
        return flow.path_mtu
    try:
        spec = cipher.for_esp(sa.encryption, sa.key_length)
        icv = prf.get_integrity(sa.auth).icv_size if sa.auth is not None else 0
    except ValueError:
        return flow.path_mtu
    overhead = 20 + (8 if sa.udp_encap else 0) + 8 + spec.iv_size + icv
    align = max(spec.block_size, 4)
    return (flow.path_mtu - overhead) // align * align - 2
