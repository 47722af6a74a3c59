"""IvChain behaviour (RFC 2409 App. B) and keymat edge cases; the known answers against a
real peer are in test_crypto_keymat.py (strongSwan capture)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from vpnrouter.crypto import cipher, ivchain, keymat, prf
from vpnrouter.crypto.ivchain import IvChain

SHA1 = prf.Prf(prf.HASH_SHA1)
MD5 = prf.Prf(prf.HASH_MD5)


def test_phase1_iv_is_the_truncated_hash_of_both_ke_values() -> None:
    g_xi, g_xr = b"\x01" * 128, b"\x02" * 128
    iv = ivchain.phase1_iv(SHA1, g_xi, g_xr, 16)
    assert iv == hashlib.sha1(g_xi + g_xr).digest()[:16]
    assert ivchain.phase1_iv(MD5, g_xi, g_xr, 8) == hashlib.md5(g_xi + g_xr).digest()[:8]
    with pytest.raises(ValueError):  # a block longer than the hash output
        ivchain.phase1_iv(SHA1, g_xi, g_xr, 32)


def test_phase2_iv_uses_the_message_id_in_network_order() -> None:
    last = bytes(range(16))
    iv = ivchain.phase2_iv(SHA1, last, 0x01020304, 16)
    assert iv == hashlib.sha1(last + b"\x01\x02\x03\x04").digest()[:16]
    for bad in (0, 2**32):
        with pytest.raises(ValueError):
            ivchain.phase2_iv(SHA1, last, bad, 16)


def _chain() -> tuple[IvChain, cipher.CbcCipher]:
    spec = cipher.for_ike(cipher.ENCR_AES_CBC, 128)
    return IvChain.from_dh(SHA1, 16, b"\xaa" * 128, b"\xbb" * 128), spec.new(bytes(16))


def test_sending_commits_receiving_waits_for_the_hash() -> None:
    chain, aes = _chain()
    first = chain.phase1
    ct = chain.encrypt(aes, 0, bytes(32))
    assert chain.phase1 == ct[-16:] != first
    # A received message is decrypted with the current IV but does not move the chain ...
    incoming = aes.encrypt(chain.phase1, b"\x11" * 48)
    assert chain.decrypt(aes, 0, incoming) == b"\x11" * 48
    assert chain.phase1 == ct[-16:]
    # ... until the caller says its HASH verified.
    chain.commit(0, incoming)
    assert chain.phase1 == incoming[-16:]


def test_phase2_exchanges_chain_independently_and_start_from_phase1() -> None:
    chain, aes = _chain()
    chain.commit(0, b"\x42" * 32)
    p1 = chain.phase1
    a, b = 0x11111111, 0x22222222
    assert chain.iv(a) == ivchain.phase2_iv(SHA1, p1, a, 16)
    ct_a = chain.encrypt(aes, a, bytes(16))
    assert chain.iv(a) == ct_a
    assert chain.iv(b) == ivchain.phase2_iv(SHA1, p1, b, 16)  # untouched by exchange a
    assert chain.phase1 == p1  # phase-2 traffic never moves the phase-1 chain
    chain.forget(a)
    assert chain.iv(a) == ivchain.phase2_iv(SHA1, p1, a, 16)


def test_unverified_message_ids_leave_no_state() -> None:
    chain, aes = _chain()
    committed = 0x0A0A0A0A
    chain.encrypt(aes, committed, bytes(16))
    kept = chain.iv(committed)
    # A flood of decryptions under random message IDs (nothing verified) evicts nothing.
    for mid in range(1, 1000):
        chain.decrypt(aes, mid, bytes(16))
    assert chain.iv(committed) == kept


def test_tracked_exchanges_are_bounded() -> None:
    chain, aes = _chain()
    for mid in range(1, ivchain.MAX_TRACKED_EXCHANGES + 2):
        chain.encrypt(aes, mid, bytes(16))
    # the oldest one fell out and is derived afresh
    assert chain.iv(1) == ivchain.phase2_iv(SHA1, chain.phase1, 1, 16)
    assert chain.iv(2) != ivchain.phase2_iv(SHA1, chain.phase1, 2, 16)


def test_commit_needs_whole_blocks_and_first_iv_one_block() -> None:
    chain, _ = _chain()
    with pytest.raises(ValueError):
        chain.commit(0, bytes(15))
    with pytest.raises(ValueError):
        chain.commit(0, b"")
    with pytest.raises(ValueError):
        IvChain(SHA1, 16, bytes(8))


def test_keymat_expansion_chains_the_previous_block() -> None:
    # RFC 2409 section 5.5: K1 = prf(SKEYID_d, seed), K2 = prf(SKEYID_d, K1 | seed).
    d, spi, ni, nr = b"d" * 20, b"\x00\x00\x10\x01", b"n" * 16, b"r" * 16
    seed = b"\x03" + spi + ni + nr
    k1 = hmac.digest(d, seed, "sha1")
    k2 = hmac.digest(d, k1 + seed, "sha1")
    k3 = hmac.digest(d, k2 + seed, "sha1")
    assert keymat.keymat(SHA1, d, 3, spi, ni, nr, 56) == (k1 + k2 + k3)[:56]
    g = b"g" * 128
    pk1 = hmac.digest(d, g + seed, "sha1")
    pk2 = hmac.digest(d, pk1 + g + seed, "sha1")
    assert keymat.keymat(SHA1, d, 3, spi, ni, nr, 40, g_qm=g) == pk1 + pk2
    keys = keymat.child_keys(SHA1, d, 3, spi, ni, nr, 24, 16)
    assert keys.encryption + keys.integrity == (k1 + k2)[:40]
    assert "secret" in repr(keys)


def test_encryption_key_truncates_when_long_enough() -> None:
    e = bytes(range(20))
    assert keymat.encryption_key(SHA1, e, 16) == e[:16]
    assert keymat.encryption_key(SHA1, e, 20) == e
    k1 = hmac.digest(e, b"\x00", "sha1")
    k2 = hmac.digest(e, k1, "sha1")
    assert keymat.encryption_key(SHA1, e, 32) == (k1 + k2)[:32]  # AES-256 with SHA1


def test_hash3_and_informational_layouts() -> None:
    a, mid, ni, nr = b"a" * 16, 0xDEADBEEF, b"i" * 16, b"r" * 16
    assert keymat.qm_hash3(MD5, a, mid, ni, nr) == hmac.digest(
        a, b"\x00\xde\xad\xbe\xef" + ni + nr, "md5"
    )
    assert keymat.informational_hash(MD5, a, mid, b"D") == hmac.digest(
        a, b"\xde\xad\xbe\xefD", "md5"
    )
    assert keymat.qm_hash2(MD5, a, mid, ni, b"rest") == hmac.digest(
        a, b"\xde\xad\xbe\xef" + ni + b"rest", "md5"
    )


def test_skeyid_sig_and_argument_checks() -> None:
    ni, nr, g = b"i" * 16, b"r" * 16, b"g" * 96
    assert keymat.skeyid_sig(MD5, ni, nr, g) == hmac.digest(ni + nr, g, "md5")
    with pytest.raises(ValueError):
        keymat.derive_skeyids(MD5, b"s", g, b"short", bytes(8))
    with pytest.raises(ValueError):
        keymat.qm_hash1(MD5, b"a", 2**32, b"")
    with pytest.raises(ValueError):
        keymat.keymat(MD5, b"d", 256, b"spi!", ni, nr, 16)
    assert "secret" in repr(keymat.derive_skeyids(MD5, b"s", g, bytes(8), bytes(8)))
    assert "secret" in repr(keymat.derive_phase1(MD5, b"s", g, bytes(8), bytes(8), 8))
