"""The DNS information the gateway sends (Mode Config DNS, WINS, default domain, split DNS),
applied to ``/etc/resolv.conf`` while connected, or printed when it cannot be applied.

resolv.conf(5): the gateway's servers come first (the resolver reads at most
:data:`MAXNS` ``nameserver`` lines), then the ones that were there; the default domain is
put in front of the ``search`` list. Comments and options are kept.

The file is rewritten in place (truncated and written, never replaced by a rename), so that a
bind-mounted file works: ``ip netns exec NS`` mounts ``/etc/netns/NS/resolv.conf`` over
``/etc/resolv.conf``, and the tests use exactly that. A symbolic link (systemd-resolved,
resolvconf) is somebody else's to manage: it is left alone and the settings are printed.

The original text is kept in memory and in a backup file beside the control socket until it
is restored; it is restored only while the file still holds what vpnclient wrote, otherwise
the backup is kept and the user told.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path
from typing import Final

RESOLV_CONF: Final = Path("/etc/resolv.conf")
MAXNS: Final = 3  # glibc's MAXNS: later nameserver lines are ignored
MAX_SEARCH: Final = 6  # glibc's MAXDNSRCH before 2.26; enough for anyone's search line
MAX_RESOLV_BYTES: Final = 64 * 1024


@dataclass(frozen=True)
class DnsSettings:
    """What the gateway's Mode Config said about name resolution."""

    servers: tuple[IPv4Address, ...] = ()
    domain: str = ""
    wins: tuple[IPv4Address, ...] = ()
    split_dns: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.servers or self.domain)

    def describe(self) -> list[str]:
        """The lines printed to the user (what a Cisco client's Statistics window lists)."""
        lines = []
        if self.servers:
            lines.append(f"DNS servers: {', '.join(str(a) for a in self.servers)}")
        if self.domain:
            lines.append(f"Default domain: {self.domain}")
        if self.split_dns:
            lines.append(f"Split DNS names: {', '.join(self.split_dns)}")
        if self.wins:
            lines.append(f"WINS servers: {', '.join(str(a) for a in self.wins)}")
        return lines


def render(original: str, settings: DnsSettings, entry: str) -> str:
    """The resolv.conf text while connected: ours first, the original's kept after."""
    old_servers: list[str] = []
    old_search: list[str] = []
    kept: list[str] = []
    for line in original.splitlines():
        words = line.split()
        if words and words[0] == "nameserver" and len(words) >= 2:
            old_servers.append(words[1])
        elif words and words[0] in ("search", "domain"):
            old_search = words[1:]  # the last search/domain line wins (resolv.conf(5))
        elif words and words[0].startswith(("#", ";")) and "vpnclient" in line:
            continue  # a marker of ours from an earlier run
        else:
            kept.append(line)
    servers = _unique([str(a) for a in settings.servers] + old_servers)[:MAXNS]
    search = _unique(([settings.domain] if settings.domain else []) + old_search)[:MAX_SEARCH]
    out = [f"# vpnclient: connection entry '{entry}' (the original is restored on disconnect)"]
    if search:
        out.append("search " + " ".join(search))
    out += [f"nameserver {server}" for server in servers]
    out += [line for line in kept if line.strip()]
    return "\n".join(out) + "\n"


def _unique(items: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            result.append(item)
    return result


class ResolvConf:
    """Applies :class:`DnsSettings` to ``path`` and puts the original back."""

    def __init__(self, path: Path = RESOLV_CONF, backup: Path | None = None) -> None:
        self.path = path
        self.backup = backup
        self._original: str | None = None
        self._written: str | None = None

    @property
    def applied(self) -> bool:
        return self._written is not None

    def unusable(self) -> str:
        """Why the file cannot be changed, or "" when it can."""
        path = self.path
        if path.is_symlink():
            return f"{path} is a link to {os.readlink(path)}, managed by another program"
        if not path.exists():
            return f"{path} does not exist"
        if not path.is_file():
            return f"{path} is not a regular file"
        if not os.access(path, os.R_OK | os.W_OK):
            return f"{path} is not writable"
        return ""

    def apply(self, settings: DnsSettings, entry: str) -> str:
        """Write the settings; returns "" on success, else why they were not applied."""
        why = self.unusable()
        if why:
            return why
        try:
            original = _read(self.path)
            text = render(original, settings, entry)
            if self.backup is not None:
                _write_new(self.backup, original)
            _write_in_place(self.path, text)
        except OSError as exc:
            return f"{self.path}: {exc.strerror or exc}"
        self._original, self._written = original, text
        return ""

    def restore(self) -> str:
        """Put the original text back; "" when done (or nothing to do), else a warning."""
        original, written = self._original, self._written
        if original is None or written is None:
            return ""
        self._original = self._written = None
        try:
            current = _read(self.path)
        except OSError as exc:
            return f"cannot read {self.path} to restore it: {exc.strerror or exc}"
        if current != written:
            kept = f"; the original is in {self.backup}" if self.backup else ""
            return f"{self.path} was changed by another program while connected: left as is{kept}"
        try:
            _write_in_place(self.path, original)
        except OSError as exc:
            return f"cannot restore {self.path}: {exc.strerror or exc}"
        if self.backup is not None:
            try:
                self.backup.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                return f"{self.path} restored; {self.backup} not removed: {exc.strerror or exc}"
        return ""


def _read(path: Path) -> str:
    with path.open("rb") as handle:
        data = handle.read(MAX_RESOLV_BYTES + 1)
    if len(data) > MAX_RESOLV_BYTES:
        raise OSError(f"{path} is over {MAX_RESOLV_BYTES} bytes")
    return data.decode("utf-8", errors="surrogateescape")


def _write_in_place(path: Path, text: str) -> None:
    """Truncate and write the same inode (works on a bind-mounted file)."""
    data = text.encode("utf-8", errors="surrogateescape")
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        os.ftruncate(fd, 0)
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_new(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    try:
        _write_all(fd, text.encode("utf-8", errors="surrogateescape"))
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
