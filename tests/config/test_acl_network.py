"""AddressMatch.network for the wildcards whose text is ambiguous to ``ipaddress``."""

from ipaddress import IPv4Address, IPv4Network

from vpnrouter.config.model_acl import AddressMatch


def test_host_any_and_subnet_networks() -> None:
    assert AddressMatch.host(IPv4Address("10.10.10.5")).network == IPv4Network("10.10.10.5/32")
    assert AddressMatch.any().network == IPv4Network("0.0.0.0/0")
    subnet = AddressMatch(IPv4Address("10.10.20.7"), IPv4Address("0.0.0.255"))
    assert subnet.network == IPv4Network("10.10.20.0/24")
    assert AddressMatch(IPv4Address("10.0.0.0"), IPv4Address("0.255.0.255")).network is None
