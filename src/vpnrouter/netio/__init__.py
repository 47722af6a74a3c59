"""vpnrouter.netio"""
