"""Backup servers in the connection entry: the list of an imported Cisco profile, the order
they are tried in, and the gateway's BACKUP_SERVERS written into the entry as the Cisco
client does (its other lines, their order and line endings untouched)."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

from pcf_samples import CISCO_EXPORT_BYTES, cisco_with

from vpnrouter.client import backup
from vpnrouter.client.profiles import ProfileStore
from vpnrouter.ike.exchanges import mode_config
from vpnrouter.ike.sa import IkeSa, Phase1State
from vpnrouter.wire.attributes import cfg_attribute
from vpnrouter.wire.constants import CfgAttr

GW = "172.18.124.159"


def imported(tmp_path: Path, data: bytes) -> ProfileStore:
    source = tmp_path / "seed.pcf"
    source.write_bytes(data)
    store = ProfileStore(tmp_path / "Profiles")
    store.import_file(source, name="office")
    return store


def test_an_imported_list_is_tried_after_the_host_in_its_order(tmp_path: Path) -> None:
    data = cisco_with(
        ("EnableBackup=", "EnableBackup=1"),
        ("BackupServer=", "BackupServer=172.18.124.160, vpn-b.example.com,172.18.124.159"),
    )
    profile = imported(tmp_path, data).load("office")
    assert profile.backup_servers == ("172.18.124.160", "vpn-b.example.com", "172.18.124.159")
    # the Host first, each server once
    assert backup.gateways(profile) == ("172.18.124.159", "172.18.124.160", "vpn-b.example.com")


def test_a_list_without_enable_backup_is_not_used(tmp_path: Path) -> None:
    data = cisco_with(("BackupServer=", "BackupServer=172.18.124.160"))
    profile = imported(tmp_path, data).load("office")
    assert backup.gateways(profile) == ("172.18.124.159",)


def test_the_gateways_list_goes_into_the_entry(tmp_path: Path) -> None:
    store = imported(tmp_path, CISCO_EXPORT_BYTES)
    before = store.path("office").read_bytes()
    profile = store.load("office")
    assert backup.remember(profile, ("172.18.124.160", "vpn-b.example.com"))
    after = store.path("office").read_bytes()
    changed = [
        (old, new)
        for old, new in zip(before.split(b"\r\n"), after.split(b"\r\n"), strict=True)
        if old != new
    ]
    assert changed == [
        (b"EnableBackup=0", b"EnableBackup=1"),
        (b"BackupServer=", b"BackupServer=172.18.124.160,vpn-b.example.com"),
    ]
    reloaded = store.load("office")
    assert reloaded.backup_servers == ("172.18.124.160", "vpn-b.example.com")
    assert reloaded.group_password == profile.group_password
    # the same list again: the file is left alone
    assert not backup.remember(reloaded, ("172.18.124.160", "vpn-b.example.com"))
    assert store.path("office").read_bytes() == after


def test_only_host_names_and_addresses_are_written(tmp_path: Path) -> None:
    store = imported(tmp_path, CISCO_EXPORT_BYTES)
    profile = store.load("office")
    assert not backup.remember(profile, ("", " ", "x;rm", "-dash", "a/b", "\u00e9t\u00e9"))
    assert store.load("office").backup_servers == ()
    assert backup.remember(profile, ("bad;host", "10.10.20.1"))
    assert store.load("office").backup_servers == ("10.10.20.1",)


def test_a_space_separated_list_is_split(tmp_path: Path) -> None:
    store = imported(tmp_path, CISCO_EXPORT_BYTES)
    assert backup.remember(store.load("office"), ("172.18.124.160 172.18.124.161",))
    assert store.load("office").backup_servers == ("172.18.124.160", "172.18.124.161")


def test_backup_servers_as_cisco_and_strongswan_send_them() -> None:
    """One text, comma separated (Cisco), or one 4-byte address per value (strongSwan)."""
    sa = IkeSa(
        1, True, "198.51.100.10", 500, "172.18.124.159", 500, bytes(8), 0.0, Phase1State.I_AM1
    )
    cisco = cfg_attribute(CfgAttr.UNITY_BACKUP_SERVERS, b"172.18.124.160,vpn-b.example.com")
    received = mode_config.parse(sa, (cisco,))
    assert received.backup_servers == ("172.18.124.160", "vpn-b.example.com")
    strongswan = tuple(
        cfg_attribute(CfgAttr.UNITY_BACKUP_SERVERS, IPv4Address(a).packed)
        for a in ("172.18.124.200", "172.18.124.159")
    )
    received = mode_config.parse(sa, strongswan)
    assert received.backup_servers == ("172.18.124.200", "172.18.124.159")
    # four host-name characters stay a name
    short = cfg_attribute(CfgAttr.UNITY_BACKUP_SERVERS, b"vpn2")
    assert mode_config.parse(sa, (short,)).backup_servers == ("vpn2",)
