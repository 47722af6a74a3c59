"""Errors of the IKE engine (DESIGN.md principle 4).

- :class:`ProtocolError` — the peer broke the protocol; the engine answers with the ISAKMP
  notify it carries (RFC 2408 section 3.14.1), e.g. NO-PROPOSAL-CHOSEN.
- :class:`AuthenticationError` — a HASH payload did not verify (RFC 2409 section 5); the
  message is dropped without changing state (principle 2).
- ``vpnrouter.wire.errors.DecodeError`` (not defined here) — malformed bytes: drop, count, log.

None of these ever leaves :class:`vpnrouter.ike.engine.IkeEngine`: every datagram entry point
catches them.
"""

from __future__ import annotations


class IkeError(Exception):
    """Base class of the engine's own errors."""


class ProtocolError(IkeError):
    """The peer broke the protocol; answer with ``notify`` (RFC 2408 3.14.1 type number).

    ``spi``/``protocol`` say which SA the notify is about (RFC 2408 3.14: for ISAKMP the cookie
    pair, for an IPsec proposal its SPI); ``data`` is the notification data.
    """

    def __init__(
        self,
        notify: int,
        message: str,
        *,
        protocol: int = 1,
        spi: bytes = b"",
        data: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.notify = notify
        self.message = message
        self.protocol = protocol
        self.spi = spi
        self.data = data


class AuthenticationError(IkeError):
    """A HASH/HASH_I/HASH_R payload did not match (RFC 2409 sections 5 and 5.5)."""
