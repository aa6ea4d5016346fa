"""Crash points for fault-injection tests, inert unless explicitly armed.

A test starts a real server (or command) with ``TOUCHLINE_ENVIRONMENT=test`` and
``TOUCHLINE_CRASH_AT=<point>``; the process then kills itself with SIGKILL the first time
it reaches that point, exactly as a power cut or an OOM kill would. In any other
environment the variable is ignored.
"""

from __future__ import annotations

import os
import signal

POINTS = frozenset({"sync.before_commit", "sync.after_commit", "restore.before_replace"})


def crash_point(name: str) -> None:
    assert name in POINTS, name
    if os.environ.get("TOUCHLINE_ENVIRONMENT") != "test":
        return
    if os.environ.get("TOUCHLINE_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
