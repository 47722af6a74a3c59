"""vpnrouter.ike: the sans-I/O IKEv1 engine (main mode, quick mode, informational, NAT-T).

Entry point: :class:`vpnrouter.ike.engine.IkeEngine`; its inputs are the dataclasses of
:mod:`vpnrouter.ike.policy` and its outputs the events of :mod:`vpnrouter.ike.events`.
"""
