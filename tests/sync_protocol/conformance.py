"""Replay ``sync_protocol/conformance/sync-3.json`` against a server, and keep SPEC.md's
worked examples equal to it.

The file is one scripted conversation (SPEC.md, "The conformance file"). Each step's
request is sent with the placeholders of earlier answers filled in; each answer is
*normalised* (server-made values turned back into placeholders) and must then equal the
step's ``response`` exactly. Regenerating the file is the same replay, writing the
normalised answers instead of comparing them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sync_protocol
from tests.e2e.server import Server

CONFORMANCE = Path(sync_protocol.__file__).with_name("conformance") / "sync-3.json"
SPEC = Path(sync_protocol.__file__).with_name("SPEC.md")
UPDATE_VARIABLE = "TOUCHLINE_UPDATE_CONFORMANCE"

PLACEHOLDER = re.compile(r"<([a-z][a-z0-9_.]*)(\|hex)?>")
TIME_KEYS = frozenset(
    {"server_time", "created_at", "updated_at", "last_seen_at", "synced_at", "expires_at"}
)
"""Keys whose string values are the server's clock: ``<time>`` in the file."""
ANY_KEYS = frozenset({"expires_in"})
"""Keys whose values are the server's configuration: ``<any>`` in the file."""
WILDCARDS = frozenset({"time", "any"})

EXAMPLE = re.compile(
    r"<!-- conformance: (?P<name>[a-z0-9_]+) -->\n(?P<body>.*?)<!-- /conformance -->",
    re.DOTALL,
)


def load() -> dict[str, Any]:
    conformance: dict[str, Any] = json.loads(CONFORMANCE.read_text())
    return conformance


def save(conformance: Mapping[str, Any]) -> None:
    CONFORMANCE.write_text(json.dumps(conformance, indent=2, ensure_ascii=False) + "\n")


def fill(value: Any, bindings: Mapping[str, str]) -> Any:
    """``value`` (a request) with every ``<name>`` and ``<name|hex>`` replaced by its value."""
    if isinstance(value, dict):
        return {key: fill(item, bindings) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, bindings) for item in value]
    if not isinstance(value, str):
        return value

    def one(found: re.Match[str]) -> str:
        name, hex_form = found.group(1), found.group(2)
        if name not in bindings:
            raise KeyError(f"<{name}> is used before any answer gave it a value")
        return bindings[name].replace("-", "") if hex_form else bindings[name]

    return PLACEHOLDER.sub(one, value)


def _at(body: Any, path: str) -> Any:
    for part in path.split("."):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def _put(body: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        body = body[int(part)] if isinstance(body, list) else body[part]
    if isinstance(body, list):
        body[int(last)] = value
    else:
        body[last] = value


def normalise(body: Any, bindings: dict[str, str], capture: Mapping[str, str]) -> Any:
    """An answer as the file writes it. First each ``capture`` path (dotted, into the
    body) binds its value to the name given and becomes ``<name>``; then every string
    holding a bound value shows its placeholder (``<name|hex>`` for an id written bare),
    and the server's clock and configuration become ``<time>`` and ``<any>``."""
    body = json.loads(json.dumps(body))
    for path, name in capture.items():
        value = _at(body, path)
        assert isinstance(value, str), (path, value)
        bindings[name] = value
        _put(body, path, f"<{name}>")
    captured = {f"<{name}>" for name in capture.values()}
    known = sorted(bindings.items(), key=lambda item: -len(item[1]))

    def text(value: str) -> str:
        if value in captured:
            return value
        for name, bound in known:
            value = value.replace(bound, f"<{name}>")
            if _is_uuid(bound):
                value = value.replace(bound.replace("-", ""), f"<{name}|hex>")
        return value

    def walk(value: Any, key: str | None = None) -> Any:
        if key in ANY_KEYS:
            return "<any>"
        if key in TIME_KEYS and isinstance(value, str):
            return "<time>"
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return text(value) if isinstance(value, str) else value

    return walk(body)


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def replay(server: Server, conformance: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every step sent in order to ``server``; returns each step with its normalised
    answer as ``response`` (the caller compares, or saves)."""
    bindings: dict[str, str] = {}
    answered = []
    for step in conformance["steps"]:
        request = fill(step["request"], bindings)
        answer = server.request(
            request["method"], request["path"], request.get("body"), request.get("token")
        )
        body = normalise(answer.body, bindings, step.get("capture", {}))
        answered.append(step | {"response": {"status": answer.status, "body": body}})
    return answered


def render(step: Mapping[str, Any]) -> str:
    """A step as SPEC.md shows it between its markers."""
    request, response = step["request"], step["response"]
    lines = [f"Request: `{request['method']} {request['path']}`"]
    if "token" in request:
        lines[0] += f" with `Authorization: Bearer {request['token']}`"
    if "body" in request:
        lines += ["", "```json", json.dumps(request["body"], indent=2), "```"]
    lines += ["", f"Response ({response['status']}):", ""]
    if response["body"] is None:
        lines[-2] = f"Response ({response['status']}), no body."
        lines.pop()
    else:
        lines += ["```json", json.dumps(response["body"], indent=2), "```"]
    return "\n".join(lines) + "\n"


def spec_examples(spec: str) -> dict[str, str]:
    """The worked examples embedded in SPEC.md, by step name."""
    return {found["name"]: found["body"] for found in EXAMPLE.finditer(spec)}


def with_examples(spec: str, steps: Mapping[str, Mapping[str, Any]]) -> str:
    """SPEC.md with every embedded example rewritten from its step."""

    def one(found: re.Match[str]) -> str:
        name = found["name"]
        return f"<!-- conformance: {name} -->\n{render(steps[name])}<!-- /conformance -->"

    return EXAMPLE.sub(one, spec)
