"""vpnrouter.router"""
