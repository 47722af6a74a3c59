"""vpnrouter: an IKEv1/IPsec VPN gateway that runs Cisco IOS crypto configurations on Linux."""

__version__ = "0.1.0"
