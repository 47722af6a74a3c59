"""The Cisco VPN Client ``.pcf`` profile format: read it, change values, write it back alike.

Source: Cisco VPN Client Administrator Guide (releases 4.0 to 5.0), "Preparing the VPN Client
for Users": "The vpnclient.ini and .pcf files follow normal Windows .ini file format" -- one
``[main]`` section of ``Key=Value`` lines, ``;`` comments, keys compared without regard to case
(Windows ``GetPrivateProfileString``; exported profiles do spell ``PeerTimeout`` and
``PeerTimeOut``), and "to make a parameter read-only [...] precede the parameter name with an
exclamation mark (!)". The Windows client writes CRLF line endings in the ANSI code page.

Windows .ini conventions kept here: whitespace around keys and values is not part of them, a
value enclosed in matching single or double quotes loses the quotes, the first of two equal
keys in a section wins. ``#`` lines are taken as comments too (hand-edited files).

What is written back is what was read: unchanged lines keep their exact text (key case,
spacing, ``!``), unknown keys and sections stay where they were, the line ending, the
encoding and a byte-order mark are those of the source. A changed value rewrites only its
own line; a new key goes at the end of its section. ``render(parse(text)) == text`` for any
text that parses, except that mixed line endings come back as the first one seen.

Errors: :class:`PcfError` (with the line) for what is not a profile at all: a line that is
not a section, a comment or ``Key=Value``, a key outside a section, no ``[main]``. Problems
that do not stop a profile from being used are :class:`PcfWarning` s (a repeated key, an
unknown key or section).
"""

from __future__ import annotations

import codecs
import copy
import re
from dataclasses import dataclass, field
from typing import Final

MAIN_SECTION: Final = "main"
CRLF: Final = "\r\n"
# Explicit limit (DESIGN.md principle 2): a profile is about 1 KiB.
MAX_PCF_BYTES: Final = 256 * 1024

# The keys of the [main] section in the Cisco VPN Client Administrator Guide's table of
# profile keywords and in profiles written by Cisco clients 3.x to 5.x (in the order a 4.x
# client writes them). Anything else is kept but warned about.
KNOWN_KEYS: Final[tuple[str, ...]] = (
    "Description",
    "Host",
    "AuthType",
    "GroupName",
    "GroupPwd",
    "enc_GroupPwd",
    "EnableISPConnect",
    "ISPConnectType",
    "ISPConnect",
    "ISPPhonebook",
    "ISPCommand",
    "Username",
    "SaveUserPassword",
    "UserPassword",
    "enc_UserPassword",
    "NTDomain",
    "EnableBackup",
    "BackupServer",
    "EnableMSLogon",
    "MSLogonType",
    "EnableNat",
    "TunnelingMode",
    "TcpTunnelingPort",
    "CertStore",
    "CertName",
    "CertPath",
    "CertSubjectName",
    "CertSerialHash",
    "SendCertChain",
    "VerifyCertDN",
    "DHGroup",
    "ForceKeepAlives",
    "PeerTimeout",
    "EnableLocalLAN",
    "EnableSplitDNS",
    "SingleDES",
    "SPPhonebook",
    "RadiusSRPTxt",
    "SDIUseHardwareToken",
    "UseLegacyIKEPort",
)
_KNOWN_FOLDED: Final = frozenset(key.casefold() for key in KNOWN_KEYS)
_COMMENT_STARTS: Final = (";", "#")
# Only CR, LF and CRLF end lines (str.splitlines would also split on form feeds, U+2028, ...).
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")


