"""One module per exchange (DESIGN.md principle 3): main mode, quick mode, informational,
NAT-D and vendor IDs. Initiator and responder halves are separate functions."""
