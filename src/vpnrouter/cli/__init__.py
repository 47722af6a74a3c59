"""The operator-facing command line: `vpnrouter` sub-commands and the IOS exec shell."""
