"""vpnrouter.lab: the seed topology in network namespaces, and real peers to test against.

- `netns`: `Topology` (namespaces with a per-run prefix, bridge segments, veth pairs,
  addresses, routes, sysctls, `exec`/`popen` in a namespace, `close()` removes it all).
- `seed`: `build_seed(topology, SeedOptions)` -> `SeedLab` (vpn2611, vpn3640, host1, host2,
  the Internet router, a client PC and a client behind a masquerading NAT).
- `strongswan` / `strongswan_conf`: strongSwan charons side by side (`Charon`) configured
  from dataclasses (`L2LConn`, `XauthClientConn`, `XauthServerConn`).
- `dataplane`: h1 -- r1 -- r2 -- h2 for the manually keyed data plane (`Lab`, `l2l_configs`)
  and strongSwan's libipsec beside it, shared by the data-plane tests and the ESP bench.
- `vpnc`: vpnc's configuration, script wrapper and what the wrapper records (the lab's
  ``--client vpnc`` and the remote-access tests).
- `capture`: tshark captures (`Capture`) and what they show (`summarize`).
- `requirements`: what the machine lacks for all of this.
- ``vpnrouter lab`` (`vpnrouter.cli.lab_cmd`): `cli_up` (the steps of ``lab up``), `cli_peers`
  (routers, strongSwan, vpnclient/vpnc, host1's DNS server `dnsd`), `cli_report` (the seed's
  verification section), `cli_run` (detached processes, teardown) and `cli_state` (the state
  file that lets the lab outlive ``lab up``).
"""
