"""vpnrouter.client"""