class PcfError(ValueError):
    """Text that is not a ``.pcf`` profile; ``line`` is 1-based, 0 when it is the whole file."""

    def __init__(self, source: str, line: int, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source} line {line}" if line else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class PcfWarning:
    """Something kept as is that the reader should know about."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"Warning: {self.source} line {self.line}: {self.message}"


@dataclass
class PcfEntry:
    """One ``Key=Value`` line. ``raw`` is the line as read; ``None`` once changed or new."""

    key: str
    value: str
    locked: bool = False
    line: int = 0
    raw: str | None = None

    def render(self) -> str:
        if self.raw is not None:
            return self.raw
        return f"{'!' if self.locked else ''}{self.key}={_quote(self.value)}"


@dataclass
class PcfText:
    """A line kept verbatim: a blank line or a comment."""

    text: str
    line: int = 0

    def render(self) -> str:
        return self.text


@dataclass
class PcfSection:
    name: str
    items: list[PcfEntry | PcfText] = field(default_factory=list)
    line: int = 0
    raw: str | None = None

    def render_header(self) -> str:
        return self.raw if self.raw is not None else f"[{self.name}]"

    @property
    def entries(self) -> list[PcfEntry]:
        return [item for item in self.items if isinstance(item, PcfEntry)]

    def find(self, key: str) -> PcfEntry | None:
        """The first entry named ``key`` (without regard to case), as Windows reads it."""
        folded = key.casefold()
        for item in self.items:
            if isinstance(item, PcfEntry) and item.key.casefold() == folded:
                return item
        return None


@dataclass
class PcfDocument:
    """A parsed profile. ``preamble`` holds the blank/comment lines before the first section."""

    sections: list[PcfSection] = field(default_factory=list)
    preamble: list[PcfText] = field(default_factory=list)
    newline: str = CRLF
    encoding: str = "utf-8"
    bom: bool = False
    final_newline: bool = True

    @classmethod
    def new(cls) -> PcfDocument:
        """An empty profile as the Cisco client starts one: ``[main]``, CRLF."""
        return cls(sections=[PcfSection(MAIN_SECTION)])

    def section(self, name: str = MAIN_SECTION) -> PcfSection | None:
        folded = name.casefold()
        for section in self.sections:
            if section.name.casefold() == folded:
                return section
        return None

    def find(self, key: str, section: str = MAIN_SECTION) -> PcfEntry | None:
        found = self.section(section)
        return found.find(key) if found is not None else None

    def get(self, key: str, default: str = "", section: str = MAIN_SECTION) -> str:
        entry = self.find(key, section)
        return entry.value if entry is not None else default

    def set(
        self, key: str, value: str, *, locked: bool | None = None, section: str = MAIN_SECTION
    ) -> PcfEntry:
        """Set ``key`` in place (its spelling, lock and position kept) or append it."""
        _check_key(key)
        _check_value(value)
        target = self.section(section)
        if target is None:
            target = PcfSection(section)
            self.sections.append(target)
        entry = target.find(key)
        if entry is None:
            entry = PcfEntry(key, value, locked=bool(locked))
            _append_entry(target, entry)
            return entry
        if entry.value != value or (locked is not None and locked != entry.locked):
            entry.value = value
            if locked is not None:
                entry.locked = locked
            entry.raw = None
        return entry

    def copy(self) -> PcfDocument:
        return copy.deepcopy(self)


def _append_entry(section: PcfSection, entry: PcfEntry) -> None:
    """After the last entry, so trailing blank lines and comments stay at the end."""
    position = len(section.items)
    while position > 0 and isinstance(section.items[position - 1], PcfText):
        position -= 1
    section.items.insert(position, entry)


def _check_key(key: str) -> None:
    bad = (
        not key
        or key != key.strip()
        or any(ch in key for ch in "=\r\n\x00")
        or key.startswith(("!", "[", *_COMMENT_STARTS))
    )
    if bad:
        raise ValueError(f"{key!r} cannot be a .pcf key")


def _check_value(value: str) -> None:
    if any(ch in value for ch in "\r\n\x00"):
        raise ValueError("a .pcf value is one line")


def _quote(value: str) -> str:
    """Quote a value that reading would otherwise change (Windows strips spaces and quotes)."""
    if value != value.strip() or _unquote(value) != value:
        return f'"{value}"'
    return value


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse(text: str, source: str = "<pcf>") -> tuple[PcfDocument, list[PcfWarning]]:
    """Parse profile text (already decoded). Raises :class:`PcfError`."""
    lines = _LINE_BREAK.split(text)
    final_newline = len(lines) > 1 and lines[-1] == ""
    if final_newline:
        lines.pop()
    first_break = _LINE_BREAK.search(text)
    doc = PcfDocument(newline=first_break.group() if first_break else CRLF, sections=[])
    doc.final_newline = final_newline
    warnings: list[PcfWarning] = []
    current: PcfSection | None = None
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if "\x00" in raw:
            raise PcfError(source, number, "contains a NUL byte (is this a text file?)")
        if not stripped or stripped.startswith(_COMMENT_STARTS):
            (current.items if current is not None else doc.preamble).append(PcfText(raw, number))
            continue
        if stripped.startswith("["):
            current = _parse_section(doc, stripped, raw, number, source, warnings)
            continue
        if current is None:
            raise PcfError(
                source, number, f"{_show(stripped)} is outside a section (profiles start [main])"
            )
        current.items.append(_parse_entry(current, stripped, raw, number, source, warnings))
    if doc.section(MAIN_SECTION) is None:
        raise PcfError(source, 0, "no [main] section: not a Cisco VPN Client profile")
    return doc, warnings


def _parse_section(
    doc: PcfDocument,
    stripped: str,
    raw: str,
    number: int,
    source: str,
    warnings: list[PcfWarning],
) -> PcfSection:
    end = stripped.find("]")
    name = stripped[1:end].strip() if end > 0 else ""
    if end < 0 or not name:
        raise PcfError(source, number, f"{_show(stripped)} is not a [section] line")
    if doc.section(name) is not None:
        raise PcfError(source, number, f"section [{name}] appears twice")
    section = PcfSection(name, line=number, raw=raw)
    doc.sections.append(section)
    if name.casefold() != MAIN_SECTION:
        warnings.append(PcfWarning(source, number, f"unknown section [{name}] kept as is"))
    return section


def _parse_entry(
    section: PcfSection,
    stripped: str,
    raw: str,
    number: int,
    source: str,
    warnings: list[PcfWarning],
) -> PcfEntry:
    key, sep, value = stripped.partition("=")
    locked = key.startswith("!")
    key = key[1:].strip() if locked else key.strip()
    if not sep:
        raise PcfError(source, number, f"{_show(stripped)} is not a Key=Value line")
    if not key:
        raise PcfError(source, number, f"{_show(stripped)} has no key before '='")
    first = section.find(key)
    if first is not None:
        warnings.append(
            PcfWarning(
                source,
                number,
                f"key '{key}' repeats line {first.line}; line {first.line}'s value is used",
            )
        )
    return PcfEntry(key, _unquote(value.strip()), locked=locked, line=number, raw=raw)


def _show(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def unknown_key_warnings(doc: PcfDocument, source: str) -> list[PcfWarning]:
    """One warning per key of ``[main]`` that Cisco's clients do not write (kept as is)."""
    main = doc.section(MAIN_SECTION)
    if main is None:
        return []
    return [
        PcfWarning(source, entry.line, f"unknown key '{entry.key}' kept as is")
        for entry in main.entries
        if entry.key.casefold() not in _KNOWN_FOLDED
    ]


