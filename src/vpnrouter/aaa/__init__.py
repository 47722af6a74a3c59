"""vpnrouter.aaa: local users, the XAuth authentication backend, address pools (sans-I/O).

:class:`Aaa` bundles what the IKE engine needs for remote access and is handed to
``IkeEngine(..., aaa=Aaa(...))`` by the router, which builds it from the configuration:

- ``username`` lines -> :class:`~vpnrouter.aaa.users.UserDatabase` of
  :class:`~vpnrouter.aaa.users.LocalUser`;
- ``aaa authentication login LIST METHODS`` -> ``login_lists`` (XAuth checks
  ``crypto map M client authentication list LIST`` against it);
- ``aaa authorization network LIST METHODS`` -> ``network_lists`` (``isakmp authorization
  list``: the group attributes come from the local ``crypto isakmp client configuration
  group`` when the list has ``local``);
- ``ip local pool`` lines -> :class:`~vpnrouter.aaa.pool.PoolSet`.

The pools are state (leases): keep the same :class:`Aaa` across configuration reloads and
call :meth:`Aaa.reconfigure`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from vpnrouter.aaa.pool import AddressPool, Lease, PoolError, PoolSet
from vpnrouter.aaa.users import AuthResult, LocalUser, LoginLists, UserDatabase


class Aaa:
    """Users, method lists and pools for one router."""

    def __init__(
        self,
        users: Iterable[LocalUser] = (),
        *,
        login_lists: Mapping[str, Iterable[str]] | None = None,
        network_lists: Mapping[str, Iterable[str]] | None = None,
        pools: PoolSet | None = None,
    ) -> None:
        self.users = UserDatabase(users)
        self.login = LoginLists(login_lists or {}, self.users)
        self.network_lists = {k: tuple(v) for k, v in (network_lists or {}).items()}
        self.pools = pools if pools is not None else PoolSet()

    def authenticate(self, list_name: str, username: str, password: str) -> AuthResult:
        """XAuth: check credentials with the login method list ``list_name``."""
        return self.login.authenticate(list_name, username, password)

    def authorizes_locally(self, list_name: str) -> bool:
        """``aaa authorization network LIST local``: group policy from the local groups."""
        return "local" in self.network_lists.get(list_name, ())

    def reconfigure(self, new: Aaa) -> list[Lease]:
        """Take ``new``'s users, lists and pool definitions, keeping current leases."""
        self.users = new.users
        self.login = new.login
        self.network_lists = dict(new.network_lists)
        return self.pools.reconfigure(new.pools)


__all__ = [
    "Aaa",
    "AddressPool",
    "AuthResult",
    "Lease",
    "LocalUser",
    "LoginLists",
    "PoolError",
    "PoolSet",
    "UserDatabase",
]
