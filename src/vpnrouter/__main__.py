"""`python -m vpnrouter` is the `vpnrouter` command."""

from vpnrouter.cli.main import main

raise SystemExit(main())
