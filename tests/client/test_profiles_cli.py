"""``vpnclient new | list | show | delete | import``: every output and error, exit codes, modes,
and that no password ever reaches the terminal."""

from __future__ import annotations

import io
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pcf_samples import (
    CISCO_EXPORT_BYTES,
    SEED_ENC,
    SEED_HEADER,
    SEED_PLAIN,
    cisco_with,
    line_of,
)

from vpnrouter.client import commands
from vpnrouter.client.main import main
from vpnrouter.client.profiles import load_profile

SECRETS = (SEED_PLAIN, "userpw", "typed-secret")


@dataclass
class Result:
    code: int
    out: str
    err: str


class TtyInput(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def profile_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "Profiles"
    monkeypatch.setenv("VPNCLIENT_PROFILE_DIR", str(directory))
    monkeypatch.setattr(commands, "random_bytes", lambda n: SEED_HEADER[:n])
    return directory


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Result]]:
    def invoke(*argv: str, stdin: str = "", tty: bool = False) -> Result:
        monkeypatch.setattr(sys, "stdin", TtyInput(stdin) if tty else io.StringIO(stdin))
        code = main(list(argv))
        captured = capsys.readouterr()
        for secret in SECRETS:
            assert secret not in captured.out and secret not in captured.err
        return Result(code, captured.out, captured.err)

    yield invoke


def seed_entry(run: Callable[..., Result]) -> Result:
    return run(
        "new",
        "office",
        "--host",
        "172.18.124.159",
        "--group",
        "3000client",
        "--username",
        "cisco",
        "--description",
        "Seed remote access",
        "--group-password-stdin",
        stdin=SEED_PLAIN + "\n",
    )


# --- new -----------------------------------------------------------------------------------


def test_new_with_password_on_stdin(run: Callable[..., Result], profile_dir: Path) -> None:
    result = seed_entry(run)
    path = profile_dir / "office.pcf"
    assert result == Result(
        0,
        f"Created connection entry 'office' in {path}.\n"
        "Group password: <saved, obfuscated> (enc_GroupPwd)\n",
        "",
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert SEED_PLAIN.encode() not in data
    assert f"\r\nenc_GroupPwd={SEED_ENC}\r\n".encode() in data  # header from the injected rng
    profile = load_profile("office")
    assert (profile.host, profile.group_name, profile.username) == (
        "172.18.124.159",
        "3000client",
        "cisco",
    )
    assert profile.group_password == SEED_PLAIN
    assert profile.description == "Seed remote access"
    assert profile.enable_nat


def test_new_without_password_and_without_nat(
    run: Callable[..., Result], profile_dir: Path
) -> None:
    result = run("new", "plain", "--host", "gw.example", "--group", "g", "--no-nat")
    assert result.code == 0
    assert (
        result.out.splitlines()[1] == "Group password: not saved; 'vpnclient connect' asks for it"
    )
    profile = load_profile("plain")
    assert profile.group_password is None
    assert not profile.enable_nat
    assert b"\r\nEnableNat=0\r\n" in (profile_dir / "plain.pcf").read_bytes()


def test_new_prompts_twice_without_echo(
    run: Callable[..., Result], profile_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return "typed-secret"

    monkeypatch.setattr(commands, "prompt_secret", prompt)
    result = run("new", "p", "--host", "h", "--group", "g", "--save-group-password", tty=True)
    assert result.code == 0
    assert prompts == ["Group password: ", "Confirm group password: "]
    assert load_profile("p").group_password == "typed-secret"


def test_new_prompt_mismatch_saves_nothing(
    run: Callable[..., Result], profile_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["typed-secret", "typed-secreT"])
    monkeypatch.setattr(commands, "prompt_secret", lambda _: next(answers))
    result = run("new", "p", "--host", "h", "--group", "g", "--save-group-password", tty=True)
    assert result == Result(
        1, "", "vpnclient: the group passwords do not match; nothing was saved\n"
    )
    assert not (profile_dir / "p.pcf").exists()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (["", ""], "the group password is empty"),
        ([EOFError()], "no group password given"),
        ([KeyboardInterrupt()], "interrupted; nothing was saved"),
    ],
)
def test_new_prompt_empty_or_eof(
    run: Callable[..., Result],
    profile_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    answers: list[str | BaseException],
    message: str,
) -> None:
    queue = iter(answers)

    def prompt(_: str) -> str:
        answer = next(queue)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr(commands, "prompt_secret", prompt)
    result = run("new", "p", "--host", "h", "--group", "g", "--save-group-password", tty=True)
    assert result.code == 1
    assert result.err.lstrip("\n") == f"vpnclient: {message}\n"
    assert not profile_dir.exists()


