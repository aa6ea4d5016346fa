"""Sending mail through the operator's SMTP server, named by one URL
(``TOUCHLINE_SMTP_URL``).

- ``smtp://user:pass@host:587``: plain connection, upgraded with STARTTLS whenever the
  server offers it; ``?starttls=required`` refuses to send without it. A password is
  never sent in the clear: with a login, a server off this machine must offer STARTTLS.
- ``smtps://user:pass@host:465``: TLS from the first byte.

Certificates are verified against the system's store (``SSL_CERT_FILE`` names another, as
for any OpenSSL program). User and password are percent-decoded. Sending blocks: call
:meth:`Mailer.deliver` (which runs it in a worker thread) from the event loop.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import anyio

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
SEND_TIMEOUT_SECONDS = 30.0


class MailError(Exception):
    """The mail could not be handed to the SMTP server."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    require_starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Parse ``TOUCHLINE_SMTP_URL``; ValueError naming the setting if it is not one."""
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["auto"])[-1]
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname or port == -1:
            raise ValueError(
                "TOUCHLINE_SMTP_URL: smtp://user:password@host:587 or smtps://user:password@host:465"
            )
        if starttls not in {"auto", "required"} or set(query) - {"starttls"}:
            raise ValueError("TOUCHLINE_SMTP_URL: the only option is ?starttls=required")
        return cls(
            host=parts.hostname,
            port=port or DEFAULT_PORTS[parts.scheme],
            implicit_tls=parts.scheme == "smtps",
            require_starttls=starttls == "required",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


def send(server: SmtpServer, message: EmailMessage) -> None:
    """Hand ``message`` to ``server``, blocking until it accepts or refuses; MailError if
    it refuses, cannot be reached, or (when required) will not start TLS."""
    context = ssl.create_default_context()
    try:
        client = (
            smtplib.SMTP_SSL(
                server.host, server.port, timeout=SEND_TIMEOUT_SECONDS, context=context
            )
            if server.implicit_tls
            else smtplib.SMTP(server.host, server.port, timeout=SEND_TIMEOUT_SECONDS)
        )
        with client:
            client.ehlo()
            if not server.implicit_tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif not server.implicit_tls and (server.require_starttls or exposes_password(server)):
                raise MailError(f"{server.host} does not offer STARTTLS")
            if server.username is not None:
                client.login(server.username, server.password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{server.host}:{server.port}: {exc}") from exc


def exposes_password(server: SmtpServer) -> bool:
    """True if logging in without TLS would send the password over a network: a relay on
    the same machine may take it in the clear, nothing else may."""
    if server.username is None or server.host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(server.host).is_loopback
    except ValueError:
        return True


class Mailer:
    """Sends from ``sender`` through ``server``, off the event loop."""

    def __init__(self, server: SmtpServer, sender: str):
        self.server = server
        self.sender = sender

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2].strip("> "))
        message.set_content(body)
        return message

    async def deliver(self, message: EmailMessage) -> None:
        """Send in a worker thread. Meant to run after the answer has gone (a background
        task), so a failure is logged rather than raised: nobody is left to tell."""
        try:
            await anyio.to_thread.run_sync(send, self.server, message)
        except MailError as exc:
            log.warning("mail to the SMTP server failed: %s", exc)
