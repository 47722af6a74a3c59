"""IOS keywords and the IANA numbers the rest of vpnrouter speaks (docs/CONTRACTS.md).

Public API: the constants below (``ENCR_*``, ``HASH_*``, ``AUTH_*``, ``ESP_*``, ``HMAC_*``,
``DH_GROUPS``), the keyword tables used by the parser and the renderer, and small describers
(``describe_policy_encryption`` ...) for lint messages.
"""

from __future__ import annotations

# IKE phase 1 (RFC 2409 appendix A).
ENCR_DES = 1
ENCR_3DES = 5
ENCR_AES = 7
HASH_MD5 = 1
HASH_SHA = 2
HASH_SHA256 = 4
HASH_SHA384 = 5
HASH_SHA512 = 6
AUTH_PSK = 1
AUTH_RSA_SIG = 3
DH_GROUPS = (1, 2, 5, 14, 15, 16, 19, 20)

# IPsec DOI (RFC 2407 4.4.4 and 4.5).
ESP_DES = 2
ESP_3DES = 3
ESP_NULL = 11
ESP_AES = 12
HMAC_MD5 = 1
HMAC_SHA = 2
HMAC_SHA256 = 5
HMAC_SHA384 = 6
HMAC_SHA512 = 7

AES_KEY_LENGTHS = (128, 192, 256)

# `encr` keywords in crypto isakmp policy mode.
POLICY_ENCRYPTION: dict[str, int] = {"des": ENCR_DES, "3des": ENCR_3DES, "aes": ENCR_AES}
POLICY_HASH: dict[str, int] = {
    "md5": HASH_MD5,
    "sha": HASH_SHA,
    "sha256": HASH_SHA256,
    "sha384": HASH_SHA384,
    "sha512": HASH_SHA512,
}
POLICY_AUTH: dict[str, int] = {"pre-share": AUTH_PSK, "rsa-sig": AUTH_RSA_SIG}

# Transform-set keywords.
ESP_ENCRYPTION: dict[str, int] = {
    "esp-des": ESP_DES,
    "esp-3des": ESP_3DES,
    "esp-aes": ESP_AES,
    "esp-null": ESP_NULL,
}
ESP_AUTH: dict[str, int] = {
    "esp-md5-hmac": HMAC_MD5,
    "esp-sha-hmac": HMAC_SHA,
    "esp-sha256-hmac": HMAC_SHA256,
    "esp-sha384-hmac": HMAC_SHA384,
    "esp-sha512-hmac": HMAC_SHA512,
}
AH_AUTH: dict[str, int] = {"ah-md5-hmac": HMAC_MD5, "ah-sha-hmac": HMAC_SHA}


def keyword_for(table: dict[str, int], value: int) -> str:
    for keyword, number in table.items():
        if number == value:
            return keyword
    raise KeyError(value)


# Human words for lint messages and show commands.
_ENCR_WORDS = {ENCR_DES: "DES", ENCR_3DES: "3DES", ENCR_AES: "AES"}
_HASH_WORDS = {
    HASH_MD5: "MD5",
    HASH_SHA: "SHA-1",
    HASH_SHA256: "SHA-256",
    HASH_SHA384: "SHA-384",
    HASH_SHA512: "SHA-512",
}
_AUTH_WORDS = {AUTH_PSK: "pre-share", AUTH_RSA_SIG: "rsa-sig"}


def describe_ike(encryption: int, key_length: int | None, hash_id: int, auth: int) -> str:
    cipher = _ENCR_WORDS.get(encryption, str(encryption))
    if key_length is not None:
        cipher += f"-{key_length}"
    hash_word = _HASH_WORDS.get(hash_id, str(hash_id))
    return f"{cipher}, {hash_word}, {_AUTH_WORDS.get(auth, str(auth))}"


