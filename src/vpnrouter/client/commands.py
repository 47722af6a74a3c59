"""``vpnclient new | list | show | delete | import``: the connection entries (``.pcf`` profiles).

Exit status: 0 done; 1 the entry or file is missing, exists, or is not a usable profile
(the message on standard error starts ``vpnclient:``); 2 wrong usage (argparse). Import and
show write warnings about kept oddities (``Warning: FILE line N: ...``) on standard error and
still succeed. No command ever prints a group or user password: ``show`` says
``<saved, obfuscated>``.

Every command takes ``--profile-dir DIR`` (default: ``$VPNCLIENT_PROFILE_DIR``, else
``$XDG_CONFIG_HOME/vpnclient/Profiles``, else ``~/.config/vpnclient/Profiles``).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, Final

from vpnrouter.client import pcf
from vpnrouter.client.profiles import (
    AUTH_TYPE_NAMES,
    TUNNEL_TCP,
    InvalidProfile,
    Profile,
    ProfileError,
    ProfileExists,
    ProfileStore,
    check_name,
    new_document,
    profile_from_document,
)

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1

SAVED_OBFUSCATED: Final = "<saved, obfuscated>"
SAVED_CLEAR: Final = "<saved in clear text>"
_SECRET_KEYS: Final = frozenset(
    key.casefold() for key in ("GroupPwd", "enc_GroupPwd", "UserPassword", "enc_UserPassword")
)

# Replaced by tests; the connect flow's prompts should come through here too.
prompt_secret: Callable[[str], str] = getpass.getpass
random_bytes: Callable[[int], bytes] = os.urandom


def register(subparsers: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--profile-dir",
        metavar="DIR",
        help="directory of the .pcf connection entries (default: $VPNCLIENT_PROFILE_DIR, "
        "else $XDG_CONFIG_HOME/vpnclient/Profiles, else ~/.config/vpnclient/Profiles)",
    )
    _register_new(subparsers, common)
    listing = subparsers.add_parser(
        "list",
        parents=[common],
        help="list the connection entries",
        description="List the connection entries: name, host, group and description.",
    )
    listing.set_defaults(func=run_list)
    show = subparsers.add_parser(
        "show",
        parents=[common],
        help="show a connection entry",
        description="Show a connection entry: what vpnclient makes of it, then every key of "
        "its .pcf profile in file order. Passwords are never shown.",
    )
    show.add_argument("name", metavar="NAME")
    show.set_defaults(func=run_show)
    delete = subparsers.add_parser("delete", parents=[common], help="delete a connection entry")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(func=run_delete)
    imp = subparsers.add_parser(
        "import",
        parents=[common],
        help="import a .pcf profile exported from the Cisco VPN Client",
        description="Copy a Cisco VPN Client profile into the connection entries. Keys "
        "vpnclient does not know are kept (with a warning); a clear GroupPwd is stored "
        "obfuscated in enc_GroupPwd, as the Cisco client does.",
    )
    imp.add_argument("file", metavar="FILE.pcf")
    imp.add_argument("--name", metavar="NAME", help="entry name (default: the file's name)")
    imp.set_defaults(func=run_import)


def _register_new(subparsers: Any, common: argparse.ArgumentParser) -> None:
    new = subparsers.add_parser(
        "new",
        parents=[common],
        help="create a connection entry",
        description="Create a connection entry (a Cisco .pcf profile). The group password "
        "is saved, obfuscated as the Cisco client does, only with --save-group-password or "
        "--group-password-stdin; otherwise 'vpnclient connect' asks for it.",
    )
    new.add_argument("name", metavar="NAME")
    new.add_argument("--host", required=True, help="VPN server (name or address)")
    new.add_argument("--group", required=True, help="group name (IPsec ID)")
    new.add_argument("--username", default="", help="XAuth user name")
    new.add_argument("--description", default="", help="free text shown by 'list'")
    new.add_argument(
        "--no-nat",
        action="store_true",
        help="disable transparent tunneling (IPsec over UDP/NAT-T); EnableNat=0",
    )
    new.add_argument(
        "--save-group-password",
        action="store_true",
        help="ask for the group password (without echo) and save it obfuscated",
    )
    new.add_argument(
        "--group-password-stdin",
        action="store_true",
        help="read the group password from the first line of standard input and save it",
    )
    new.set_defaults(func=run_new)


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except ProfileError as exc:
            return _error(str(exc))

    wrapper.__name__ = run.__name__
    wrapper.__doc__ = run.__doc__
    return wrapper


def _error(message: str) -> int:
    print(f"vpnclient: {message}", file=sys.stderr)
    return EXIT_ERROR


def _store(args: argparse.Namespace) -> ProfileStore:
    return ProfileStore(args.profile_dir)


# --- new -----------------------------------------------------------------------------------


def _group_password(args: argparse.Namespace) -> str | None:
    if args.group_password_stdin:
        line = sys.stdin.readline()
        secret = line.rstrip("\r\n")
        if not secret:
            raise ProfileError("no group password on standard input")
        return secret
    if not args.save_group_password:
        return None
    if not sys.stdin.isatty():
        raise ProfileError(
            "no terminal to ask for the group password on; use --group-password-stdin"
        )
    try:
        first = prompt_secret("Group password: ")
        second = prompt_secret("Confirm group password: ")
    except EOFError:
        raise ProfileError("no group password given") from None
    except KeyboardInterrupt:
        print(file=sys.stderr)
        raise ProfileError("interrupted; nothing was saved") from None
    if not first:
        raise ProfileError("the group password is empty")
    if first != second:
        raise ProfileError("the group passwords do not match; nothing was saved")
    return first


@_guarded
def run_new(args: argparse.Namespace) -> int:
    store = _store(args)
    name = check_name(args.name)
    if store.exists(name):
        raise ProfileExists(name)
    secret = _group_password(args)
    doc = new_document(
        host=args.host,
        group_name=args.group,
        group_password=secret,
        username=args.username,
        description=args.description,
        enable_nat=not args.no_nat,
        random_bytes=random_bytes,
    )
    profile = store.create(name, doc)
    print(f"Created connection entry '{name}' in {profile.path}.")
    print(f"Group password: {_password_note(profile)}")
    return EXIT_OK


def _password_note(profile: Profile) -> str:
    if profile.group_password_saved:
        return f"{SAVED_OBFUSCATED} (enc_GroupPwd)"
    return "not saved; 'vpnclient connect' asks for it"


# --- list ----------------------------------------------------------------------------------


@_guarded
def run_list(args: argparse.Namespace) -> int:
    store = _store(args)
    names = store.names()
    if not names:
        print(
            f"No connection entries in {store.directory} "
            "(create one with 'vpnclient new' or 'vpnclient import')."
        )
        return EXIT_OK
    rows: list[tuple[str, str, str, str]] = []
    status = EXIT_OK
    for name in names:
        try:
            profile = store.load(name)
        except ProfileError as exc:
            status = _error(str(exc))
            continue
        rows.append((name, profile.host, profile.group_name, profile.description))
    if rows:
        sys.stdout.write(format_table(("Name", "Host", "Group", "Description"), rows))
    return status


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns two spaces apart, the last one not padded."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


# --- show ----------------------------------------------------------------------------------


def masked_value(key: str, value: str) -> str:
    """A key's value as ``show`` prints it: passwords never in clear."""
    if key.casefold() not in _SECRET_KEYS or not value:
        return value
    return SAVED_OBFUSCATED if key.casefold().startswith("enc_") else SAVED_CLEAR


