"""The profile store and load_profile(): typed fields, checks, file modes, imports."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pcf_samples import (
    CISCO_EXPORT_BYTES,
    SEED_ENC,
    SEED_HEADER,
    SEED_PLAIN,
    UIT_ENC,
    UIT_PLAIN,
    cisco_with,
    line_of,
)

from vpnrouter.client import groupsecret, pcf
from vpnrouter.client.profiles import (
    AUTH_MUTUAL_GROUP,
    TUNNEL_TCP,
    InvalidProfile,
    Profile,
    ProfileError,
    ProfileExists,
    ProfileNotFound,
    ProfileStore,
    check_name,
    default_profile_dir,
    load_profile,
    new_document,
    profile_from_document,
)


def fixed_header(n: int) -> bytes:
    return SEED_HEADER[:n]


def profile_of(data: bytes, name: str = "seed") -> Profile:
    doc, _ = pcf.decode(data, f"{name}.pcf")
    return profile_from_document(name, doc, source=f"{name}.pcf")


def test_cisco_export_as_typed_profile() -> None:
    profile = profile_of(CISCO_EXPORT_BYTES)
    assert profile.host == "172.18.124.159"
    assert profile.group_name == "3000client"
    assert profile.group_password == SEED_PLAIN
    assert profile.group_password_saved
    assert profile.username == "cisco"
    assert profile.description == "Seed remote access to vpn2611"
    assert profile.auth_type == 1
    assert profile.enable_nat is True
    assert profile.tunneling_mode == 0
    assert profile.tcp_tunneling_port == 10000
    assert profile.peer_timeout == 90  # spelled PeerTimeOut in the file
    assert profile.dh_group == 2
    assert profile.backup_servers == ()
    assert profile.enable_local_lan is False
    assert profile.save_user_password is False
    assert profile.user_password is None
    assert profile.is_locked("host") and profile.is_locked("GroupName")
    assert not profile.is_locked("Username")


def test_repr_never_shows_passwords() -> None:
    data = cisco_with(("UserPassword=", "UserPassword=s3cret-user"))
    profile = profile_of(data)
    assert profile.user_password == "s3cret-user"
    assert SEED_PLAIN not in repr(profile)
    assert "s3cret-user" not in repr(profile)


def test_other_values_and_defaults() -> None:
    data = cisco_with(
        ("!AuthType=", "AuthType=5"),
        ("EnableNat=", "EnableNat=1"),
        ("TunnelingMode=", "TunnelingMode=1"),
        ("TcpTunnelingPort=", "TcpTunnelingPort=443"),
        ("EnableBackup=", "EnableBackup=1"),
        ("BackupServer=", "BackupServer=10.0.0.1, vpn-b.example ,"),
        ("EnableLocalLAN=", "EnableLocalLAN=1"),
        ("enc_GroupPwd=", "enc_GroupPwd="),
        extra=("DHGroup=5", "ForceKeepAlives=1"),
    )
    profile = profile_of(data)
    assert profile.auth_type == AUTH_MUTUAL_GROUP
    assert profile.tunneling_mode == TUNNEL_TCP and profile.tcp_tunneling_port == 443
    assert profile.backup_servers == ("10.0.0.1", "vpn-b.example")
    assert profile.enable_local_lan and profile.force_keepalives
    assert profile.dh_group == 5
    assert profile.group_password is None and not profile.group_password_saved
    minimal = profile_of(b"[main]\nHost=gw\nGroupName=g\n")
    assert minimal == Profile(name="seed", host="gw", group_name="g", group_password=None)


def test_backup_servers_only_when_enabled() -> None:
    assert profile_of(cisco_with(("BackupServer=", "BackupServer=b1"))).backup_servers == ()


def test_clear_group_password_wins_over_obfuscated() -> None:
    profile = profile_of(cisco_with(("GroupPwd=", "GroupPwd=admin-set")))
    assert profile.group_password == "admin-set"


def test_published_uit_profile_imports_its_group_password() -> None:
    assert profile_of(cisco_with(("enc_GroupPwd=", f"enc_GroupPwd={UIT_ENC}"))).group_password == (
        UIT_PLAIN
    )


@pytest.mark.parametrize(
    ("replacement", "key", "message"),
    [
        (("!Host=", "!Host="), "!Host", "no Host (the address of the VPN server)"),
        (("!Host=", "Host=a b"), "Host=", "Host 'a b' contains a space"),
        (
            ("!AuthType=", "AuthType=2"),
            "AuthType",
            "AuthType 2 is not one of 1 (group authentication (pre-shared key)), "
            "3 (certificate authentication), 5 (mutual group authentication)",
        ),
        (
            ("!AuthType=", "AuthType=one"),
            "AuthType",
            "AuthType is 'one', not a number from 0 to 255",
        ),
        (
            ("!GroupName=", "GroupName="),
            "GroupName",
            "no GroupName (group authentication needs one)",
        ),
        (("EnableNat=", "EnableNat=yes"), "EnableNat", "EnableNat is 'yes', not 0 or 1"),
        (
            ("TcpTunnelingPort=", "TcpTunnelingPort=70000"),
            "TcpTunnelingPort",
            "TcpTunnelingPort is '70000', not a number from 1 to 65535",
        ),
        (
            ("TunnelingMode=", "TunnelingMode=2"),
            "TunnelingMode",
            "TunnelingMode is '2', not a number from 0 to 1",
        ),
        (
            ("PeerTimeOut=", "PeerTimeOut=-5"),
            "PeerTimeOut",
            "PeerTimeOut is '-5', not a number from 0 to 86400",
        ),
        (
            ("enc_GroupPwd=", f"enc_GroupPwd={SEED_ENC[:-2]}41"),
            "enc_GroupPwd",
            "enc_GroupPwd is damaged: its SHA-1 check does not match (the value was edited or cut)",
        ),
    ],
)
def test_wrong_values_name_file_and_line(
    replacement: tuple[str, str], key: str, message: str
) -> None:
    data = cisco_with(replacement)
    with pytest.raises(InvalidProfile) as info:
        profile_of(data)
    assert str(info.value) == f"seed.pcf line {line_of(data, key)}: {message}"


def test_certificate_profiles_need_no_group() -> None:
    data = cisco_with(("!AuthType=", "AuthType=3"), ("!GroupName=", "GroupName="))
    assert profile_of(data).group_name == ""


def test_wrong_key_message_uses_its_spelling() -> None:
    with pytest.raises(InvalidProfile, match="ENABLENAT is 'x', not 0 or 1"):
        profile_of(b"[main]\nHost=h\nGroupName=g\nENABLENAT=x\n")


# --- directory -----------------------------------------------------------------------------


def test_default_profile_dir(tmp_path: Path) -> None:
    home = Path.home()
    assert default_profile_dir({}) == home / ".config" / "vpnclient" / "Profiles"
    assert default_profile_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == (
        tmp_path / "vpnclient" / "Profiles"
    )
    # A relative or empty XDG_CONFIG_HOME is ignored (XDG Base Directory Specification).
    assert default_profile_dir({"XDG_CONFIG_HOME": "rel"}) == default_profile_dir({})
    assert default_profile_dir({"XDG_CONFIG_HOME": ""}) == default_profile_dir({})
    env = {"XDG_CONFIG_HOME": str(tmp_path), "VPNCLIENT_PROFILE_DIR": str(tmp_path / "p")}
    assert default_profile_dir(env) == tmp_path / "p"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        (" office", "starts or ends with a space"),
        (".hidden", "starts with '.'"),
        ("../etc/x", "starts with '.'"),
        ("a/b", "contains '/', '\\' or a control character"),
        ("a\\b", "contains '/', '\\' or a control character"),
        ("a\nb", "contains '/', '\\' or a control character"),
        ("x" * 65, "is longer than 64 characters"),
    ],
)
def test_bad_names(name: str, problem: str) -> None:
    with pytest.raises(ProfileError) as info:
        check_name(name)
    assert str(info.value) == f"the connection entry name {name!r} {problem}"


def test_good_names() -> None:
    for name in ["office", "Home Office (DSL)", "vpn2611-3000client", "x" * 64, "büro"]:
        assert check_name(name) == name


def test_store_writes_0600_in_a_0700_directory(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "a" / "Profiles")
    doc = new_document(
        host="172.18.124.159",
        group_name="3000client",
        group_password="cisco123",
        random_bytes=fixed_header,
    )
    profile = store.create("office", doc)
    path = tmp_path / "a" / "Profiles" / "office.pcf"
    assert profile.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.names() == ["office"]
    assert [p.name for p in path.parent.iterdir()] == ["office.pcf"]  # no temporary left
    with pytest.raises(ProfileExists):
        store.create("office", doc)
    # Replacing keeps 0600 even over a file someone made world-readable.
    path.chmod(0o644)
    store.save_document("office", doc, replace=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_new_document_is_what_cisco_writes(tmp_path: Path) -> None:
    doc = new_document(
        host="172.18.124.159",
        group_name="3000client",
        group_password="cisco123",
        username="cisco",
        description="Seed remote access to vpn2611",
        random_bytes=fixed_header,
    )
    text = pcf.render(doc)
    expected = (
        CISCO_EXPORT_BYTES.decode()
        .replace("!", "")
        .replace("PeerTimeOut=90", "DHGroup=2\r\nForceKeepAlives=0\r\nPeerTimeout=90")
        .rstrip("\r\n")
        + "\r\n"
    )
    assert text == expected
    no_nat = new_document(host="h", group_name="g", enable_nat=False)
    assert no_nat.get("EnableNat") == "0"
    assert no_nat.get("enc_GroupPwd") == ""


def test_new_document_refuses_multiline_values() -> None:
    with pytest.raises(ProfileError, match=r"Description: a \.pcf value is one line"):
        new_document(host="h", group_name="g", description="a\nb")


def test_names_sorted_and_foreign_files_ignored(tmp_path: Path) -> None:
    for name in ["b.pcf", "A.pcf", "c.txt", ".hidden.pcf", ".pcf"]:
        (tmp_path / name).write_bytes(CISCO_EXPORT_BYTES)
    (tmp_path / "dir.pcf").mkdir()
    assert ProfileStore(tmp_path).names() == ["A", "b"]
    assert ProfileStore(tmp_path / "missing").names() == []


def test_load_profile_and_errors(tmp_path: Path) -> None:
    (tmp_path / "seed.pcf").write_bytes(CISCO_EXPORT_BYTES)
    profile = load_profile("seed", profile_dir=tmp_path)
    assert profile.group_password == SEED_PLAIN
    assert profile.path == tmp_path / "seed.pcf"
    with pytest.raises(ProfileNotFound) as info:
        load_profile("nope", profile_dir=tmp_path)
    assert str(info.value) == "no connection entry named 'nope' (see 'vpnclient list')"
    (tmp_path / "junk.pcf").write_bytes(b"IPSec gateway 1.2.3.4\n")
    with pytest.raises(InvalidProfile) as bad:
        load_profile("junk", profile_dir=tmp_path)
    assert str(bad.value) == (
        f"{tmp_path / 'junk.pcf'} line 1: 'IPSec gateway 1.2.3.4' is outside a section "
        "(profiles start [main])"
    )


def test_load_profile_uses_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VPNCLIENT_PROFILE_DIR", str(tmp_path))
    (tmp_path / "seed.pcf").write_bytes(CISCO_EXPORT_BYTES)
    assert load_profile("seed").host == "172.18.124.159"


def test_delete(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    (tmp_path / "seed.pcf").write_bytes(CISCO_EXPORT_BYTES)
    assert store.delete("seed") == tmp_path / "seed.pcf"
    assert not (tmp_path / "seed.pcf").exists()
    with pytest.raises(ProfileNotFound):
        store.delete("seed")


# --- import --------------------------------------------------------------------------------


def test_import_keeps_the_cisco_file_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "Seed Office.pcf"
    source.write_bytes(CISCO_EXPORT_BYTES)
    store = ProfileStore(tmp_path / "Profiles")
    result = store.import_file(source)
    assert result.name == "Seed Office"
    assert result.warnings == ()
    assert result.obfuscated == ()
    assert result.path.read_bytes() == CISCO_EXPORT_BYTES
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert result.profile.group_password == SEED_PLAIN
    assert store.load("Seed Office") == result.profile


def test_import_obfuscates_clear_passwords(tmp_path: Path) -> None:
    data = cisco_with(
        ("GroupPwd=", "GroupPwd=cisco123"),
        ("enc_GroupPwd=", "enc_GroupPwd="),
        ("UserPassword=", "UserPassword=userpw"),
        ("SaveUserPassword=", "SaveUserPassword=1"),
    )
    source = tmp_path / "clear.PCF"
    source.write_bytes(data)
    result = ProfileStore(tmp_path / "P").import_file(source, random_bytes=fixed_header)
    assert result.name == "clear"
    assert result.obfuscated == ("GroupPwd", "UserPassword")
    stored = result.path.read_bytes()
    assert b"cisco123" not in stored and b"userpw" not in stored
    assert f"enc_GroupPwd={SEED_ENC}\r\n".encode() in stored
    assert b"\r\nGroupPwd=\r\n" in stored
    assert result.profile.group_password == "cisco123"
    assert result.profile.user_password == "userpw"
    # Only those lines changed.
    changed = [
        (a, b) for a, b in zip(data.split(b"\r\n"), stored.split(b"\r\n"), strict=True) if a != b
    ]
    assert [a.split(b"=")[0] for a, _ in changed] == [
        b"GroupPwd",
        b"enc_GroupPwd",
        b"UserPassword",
        b"enc_UserPassword",
    ]


def test_import_warns_about_unknown_keys_and_keeps_them(tmp_path: Path) -> None:
    data = cisco_with(extra=("GCertStore=0", "X-NM-Routes=10.0.0.0/8"))
    source = tmp_path / "odd.pcf"
    source.write_bytes(data)
    result = ProfileStore(tmp_path / "P").import_file(str(source), name="renamed")
    assert [str(w) for w in result.warnings] == [
        f"Warning: {source} line {line_of(data, 'GCertStore')}: unknown key 'GCertStore' "
        "kept as is",
        f"Warning: {source} line {line_of(data, 'X-NM')}: unknown key 'X-NM-Routes' kept as is",
    ]
    assert result.name == "renamed"
    assert result.path.read_bytes() == data


def test_import_refuses_damage_and_writes_nothing(tmp_path: Path) -> None:
    tampered = groupsecret.encrypt("x", fixed_header)[:-2] + "00"
    data = cisco_with(("enc_GroupPwd=", f"enc_GroupPwd={tampered}"))
    source = tmp_path / "t.pcf"
    source.write_bytes(data)
    store = ProfileStore(tmp_path / "P")
    with pytest.raises(InvalidProfile, match=r"line 7: enc_GroupPwd is damaged: its SHA-1"):
        store.import_file(source)
    assert store.names() == []


def test_import_errors(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "P")
    with pytest.raises(ProfileError) as missing:
        store.import_file(tmp_path / "none.pcf")
    assert str(missing.value) == f"cannot open {tmp_path / 'none.pcf'}: no such file"
    with pytest.raises(ProfileError, match="is a directory"):
        store.import_file(tmp_path)
    (tmp_path / "s.pcf").write_bytes(CISCO_EXPORT_BYTES)
    store.import_file(tmp_path / "s.pcf")
    with pytest.raises(ProfileExists):
        store.import_file(tmp_path / "s.pcf")
    with pytest.raises(ProfileError, match=r"starts with '\.'"):
        store.import_file(tmp_path / "s.pcf", name=".x")
