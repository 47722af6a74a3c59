"""IKEv1 CBC IV chaining (RFC 2409 App. B, RFC 2408 section 3.1/4.5).

Phase 1 starts with IV = hash(g^xi | g^xr) (initiator's value first on both sides); every
later phase-1 message uses the last ciphertext block of the previous one. Each phase-2 or
informational/transaction exchange (identified by its non-zero message ID) starts with
IV = hash(last phase-1 CBC block | M-ID) and then chains within that exchange.

DESIGN.md principle 2: a received message moves the chain only after its HASH verified, so a
forged or corrupted packet cannot desynchronise the SA. :meth:`IvChain.decrypt` therefore does
not commit; the caller calls :meth:`IvChain.commit` once the HASH matched. Our own messages
commit as they are encrypted. Retransmitted copies must be recognised (by their raw bytes)
before decryption: the chain has already moved past them.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from vpnrouter.crypto.cipher import CbcCipher
from vpnrouter.crypto.prf import Prf

# Exchanges whose IV state is kept at once (quick modes, informationals, transactions).
# strongSwan keeps 3; a gateway serving rekeys and Mode Config in parallel may need more.
MAX_TRACKED_EXCHANGES: Final = 16


# RFC 2409 App. B: "IV ... is derived from a hash of a concatenation of the initiator's public
# Diffie-Hellman value and the responder's public Diffie-Hellman value using the negotiated
# HASH algorithm", truncated to the cipher's block size.
def phase1_iv(hasher: Prf, g_xi: bytes, g_xr: bytes, block_size: int) -> bytes:
    """The first phase-1 IV (main mode message 5 / aggressive mode message 3)."""
    return _truncate(hasher.digest(g_xi + g_xr), block_size)


# RFC 2409 App. B: for phase 2 (and RFC 2409 section 5.7 informational exchanges) the IV is
# the hash of the last phase-1 CBC output block and the phase-2 message ID.
def phase2_iv(hasher: Prf, last_phase1_block: bytes, message_id: int, block_size: int) -> bytes:
    """The first IV of the exchange with message ID ``message_id``."""
    if not 0 < message_id <= 0xFFFFFFFF:
        raise ValueError(f"phase-2 message ID {message_id} must be 1..2^32-1")
    return _truncate(hasher.digest(last_phase1_block + message_id.to_bytes(4, "big")), block_size)


# RFC 2409 5.7 / App. B: an informational's IV, the same hash; its M-ID may be 0 in practice
# (vpnc 0.5.3 draws Delete message IDs from one random byte).
def informational_iv(
    hasher: Prf, last_phase1_block: bytes, message_id: int, block_size: int
) -> bytes:
    if not 0 <= message_id <= 0xFFFFFFFF:
        raise ValueError(f"message ID {message_id} is not 32 bits")
    return _truncate(hasher.digest(last_phase1_block + message_id.to_bytes(4, "big")), block_size)


def _truncate(digest: bytes, block_size: int) -> bytes:
    if block_size > len(digest):
        raise ValueError(f"hash output {len(digest)} bytes is shorter than the block size")
    return digest[:block_size]


class IvChain:
    """IV state of one ISAKMP SA: the phase-1 chain plus one chain per message ID."""

    __slots__ = ("_exchanges", "_hasher", "_phase1", "block_size")

    def __init__(self, hasher: Prf, block_size: int, first_iv: bytes) -> None:
        if len(first_iv) != block_size:
            raise ValueError("first IV must be one block")
        self._hasher = hasher
        self.block_size = block_size
        self._phase1 = bytes(first_iv)
        self._exchanges: OrderedDict[int, bytes] = OrderedDict()

    @classmethod
    def from_dh(cls, hasher: Prf, block_size: int, g_xi: bytes, g_xr: bytes) -> IvChain:
        """Start the chain from the two KE values (RFC 2409 App. B)."""
        return cls(hasher, block_size, phase1_iv(hasher, g_xi, g_xr, block_size))

    @property
    def phase1(self) -> bytes:
        """The current phase-1 IV (the last phase-1 CBC block once phase 1 has messages)."""
        return self._phase1

    def iv(self, message_id: int) -> bytes:
        """The IV for the next message of exchange ``message_id`` (0 = phase 1). Pure: an
        exchange seen for the first time gets hash(phase-1 IV | M-ID) but nothing is stored
        until :meth:`commit`, so unauthenticated message IDs leave no trace."""
        if message_id == 0:
            return self._phase1
        stored = self._exchanges.get(message_id)
        if stored is not None:
            return stored
        return phase2_iv(self._hasher, self._phase1, message_id, self.block_size)

    def derived(self, message_id: int) -> bytes:
        """hash(last phase-1 block | M-ID), for any M-ID including 0: the IV of a one-message
        exchange (informational) whatever its ID. vpnc 0.5.3 draws its Delete informationals'
        IDs from one random byte, so one in 256 carries M-ID 0 and is encrypted this way."""
        return informational_iv(self._hasher, self._phase1, message_id, self.block_size)

    def commit(self, message_id: int, ciphertext: bytes) -> None:
        """Advance exchange ``message_id`` past a message: the next IV is its last cipher
        block. Call for every message we send, and for received ones only after the HASH
        verified."""
        if len(ciphertext) < self.block_size or len(ciphertext) % self.block_size:
            raise ValueError("ciphertext is not whole blocks")
        last = bytes(ciphertext[-self.block_size :])
        if message_id == 0:
            self._phase1 = last
            return
        self._exchanges[message_id] = last
        self._exchanges.move_to_end(message_id)
        while len(self._exchanges) > MAX_TRACKED_EXCHANGES:
            self._exchanges.popitem(last=False)

    def forget(self, message_id: int) -> None:
        """Drop the state of a finished (or abandoned) exchange."""
        self._exchanges.pop(message_id, None)

    def encrypt(self, cipher: CbcCipher, message_id: int, plaintext: bytes) -> bytes:
        """Encrypt one outgoing message body (already padded) and commit its last block."""
        ciphertext = cipher.encrypt(self.iv(message_id), plaintext)
        self.commit(message_id, ciphertext)
        return ciphertext

    def decrypt(self, cipher: CbcCipher, message_id: int, ciphertext: bytes) -> bytes:
        """Decrypt one received message body without moving the chain; call
        ``commit(message_id, ciphertext)`` once its HASH verified."""
        return cipher.decrypt(self.iv(message_id), ciphertext)
