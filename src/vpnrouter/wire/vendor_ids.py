"""Well-known IKEv1 vendor ID payload values (RFC 2408 3.16) and :func:`describe` for logs.

Sources, named per value below: the RFCs that define a VID (RFC 3947, RFC 3706); the MD5 inputs
published with them; and for the de-facto ones the tables of strongSwan
(``src/libcharon/sa/ikev1/tasks/isakmp_vendor.c``), libreswan (``programs/pluto/vendor.c``) and
ike-scan (``/usr/share/ike-scan/ike-vendor-ids``). Values that are an MD5 are checked against
``hashlib.md5`` in ``tests/wire/test_vendor_ids.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

# RFC 3947 3.1: MD5("RFC 3947").
NATT_RFC3947 = bytes.fromhex("4a131c81070358455c5728f20e95452f")
# draft-ietf-ipsec-nat-t-ike-02 3.1: MD5("draft-ietf-ipsec-nat-t-ike-02\n") - the newline is in
# the hashed text (strongSwan isakmp_vendor.c sends it; ike-scan lists it).
NATT_DRAFT_02_N = bytes.fromhex("90cb80913ebb696e086381b5ec427b1f")
# MD5("draft-ietf-ipsec-nat-t-ike-02") without the newline (strongSwan isakmp_vendor.c).
NATT_DRAFT_02 = bytes.fromhex("cd60464335df21f87cfdb2fc68b6a448")
# draft-ietf-ipsec-nat-t-ike-03: MD5("draft-ietf-ipsec-nat-t-ike-03") (strongSwan, ike-scan).
NATT_DRAFT_03 = bytes.fromhex("7d9419a65310ca6f2c179d9215529d56")
# draft-ietf-ipsec-nat-t-ike-00 / -01 (ike-scan ike-vendor-ids, strongSwan isakmp_vendor.c).
NATT_DRAFT_00 = bytes.fromhex("4485152d18b6bbcd0be8a8469579ddcc")
NATT_DRAFT_01 = bytes.fromhex("16f6ca16e4a4066d83821a0f0aeaa862")
# RFC 3706 (section 5): DPD vendor ID, 14 bytes + major version 1 + minor version 0.
DPD = bytes.fromhex("afcad71368a1f1c96b8696fc77570100")
# Cisco Unity: MD5("CISCO-UNITY") with the last two bytes replaced by version 01 00
# (strongSwan isakmp_vendor.c, libreswan vendor.c, ike-scan).
CISCO_UNITY = bytes.fromhex("12f5f28c457168a9702d9fe274cc0100")
# XAuth: first 8 bytes of MD5("draft-ietf-ipsra-isakmp-xauth-06.txt") (strongSwan isakmp_vendor.c).
XAUTH = bytes.fromhex("09002689dfd6b712")
# IKE fragmentation (Cisco proprietary): MD5("FRAGMENTATION"); senders append a 4-byte
# capability word, Cisco c0000000, strongSwan 80000000 (strongSwan isakmp_vendor.c, libreswan).
FRAGMENTATION = bytes.fromhex("4048b7d56ebce88525e7de7f00d6c2d3")
FRAGMENTATION_CISCO = FRAGMENTATION + bytes.fromhex("c0000000")
# strongSwan: MD5("strongSwan") (strongSwan isakmp_vendor.c).
STRONGSWAN = bytes.fromhex("882fe56d6fd20dbc2251613b2ebe5beb")
# Cisco VPN 3000 Concentrator: truncated MD5("ALTIGA GATEWAY") + 2 version bytes
# (strongSwan isakmp_vendor.c, libreswan vendor.c; versions listed by ike-scan).
CISCO_CONCENTRATOR_PREFIX = bytes.fromhex("1f07f70eaa6514d3b0fa96542a50")
# Cisco VPN 3000 client: MD5("ALTIGA NETWORKS") (strongSwan isakmp_vendor.c).
CISCO_VPN3000_CLIENT = bytes.fromhex("f6f7efc7f5aeb8cb158cb9d094ba69e7")
# Cisco IOS: 4-byte prefix of the VID IOS devices send (libreswan vendor.c "Cisco IOS Device").
CISCO_IOS_PREFIX = bytes.fromhex("3e984048")
# Microsoft Windows: "MS NT5 ISAKMPOAKLEY" + 4 version bytes (strongSwan isakmp_vendor.c).
MS_NT5_PREFIX = bytes.fromhex("1e2b516905991c7d7c96fcbfb587e461")
# KAME/racoon (strongSwan isakmp_vendor.c, ike-scan).
KAME_RACOON = bytes.fromhex("7003cbc1097dbe9c2600ba6983bc8b35")
# Microsoft Initial-Contact (ike-scan ike-vendor-ids).
MS_INITIAL_CONTACT = bytes.fromhex("26244d38eddb61b3172a36e3d0cfb819")
# Text VIDs sent by Cisco devices, the ASCII itself (libreswan vendor.c).
CISCO_DELETE_REASON = b"CISCO-DELETE-REASON"
CISCO_VPN_REV_02 = b"CISCOVPN-REV-02"
CISCO_DYNAMIC_ROUTE = b"CISCO-DYNAMIC-ROUTE"
FLEXVPN_SUPPORTED = b"FLEXVPN-SUPPORTED"


@dataclass(frozen=True)
class KnownVendorId:
    """A VID to recognise: ``value`` exactly, or as a prefix when ``prefix`` is set."""

    name: str
    value: bytes
    prefix: bool = False


KNOWN_VENDOR_IDS: tuple[KnownVendorId, ...] = (
    KnownVendorId("RFC 3947 NAT-T", NATT_RFC3947),
    KnownVendorId("draft-ietf-ipsec-nat-t-ike-02\\n", NATT_DRAFT_02_N),
    KnownVendorId("draft-ietf-ipsec-nat-t-ike-02", NATT_DRAFT_02),
    KnownVendorId("draft-ietf-ipsec-nat-t-ike-03", NATT_DRAFT_03),
    KnownVendorId("draft-ietf-ipsec-nat-t-ike-00", NATT_DRAFT_00),
    KnownVendorId("draft-ietf-ipsec-nat-t-ike-01", NATT_DRAFT_01),
    KnownVendorId("Dead Peer Detection v1.0", DPD),
    KnownVendorId("Dead Peer Detection", DPD[:14], prefix=True),
    KnownVendorId("Cisco Unity", CISCO_UNITY),
    KnownVendorId("Cisco Unity", CISCO_UNITY[:14], prefix=True),
    KnownVendorId("XAUTH", XAUTH),
    KnownVendorId("IKE Fragmentation", FRAGMENTATION, prefix=True),
    KnownVendorId("strongSwan", STRONGSWAN),
    KnownVendorId("Cisco VPN Concentrator", CISCO_CONCENTRATOR_PREFIX, prefix=True),
    KnownVendorId("Cisco VPN 3000 client", CISCO_VPN3000_CLIENT),
    KnownVendorId("Cisco IOS", CISCO_IOS_PREFIX, prefix=True),
    KnownVendorId("MS NT5 ISAKMPOAKLEY", MS_NT5_PREFIX, prefix=True),
    KnownVendorId("KAME/racoon", KAME_RACOON),
    KnownVendorId("Microsoft Initial-Contact", MS_INITIAL_CONTACT),
    KnownVendorId("CISCO-DELETE-REASON", CISCO_DELETE_REASON),
    KnownVendorId("CISCOVPN-REV-02", CISCO_VPN_REV_02),
    KnownVendorId("CISCO-DYNAMIC-ROUTE", CISCO_DYNAMIC_ROUTE),
    KnownVendorId("FLEXVPN-SUPPORTED", FLEXVPN_SUPPORTED),
)


def lookup(vid: bytes) -> KnownVendorId | None:
    """The known entry for ``vid``: an exact match first, then the longest prefix match."""
    for entry in KNOWN_VENDOR_IDS:
        if not entry.prefix and vid == entry.value:
            return entry
    best: KnownVendorId | None = None
    for entry in KNOWN_VENDOR_IDS:
        longer = best is None or len(entry.value) > len(best.value)
        if entry.prefix and longer and vid.startswith(entry.value):
            best = entry
    return best


def describe(vid: bytes) -> str:
    """A one-line description for debug logs, e.g. ``Cisco Unity`` or ``unknown (a1b2...)``."""
    entry = lookup(vid)
    if entry is None:
        return f"unknown ({vid.hex()})"
    if entry.prefix and len(vid) > len(entry.value):
        return f"{entry.name} (+{vid[len(entry.value) :].hex()})"
    return entry.name


def is_natt(vid: bytes) -> bool:
    """Whether ``vid`` announces NAT-T support this implementation speaks (RFC or draft 02/03)."""
    return vid in (NATT_RFC3947, NATT_DRAFT_02_N, NATT_DRAFT_02, NATT_DRAFT_03)
