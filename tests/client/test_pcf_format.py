"""The .pcf format: Cisco's own layout survives a read/write untouched; edits stay local."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pcf_samples import CISCO_EXPORT, CISCO_EXPORT_BYTES, SEED_ENC, cisco_with, line_of

from vpnrouter.client import pcf
from vpnrouter.client.pcf import PcfDocument, PcfError, PcfWarning


def test_cisco_export_round_trips_byte_for_byte() -> None:
    doc, warnings = pcf.decode(CISCO_EXPORT_BYTES, "seed.pcf")
    assert warnings == []
    assert pcf.unknown_key_warnings(doc, "seed.pcf") == []
    assert pcf.encode(doc) == CISCO_EXPORT_BYTES
    assert doc.newline == "\r\n"
    assert doc.encoding == "utf-8"
    assert not doc.bom


def test_values_locks_and_case_insensitive_keys() -> None:
    doc, _ = pcf.decode(CISCO_EXPORT_BYTES, "seed.pcf")
    host = doc.find("HOST")
    assert host is not None
    assert (host.key, host.value, host.locked, host.line) == ("Host", "172.18.124.159", True, 3)
    assert doc.get("enc_grouppwd") == SEED_ENC
    assert doc.get("PeerTimeout") == "90"  # written PeerTimeOut
    assert doc.get("GroupPwd") == ""
    assert doc.get("NoSuchKey", "default") == "default"
    assert [e.key for e in doc.sections[0].entries][:3] == ["Description", "Host", "AuthType"]


def test_a_change_rewrites_only_its_line_and_keeps_spelling_and_lock() -> None:
    doc, _ = pcf.decode(CISCO_EXPORT_BYTES, "seed.pcf")
    doc.set("peertimeout", "30")
    doc.set("Host", "vpn2611.example")
    doc.set("Description", "Seed remote access to vpn2611")  # unchanged value: line untouched
    expected = (
        CISCO_EXPORT.replace("PeerTimeOut=90", "PeerTimeOut=30")
        .replace("!Host=172.18.124.159", "!Host=vpn2611.example")
        .encode()
    )
    assert pcf.encode(doc) == expected


def test_unlock_and_new_key_goes_before_trailing_blank_lines() -> None:
    doc, _ = pcf.decode(CISCO_EXPORT_BYTES, "seed.pcf")
    doc.set("AuthType", "1", locked=False)
    doc.set("UseLegacyIKEPort", "0")
    text = pcf.render(doc)
    assert "\r\nAuthType=1\r\n" in text
    assert text.endswith("EnableLocalLAN=0\r\nUseLegacyIKEPort=0\r\n\r\n")


def test_spaces_and_quotes_follow_windows_ini() -> None:
    text = "[main]\nDescription = \"  padded  \"\nHost =  gw.example \nUsername='x'\n"
    doc, _ = pcf.parse(text, "q.pcf")
    assert doc.get("Description") == "  padded  "
    assert doc.get("Host") == "gw.example"
    assert doc.get("Username") == "x"
    assert pcf.render(doc) == text
    doc.set("Description", " lead")
    doc.set("NTDomain", '"quoted"')
    again, _ = pcf.parse(pcf.render(doc), "q.pcf")
    assert again.get("Description") == " lead"
    assert again.get("NTDomain") == '"quoted"'
    assert 'Description=" lead"\n' in pcf.render(doc)


def test_line_endings_final_newline_and_comments_are_kept() -> None:
    for text in [
        "[main]\nHost=a\nGroupName=g",
        "; made by hand\n\n[main]\n# comment\nHost=a\n\n",
        "[main]\rHost=a\r",
    ]:
        doc, _ = pcf.parse(text, "x.pcf")
        assert pcf.render(doc) == text
    doc, _ = pcf.parse("[main]\nHost=a\n", "x.pcf")
    doc.set("GroupName", "g")
    assert pcf.render(doc) == "[main]\nHost=a\nGroupName=g\n"


def test_form_feed_and_unicode_separators_stay_inside_values() -> None:
    text = "[main]\r\nDescription=a\x0cb\u2028c\r\n"
    doc, _ = pcf.parse(text, "x.pcf")
    assert doc.get("Description") == "a\x0cb\u2028c"
    assert pcf.render(doc) == text


def test_windows_code_page_and_bom_are_kept() -> None:
    ansi = cisco_with(("Description=", "Description=Accès distant – siège"))
    doc, _ = pcf.decode(ansi, "ansi.pcf")
    assert doc.encoding == "cp1252"
    assert doc.get("Description") == "Accès distant – siège"
    assert pcf.encode(doc) == ansi
    doc.set("NTDomain", "ÉCOLE")
    assert "NTDomain=ÉCOLE\r\n".encode("cp1252") in pcf.encode(doc)
    doc.set("Username", "名前")  # not in cp1252: the file becomes UTF-8
    assert pcf.decode(pcf.encode(doc), "x")[0].get("Username") == "名前"

    bommed = codecs.BOM_UTF8 + CISCO_EXPORT_BYTES
    doc, _ = pcf.decode(bommed, "bom.pcf")
    assert doc.bom and doc.get("Description").startswith("Seed")
    assert pcf.encode(doc) == bommed


def test_latin1_is_the_last_resort() -> None:
    data = b"[main]\r\nDescription=\x81\x8d\r\n"  # undefined in cp1252
    doc, _ = pcf.decode(data, "x.pcf")
    assert doc.encoding == "latin-1"
    assert pcf.encode(doc) == data


def test_new_document_is_cisco_style() -> None:
    doc = PcfDocument.new()
    doc.set("Description", "")
    doc.set("Host", "h")
    assert pcf.render(doc) == "[main]\r\nDescription=\r\nHost=h\r\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Host=a\n[main]\n", 1, "'Host=a' is outside a section (profiles start [main])"),
        ("[main]\nIPSec gateway 10.0.0.1\n", 2, "'IPSec gateway 10.0.0.1' is not a Key=Value line"),
        ("[main]\n=value\n", 2, "'=value' has no key before '='"),
        ("[main]\n!=value\n", 2, "'!=value' has no key before '='"),
        ("[main\nHost=a\n", 1, "'[main' is not a [section] line"),
        ("[]\n", 1, "'[]' is not a [section] line"),
        ("[main]\nHost=a\n[Main]\n", 3, "section [Main] appears twice"),
        ("[main]\nHost=a\x00b\n", 2, "contains a NUL byte (is this a text file?)"),
        ("[other]\nHost=a\n", 0, "no [main] section: not a Cisco VPN Client profile"),
        ("", 0, "no [main] section: not a Cisco VPN Client profile"),
    ],
)
def test_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(PcfError) as info:
        pcf.parse(text, "bad.pcf")
    assert (info.value.line, info.value.message) == (line, message)
    where = f"bad.pcf line {line}" if line else "bad.pcf"
    assert str(info.value) == f"{where}: {message}"


def test_oversized_input_is_refused() -> None:
    with pytest.raises(PcfError, match="over 262144"):
        pcf.decode(b"[main]\n" + b";" * pcf.MAX_PCF_BYTES, "big.pcf")


def test_warnings_duplicate_key_unknown_section_unknown_key() -> None:
    data = cisco_with(
        ("Username=", "Username=cisco"),
        extra=("GCertStore=0", "username=other", "X-Custom=1"),
    )
    data += b"[vendor]\r\nSomething=1\r\n"
    doc, warnings = pcf.decode(data, "w.pcf")
    user_line = line_of(data, "Username=")
    last = line_of(data, "X-Custom=")
    assert warnings == [
        PcfWarning(
            "w.pcf",
            last - 1,
            f"key 'username' repeats line {user_line}; line {user_line}'s value is used",
        ),
        PcfWarning("w.pcf", last + 2, "unknown section [vendor] kept as is"),
    ]
    assert doc.get("Username") == "cisco"  # the first one, as Windows reads it
    unknown = pcf.unknown_key_warnings(doc, "w.pcf")
    assert [str(w) for w in unknown] == [
        f"Warning: w.pcf line {last - 2}: unknown key 'GCertStore' kept as is",
        f"Warning: w.pcf line {last}: unknown key 'X-Custom' kept as is",
    ]
    assert pcf.encode(doc) == data


def test_set_refuses_what_cannot_be_written() -> None:
    doc = PcfDocument.new()
    for key in ["", " Host", "a=b", "!Host", "[x", ";c", "a\nb"]:
        with pytest.raises(ValueError, match=r"cannot be a \.pcf key"):
            doc.set(key, "v")
    with pytest.raises(ValueError, match="one line"):
        doc.set("Description", "two\r\nlines")


def test_copy_is_independent() -> None:
    doc, _ = pcf.decode(CISCO_EXPORT_BYTES, "seed.pcf")
    other = doc.copy()
    other.set("Host", "elsewhere")
    assert doc.get("Host") == "172.18.124.159"


# --- properties ----------------------------------------------------------------------------

KEY = st.text(
    alphabet=st.characters(
        min_codepoint=33,
        max_codepoint=0x2FF,
        exclude_categories=("Cc", "Zs", "Zl", "Zp"),
        exclude_characters="=![;#",
    ),
    min_size=1,
    max_size=12,
)
VALUE = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r\n\x00"),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(KEY, VALUE, st.booleans()), max_size=12), st.sampled_from(["\r\n", "\n"]))
def test_written_values_read_back(entries: list[tuple[str, str, bool]], newline: str) -> None:
    doc = PcfDocument.new()
    doc.newline = newline
    expected: dict[str, tuple[str, bool]] = {}
    for key, value, locked in entries:
        doc.set(key, value, locked=locked)
        expected[key.casefold()] = (value, locked)  # set() updates an existing key
    again, warnings = pcf.decode(pcf.encode(doc), "p.pcf")
    assert warnings == []
    for folded, (value, locked) in expected.items():
        entry = again.find(folded)
        assert entry is not None
        assert (entry.value, entry.locked) == (value, locked)
    assert pcf.render(again) == pcf.render(doc)


LINE = st.one_of(
    st.builds(lambda k, v: f"{k}={v}", KEY, VALUE),
    st.builds(lambda k, v: f"!{k} = {v}", KEY, VALUE),
    st.builds(lambda c: f";{c}", VALUE),
    st.just(""),
    st.just("   "),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(LINE, max_size=15),
    st.sampled_from(["\r\n", "\n", "\r"]),
    st.booleans(),
)
def test_any_parsable_text_renders_back_identically(
    lines: list[str], newline: str, final: bool
) -> None:
    text = newline.join(["[main]", *lines]) + (newline if final else "")
    doc, _ = pcf.parse(text, "p.pcf")
    assert pcf.render(doc) == text
