"""vpnrouter.lab"""
