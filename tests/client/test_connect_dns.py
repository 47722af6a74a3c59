"""The gateway's DNS information in resolv.conf while connected, and the original back after:
what is written, in which order, on the same inode (bind mounts), and what is left alone."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

from vpnrouter.client.dns import DnsSettings, ResolvConf, render

A = IPv4Address
SEED = DnsSettings(servers=(A("10.10.10.10"),), domain="cisco.com", wins=(A("10.10.10.20"),))
ORIGINAL = (
    "# from DHCP\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch lab.example\noptions edns0\n"
)


def test_render_puts_the_gateway_first_and_keeps_the_rest() -> None:
    text = render(ORIGINAL, SEED, "office")
    assert text.splitlines() == [
        "# vpnclient: connection entry 'office' (the original is restored on disconnect)",
        "search cisco.com lab.example",
        "nameserver 10.10.10.10",
        "nameserver 192.0.2.53",
        "nameserver 192.0.2.54",
        "# from DHCP",
        "options edns0",
    ]


def test_render_keeps_three_nameservers_and_no_duplicates() -> None:
    many = DnsSettings(servers=(A("10.0.0.1"), A("10.0.0.2"), A("192.0.2.53")))
    text = render(ORIGINAL, many, "x")
    assert [line for line in text.splitlines() if line.startswith("nameserver")] == [
        "nameserver 10.0.0.1",
        "nameserver 10.0.0.2",
        "nameserver 192.0.2.53",
    ]
    assert "search lab.example" in text  # no domain from the gateway: the old search stays


def test_render_drops_a_stale_marker_of_ours() -> None:
    stale = render(ORIGINAL, SEED, "old")
    assert render(stale, SEED, "new").count("# vpnclient:") == 1


def test_describe_lists_what_the_gateway_sent() -> None:
    assert SEED.describe() == [
        "DNS servers: 10.10.10.10",
        "Default domain: cisco.com",
        "WINS servers: 10.10.10.20",
    ]
    assert DnsSettings(wins=(A("10.0.0.9"),)).empty


def test_apply_and_restore_on_the_same_inode(tmp_path: Path) -> None:
    path = tmp_path / "resolv.conf"
    path.write_text(ORIGINAL)
    inode = path.stat().st_ino
    backup = tmp_path / "run" / "office.resolv"
    conf = ResolvConf(path, backup)
    assert conf.apply(SEED, "office") == ""
    assert conf.applied and path.stat().st_ino == inode  # rewritten in place, not replaced
    assert "nameserver 10.10.10.10" in path.read_text()
    assert backup.read_text() == ORIGINAL
    assert conf.restore() == ""
    assert path.read_text() == ORIGINAL and path.stat().st_ino == inode
    assert not backup.exists()
    assert conf.restore() == ""  # nothing more to do


def test_a_file_changed_by_someone_else_is_left_with_the_backup(tmp_path: Path) -> None:
    path = tmp_path / "resolv.conf"
    path.write_text(ORIGINAL)
    backup = tmp_path / "office.resolv"
    conf = ResolvConf(path, backup)
    assert conf.apply(SEED, "office") == ""
    path.write_text("nameserver 203.0.113.1\n")
    warning = conf.restore()
    assert "was changed by another program while connected" in warning
    assert str(backup) in warning and backup.read_text() == ORIGINAL
    assert path.read_text() == "nameserver 203.0.113.1\n"


def test_a_symlink_or_missing_file_is_not_touched(tmp_path: Path) -> None:
    target = tmp_path / "stub-resolv.conf"
    target.write_text(ORIGINAL)
    link = tmp_path / "resolv.conf"
    link.symlink_to(target)
    why = ResolvConf(link).apply(SEED, "office")
    assert "is a link to" in why and "managed by another program" in why
    assert target.read_text() == ORIGINAL
    assert "does not exist" in ResolvConf(tmp_path / "none").apply(SEED, "office")


def test_a_directory_is_not_a_resolv_conf(tmp_path: Path) -> None:
    assert "is not a regular file" in ResolvConf(tmp_path).apply(SEED, "office")
