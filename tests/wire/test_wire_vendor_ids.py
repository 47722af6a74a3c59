"""Vendor IDs: the MD5-derived values recomputed, and describe() for debug logs."""

from __future__ import annotations

import hashlib

import pytest

from vpnrouter.wire import vendor_ids as v


def _md5(text: bytes) -> bytes:
    return hashlib.md5(text).digest()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (v.NATT_RFC3947, b"RFC 3947"),
        (v.NATT_DRAFT_02_N, b"draft-ietf-ipsec-nat-t-ike-02\n"),
        (v.NATT_DRAFT_02, b"draft-ietf-ipsec-nat-t-ike-02"),
        (v.NATT_DRAFT_03, b"draft-ietf-ipsec-nat-t-ike-03"),
        (v.NATT_DRAFT_00, b"draft-ietf-ipsec-nat-t-ike-00"),
        (v.NATT_DRAFT_01, b"draft-ietf-ipsec-nat-t-ike-01"),
        (v.FRAGMENTATION, b"FRAGMENTATION"),
        (v.STRONGSWAN, b"strongSwan"),
        (v.CISCO_VPN3000_CLIENT, b"ALTIGA NETWORKS"),
    ],
)
def test_md5_vendor_ids(value: bytes, text: bytes) -> None:
    assert value == _md5(text)


def test_truncated_and_versioned_vendor_ids() -> None:
    assert _md5(b"draft-ietf-ipsra-isakmp-xauth-06.txt")[:8] == v.XAUTH
    assert _md5(b"CISCO-UNITY")[:14] + b"\x01\x00" == v.CISCO_UNITY
    assert _md5(b"ALTIGA GATEWAY")[:14] == v.CISCO_CONCENTRATOR_PREFIX
    assert v.DPD.hex() == "afcad71368a1f1c96b8696fc77570100"  # RFC 3706 section 5
    assert v.FRAGMENTATION_CISCO[16:] == b"\xc0\x00\x00\x00"


@pytest.mark.parametrize(
    ("vid", "name"),
    [
        (v.NATT_RFC3947, "RFC 3947 NAT-T"),
        (v.NATT_DRAFT_02_N, "draft-ietf-ipsec-nat-t-ike-02\\n"),
        (v.DPD, "Dead Peer Detection v1.0"),
        (v.DPD[:14] + b"\x01\x01", "Dead Peer Detection (+0101)"),
        (v.CISCO_UNITY, "Cisco Unity"),
        (v.XAUTH, "XAUTH"),
        (v.FRAGMENTATION, "IKE Fragmentation"),
        (v.FRAGMENTATION_CISCO, "IKE Fragmentation (+c0000000)"),
        (v.STRONGSWAN, "strongSwan"),
        (v.CISCO_CONCENTRATOR_PREFIX + b"\x04\x07", "Cisco VPN Concentrator (+0407)"),
        (v.CISCO_IOS_PREFIX + b"\xaa" * 12, "Cisco IOS (+" + "aa" * 12 + ")"),
        (b"CISCO-DELETE-REASON", "CISCO-DELETE-REASON"),
        (b"\x01\x02", "unknown (0102)"),
        (b"", "unknown ()"),
    ],
)
def test_describe(vid: bytes, name: str) -> None:
    assert v.describe(vid) == name


def test_is_natt() -> None:
    assert v.is_natt(v.NATT_RFC3947) and v.is_natt(v.NATT_DRAFT_02_N)
    assert not v.is_natt(v.NATT_DRAFT_00) and not v.is_natt(v.DPD)


def test_table_has_no_duplicate_values() -> None:
    keys = [(entry.value, entry.prefix) for entry in v.KNOWN_VENDOR_IDS]
    assert len(keys) == len(set(keys))
