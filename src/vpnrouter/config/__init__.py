"""vpnrouter.config"""
