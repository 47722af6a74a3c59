"""IOS spellings of algorithm numbers for debug lines and ``show`` snapshots.

Sources: ``3DES-CBC``, ``SHA`` and ``pre-share`` appear in the ``debug crypto isakmp`` lines
of shared/reference/ios-show-formats.md (``ISAKMP:      encryption 3DES-CBC``, ``hash SHA``,
``auth pre-share``); the transform-set form (``esp-aes 256 esp-sha512-hmac``, ``esp-des
esp-sha-hmac``) appears in its ``IPSEC(validate_proposal_request)`` and
``IPSEC(ipsec_process_proposal)`` lines, and ``Tunnel`` in the seed's ``show crypto ipsec
sa`` (``in use settings ={Tunnel, }``). The other names follow IOS 12.x debug output as
remembered and are unconfirmed.
"""

from __future__ import annotations

from typing import Final

_ENCRYPTION: Final[dict[int, str]] = {1: "DES-CBC", 5: "3DES-CBC", 7: "AES-CBC"}
_HASH: Final[dict[int, str]] = {1: "MD5", 2: "SHA", 4: "SHA256", 5: "SHA384", 6: "SHA512"}
_AUTH: Final[dict[int, str]] = {
    1: "pre-share",
    3: "RSA sig",
    65001: "XAUTHInitPreShared",
    65002: "XAUTHRespPreShared",
}
_ESP_TRANSFORM: Final[dict[int, str]] = {2: "ESP_DES", 3: "ESP_3DES", 11: "ESP_NULL", 12: "ESP_AES"}
_ESP_AUTH: Final[dict[int, str]] = {
    1: "HMAC-MD5",
    2: "HMAC-SHA",
    5: "HMAC-SHA256",
    6: "HMAC-SHA384",
    7: "HMAC-SHA512",
}
_ENCAP: Final[dict[int, str]] = {
    1: "Tunnel",
    2: "Transport",
    3: "UDP-Tunnel",
    4: "UDP-Transport",
    61443: "UDP-Tunnel (draft)",
    61444: "UDP-Transport (draft)",
}
_IOS_ESP_CIPHER: Final[dict[int, str]] = {
    2: "esp-des",
    3: "esp-3des",
    11: "esp-null",
    12: "esp-aes",
}
_IOS_ESP_AUTH: Final[dict[int, str]] = {
    1: "esp-md5-hmac",
    2: "esp-sha-hmac",
    5: "esp-sha256-hmac",
    6: "esp-sha384-hmac",
    7: "esp-sha512-hmac",
}


def _name(table: dict[int, str], value: int | None) -> str:
    if value is None:
        return "(none)"
    return table.get(value, f"unknown ({value})")


def encryption_name(value: int | None) -> str:
    return _name(_ENCRYPTION, value)


def hash_name(value: int | None) -> str:
    return _name(_HASH, value)


def auth_name(value: int | None) -> str:
    return _name(_AUTH, value)


def esp_transform_name(value: int | None) -> str:
    return _name(_ESP_TRANSFORM, value)


def esp_auth_name(value: int | None) -> str:
    return _name(_ESP_AUTH, value)


def encap_name(value: int | None) -> str:
    return _name(_ENCAP, value)


def transform_set_text(transform_id: int, key_length: int | None, auth: int | None) -> str:
    """``esp-3des esp-md5-hmac`` / ``esp-aes 256 esp-sha256-hmac`` (IOS transform-set syntax)."""
    words = [_IOS_ESP_CIPHER.get(transform_id, f"esp-{transform_id}")]
    if key_length is not None and transform_id == 12 and key_length != 128:
        words.append(str(key_length))
    if auth is not None:
        words.append(_IOS_ESP_AUTH.get(auth, f"auth-{auth}"))
    return " ".join(words)
