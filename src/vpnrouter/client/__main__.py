"""`python -m vpnrouter.client` is the `vpnclient` command."""

from vpnrouter.client.main import main

raise SystemExit(main())
