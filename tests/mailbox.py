"""A real SMTP server (aiosmtpd) on a free loopback port, for tests that follow the links
Touchline mails. It keeps every message it accepts, with how it was delivered (over TLS,
after logging in), and hands them out in order of arrival."""

from __future__ import annotations

import datetime
import ipaddress
import queue
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.server import free_port

USER, SECRET = "touchline", "mail-secret"
LINK = re.compile(r"https?://\S+#reset=\S+")
WAIT_SECONDS = 20


@dataclass(frozen=True)
class Received:
    message: EmailMessage
    recipients: list[str]
    over_tls: bool
    logged_in: bool

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        return str(body.get_content())  # type: ignore[attr-defined]

    @property
    def link(self) -> str:
        found = LINK.search(self.text)
        assert found, self.text
        return found.group(0)


class _Collect:
    def __init__(self, inbox: queue.Queue[Received]):
        self.inbox = inbox

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        message = message_from_bytes(envelope.content or b"", policy=policy.default)  # type: ignore[arg-type]
        self.inbox.put(
            Received(
                message,  # type: ignore[arg-type]
                list(envelope.rcpt_tos),
                over_tls=server.transport.get_extra_info("sslcontext") is not None,
                logged_in=session.authenticated,
            )
        )
        return "250 OK"


def _authenticate(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        SECRET.encode(),
    )
    return AuthResult(success=ok)


class Mailbox:
    def __init__(self, url: str, inbox: queue.Queue[Received]):
        self.url = url
        self._inbox = inbox

    def next(self) -> Received:
        """The next message to arrive; fails the test if none does in good time."""
        try:
            return self._inbox.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            raise AssertionError("no mail arrived") from None

    def empty(self) -> bool:
        return self._inbox.empty()


def certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 and localhost: (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def smtp_server(
    security: str = "plain", tls_files: tuple[Path, Path] | None = None
) -> Iterator[Mailbox]:
    """A running SMTP server. ``security``: ``plain`` (no TLS, no login), ``starttls``
    (STARTTLS and login required) or ``tls`` (implicit TLS, login offered); the last two
    need ``tls_files`` from :func:`certificate`. ``Mailbox.url`` is what
    ``TOUCHLINE_SMTP_URL`` would be set to."""
    inbox: queue.Queue[Received] = queue.Queue()
    port = free_port()
    options: dict[str, Any] = {}
    context = None
    if security != "plain":
        assert tls_files is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls_files)
        options = {"authenticator": _authenticate, "auth_required": True}
    if security == "starttls":
        options |= {"tls_context": context, "require_starttls": True}
    if security == "tls":
        # aiosmtpd counts only STARTTLS as TLS when it decides whether to offer a login
        # (and warns when a login is required without it); here the whole connection is
        # TLS. The login is offered, and Received.logged_in says whether it was used.
        options |= {"auth_require_tls": False, "auth_required": False}
    controller = Controller(
        _Collect(inbox),
        hostname="127.0.0.1",
        port=port,
        ssl_context=context if security == "tls" else None,
        **options,
    )
    controller.start()
    try:
        scheme = "smtps" if security == "tls" else "smtp"
        login = f"{USER}:{SECRET}@" if security != "plain" else ""
        query = "?starttls=required" if security == "starttls" else ""
        yield Mailbox(f"{scheme}://{login}127.0.0.1:{port}{query}", inbox)
    finally:
        controller.stop()
