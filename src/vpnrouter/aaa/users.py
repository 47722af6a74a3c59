"""The local user database (``username NAME password|secret ...``) and the login method lists
(``aaa authentication login LIST METHOD...``) that XAuth checks credentials against.

IOS semantics kept here:

- ``local`` looks the user name up case-insensitively, ``local-case`` case-sensitively;
  passwords are always case-sensitive.
- ``username NAME password 0|7 TEXT`` stores the text (type 7 is decoded by the config
  parser before it reaches us); ``secret 5 $1$...`` stores an MD5-crypt hash;
  ``nopassword`` accepts any password.
- A method list is tried in order; a method that *fails* (wrong password, unknown user)
  ends the attempt, only a method that cannot answer (e.g. a RADIUS ``group`` we do not
  implement) moves on to the next one, as IOS does. ``none`` accepts.

Nothing here ever logs or returns a password: :class:`AuthResult` carries a reason text made
for logs. Comparisons are constant-time (``hmac.compare_digest``), and an unknown user costs
the same comparison as a known one.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from vpnrouter.aaa import md5crypt

METHOD_LOCAL: Final = "local"
METHOD_LOCAL_CASE: Final = "local-case"
METHOD_NONE: Final = "none"
_DUMMY: Final = b"\x00" * 32


@dataclass(frozen=True)
class LocalUser:
    """``username NAME [privilege N] password|secret|nopassword``; the repr hides secrets."""

    name: str
    password: str | None = field(default=None, repr=False)  # clear text (type 0/7 decoded)
    secret: str | None = field(default=None, repr=False)  # type 5: "$1$salt$hash"
    nopassword: bool = False
    privilege: int = 1

    def check(self, password: str) -> bool:
        """Constant-time check of ``password`` against this user's stored credential."""
        if self.nopassword:
            return True
        if self.secret is not None:
            return md5crypt.verify(password, self.secret)
        if self.password is None:
            hmac.compare_digest(_DUMMY, password.encode())
            return False
        return hmac.compare_digest(self.password.encode(), password.encode())


@dataclass(frozen=True)
class AuthResult:
    """The outcome of one authentication: ``reason`` is for logs (never a password)."""

    ok: bool
    reason: str = ""
    method: str = ""


class UserDatabase:
    """The ``username`` lines of a configuration."""

    def __init__(self, users: Iterable[LocalUser] = ()) -> None:
        self._users: dict[str, LocalUser] = {}
        for user in users:
            self._users[user.name] = user  # a later line for the same name replaces it

    def __len__(self) -> int:
        return len(self._users)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._users

    def names(self) -> tuple[str, ...]:
        return tuple(self._users)

    def find(self, name: str, *, case_sensitive: bool = True) -> LocalUser | None:
        user = self._users.get(name)
        if user is not None or case_sensitive:
            return user
        folded = name.casefold()
        return next((u for u in self._users.values() if u.name.casefold() == folded), None)

    def authenticate(self, name: str, password: str, *, case_sensitive: bool = False) -> AuthResult:
        """Check ``name``/``password``; the method name in the result is ``local``."""
        method = METHOD_LOCAL_CASE if case_sensitive else METHOD_LOCAL
        user = self.find(name, case_sensitive=case_sensitive)
        if user is None:
            hmac.compare_digest(_DUMMY, password.encode())  # same cost as a known user
            return AuthResult(False, f"unknown user {name!r}", method)
        if not user.check(password):
            return AuthResult(False, f"wrong password for user {user.name!r}", method)
        return AuthResult(True, "", method)


class LoginLists:
    """``aaa authentication login NAME METHOD...`` lists, with the user database they use."""

    def __init__(self, lists: Mapping[str, Iterable[str]], users: UserDatabase) -> None:
        self._lists = {name: tuple(methods) for name, methods in lists.items()}
        self.users = users

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._lists

    def methods(self, name: str) -> tuple[str, ...]:
        return self._lists.get(name, ())

    def authenticate(self, list_name: str, name: str, password: str) -> AuthResult:
        """Run the list's methods in order (IOS: only an *error* moves to the next one)."""
        methods = self._lists.get(list_name)
        if methods is None:
            return AuthResult(False, f"authentication list {list_name} is not defined")
        for method in methods:
            if method in (METHOD_LOCAL, METHOD_LOCAL_CASE):
                if not len(self.users):
                    continue  # IOS: an empty local database is an error, try the next method
                return self.users.authenticate(
                    name, password, case_sensitive=method == METHOD_LOCAL_CASE
                )
            if method == METHOD_NONE:
                return AuthResult(True, "", METHOD_NONE)
        return AuthResult(False, f"no usable method in authentication list {list_name}")
