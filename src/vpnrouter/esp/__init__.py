"""vpnrouter.esp"""
