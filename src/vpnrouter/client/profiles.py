"""vpnclient connection entries: Cisco ``.pcf`` profiles in a per-user directory.

One entry is one ``NAME.pcf`` file (mode 0600) in the profile directory, which is, first found:
``--profile-dir``, ``$VPNCLIENT_PROFILE_DIR``, ``$XDG_CONFIG_HOME/vpnclient/Profiles``,
``~/.config/vpnclient/Profiles`` (the Cisco client keeps them in ``Profiles/`` beside itself).

The files stay Cisco profiles (:mod:`vpnrouter.client.pcf`): an imported profile is written
back with its own keys, order, case, locks and line endings; only the group password moves
from clear ``GroupPwd`` into obfuscated ``enc_GroupPwd``, as the Cisco client does when it
reads a profile (:mod:`vpnrouter.client.groupsecret`).

For the connect flow: :func:`load_profile` ``(name) -> Profile`` with typed fields and the group
password decrypted; errors are :class:`ProfileError` s whose text is ready for the user.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from vpnrouter.client import groupsecret, pcf

ENV_PROFILE_DIR: Final = "VPNCLIENT_PROFILE_DIR"
PROFILE_SUFFIX: Final = ".pcf"
FILE_MODE: Final = 0o600
DIR_MODE: Final = 0o700
MAX_NAME_LENGTH: Final = 64

# AuthType (Cisco VPN Client Administrator Guide, profile keywords): 1 group pre-shared key
# (then XAuth), 3 certificate, 5 mutual group authentication (hybrid).
AUTH_GROUP: Final = 1
AUTH_CERTIFICATE: Final = 3
AUTH_MUTUAL_GROUP: Final = 5
AUTH_TYPE_NAMES: Final[Mapping[int, str]] = {
    AUTH_GROUP: "group authentication (pre-shared key)",
    AUTH_CERTIFICATE: "certificate authentication",
    AUTH_MUTUAL_GROUP: "mutual group authentication",
}
# TunnelingMode: 0 IPsec over UDP (NAT-T), 1 IPsec over TCP (TcpTunnelingPort).
TUNNEL_UDP: Final = 0
TUNNEL_TCP: Final = 1

# (clear key, obfuscated key): the Cisco client replaces the clear value with the other.
SECRET_KEYS: Final = (("GroupPwd", "enc_GroupPwd"), ("UserPassword", "enc_UserPassword"))


class ProfileError(Exception):
    """A connection entry that cannot be used; ``str()`` is the message for the user."""


class ProfileNotFound(ProfileError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no connection entry named '{name}' (see 'vpnclient list')")


class ProfileExists(ProfileError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"a connection entry named '{name}' already exists "
            f"(delete it with 'vpnclient delete {name}' or choose another name)"
        )


class InvalidProfile(ProfileError):
    """Profile text or a value in it that is wrong; ``line`` is 0 for the whole file."""

    def __init__(self, source: str, line: int, message: str) -> None:
        self.source = source
        self.line = line
        where = f"{source} line {line}" if line else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Profile:
    """A connection entry as the connect flow needs it. Secrets stay out of ``repr``."""

    name: str
    host: str
    group_name: str
    group_password: str | None = field(repr=False)
    username: str = ""
    description: str = ""
    auth_type: int = AUTH_GROUP
    enable_nat: bool = True
    tunneling_mode: int = TUNNEL_UDP
    tcp_tunneling_port: int = 10000
    backup_servers: tuple[str, ...] = ()
    dh_group: int = 2
    peer_timeout: int = 90
    force_keepalives: bool = False
    enable_local_lan: bool = False
    nt_domain: str = ""
    save_user_password: bool = False
    user_password: str | None = field(default=None, repr=False)
    locked_keys: frozenset[str] = frozenset()
    path: Path | None = None

    @property
    def group_password_saved(self) -> bool:
        return self.group_password is not None

    def is_locked(self, key: str) -> bool:
        """Whether the profile marks ``key`` read-only (``!Key=``); any case."""
        return key.casefold() in self.locked_keys


def default_profile_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$VPNCLIENT_PROFILE_DIR``, else ``$XDG_CONFIG_HOME/vpnclient/Profiles``, else
    ``~/.config/vpnclient/Profiles`` (an empty or relative XDG_CONFIG_HOME is ignored, as the
    XDG Base Directory Specification says)."""
    environ = os.environ if env is None else env
    explicit = environ.get(ENV_PROFILE_DIR, "")
    if explicit:
        return Path(explicit).expanduser()
    xdg = environ.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "vpnclient" / "Profiles"


