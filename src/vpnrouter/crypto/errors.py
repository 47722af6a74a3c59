"""Errors raised by vpnrouter.crypto.

Both are ``ValueError`` subclasses, so a caller that only wants "this input is unusable" can
catch ``ValueError``; the IKE engine maps them onto ISAKMP notifies (e.g. an unsupported
algorithm is NO-PROPOSAL-CHOSEN, an invalid peer public value is INVALID-KEY-INFORMATION).
"""


class UnsupportedAlgorithm(ValueError):
    """An algorithm number (RFC 2409 App. A / RFC 2407 section 4) this module does not offer."""


class InvalidPublicValue(ValueError):
    """A peer's Diffie-Hellman public value has the wrong length or is not a valid element."""
