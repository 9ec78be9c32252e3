"""Sending the KYC link by email: SMTP when `CUSTOMERBASE_SMTP_HOST` is set (port, TLS mode
and credentials configurable); otherwise, in development, each message is written to
`<data dir>/outbox/` as an `.eml` file. Mail goes out after the transaction commits, never
from inside it."""

from __future__ import annotations

import logging
import os
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from customerbase.config import Settings
from customerbase.kit.ids import uuid7

logger = logging.getLogger("customerbase.kyc.mail")


def kyc_message(
    settings: Settings, *, to: str, name: str | None, url: str, expires: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = "Complete your identity verification"
    message["Message-ID"] = make_msgid(domain="customerbase.local")
    greeting = f"Hello {name}," if name else "Hello,"
    message.set_content(
        f"{greeting}\n\nTo finish opening your account, verify your identity here:\n\n{url}\n\n"
        f"The link works once and expires at {expires}.\n"
        "If you did not ask for this, ignore this message.\n"
    )
    message.add_alternative(
        f"<p>{greeting}</p><p>To finish opening your account, verify your identity:</p>"
        f'<p><a href="{url}">Verify my identity</a></p>'
        f"<p>The link works once and expires at {expires}.</p>",
        subtype="html",
    )
    return message


async def send(settings: Settings, message: EmailMessage) -> str:
    """Deliver `message`; returns `sent` (SMTP), `written` (the development outbox) or
    `failed` (logged without the address)."""
    if settings.smtp_host:
        tls = settings.smtp_tls.lower()
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                use_tls=tls == "tls",
                start_tls=tls == "starttls",
                username=settings.smtp_username,
                password=password,
                timeout=settings.smtp_timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            logger.warning("KYC mail not delivered: %s", type(exc).__name__)
            return "failed"
        return "sent"
    if settings.is_production:
        logger.warning("KYC mail not sent: CUSTOMERBASE_SMTP_HOST is not set")
        return "failed"
    outbox = settings.data_dir / "outbox"
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = outbox / f"{uuid7()}.eml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(bytes(message))
    return "written"