def check_name(name: str) -> str:
    """A connection entry name usable as a file name; raises :class:`ProfileError`."""
    problem = ""
    if not name.strip():
        problem = "is empty"
    elif name != name.strip():
        problem = "starts or ends with a space"
    elif name.startswith("."):
        problem = "starts with '.'"
    elif any(ch in "/\\" or ord(ch) < 32 or ord(ch) == 127 for ch in name):
        problem = "contains '/', '\\' or a control character"
    elif len(name) > MAX_NAME_LENGTH:
        problem = f"is longer than {MAX_NAME_LENGTH} characters"
    if problem:
        raise ProfileError(f"the connection entry name {name!r} {problem}")
    return name


# --- reading a profile's values ------------------------------------------------------------


class _Reader:
    """Typed access to ``[main]`` with errors that name the file and the line."""

    def __init__(self, doc: pcf.PcfDocument, source: str) -> None:
        self.doc = doc
        self.source = source

    def fail(self, key: str, message: str) -> InvalidProfile:
        entry = self.doc.find(key)
        return InvalidProfile(self.source, entry.line if entry is not None else 0, message)

    def text(self, key: str) -> str:
        return self.doc.get(key)

    def spelling(self, key: str) -> str:
        """``key`` as the file writes it, for messages the user can search the file for."""
        entry = self.doc.find(key)
        return entry.key if entry is not None else key

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        raw = self.doc.get(key)
        if raw == "":
            return default
        if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
            message = f"{self.spelling(key)} is {raw!r}, not a number from {low} to {high}"
            raise self.fail(key, message)
        return int(raw)

    def flag(self, key: str, default: bool) -> bool:
        raw = self.doc.get(key)
        if raw == "":
            return default
        if raw not in ("0", "1"):
            raise self.fail(key, f"{self.spelling(key)} is {raw!r}, not 0 or 1")
        return raw == "1"

    def secret(self, clear_key: str, obfuscated_key: str) -> str | None:
        """The clear value if set (an administrator's edit wins), else the decrypted one."""
        clear = self.doc.get(clear_key)
        if clear:
            return clear
        obfuscated = self.doc.get(obfuscated_key)
        if not obfuscated:
            return None
        try:
            return groupsecret.decrypt_text(obfuscated)
        except groupsecret.GroupSecretError as exc:
            message = f"{self.spelling(obfuscated_key)} is damaged: {exc}"
            raise self.fail(obfuscated_key, message) from None


def profile_from_document(
    name: str, doc: pcf.PcfDocument, *, source: str, path: Path | None = None
) -> Profile:
    """Check a profile's values and type them; raises :class:`InvalidProfile`."""
    read = _Reader(doc, source)
    host = read.text("Host")
    if not host:
        raise read.fail("Host", "no Host (the address of the VPN server)")
    if any(ch.isspace() for ch in host):
        raise read.fail("Host", f"Host {host!r} contains a space")
    auth_type = read.integer("AuthType", AUTH_GROUP, 0, 255)
    if auth_type not in AUTH_TYPE_NAMES:
        known = ", ".join(f"{number} ({text})" for number, text in AUTH_TYPE_NAMES.items())
        raise read.fail("AuthType", f"AuthType {auth_type} is not one of {known}")
    group_name = read.text("GroupName")
    if auth_type != AUTH_CERTIFICATE and not group_name:
        raise read.fail("GroupName", "no GroupName (group authentication needs one)")
    enable_backup = read.flag("EnableBackup", False)
    backups = tuple(part.strip() for part in read.text("BackupServer").split(",") if part.strip())
    main = doc.section(pcf.MAIN_SECTION)
    locked = frozenset(e.key.casefold() for e in main.entries if e.locked) if main else frozenset()
    return Profile(
        name=name,
        host=host,
        group_name=group_name,
        group_password=read.secret("GroupPwd", "enc_GroupPwd"),
        username=read.text("Username"),
        description=read.text("Description"),
        auth_type=auth_type,
        enable_nat=read.flag("EnableNat", True),
        tunneling_mode=read.integer("TunnelingMode", TUNNEL_UDP, TUNNEL_UDP, TUNNEL_TCP),
        tcp_tunneling_port=read.integer("TcpTunnelingPort", 10000, 1, 65535),
        backup_servers=backups if enable_backup else (),
        dh_group=read.integer("DHGroup", 2, 1, 255),
        peer_timeout=read.integer("PeerTimeout", 90, 0, 86400),
        force_keepalives=read.flag("ForceKeepAlives", False),
        enable_local_lan=read.flag("EnableLocalLAN", False),
        nt_domain=read.text("NTDomain"),
        save_user_password=read.flag("SaveUserPassword", False),
        user_password=read.secret("UserPassword", "enc_UserPassword"),
        locked_keys=locked,
        path=path,
    )


