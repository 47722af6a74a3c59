"""One renderer per show command, for both dialects, from a ``Snapshot``.

``SHOW_COMMANDS`` maps the grammar's action names to ``(snapshot, dialect, values) ->
ShowResult``; ``values`` are the arguments the grammar captured (``peer``, ``map``,
``detail``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from vpnrouter.cli.shell.show.common import Dialect, ShowResult
from vpnrouter.cli.shell.show.crypto_session import show_crypto_session
from vpnrouter.cli.shell.show.cryptomap import show_crypto_map
from vpnrouter.cli.shell.show.diagnose import show_isakmp_diagnose
from vpnrouter.cli.shell.show.engine import show_engine
from vpnrouter.cli.shell.show.ipsec import show_ipsec_sa
from vpnrouter.cli.shell.show.isakmp import show_isakmp_policy, show_isakmp_sa
from vpnrouter.cli.shell.show.system import (
    show_debugging,
    show_ip_local_pool,
    show_running_config,
    show_version,
)
from vpnrouter.cli.shell.snapshot import Snapshot

ShowHandler = Callable[[Snapshot, Dialect, Mapping[str, str]], ShowResult]

SHOW_COMMANDS: dict[str, ShowHandler] = {
    "show.version": show_version,
    "show.running-config": show_running_config,
    "show.isakmp-sa": show_isakmp_sa,
    "show.isakmp-policy": show_isakmp_policy,
    "show.isakmp-diagnose": show_isakmp_diagnose,
    "show.ipsec-sa": show_ipsec_sa,
    "show.engine": show_engine,
    "show.session": show_crypto_session,
    "show.map": show_crypto_map,
    "show.pool": show_ip_local_pool,
    "show.debugging": show_debugging,
}

__all__ = ["SHOW_COMMANDS", "Dialect", "ShowHandler", "ShowResult"]
