"""The body of a sync response: the envelope's members and the page of changes, as JSON.

Pure. A change reaches this module already serialised (the server writes each record once,
``paging`` measures and cuts the page over that text), so the body is the envelope with the
change texts set into its ``changes`` array. :func:`encode_response` says what the body is;
:func:`join_response` writes the same bytes without parsing a catch-up page of megabytes
back into objects only to print it again. A property test holds the two equal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_COMPACT = (",", ":")


def encode_response(members: Mapping[str, Any], changes: list[str]) -> bytes:
    """The plain way: ``{"changes": [...], **members}`` as compact JSON, each change text
    read back into its value."""
    body = {"changes": [json.loads(text) for text in changes], **members}
    return json.dumps(body, separators=_COMPACT).encode()


def join_response(members: Mapping[str, Any], changes: list[str]) -> bytes:
    """:func:`encode_response`'s bytes, with each change text copied in as it is.

    Each text must be compact JSON as ``json.dumps(..., separators=(",", ":"))`` writes it.
    ``changes`` is consumed: its texts are let go as the body is joined, so a page is held
    about twice at the peak rather than three times."""
    envelope = json.dumps(dict(members), separators=_COMPACT)
    head = '{"changes":['
    tail = ("]," + envelope[1:]) if members else "]}"
    if not changes:
        return (head + tail).encode()
    changes[0] = head + changes[0]
    changes[-1] += tail
    text = ",".join(changes)
    changes.clear()
    return text.encode()
