"""A driver beside the protocol core: the reference Python client and its durable outbox.

:mod:`sync_protocol` decides and does no I/O; this package does the I/O a phone would
(HTTP with urllib in :mod:`sync_client.client`, a SQLite file in :mod:`sync_client.outbox`)
and asks the core for every rule it applies. It uses the standard library and
``sync_protocol`` only, so it runs anywhere Python does.
"""
