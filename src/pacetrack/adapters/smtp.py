"""Sending email over SMTP with the standard library.

TLS modes: ``none`` (plain, for a local relay), ``starttls`` (upgrade after
connecting, port 587) and ``tls`` (implicit TLS, port 465).
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
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
    """Sends over one SMTP connection, kept open between messages and reused.

    The connection is opened (and logged in) for the first message and reused
    for the next ones; one left idle longer than ``idle_seconds`` is closed
    before the next message rather than trusted, since servers drop idle
    clients. A connection found dropped when a message starts is reopened once
    for that message. Messages go one at a time (a lock): SMTP is a
    conversation, and one connection carries one message at a time.
    """

    def __init__(self, config: SmtpConfig, *, idle_seconds: float = 30.0) -> None:
        self.config = config
        self.idle_seconds = idle_seconds
        self.connections_opened = 0
        """How many connections this mailer has opened (for operators and tests)."""
        self._connection: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = threading.Lock()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.tls == "tls":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host,
                config.port,
                timeout=config.timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            connection = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
            if config.tls == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if config.username:
            connection.login(config.username, config.password or "")
        self.connections_opened += 1
        return connection

    def _message(self, mail: OutgoingMail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject.replace("\r", " ").replace("\n", " ")
        message["Message-ID"] = make_msgid(domain="pacetrack")
        message["X-PaceTrack-Idempotency-Key"] = mail.idempotency_key
        message.set_content(mail.body)
        return message

    def send(self, mail: OutgoingMail) -> None:
        message = self._message(mail)
        with self._lock:
            try:
                self._send_reusing(message)
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                self._drop()
                raise MailError(f"{type(exc).__name__}: {exc}") from exc

    def _send_reusing(self, message: EmailMessage) -> None:
        if self._connection is not None and time.monotonic() - self._last_used > self.idle_seconds:
            self._drop()
        if self._connection is not None:
            try:
                self._connection.send_message(message)
                self._last_used = time.monotonic()
                return
            except smtplib.SMTPServerDisconnected:
                self._drop()  # dropped while idle: one fresh connection for this message
        self._connection = self._connect()
        self._connection.send_message(message)
        self._last_used = time.monotonic()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    def close(self) -> None:
        """Ends the kept connection (the worker calls it when it stops)."""
        with self._lock:
            self._drop()
