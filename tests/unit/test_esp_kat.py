"""Known-answer vectors: ESP packets built by strongSwan 5.9.8's userspace data plane.

How they were made (once, on this kind of machine): two charons (kernel-libipsec) in network
namespaces, an IKEv2 tunnel 10.10.10.0/24 <-> 10.10.20.0/24 between 172.18.124.159 (initiator)
and .199 with ``esp_proposals`` 3des-md5 / aes128-sha1 / aes256-sha256, log levels ``chd = 4``
(prints the child SA keys) and ``esp = 4`` (prints each plaintext), and ``ping -s 100`` from
10.10.10.10 to 10.10.20.10. ESP is the UDP 4500 payload tshark captured on the outside veth
(libipsec always UDP-encapsulates); the keys are the initiator's ("encryption/integrity
initiator key"), which protect initiator -> responder traffic; ``inner`` is the plaintext
libipsec logged ("ESP before encryption: payload"). IKE version does not matter to ESP.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import NamedTuple

import pytest

from vpnrouter.esp.codec import decapsulate, encapsulate
from vpnrouter.esp.sa import Direction, EspSa, UdpEncap
from vpnrouter.esp.spd import Selector

INNER_TAIL = bytes(range(0x10, 0x64))  # ping's pattern after the timestamp


class Vector(NamedTuple):
    transform: int
    bits: int | None
    auth: int
    spi: int
    enc_key: str
    auth_key: str
    esp: str
    inner_head: str


VECTORS = {
    "3des-md5": Vector(
        transform=3,
        bits=None,
        auth=1,
        spi=0x90FAE0A1,
        enc_key="93ec74a399f4e1db7dcb7cc71abeebab5706dc3906e1dda1",
        auth_key="3f53c8c34a61d15ded54be4da4cc1772",
        esp="90fae0a100000001795fa94f771a812d3753a5150e9e2453df4256719573bc5b135725657a1f72"
        "197fcf7f4601dbc335a36bebd5bfac7a3acf6cc5395a3e3bcf837f1cb4019e0876eb7cdc12b5e7bda3"
        "1460f4a72dc5f7cfc2abb3c1408cf5f4d72d2ae9c11c0312149adef93d7c3138d1fc6329de34c867a6"
        "67350b57f7348645f89e3ab9dfdd8f6032017bc92064d020e94f845518b988aaac574e675e34d02aa1"
        "a0b9",
        inner_head="45000080343340003f01d5220a0a0a0a0a0a140a0800c983447f0001968c0b6b00000000dd76"
        "070000000000",
    ),
    "aes128-sha1": Vector(
        transform=12,
        bits=128,
        auth=2,
        spi=0xE35E723A,
        enc_key="b1677c5a600e9e9bc217f815dc7d8df9",
        auth_key="8e833b323c3bd4d597cd8990714673f3711e0efe",
        esp="e35e723a00000001b0ee92a4e51366a3a52dade881af28967f6f0a5f79f1cc41cf6336ae8eb331"
        "8c70b81cf250f6becbf39bfba36aedda670e00cd22069120ff5c17547027d056e75331d2718e2f4e81"
        "7983cb5417e027781c49caebd86b26a3fcb3c59d2c58b238aeafc90f9a6616104c6d2ea2d1d27e7a21"
        "6817fd40a757d458d7c7b6ad8326b4bbf66a107a330e7e1df84ca14d06d6cf2e4f6a4afcc9cae1f2f9"
        "516c05de4313193ca292812be4a39d8d4bf9",
        inner_head="4500008098ef40003f0170660a0a0a0a0a0a140a080073a145e200019f8c0b6b000000002ff6"
        "000000000000",
    ),
    "aes256-sha256": Vector(
        transform=12,
        bits=256,
        auth=5,
        spi=0xD2E6177A,
        enc_key="9f1317e9f6a7bfa70035bf42fe36775491d479ff9d1fd73b422fa05d48efb0b6",
        auth_key="1a7e593aa0960e044b8d692b1e1c9361c889a7269e3344592275785ad2274c17",
        esp="d2e6177a00000001081d044629094f60f4a21ea429132b197c0b77d9e5f72eaf38feb48e2eb237"
        "3f0c40d077204e3a373d37476ac9a8461c2ac352afe97d5de32b5cc6d4909ae1683e7087fbc6a4bbb0"
        "a8dd35ddfa45c9627aa3dede0515c4b807e2e9b7f6ab34378f2cc17060492cefb7b9239b5b328a6287"
        "67202c9e29b05df124df9ade7fbd7abda92a3f4b3b2f4fb0e6be362346d447c95a3ce1f74db4aea3d5"
        "67f37ec814b5d1e6299dc4c2f40d282f5a4c7ce89950",
        inner_head="450000801ae040003f01ee750a0a0a0a0a0a140a08007ec846ad0001a28c0b6b000000002104"
        "000000000000",
    ),
}


def make(name: str, direction: Direction) -> EspSa:
    v = VECTORS[name]
    return EspSa(
        spi=v.spi,
        direction=direction,
        transform_id=v.transform,
        key_len_bits=v.bits,
        enc_key=bytes.fromhex(v.enc_key),
        auth_alg=v.auth,
        auth_key=bytes.fromhex(v.auth_key),
        local=IPv4Address("172.18.124.199"),
        remote=IPv4Address("172.18.124.159"),
        selector=Selector.of("10.10.10.0/24", "10.10.20.0/24"),
        encap=UdpEncap(4500, 4500),
    )


def inner(name: str) -> bytes:
    return bytes.fromhex(VECTORS[name].inner_head) + INNER_TAIL


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_decapsulate_strongswan_packet(name: str) -> None:
    sa = make(name, Direction.INBOUND)
    result = decapsulate(sa, bytes.fromhex(VECTORS[name].esp))
    assert result == inner(name)
    assert (sa.counters.decaps, sa.counters.verify, sa.counters.recv_errors) == (1, 1, 0)


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_encapsulate_reproduces_strongswan_packet_byte_for_byte(name: str) -> None:
    """Same keys, same IV, sequence number 1: the padding 1, 2, 3, ..., the ciphertext and the
    truncated ICV must all come out exactly as strongSwan's."""
    esp = bytes.fromhex(VECTORS[name].esp)
    sa = make(name, Direction.OUTBOUND)
    iv = esp[8 : 8 + sa.iv_size]
    assert encapsulate(sa, inner(name), lambda n: iv[:n]) == esp


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_strongswan_packet_with_a_flipped_icv_bit_is_dropped(name: str) -> None:
    esp = bytearray(bytes.fromhex(VECTORS[name].esp))
    esp[-1] ^= 0x01
    sa = make(name, Direction.INBOUND)
    assert not isinstance(decapsulate(sa, bytes(esp)), bytes)
    assert sa.counters.recv_errors == 1
