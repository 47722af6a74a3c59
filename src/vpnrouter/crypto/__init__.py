"""vpnrouter.crypto"""
