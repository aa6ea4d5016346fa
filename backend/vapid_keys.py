"""VAPID keys: the server's identity to push services (RFC 8292).

A key is a P-256 private scalar, written as 32 bytes in unpadded base64url: the form
``TOUCHLINE_VAPID_PRIVATE_KEY`` takes and ``touchline push keys`` prints. Browsers need
the matching public key (65 bytes, uncompressed point, base64url) as the
``applicationServerKey`` of their subscription.
"""

from __future__ import annotations

import argparse
import base64
import json


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_private_key() -> str:
    # cryptography is imported here and below, not at start-up: a server without alerts
    # never loads it.
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

    scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return b64url(scalar.to_bytes(32, "big"))


def public_key(private_key: str) -> str:
    """The browser-facing public key of a configured private key; ValueError if it is not
    a P-256 key written as above."""
    try:
        raw = b64url_decode(private_key)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ValueError("a VAPID private key is 32 bytes in base64url (touchline push keys)")
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: PLC0415

    key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    return b64url(key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def print_keys(args: argparse.Namespace) -> int:
    private = generate_private_key()
    pair = {"TOUCHLINE_VAPID_PRIVATE_KEY": private, "public_key": public_key(private)}
    if args.json:
        print(json.dumps(pair))
    else:
        print(f"TOUCHLINE_VAPID_PRIVATE_KEY={private}")
        print(f"# public key (served at GET /api/watch/push): {pair['public_key']}")
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    push_parser = commands.add_parser("push", help="Web Push alerts")
    push_commands = push_parser.add_subparsers(dest="push_command", required=True)
    keys_parser = push_commands.add_parser(
        "keys",
        help="print a new VAPID key pair",
        description="Set the printed TOUCHLINE_VAPID_PRIVATE_KEY (and TOUCHLINE_VAPID_SUBJECT) "
        "on every instance. A new key unsubscribes nobody on the server, but browsers "
        "subscribed with the old key must subscribe again.",
    )
    keys_parser.add_argument("--json", action="store_true", help="print the pair as JSON")
    keys_parser.set_defaults(handler=print_keys)