def test_new_save_without_terminal(run: Callable[..., Result], profile_dir: Path) -> None:
    result = run("new", "p", "--host", "h", "--group", "g", "--save-group-password")
    assert result == Result(
        1,
        "",
        "vpnclient: no terminal to ask for the group password on; use --group-password-stdin\n",
    )


def test_new_empty_stdin(run: Callable[..., Result], profile_dir: Path) -> None:
    result = run("new", "p", "--host", "h", "--group", "g", "--group-password-stdin", stdin="\n")
    assert result == Result(1, "", "vpnclient: no group password on standard input\n")
    assert not profile_dir.exists()


def test_new_existing_name_is_refused_before_asking(
    run: Callable[..., Result], profile_dir: Path
) -> None:
    seed_entry(run)
    before = (profile_dir / "office.pcf").read_bytes()
    result = run("new", "office", "--host", "h", "--group", "g", "--group-password-stdin")
    assert result == Result(
        1,
        "",
        "vpnclient: a connection entry named 'office' already exists "
        "(delete it with 'vpnclient delete office' or choose another name)\n",
    )
    assert (profile_dir / "office.pcf").read_bytes() == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("new", "../x", "--host", "h", "--group", "g"),
            "the connection entry name '../x' starts with '.'",
        ),
        (("new", "x", "--host", "", "--group", "g"), "x: no Host (the address of the VPN server)"),
        (("new", "x", "--host", "a b", "--group", "g"), "x: Host 'a b' contains a space"),
        (
            ("new", "x", "--host", "h", "--group", ""),
            "x: no GroupName (group authentication needs one)",
        ),
        (
            ("new", "x", "--host", "h", "--group", "g", "--description", "two\nlines"),
            "Description: a .pcf value is one line",
        ),
    ],
)
def test_new_bad_values(
    run: Callable[..., Result], profile_dir: Path, argv: tuple[str, ...], message: str
) -> None:
    assert run(*argv) == Result(1, "", f"vpnclient: {message}\n")
    assert not profile_dir.exists()


def test_new_usage_errors_exit_2(run: Callable[..., Result], profile_dir: Path) -> None:
    with pytest.raises(SystemExit) as info:
        run("new", "x", "--group", "g")
    assert info.value.code == 2


def test_no_command_prints_help(run: Callable[..., Result], profile_dir: Path) -> None:
    result = run()
    assert result.code == 2
    assert "new" in result.err and "import" in result.err


# --- list ----------------------------------------------------------------------------------


def test_list_empty(run: Callable[..., Result], profile_dir: Path) -> None:
    assert run("list") == Result(
        0,
        f"No connection entries in {profile_dir} "
        "(create one with 'vpnclient new' or 'vpnclient import').\n",
        "",
    )


def test_list_table(run: Callable[..., Result], profile_dir: Path) -> None:
    seed_entry(run)
    run("new", "Backup DSL", "--host", "vpn-b.example.net", "--group", "g2")
    assert run("list") == Result(
        0,
        "Name        Host               Group       Description\n"
        "Backup DSL  vpn-b.example.net  g2\n"
        "office      172.18.124.159     3000client  Seed remote access\n",
        "",
    )


def test_list_reports_a_damaged_entry_and_lists_the_rest(
    run: Callable[..., Result], profile_dir: Path
) -> None:
    seed_entry(run)
    broken = cisco_with(("enc_GroupPwd=", f"enc_GroupPwd={SEED_ENC[:-2]}00"))
    (profile_dir / "broken.pcf").write_bytes(broken)
    result = run("list")
    assert result.code == 1
    assert result.out == (
        "Name    Host            Group       Description\n"
        "office  172.18.124.159  3000client  Seed remote access\n"
    )
    assert result.err == (
        f"vpnclient: {profile_dir / 'broken.pcf'} line {line_of(broken, 'enc_GroupPwd')}: "
        "enc_GroupPwd is damaged: its SHA-1 check does not match (the value was edited or cut)\n"
    )