def obfuscate_clear_secrets(
    doc: pcf.PcfDocument, random_bytes: Callable[[int], bytes] = os.urandom
) -> list[str]:
    """Move clear ``GroupPwd``/``UserPassword`` into their ``enc_`` keys (what the Cisco client
    does when it reads a profile); returns the clear keys that were moved."""
    moved = []
    for clear_key, obfuscated_key in SECRET_KEYS:
        clear = doc.get(clear_key)
        if clear:
            doc.set(obfuscated_key, groupsecret.encrypt(clear, random_bytes))
            doc.set(clear_key, "")
            moved.append(clear_key)
    return moved


# The [main] keys of a profile the Cisco VPN Client 4.x writes for a new connection entry,
# in its order and with its defaults (the values vpnclient fills in are set afterwards).
_NEW_PROFILE_KEYS: Final[tuple[tuple[str, str], ...]] = (
    ("Description", ""),
    ("Host", ""),
    ("AuthType", "1"),
    ("GroupName", ""),
    ("GroupPwd", ""),
    ("enc_GroupPwd", ""),
    ("EnableISPConnect", "0"),
    ("ISPConnectType", "0"),
    ("ISPConnect", ""),
    ("ISPCommand", ""),
    ("Username", ""),
    ("SaveUserPassword", "0"),
    ("UserPassword", ""),
    ("enc_UserPassword", ""),
    ("NTDomain", ""),
    ("EnableBackup", "0"),
    ("BackupServer", ""),
    ("EnableMSLogon", "1"),
    ("MSLogonType", "0"),
    ("EnableNat", "1"),
    ("TunnelingMode", "0"),
    ("TcpTunnelingPort", "10000"),
    ("CertStore", "0"),
    ("CertName", ""),
    ("CertPath", ""),
    ("CertSubjectName", ""),
    ("CertSerialHash", "00000000000000000000000000000000"),
    ("SendCertChain", "0"),
    ("DHGroup", "2"),
    ("ForceKeepAlives", "0"),
    ("PeerTimeout", "90"),
    ("EnableLocalLAN", "0"),
)


