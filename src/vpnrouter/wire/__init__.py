"""vpnrouter.wire"""
