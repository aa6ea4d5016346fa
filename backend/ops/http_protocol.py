"""The HTTP/1.1 protocol ``touchline serve`` runs each connection with: uvicorn's httptools
one, refusing a request it cannot parse in the API's own terms.

A request httptools cannot parse (a non-numeric or negative ``Content-Length``, a bad
header byte, a broken request line) never reaches the app: uvicorn answers it itself with
a plain-text 400 and closes the connection. This subclass answers the same 400 with the
JSON error body and the security headers every other response carries, so a client
reads it like any other refusal. It overrides uvicorn's ``send_400_response`` by name.
"""

from __future__ import annotations

import json
import uuid

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from backend.ops.observer import BASE_HEADERS, CSP

UNPARSEABLE = json.dumps(
    {
        "error": {
            "code": "bad_request",
            "message": (
                "the request is not valid HTTP/1.1: check the request line and the headers "
                "(Content-Length must be a decimal number)"
            ),
            "field": None,
        }
    }
).encode()


class HttpProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        """Answer 400 with the error body and close: the stream cannot be read further."""
        headers = [
            *self.server_state.default_headers,
            *BASE_HEADERS,
            (b"content-security-policy", CSP.encode()),
            (b"x-request-id", uuid.uuid4().hex.encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(UNPARSEABLE)).encode()),
            (b"connection", b"close"),
        ]
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        self.transport.write(STATUS_LINE[400] + head + b"\r\n" + UNPARSEABLE)
        self.transport.close()
