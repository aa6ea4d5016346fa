"""A push service on loopback: the receiving side of RFC 8030, for the tests.

Each browser the test makes (:meth:`PushService.browser`) has its own P-256 key pair and
auth secret and its own endpoint. A push to it must carry a VAPID JWT (RFC 8292) signed by
the server's key, for this origin, unexpired; its body is decrypted (aes128gcm, RFC 8291)
with the browser's private key, and the JSON inside is kept, in arrival order. A push that
fails a check is answered 400 and kept in ``refused``. An endpoint can be told to answer
410 (the browser unsubscribed) instead, or 503 (overloaded) a number of times first.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece  # type: ignore[import-untyped]
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    endpoint: str
    key: ec.EllipticCurvePrivateKey
    auth: bytes
    received: list[dict[str, Any]] = field(default_factory=list)
    gone: bool = False
    # How many pushes to answer 503 (the service is struggling) before taking one.
    unavailable: int = 0

    def subscription(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` would give."""
        public = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": _b64(public), "auth": _b64(self.auth)},
        }


def check_vapid(header: str, origin: str, server_key: str) -> None:
    """Raise ValueError unless ``header`` is ``vapid t=<JWT>, k=<key>`` with ``server_key``
    and a valid ES256 signature over claims for ``origin`` that have not expired."""
    if not header.startswith("vapid "):
        raise ValueError("not a vapid authorization")
    parts = dict(part.strip().split("=", 1) for part in header[len("vapid ") :].split(","))
    if parts.get("k") != server_key:
        raise ValueError("signed with another key")
    signing_input, _, signature = parts["t"].rpartition(".")
    claims = json.loads(_unb64(signing_input.split(".")[1]))
    if claims.get("aud") != origin or claims.get("exp", 0) < time.time() or "sub" not in claims:
        raise ValueError(f"bad claims {claims}")
    raw = _unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(server_key))
    try:
        public.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("bad signature") from None


class PushService:
    def __init__(self, server_key: str) -> None:
        self.server_key = server_key
        self.browsers: dict[str, Browser] = {}
        self.refused: list[str] = []
        self.lock = threading.Lock()
        self.origin = ""

    def browser(self) -> Browser:
        browser = Browser(
            f"{self.origin}/push/{uuid.uuid4().hex}",
            ec.generate_private_key(ec.SECP256R1()),
            uuid.uuid4().bytes,
        )
        self.browsers[browser.endpoint.rsplit("/", 1)[1]] = browser
        return browser

    def receive(self, path: str, headers: Any, body: bytes) -> int:
        browser = self.browsers.get(path.rsplit("/", 1)[-1])
        if browser is None or browser.gone:
            return 410
        with self.lock:
            if browser.unavailable > 0:
                browser.unavailable -= 1
                return 503
        try:
            check_vapid(headers.get("Authorization", ""), self.origin, self.server_key)
            if headers.get("Content-Encoding") != "aes128gcm" or headers.get("TTL") is None:
                raise ValueError("not an RFC 8291 push")
            plain = http_ece.decrypt(
                body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm"
            )
            message = json.loads(plain)
        except Exception as error:
            with self.lock:
                self.refused.append(repr(error))
            return 400
        with self.lock:
            browser.received.append(message)
        return 201


@contextmanager
def push_service(server_key: str) -> Iterator[PushService]:
    service = PushService(server_key)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(service.receive(self.path, self.headers, body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        httpd.shutdown()
        httpd.server_close()