def _tunneling(profile: Profile) -> str:
    if not profile.enable_nat:
        return "disabled (plain IPsec)"
    if profile.tunneling_mode == TUNNEL_TCP:
        return f"IPsec over TCP, port {profile.tcp_tunneling_port}"
    return "IPsec over UDP (NAT-T)"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def format_profile(profile: Profile, doc: pcf.PcfDocument) -> str:
    """What ``show`` prints for a valid entry."""
    lines = [
        f"Connection entry '{profile.name}' ({profile.path})",
        f"  Description:            {profile.description}",
        f"  Host:                   {profile.host}",
        f"  Authentication:         {AUTH_TYPE_NAMES[profile.auth_type]}",
        f"  Group name:             {profile.group_name}",
        f"  Group password:         {_password_note(profile)}",
        f"  Username:               {profile.username}",
        f"  Save user password:     {_yes(profile.save_user_password)}",
        f"  Transparent tunneling:  {_tunneling(profile)}",
        f"  Backup servers:         {', '.join(profile.backup_servers) or 'none'}",
        f"  Diffie-Hellman group:   {profile.dh_group}",
        f"  Peer response timeout:  {profile.peer_timeout} seconds",
        f"  Local LAN access:       {_yes(profile.enable_local_lan)}",
    ]
    locked = [entry.key for entry in _entries(doc) if entry.locked]
    if locked:
        lines.append(f"  Locked (read-only):     {', '.join(locked)}")
    return "\n".join(line.rstrip() for line in lines) + "\n\n" + format_keys(doc)


def _entries(doc: pcf.PcfDocument) -> list[pcf.PcfEntry]:
    return [entry for section in doc.sections for entry in section.entries]


def format_keys(doc: pcf.PcfDocument) -> str:
    """Every key of every section in file order, passwords masked, ``!`` kept."""
    lines = ["Profile keys:"]
    for section in doc.sections:
        lines.append(f"  [{section.name}]")
        for entry in section.entries:
            lock = "!" if entry.locked else ""
            lines.append(f"    {lock}{entry.key}={masked_value(entry.key, entry.value)}")
    return "\n".join(lines) + "\n"


@_guarded
def run_show(args: argparse.Namespace) -> int:
    store = _store(args)
    doc, warnings = store.read_document(args.name)
    path = store.path(args.name)
    for warning in warnings:
        print(warning, file=sys.stderr)
    try:
        profile = profile_from_document(args.name, doc, source=str(path), path=path)
    except InvalidProfile as exc:
        sys.stdout.write(f"Connection entry '{args.name}' ({path})\n\n" + format_keys(doc))
        return _error(str(exc))
    sys.stdout.write(format_profile(profile, doc))
    return EXIT_OK


# --- delete, import ------------------------------------------------------------------------


@_guarded
def run_delete(args: argparse.Namespace) -> int:
    path = _store(args).delete(args.name)
    print(f"Deleted connection entry '{args.name}' ({path}).")
    return EXIT_OK


@_guarded
def run_import(args: argparse.Namespace) -> int:
    result = _store(args).import_file(args.file, name=args.name, random_bytes=random_bytes)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    profile = result.profile
    print(f"Imported connection entry '{result.name}' from {args.file} into {result.path}.")
    print(f"Host {profile.host}, group {profile.group_name or '(none)'}.")
    print(f"Group password: {_password_note(profile)}")
    for key in result.obfuscated:
        print(f"The clear {key} was replaced by enc_{key}, obfuscated as the Cisco client does.")
    return EXIT_OK
