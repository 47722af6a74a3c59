"""vpnrouter.ike"""