def new_document(
    *,
    host: str,
    group_name: str,
    group_password: str | None = None,
    username: str = "",
    description: str = "",
    enable_nat: bool = True,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> pcf.PcfDocument:
    """A new profile as the Cisco client writes one (CRLF, its keys and order). The group
    password, when given, is stored obfuscated in ``enc_GroupPwd``; ``None`` stores none (the
    connect flow asks for it)."""
    doc = pcf.PcfDocument.new()
    values = {
        "Description": description,
        "Host": host,
        "GroupName": group_name,
        "Username": username,
        "EnableNat": "1" if enable_nat else "0",
    }
    if group_password is not None:
        values["enc_GroupPwd"] = groupsecret.encrypt(group_password, random_bytes)
    for key, default in _NEW_PROFILE_KEYS:
        try:
            doc.set(key, values.get(key, default))
        except ValueError as exc:
            raise ProfileError(f"{key}: {exc}") from None
    return doc


# --- the directory of entries --------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    name: str
    path: Path
    profile: Profile
    warnings: tuple[pcf.PcfWarning, ...]
    obfuscated: tuple[str, ...]  # clear keys moved into enc_ keys


class ProfileStore:
    """The profile directory: one ``NAME.pcf`` per connection entry, each mode 0600."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory).expanduser() if directory else default_profile_dir()

    def path(self, name: str) -> Path:
        return self.directory / f"{check_name(name)}{PROFILE_SUFFIX}"

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def names(self) -> list[str]:
        """The entries, sorted without regard to case."""
        try:
            found = [p for p in self.directory.iterdir() if p.name.endswith(PROFILE_SUFFIX)]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ProfileError(f"cannot read {self.directory}: {exc.strerror or exc}") from None
        names = [p.name[: -len(PROFILE_SUFFIX)] for p in found if p.is_file()]
        return sorted((n for n in names if n and not n.startswith(".")), key=str.casefold)

    def read_document(self, name: str) -> tuple[pcf.PcfDocument, list[pcf.PcfWarning]]:
        path = self.path(name)
        data = _read_limited(path, missing=ProfileNotFound(name))
        try:
            return pcf.decode(data, str(path))
        except pcf.PcfError as exc:
            raise InvalidProfile(exc.source, exc.line, exc.message) from None

    def load(self, name: str) -> Profile:
        doc, _ = self.read_document(name)
        path = self.path(name)
        return profile_from_document(name, doc, source=str(path), path=path)

    def save_document(self, name: str, doc: pcf.PcfDocument, *, replace: bool = False) -> Path:
        """Write atomically, mode 0600 (the file holds the obfuscated group password)."""
        path = self.path(name)
        if not replace and path.exists():
            raise ProfileExists(name)
        try:
            self.directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            _write_private(path, pcf.encode(doc))
        except OSError as exc:
            raise ProfileError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path

    def delete(self, name: str) -> Path:
        path = self.path(name)
        try:
            path.unlink()
        except FileNotFoundError:
            raise ProfileNotFound(name) from None
        except OSError as exc:
            raise ProfileError(f"cannot delete {path}: {exc.strerror or exc}") from None
        return path

    def create(self, name: str, doc: pcf.PcfDocument) -> Profile:
        """Check ``doc`` as a profile, then write it as a new entry."""
        path = self.path(name)
        profile = profile_from_document(name, doc, source=name, path=path)
        self.save_document(name, doc)
        return profile

    def import_file(
        self,
        source: Path | str,
        *,
        name: str | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> ImportResult:
        """Copy a profile exported from the Cisco client into the store, as it is but for
        clear passwords, which are obfuscated. ``name`` defaults to the file's stem."""
        source_path = Path(source)
        display = str(source)
        entry_name = check_name(name if name is not None else _stem(source_path))
        if self.exists(entry_name):
            raise ProfileExists(entry_name)
        data = _read_limited(
            source_path, missing=ProfileError(f"cannot open {display}: no such file")
        )
        try:
            doc, warnings = pcf.decode(data, display)
        except pcf.PcfError as exc:
            raise InvalidProfile(exc.source, exc.line, exc.message) from None
        warnings = sorted(
            [*warnings, *pcf.unknown_key_warnings(doc, display)], key=lambda w: w.line
        )
        profile_from_document(entry_name, doc, source=display)
        moved = obfuscate_clear_secrets(doc, random_bytes)
        path = self.save_document(entry_name, doc)
        profile = profile_from_document(entry_name, doc, source=str(path), path=path)
        return ImportResult(entry_name, path, profile, tuple(warnings), tuple(moved))


def load_profile(name: str, *, profile_dir: Path | str | None = None) -> Profile:
    """The connection entry ``name`` from the profile directory, group password decrypted."""
    return ProfileStore(profile_dir).load(name)


def _stem(path: Path) -> str:
    name = path.name
    return name[: -len(PROFILE_SUFFIX)] if name.lower().endswith(PROFILE_SUFFIX) else path.stem


def _read_limited(path: Path, *, missing: ProfileError) -> bytes:
    try:
        with path.open("rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ProfileError(f"{path} is not a regular file")
            data = handle.read(pcf.MAX_PCF_BYTES + 1)
    except FileNotFoundError:
        raise missing from None
    except IsADirectoryError:
        raise ProfileError(f"{path} is a directory") from None
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > pcf.MAX_PCF_BYTES:
        raise InvalidProfile(str(path), 0, f"is over {pcf.MAX_PCF_BYTES} bytes: not a profile")
    return data


def _write_private(path: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
