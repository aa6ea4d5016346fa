"""Touchline's wire protocol: message models, the match rules, and pure decision functions.

Nothing in this package does I/O or imports a web framework, ORM or socket library; the
server and clients drive it. ``SPEC.md`` beside this file is the written protocol.
"""

PROTOCOL_VERSION = 3