def test_profile_dir_option_beats_environment(
    run: Callable[..., Result], profile_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere"
    run("new", "x", "--host", "h", "--group", "g", "--profile-dir", str(other))
    assert (other / "x.pcf").is_file()
    assert not profile_dir.exists()
    assert run("list", "--profile-dir", str(other)).out.splitlines()[1].startswith("x ")


def test_xdg_config_home_default(
    run: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VPNCLIENT_PROFILE_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert run("new", "x", "--host", "h", "--group", "g").code == 0
    assert (tmp_path / "cfg" / "vpnclient" / "Profiles" / "x.pcf").is_file()


# --- show ----------------------------------------------------------------------------------

SHOW_SEED = """\
Connection entry 'seed' ({path})
  Description:            Seed remote access to vpn2611
  Host:                   172.18.124.159
  Authentication:         group authentication (pre-shared key)
  Group name:             3000client
  Group password:         <saved, obfuscated> (enc_GroupPwd)
  Username:               cisco
  Save user password:     no
  Transparent tunneling:  IPsec over UDP (NAT-T)
  Backup servers:         none
  Diffie-Hellman group:   2
  Peer response timeout:  90 seconds
  Local LAN access:       no
  Locked (read-only):     Host, AuthType, GroupName

Profile keys:
  [main]
    Description=Seed remote access to vpn2611
    !Host=172.18.124.159
    !AuthType=1
    !GroupName=3000client
    GroupPwd=
    enc_GroupPwd=<saved, obfuscated>
    EnableISPConnect=0
    ISPConnectType=0
    ISPConnect=
    ISPCommand=
    Username=cisco
    SaveUserPassword=0
    UserPassword=
    enc_UserPassword=
    NTDomain=
    EnableBackup=0
    BackupServer=
    EnableMSLogon=1
    MSLogonType=0
    EnableNat=1
    TunnelingMode=0
    TcpTunnelingPort=10000
    CertStore=0
    CertName=
    CertPath=
    CertSubjectName=
    CertSerialHash=00000000000000000000000000000000
    SendCertChain=0
    PeerTimeOut=90
    EnableLocalLAN=0
"""


def test_show_everything_but_the_password(run: Callable[..., Result], profile_dir: Path) -> None:
    profile_dir.mkdir()
    (profile_dir / "seed.pcf").write_bytes(CISCO_EXPORT_BYTES)
    result = run("show", "seed")
    assert result == Result(0, SHOW_SEED.format(path=profile_dir / "seed.pcf"), "")


def test_show_other_settings_and_masks_every_password(
    run: Callable[..., Result], profile_dir: Path
) -> None:
    profile_dir.mkdir()
    data = cisco_with(
        ("GroupPwd=", "GroupPwd=" + SEED_PLAIN),
        ("UserPassword=", "UserPassword=userpw"),
        ("SaveUserPassword=", "SaveUserPassword=1"),
        ("EnableBackup=", "EnableBackup=1"),
        ("BackupServer=", "BackupServer=b1.example,b2.example"),
        ("TunnelingMode=", "TunnelingMode=1"),
        ("EnableLocalLAN=", "EnableLocalLAN=1"),
        extra=("Foo=bar",),
    )
    (profile_dir / "s.pcf").write_bytes(data)
    result = run("show", "s")
    assert result.code == 0
    lines = result.out.splitlines()
    assert "  Save user password:     yes" in lines
    assert "  Transparent tunneling:  IPsec over TCP, port 10000" in lines
    assert "  Backup servers:         b1.example, b2.example" in lines
    assert "  Local LAN access:       yes" in lines
    assert "    GroupPwd=<saved in clear text>" in lines
    assert "    UserPassword=<saved in clear text>" in lines
    assert "    Foo=bar" in lines


def test_show_without_nat(run: Callable[..., Result], profile_dir: Path) -> None:
    run("new", "x", "--host", "h", "--group", "g", "--no-nat")
    out = run("show", "x").out
    assert "  Transparent tunneling:  disabled (plain IPsec)\n" in out
    assert "  Group password:         not saved; 'vpnclient connect' asks for it\n" in out
    assert "Locked" not in out


def test_show_missing(run: Callable[..., Result], profile_dir: Path) -> None:
    assert run("show", "x") == Result(
        1, "", "vpnclient: no connection entry named 'x' (see 'vpnclient list')\n"
    )


def test_show_damaged_entry_prints_keys_then_the_error(
    run: Callable[..., Result], profile_dir: Path
) -> None:
    profile_dir.mkdir()
    data = cisco_with(("EnableNat=", "EnableNat=yes"), extra=("Username=dup",))
    (profile_dir / "d.pcf").write_bytes(data)
    result = run("show", "d")
    path = profile_dir / "d.pcf"
    assert result.code == 1
    assert result.out.startswith(f"Connection entry 'd' ({path})\n\nProfile keys:\n  [main]\n")
    assert "    EnableNat=yes\n" in result.out
    assert "    enc_GroupPwd=<saved, obfuscated>\n" in result.out
    dup = line_of(data, "Username=dup")
    assert result.err == (
        f"Warning: {path} line {dup}: key 'Username' repeats line {line_of(data, 'Username')}; "
        f"line {line_of(data, 'Username')}'s value is used\n"
        f"vpnclient: {path} line {line_of(data, 'EnableNat')}: EnableNat is 'yes', not 0 or 1\n"
    )


def test_show_unparsable_entry(run: Callable[..., Result], profile_dir: Path) -> None:
    profile_dir.mkdir()
    (profile_dir / "j.pcf").write_bytes(b"[main]\r\nnot a setting\r\n")
    assert run("show", "j") == Result(
        1,
        "",
        f"vpnclient: {profile_dir / 'j.pcf'} line 2: 'not a setting' is not a Key=Value line\n",
    )


# --- delete --------------------------------------------------------------------------------


def test_delete(run: Callable[..., Result], profile_dir: Path) -> None:
    seed_entry(run)
    path = profile_dir / "office.pcf"
    assert run("delete", "office") == Result(
        0, f"Deleted connection entry 'office' ({path}).\n", ""
    )
    assert not path.exists()
    assert run("delete", "office") == Result(
        1, "", "vpnclient: no connection entry named 'office' (see 'vpnclient list')\n"
    )
    assert run("delete", "a/b").code == 1


# --- import --------------------------------------------------------------------------------


def test_import_cisco_export(run: Callable[..., Result], profile_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "Seed Office.pcf"
    source.write_bytes(CISCO_EXPORT_BYTES)
    result = run("import", str(source))
    stored = profile_dir / "Seed Office.pcf"
    assert result == Result(
        0,
        f"Imported connection entry 'Seed Office' from {source} into {stored}.\n"
        "Host 172.18.124.159, group 3000client.\n"
        "Group password: <saved, obfuscated> (enc_GroupPwd)\n",
        "",
    )
    assert stored.read_bytes() == CISCO_EXPORT_BYTES
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert load_profile("Seed Office").group_password == SEED_PLAIN


def test_import_unknown_keys_warn_and_are_kept(
    run: Callable[..., Result], profile_dir: Path, tmp_path: Path
) -> None:
    data = cisco_with(extra=("Foo=bar", "GCertStore=0"))
    source = tmp_path / "FILE.pcf"
    source.write_bytes(data)
    result = run("import", str(source), "--name", "work")
    assert result.code == 0
    assert result.err == (
        f"Warning: {source} line {line_of(data, 'Foo')}: unknown key 'Foo' kept as is\n"
        f"Warning: {source} line {line_of(data, 'GCertStore')}: unknown key 'GCertStore' "
        "kept as is\n"
    )
    assert result.out.startswith(f"Imported connection entry 'work' from {source} into ")
    assert (profile_dir / "work.pcf").read_bytes() == data


def test_import_clear_group_password_is_obfuscated(
    run: Callable[..., Result], profile_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "clear.pcf"
    source.write_bytes(
        cisco_with(("GroupPwd=", "GroupPwd=" + SEED_PLAIN), ("enc_GroupPwd=", "enc_GroupPwd="))
    )
    result = run("import", str(source))
    assert result.code == 0
    assert result.out.splitlines()[-1] == (
        "The clear GroupPwd was replaced by enc_GroupPwd, obfuscated as the Cisco client does."
    )
    stored = (profile_dir / "clear.pcf").read_bytes()
    assert SEED_PLAIN.encode() not in stored
    assert f"enc_GroupPwd={SEED_ENC}\r\n".encode() in stored


def test_import_tampered_group_password(
    run: Callable[..., Result], profile_dir: Path, tmp_path: Path
) -> None:
    data = cisco_with(("enc_GroupPwd=", f"enc_GroupPwd={SEED_ENC[:40]}00{SEED_ENC[42:]}"))
    source = tmp_path / "t.pcf"
    source.write_bytes(data)
    assert run("import", str(source)) == Result(
        1,
        "",
        f"vpnclient: {source} line {line_of(data, 'enc_GroupPwd')}: enc_GroupPwd is damaged: "
        "its SHA-1 check does not match (the value was edited or cut)\n",
    )
    assert not (profile_dir / "t.pcf").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"IPSec gateway 172.18.124.159\nIPSec ID 3000client\n",
            "{src} line 1: 'IPSec gateway 172.18.124.159' is outside a section "
            "(profiles start [main])",
        ),
        (b"[global]\nx=1\n", "{src}: no [main] section: not a Cisco VPN Client profile"),
        (b"[main]\nGroupName=g\n", "{src}: no Host (the address of the VPN server)"),
    ],
)
def test_import_not_a_profile(
    run: Callable[..., Result], profile_dir: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    source = tmp_path / "vpnc.conf"
    source.write_bytes(content)
    assert run("import", str(source)) == Result(
        1, "", "vpnclient: " + message.format(src=source) + "\n"
    )


def test_import_missing_file_and_existing_entry(
    run: Callable[..., Result], profile_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "none.pcf"
    assert run("import", str(missing)) == Result(
        1, "", f"vpnclient: cannot open {missing}: no such file\n"
    )
    source = tmp_path / "office.pcf"
    source.write_bytes(CISCO_EXPORT_BYTES)
    seed_entry(run)
    result = run("import", str(source))
    assert result.code == 1
    assert "a connection entry named 'office' already exists" in result.err