# Protocol keywords of extended access lists (IANA protocol numbers).
PROTOCOLS: dict[str, int] = {
    "ip": 0,
    "icmp": 1,
    "igmp": 2,
    "ipinip": 4,
    "tcp": 6,
    "udp": 17,
    "gre": 47,
    "esp": 50,
    "ahp": 51,
    "eigrp": 88,
    "ospf": 89,
    "nos": 94,
    "pim": 103,
    "pcp": 108,
}

# Port names IOS prints instead of numbers (a subset of what it knows; enough for VPN configs).
TCP_PORTS: dict[str, int] = {
    "bgp": 179,
    "chargen": 19,
    "cmd": 514,
    "daytime": 13,
    "domain": 53,
    "echo": 7,
    "exec": 512,
    "finger": 79,
    "ftp": 21,
    "ftp-data": 20,
    "gopher": 70,
    "hostname": 101,
    "ident": 113,
    "irc": 194,
    "klogin": 543,
    "kshell": 544,
    "login": 513,
    "lpd": 515,
    "nntp": 119,
    "pop2": 109,
    "pop3": 110,
    "smtp": 25,
    "sunrpc": 111,
    "tacacs": 49,
    "talk": 517,
    "telnet": 23,
    "time": 37,
    "uucp": 540,
    "whois": 43,
    "www": 80,
}
UDP_PORTS: dict[str, int] = {
    "biff": 512,
    "bootpc": 68,
    "bootps": 67,
    "discard": 9,
    "dnsix": 195,
    "domain": 53,
    "echo": 7,
    "isakmp": 500,
    "mobile-ip": 434,
    "nameserver": 42,
    "netbios-dgm": 138,
    "netbios-ns": 137,
    "netbios-ss": 139,
    "non500-isakmp": 4500,
    "ntp": 123,
    "rip": 520,
    "snmp": 161,
    "snmptrap": 162,
    "sunrpc": 111,
    "syslog": 514,
    "tacacs": 49,
    "talk": 517,
    "tftp": 69,
    "time": 37,
    "who": 513,
    "xdmcp": 177,
}
ICMP_TYPES: dict[str, tuple[int, int | None]] = {
    "echo-reply": (0, None),
    "unreachable": (3, None),
    "packet-too-big": (3, 4),
    "source-quench": (4, None),
    "redirect": (5, None),
    "echo": (8, None),
    "router-advertisement": (9, None),
    "router-solicitation": (10, None),
    "time-exceeded": (11, None),
    "parameter-problem": (12, None),
    "timestamp-request": (13, None),
    "timestamp-reply": (14, None),
    "information-request": (15, None),
    "information-reply": (16, None),
    "mask-request": (17, None),
    "mask-reply": (18, None),
}

# Interface types, in the order an abbreviation is resolved (`e0/0` is Ethernet0/0, `s0/0`
# Serial0/0, `t0` Tunnel0: the classic router interfaces win over the newer ones).
INTERFACE_TYPES = (
    "Ethernet",
    "FastEthernet",
    "GigabitEthernet",
    "Serial",
    "Tunnel",
    "Loopback",
    "Dialer",
    "Virtual-Template",
    "Vlan",
    "ATM",
    "Async",
    "BRI",
    "BVI",
    "Multilink",
    "Null",
    "Port-channel",
    "TenGigabitEthernet",
    "Cellular",
    "CTunnel",
    "Embedded-Service-Engine",
    "Ethernet-Internal",
    "Group-Async",
    "Hssi",
    "Integrated-Service-Engine",
    "MFR",
    "Service-Engine",
    "Virtual-Access",
    "Virtual-PPP",
    "Wlan-GigabitEthernet",
)


def interface_type(prefix: str) -> str | None:
    """The interface type an (abbreviated) type word stands for."""
    lowered = prefix.lower()
    for name in INTERFACE_TYPES:
        if name.lower() == lowered:
            return name
    for name in INTERFACE_TYPES:
        if name.lower().startswith(lowered):
            return name
    return None