def render(doc: PcfDocument) -> str:
    """The profile text, in the document's own line-ending style."""
    lines = [item.render() for item in doc.preamble]
    for section in doc.sections:
        lines.append(section.render_header())
        lines.extend(item.render() for item in section.items)
    text = doc.newline.join(lines)
    if doc.final_newline and lines:
        text += doc.newline
    return text


def decode(data: bytes, source: str = "<pcf>") -> tuple[PcfDocument, list[PcfWarning]]:
    """Parse profile bytes: UTF-8 (with or without a BOM), else the Windows ANSI code page
    (cp1252), else Latin-1. The encoding is remembered for :func:`encode`."""
    if len(data) > MAX_PCF_BYTES:
        raise PcfError(source, 0, f"is {len(data)} bytes, over {MAX_PCF_BYTES}: not a profile")
    bom = data.startswith(codecs.BOM_UTF8)
    text, encoding = _decode_text(data[len(codecs.BOM_UTF8) :] if bom else data)
    doc, warnings = parse(text, source)
    doc.encoding = encoding
    doc.bom = bom
    return doc, warnings


def _decode_text(body: bytes) -> tuple[str, str]:
    for encoding in ("utf-8", "cp1252"):
        try:
            return body.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    return body.decode("latin-1"), "latin-1"


def encode(doc: PcfDocument) -> bytes:
    """The profile bytes in the document's encoding (UTF-8 when a new value needs it)."""
    text = render(doc)
    try:
        body = text.encode(doc.encoding)
        bom = doc.bom
    except UnicodeEncodeError:
        body = text.encode("utf-8")
        bom = doc.bom and doc.encoding == "utf-8"
    return (codecs.BOM_UTF8 if bom else b"") + body
