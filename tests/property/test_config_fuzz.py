"""Hypothesis: no text makes the configuration parser (or lint) raise; errors are reported.

Random lines are made of the words the parser knows, numbers, addresses and arbitrary text,
indented or not, so they reach deep into every mode. Whatever loads must render to text that
loads to the same model.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpnrouter.config import ErrorKind, parse, render
from vpnrouter.config.lint import lint

_KEYWORD_TEXT = """crypto isakmp ipsec policy key address no-xauth client configuration group
keepalive nat map dynamic-map ipsec-isakmp dynamic set peer transform-set pfs group2 group14
security-association lifetime seconds kilobytes match reverse-route description encr
encryption des 3des aes 128 256 hash md5 sha sha256 authentication pre-share rsa-sig
esp-des esp-3des esp-aes esp-null esp-md5-hmac esp-sha-hmac ah-sha-hmac mode tunnel transport
interface Ethernet0/0 e0/1 ip shutdown access-list access-list extended standard permit deny
remark any host tcp udp icmp eq range lt gt log established echo www isakmp local pool route
aaa new-model login network username password secret privilege 0 7 5 hostname version service
password-encryption banner motd ^C line vty con exec-timeout snmp-server community end exit
dns wins domain acl save-password include-local-lan max-users respond initiate list
authorization local-address pki trustpoint certificate quit ! router ospf"""
KEYWORDS = _KEYWORD_TEXT.split()

TOKEN = st.one_of(
    st.sampled_from(KEYWORDS),
    st.integers(0, 70000).map(str),
    st.sampled_from(["10.0.0.1", "255.255.255.0", "0.0.0.255", "0.0.0.0", "1.2.3.4", "^C"]),
    st.text(max_size=6).filter(lambda t: "\n" not in t and "\r" not in t),
)
SEED = Path(__file__).resolve().parents[2] / "examples" / "seed"
CORPUS = [
    line
    for name in ("vpn2611.cfg", "vpn3640.cfg")
    for line in (SEED / name).read_text().splitlines()
    if line.strip() and not line.startswith("!")
] + [
    "crypto isakmp policy 20",
    " encr aes 256",
    " hash sha256",
    " group 14",
    " lifetime 3600",
    "crypto isakmp keepalive 10 3 periodic",
    "crypto isakmp nat keepalive 20",
    "crypto ipsec transform-set t esp-aes 256 esp-sha-hmac",
    " mode transport",
    "crypto ipsec security-association lifetime seconds 1800",
    " set pfs group2",
    " set security-association lifetime kilobytes 9000",
    " reverse-route",
    "crypto map clientmap local-address Ethernet0/0",
    "ip access-list extended VPN",
    " 10 permit tcp host 10.0.0.1 eq www any range 1 9 log",
    " remark hello",
    "access-list 1 permit 10.0.0.1",
    "username u privilege 15 password 7 02050D480809",
    " banner ^Chello",
    "world^C",
    "banner motd ^C",
    " acl 101",
    " max-users 10",
    "interface FastEthernet0/1",
    " ip address 10.9.9.9 255.255.255.0 secondary",
    "ip route 10.0.0.0 255.0.0.0 Dialer0 10.1.1.1 5 tag 3",
]


@st.composite
def mutated_lines(draw: st.DrawFn) -> str:
    line = draw(st.sampled_from(CORPUS))
    words = line.split()
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["drop", "replace", "insert", "truncate"]))
        position = draw(st.integers(0, len(words)))
        if op == "insert" or not words:
            words.insert(position, draw(TOKEN))
        elif op == "drop":
            words.pop(min(position, len(words) - 1))
        elif op == "replace":
            words[min(position, len(words) - 1)] = draw(TOKEN)
        else:
            words = words[:position]
    return draw(st.sampled_from(["", " "])) + " ".join(words)


RANDOM_LINE = st.builds(
    lambda indent, words: indent + " ".join(words),
    st.sampled_from(["", " ", "  ", "\t"]),
    st.lists(TOKEN, max_size=7),
)
LINE = st.one_of(st.sampled_from(CORPUS), mutated_lines(), RANDOM_LINE)
LINES = st.lists(LINE, min_size=1, max_size=40).map("\n".join)
TEXT = st.one_of(LINES, LINES, LINES, st.text(max_size=300))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_random_text_only_ever_yields_reported_errors(text: str) -> None:
    result = parse(text, "fuzz.cfg")
    lines = text.split("\n")
    for error in result.errors:
        assert 1 <= error.line <= len(lines)
        assert 0 <= error.column <= max(len(error.source), 0)
        assert error.message.startswith(("%", "ERROR"))
    result.formatted_errors()
    lint([result])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_whatever_loads_renders_to_the_same_model(text: str) -> None:
    config = parse(text).config
    again = parse(render(config))
    assert all(e.kind is ErrorKind.REFERENCE for e in again.errors), again.formatted_errors()
    assert again.config == config
