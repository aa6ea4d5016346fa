"""Logging: one JSON object per line in production, readable lines in development.

Nothing here ever formats a request's headers or body, so tokens, passwords and share
tokens cannot reach a log line through it; no line carries a path's query string.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

ACCESS_LOGGER = "touchline.access"
# Attributes every record has, and uvicorn's terminal-coloured copy of its message.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class WithoutQueryStrings(logging.Filter):
    """Cut the query string off every path a record carries: uvicorn names a WebSocket's
    full path in its lines, and a careless client may put a token in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_path_only(arg) for arg in record.args)
        return True


def _path_only(value: object) -> object:
    if isinstance(value, str) and value.startswith("/") and "?" in value:
        return value.partition("?")[0]
    return value


# Control characters (C0, DEL, C1) and Unicode's own line breaks: a client can put any of
# them in a request path, and written raw they would end a log line and forge the next.
_UNPRINTABLE = {
    **{code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]},
    ord("\t"): "\\t",
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def escaped(text: str) -> str:
    """``text`` on one line: every control character and line break written as its escape
    (``\\r``, ``\\n``, ``\\x00``, ...), so that, as in the JSON format, one
    record stays one line whatever a client sent."""
    return text.translate(_UNPRINTABLE)


class ReadableFormatter(logging.Formatter):
    """One line per record, except the traceback of an exception, which follows it."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{k}={escaped(str(v))}" for k, v in record.__dict__.items() if k not in _STANDARD
        )
        line = f"{record.levelname:<7} {record.name}: {escaped(record.getMessage())}"
        line = f"{line} {extras}" if extras else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def logging_config(json_lines: bool, level: str = "INFO") -> dict[str, Any]:
    """A dictConfig for the app and uvicorn (whose own access log stays off)."""
    formatter = {"()": JsonFormatter if json_lines else ReadableFormatter}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["without_query_strings"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {"without_query_strings": {"()": WithoutQueryStrings}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "propagate": False},
            # /readyz asks Alembic for the current revision on every probe.
            "alembic": {"level": "WARNING"},
        },
    }
