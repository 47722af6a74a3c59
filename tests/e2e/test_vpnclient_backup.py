"""Backup servers: when the entry's Host does not answer, vpnclient contacts the backup servers
in turn (each wait bounded by the entry's PeerTimeout), as the Cisco VPN Client does; the
list comes from an imported profile (``BackupServer=``, ``EnableBackup=1``) or from the
gateway's Mode Config (Unity BACKUP_SERVERS: strongSwan's, or our vpn2611's ``backup-gateway``
lines), which vpnclient writes into the entry.

172.18.124.200 and .201, on vpn2611's outside segment, belong to no one: nothing answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _l2l_helpers import VPN2611_CFG
from _vpnclient_helpers import (
    SCRIPT_LOGIN,
    ClientProc,
    client_status,
    resolv_confs,
    seed_pcf,
    start_client,
    start_vpn2611,
    write_profile,
)

from vpnrouter.lab.netns import Topology
from vpnrouter.lab.seed import VPN2611, SeedLab
from vpnrouter.lab.strongswan import Charon, seed_xauth_server
from vpnrouter.lab.strongswan_conf import Sections, XauthServerConn

SeedFactory = Callable[..., SeedLab]
CharonFactory = Callable[..., Charon]
SILENT = "172.18.124.200"
SILENT_TOO = "172.18.124.201"
GATEWAY = VPN2611.outside_ip
PEER_TIMEOUT = 6  # 2 transmissions in 6 s per silent gateway
UNITY_BACKUP_SERVERS = 28681
BACKUPS = f"{SILENT},{GATEWAY}"  # what strongSwan sends: a text, comma separated


def entry(host: str, *lines: str) -> str:
    extra = "\r\n".join([f"PeerTimeout={PEER_TIMEOUT}", *lines]) + "\r\n"
    return seed_pcf(host, group_pwd="cisco123", extra=extra)


def connect(topology: Topology, profiles: Path) -> tuple[ClientProc, Path]:
    socket = topology.workdir / "office.sock"
    client = start_client(
        topology,
        "pc",
        "office",
        profiles,
        socket=socket,
        args=[*SCRIPT_LOGIN],
        stdin="cisco\n",
    )
    return client, socket


def contacted(transcript: str) -> list[str]:
    prefix = "Contacting the security gateway at "
    return [line[len(prefix) : -3] for line in transcript.splitlines() if line.startswith(prefix)]


def disconnect(client: ClientProc) -> None:
    client.interrupt()
    assert client.wait() == 0


def test_silent_host_then_the_backup_server(topology: Topology, seed_factory: SeedFactory) -> None:
    lab = seed_factory(assign_router_addresses=False)
    start_vpn2611(topology, lab)
    profiles = topology.workdir / "profiles"
    write_profile(profiles, "office", entry(SILENT, "EnableBackup=1", f"BackupServer={GATEWAY}"))
    with resolv_confs() as confs:
        confs.prepare(lab["pc"])
        client, socket = connect(topology, profiles)
        try:
            client.expect(r"to disconnect\.", timeout=PEER_TIMEOUT + 30)
            out = client.transcript
            assert contacted(out) == [SILENT, GATEWAY]
            assert (
                f"No answer from {SILENT} (UDP 500) to 2 transmissions in 6 seconds:"
                f" trying the backup server {GATEWAY}." in out
            )
            assert f"Server address: {GATEWAY}" in out and "Reason 403" not in out
            status = client_status(topology, "pc", socket)
            assert status["gateway"] == GATEWAY and status["client_address"] == "14.1.1.100"
            assert lab.ping("pc", VPN2611.host_addr, count=3, deadline=15)
            disconnect(client)
        finally:
            client.close()


@dataclass(frozen=True)
class BackupServersConn(XauthServerConn):
    """strongSwan's XAuth/Mode Config responder that also sends Unity BACKUP_SERVERS."""

    backup_servers: str = ""

    def sections(self) -> Sections:
        conn, secrets, pools = super().sections()
        pool = pools[self.pool_name]
        assert isinstance(pool, dict)
        pool[str(UNITY_BACKUP_SERVERS)] = self.backup_servers
        return conn, secrets, pools


def test_backup_servers_from_the_gateway_are_kept_and_used(
    topology: Topology, seed_lab: SeedLab, strongswan: CharonFactory
) -> None:
    server = strongswan(seed_lab.vpn2611, "vpn2611")
    seed = seed_xauth_server(VPN2611)
    server.load([BackupServersConn(**vars(seed), backup_servers=BACKUPS)])
    profiles = topology.workdir / "profiles"
    profile = write_profile(profiles, "office", entry(GATEWAY))
    with resolv_confs() as confs:
        confs.prepare(seed_lab["pc"])
        client, _ = connect(topology, profiles)
        try:
            client.expect(r"to disconnect\.")
            assert f"Backup servers: {SILENT}, {GATEWAY} (saved in the connection entry)" in (
                client.transcript
            )
            disconnect(client)
        finally:
            client.close()
        text = profile.read_bytes().decode()
        assert f"BackupServer={BACKUPS}\r\n" in text and "EnableBackup=1\r\n" in text
        server.wait_for("none", timeout=15)
        # the Host moves to an address nobody has: the saved list takes over, in its order
        profile.write_bytes(text.replace(f"Host={GATEWAY}", f"Host={SILENT_TOO}").encode())
        client, socket = connect(topology, profiles)
        try:
            client.expect(r"to disconnect\.", timeout=2 * PEER_TIMEOUT + 30)
            assert contacted(client.transcript) == [SILENT_TOO, SILENT, GATEWAY]
            assert client_status(topology, "pc", socket)["gateway"] == GATEWAY
            assert seed_lab.ping("pc", VPN2611.host_addr, count=3, deadline=15)
            disconnect(client)
        finally:
            client.close()


def test_backup_gateway_of_our_vpn2611_is_written_into_the_entry(
    topology: Topology, seed_factory: SeedFactory
) -> None:
    lab = seed_factory(assign_router_addresses=False)
    group = "crypto isakmp client configuration group 3000client\nkey cisco123\n"
    text = VPN2611_CFG.read_text()
    assert group in text
    config = topology.workdir / "vpn2611-backup-gateway.cfg"
    config.write_text(text.replace(group, group + f"backup-gateway {SILENT}\n"))
    start_vpn2611(topology, lab, config)
    profiles = topology.workdir / "profiles"
    profile = write_profile(profiles, "office", entry(GATEWAY))
    with resolv_confs() as confs:
        confs.prepare(lab["pc"])
        client, _ = connect(topology, profiles)
        try:
            client.expect(r"to disconnect\.")
            assert f"Backup servers: {SILENT} (saved in the connection entry)" in (
                client.transcript
            )
            disconnect(client)
        finally:
            client.close()
    saved = profile.read_bytes().decode()
    assert f"BackupServer={SILENT}\r\n" in saved and "EnableBackup=1\r\n" in saved
