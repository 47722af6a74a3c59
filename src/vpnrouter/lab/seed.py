"""The seed document's topology in network namespaces.

```
 host1 10.10.10.10 --eth0_1-- vpn2611 --eth0_0--+                       +-- pc 198.51.100.10
            (10.10.10.1 | 172.18.124.159)        |                       |
                                   [segment "outside" 172.18.124.0/24]   [segment "clients"
                                                 |                       |  198.51.100.0/24]
 host2 10.10.20.10 --eth0_1-- vpn3640 --eth0_0--+-- inet 172.18.124.1 --+-- nat 198.51.100.20
            (10.10.20.1 | 172.18.124.199)            198.51.100.1            | masquerade
                                                                  natpc 192.168.1.10 (gw .1)
```

- The routers' interfaces are named after their IOS names (``Ethernet0/0`` -> ``eth0_0``) so
  the daemon runs as ``vpnrouter run --config F --interface Ethernet0/0=eth0_0 ...``
  (`SeedLab.interface_args`). With ``assign_router_addresses=True`` the lab also puts the
  seed's addresses and its static route (``ip route 0.0.0.0 0.0.0.0 172.18.124.1``) on them;
  with ``False`` it leaves them bare for a daemon that configures them itself. Either way the
  links are up and IPv4 forwarding is on (the router is the "hardware").
- ``inet`` stands for the Internet: it routes between the outside segment and the clients'
  documentation network 198.51.100.0/24. Like the real Internet it has no route to the
  private LANs unless ``internet_routes_lans=True``, so without a tunnel nothing passes in
  the clear between 10.10.10.0/24 and 10.10.20.0/24 and no LAN host gets answers from it.
- ``nat`` masquerades (nftables) its inside network 192.168.1.0/24 behind 198.51.100.20.
- Captures tap the segments' bridges in the switch namespace (`SeedLab.tap`,
  `SeedLab.capture`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from vpnrouter.lab.capture import DEFAULT_FILTER, Capture
from vpnrouter.lab.netns import Topology

OUTSIDE = "outside"
CLIENTS = "clients"

INET_OUTSIDE = "172.18.124.1"
INET_CLIENTS = "198.51.100.1"
PC_ADDR = "198.51.100.10"
NAT_OUTSIDE = "198.51.100.20"
NAT_INSIDE = "192.168.1.1"
NATPC_ADDR = "192.168.1.10"
HOST_IF = "eth0"
MAX_PING_ATTEMPTS = 20

# the seed's crypto parameters (examples/seed/*.cfg)
PSK = "cisco123"  # crypto isakmp key cisco123 address ...
IKE_POLICY = "des-md5-modp768"  # crypto isakmp policy 10: hash md5 (des, group 1 by default)
TRANSFORM_SET = "3des-md5"  # crypto ipsec transform-set myset esp-3des esp-md5-hmac
CLIENT_GROUP = "3000client"
CLIENT_GROUP_KEY = "cisco123"
XAUTH_USER = ("cisco", "cisco")  # username cisco password 0 cisco
POOL = "14.1.1.100-14.1.1.200"  # ip local pool ippool 14.1.1.100 14.1.1.200
CLIENT_DNS = "10.10.10.10"
CLIENT_WINS = "10.10.10.20"
CLIENT_DOMAIN = "cisco.com"


@dataclass(frozen=True)
class RouterSpec:
    """One of the seed's IOS routers: outside and inside addresses (CIDR) and its LAN."""

    name: str
    outside: str
    inside: str
    lan: str
    host: str  # the LAN host's role name
    host_addr: str
    outside_if: str = "eth0_0"  # Ethernet0/0
    inside_if: str = "eth0_1"  # Ethernet0/1

    @property
    def outside_ip(self) -> str:
        return self.outside.split("/")[0]

    @property
    def inside_ip(self) -> str:
        return self.inside.split("/")[0]

    @property
    def interfaces(self) -> dict[str, str]:
        """IOS interface name -> Linux interface name."""
        return {"Ethernet0/0": self.outside_if, "Ethernet0/1": self.inside_if}


VPN2611 = RouterSpec(
    "vpn2611", "172.18.124.159/24", "10.10.10.1/24", "10.10.10.0/24", "host1", "10.10.10.10"
)
VPN3640 = RouterSpec(
    "vpn3640", "172.18.124.199/24", "10.10.20.1/24", "10.10.20.0/24", "host2", "10.10.20.10"
)
ROUTERS = (VPN2611, VPN3640)

NFT_MASQUERADE = """
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "outside" masquerade
  }
}
"""


@dataclass(frozen=True)
class SeedOptions:
    assign_router_addresses: bool = True
    internet_routes_lans: bool = False
    with_clients: bool = True  # pc, nat and natpc


