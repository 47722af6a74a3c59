"""vpnrouter.aaa"""
