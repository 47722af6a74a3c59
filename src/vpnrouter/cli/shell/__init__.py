"""The IOS exec shell: grammar (abbreviations, ``?``, Tab, caret errors), output filters, the
snapshot schema the router's control socket sends, one renderer per show command for the
12.x and 15.x dialects, and the session that ties them to a ``RouterBackend``.

Modules: ``grammar`` and ``commands`` (the command tree), ``filters`` (``| include`` ...),
``snapshot`` (the JSON schema), ``show`` (renderers), ``session`` (``Session``,
``RouterBackend``), ``interactive`` (readline loop, pager, terminal monitor), ``from_engine``
(snapshot parts from the IKE engine and the data plane). docs/CONTRACTS.md, "control socket /
show", has the wire format.
"""