@dataclass
class SeedLab:
    """The seed topology built in a `Topology`; attribute values are full namespace names."""

    topology: Topology
    options: SeedOptions
    ns: dict[str, str] = field(default_factory=dict)  # role -> namespace

    def __getitem__(self, role: str) -> str:
        return self.ns[role]

    @property
    def vpn2611(self) -> str:
        return self.ns["vpn2611"]

    @property
    def vpn3640(self) -> str:
        return self.ns["vpn3640"]

    @property
    def host1(self) -> str:
        return self.ns["host1"]

    @property
    def host2(self) -> str:
        return self.ns["host2"]

    @property
    def inet(self) -> str:
        return self.ns["inet"]

    @staticmethod
    def router(name: str) -> RouterSpec:
        for spec in ROUTERS:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def interface_args(self, router: str) -> list[str]:
        """``--interface IOS=LINUX`` arguments for ``vpnrouter run`` in this router."""
        args: list[str] = []
        for ios, linux in self.router(router).interfaces.items():
            args += ["--interface", f"{ios}={linux}"]
        return args

    def tap(self, segment: str = OUTSIDE) -> tuple[str, str]:
        """(namespace, interface) to capture everything on a segment."""
        seg = self.topology.segments[segment]
        return seg.ns, seg.bridge

    def capture(
        self,
        segment: str = OUTSIDE,
        *,
        name: str | None = None,
        capture_filter: str = DEFAULT_FILTER,
    ) -> Capture:
        """A started tshark on a whole segment (stop it, then read `.summary()`)."""
        ns, bridge = self.tap(segment)
        label = name or segment
        return Capture(self.topology, ns, bridge, name=label, capture_filter=capture_filter).start()

    def assign_router_addresses(self, router: str) -> None:
        """Put the seed's addresses and static default route on a router's interfaces."""
        spec = self.router(router)
        topo, ns = self.topology, self.ns[router]
        topo.add_address(ns, spec.outside_if, spec.outside)
        topo.add_address(ns, spec.inside_if, spec.inside)
        topo.add_route(ns, "default", via=INET_OUTSIDE)

    def ping(self, src: str, dst: str, *, count: int = 1, deadline: float = 3.0) -> bool:
        """Ping from a role's namespace: True once `count` echo replies have come back in one
        run of ping, False if that has not happened within `deadline` seconds. A run that
        ends early on an error (e.g. a neighbour entry still FAILED) is retried."""
        end = time.monotonic() + deadline
        for _attempt in range(MAX_PING_ATTEMPTS):
            left = math.ceil(end - time.monotonic())  # ping takes whole seconds
            if left <= 0:
                break
            argv = ["ping", "-n", "-q", "-c", str(count), "-i", "0.2", "-w", str(left), dst]
            proc = self.topology.exec(self.ns[src], argv, check=False, timeout=left + 5)
            if proc.returncode == 0:
                return True
            time.sleep(0.2)
        return False


def build_seed(topology: Topology, options: SeedOptions | None = None) -> SeedLab:
    """Build the seed topology in `topology` (which the caller closes)."""
    options = options or SeedOptions()
    lab = SeedLab(topology, options)
    topo = topology
    topo.add_segment(OUTSIDE)
    if options.with_clients:
        topo.add_segment(CLIENTS)

    lab.ns["inet"] = inet = topo.add_namespace("inet", ip_forward=True)
    topo.connect(inet, "outside", OUTSIDE, address=f"{INET_OUTSIDE}/24")

    for spec in ROUTERS:
        lab.ns[spec.name] = router = topo.add_namespace(spec.name, ip_forward=True)
        lab.ns[spec.host] = host = topo.add_namespace(spec.host)
        topo.connect(router, spec.outside_if, OUTSIDE)
        topo.add_veth(router, spec.inside_if, host, HOST_IF)
        topo.add_address(host, HOST_IF, f"{spec.host_addr}/24")
        topo.add_route(host, "default", via=spec.inside_ip)
        if options.assign_router_addresses:
            lab.assign_router_addresses(spec.name)
        if options.internet_routes_lans:
            topo.add_route(inet, spec.lan, via=spec.outside_ip)

    if options.with_clients:
        topo.connect(inet, "clients", CLIENTS, address=f"{INET_CLIENTS}/24")
        lab.ns["pc"] = pc = topo.add_namespace("pc")
        topo.connect(pc, HOST_IF, CLIENTS, address=f"{PC_ADDR}/24")
        topo.add_route(pc, "default", via=INET_CLIENTS)

        lab.ns["nat"] = nat = topo.add_namespace("nat", ip_forward=True)
        lab.ns["natpc"] = natpc = topo.add_namespace("natpc")
        topo.connect(nat, "outside", CLIENTS, address=f"{NAT_OUTSIDE}/24")
        topo.add_route(nat, "default", via=INET_CLIENTS)
        topo.add_veth(nat, "inside", natpc, HOST_IF)
        topo.add_address(nat, "inside", f"{NAT_INSIDE}/24")
        topo.add_address(natpc, HOST_IF, f"{NATPC_ADDR}/24")
        topo.add_route(natpc, "default", via=NAT_INSIDE)
        topo.exec(nat, ["nft", "-f", "-"], input=NFT_MASQUERADE)
    return lab
