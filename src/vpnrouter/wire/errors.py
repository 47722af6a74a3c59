"""Errors of the ISAKMP codec.

DESIGN.md principle 4: malformed bytes raise :class:`DecodeError` (the caller drops the datagram,
counts and logs it) and nothing else; a payload object that cannot be put on the wire raises
:class:`EncodeError` (a programming error of the caller, never caused by a peer).
"""


class DecodeError(ValueError):
    """The bytes received are not a well-formed ISAKMP message, payload or attribute."""


class EncodeError(ValueError):
    """A value does not fit the wire format (field out of range, wrong length...)."""
