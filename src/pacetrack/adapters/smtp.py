"""Sending email over SMTP with the standard library.

TLS modes: ``none`` (plain, for a local relay), ``starttls`` (upgrade after
connecting, port 587) and ``tls`` (implicit TLS, port 465).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Literal

TlsMode = Literal["none", "starttls", "tls"]


class MailError(Exception):
    """The message could not be handed to the SMTP server."""


@dataclass(frozen=True, kw_only=True)
class SmtpConfig:
    host: str
    port: int = 587
    tls: TlsMode = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str = "PaceTrack <pacetrack@localhost>"
    timeout_seconds: float = 10.0


@dataclass(frozen=True, kw_only=True)
class OutgoingMail:
    to: str
    subject: str
    body: str
    idempotency_key: str
    """Sent as ``X-PaceTrack-Idempotency-Key`` so receivers can drop repeats."""


class SmtpMailer:
    """One connection per message: deliveries are few and a worker may sit idle for hours."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.tls == "tls":
            return smtplib.SMTP_SSL(
                config.host,
                config.port,
                timeout=config.timeout_seconds,
                context=ssl.create_default_context(),
            )
        connection = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        if config.tls == "starttls":
            connection.starttls(context=ssl.create_default_context())
        return connection

    def send(self, mail: OutgoingMail) -> None:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject.replace("\r", " ").replace("\n", " ")
        message["Message-ID"] = make_msgid(domain="pacetrack")
        message["X-PaceTrack-Idempotency-Key"] = mail.idempotency_key
        message.set_content(mail.body)
        try:
            with self._connect() as connection:
                if self.config.username:
                    connection.login(self.config.username, self.config.password or "")
                connection.send_message(message)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}") from exc
