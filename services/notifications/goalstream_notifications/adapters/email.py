"""Sending one email attempt over SMTP (aiosmtplib): the rendered content as multipart/alternative.

What counts as what:
- accepted (250 after the message): delivered, with status code 250;
- a 5xx reply to RCPT TO or to the message (DATA): the server refuses this recipient or this
  message for good, so the attempt is `permanent` and the delivery is dead at once;
- anything else (no connection, a timeout, TLS or AUTH failure, a 4xx, a 5xx to EHLO or MAIL
  FROM): a failed attempt, retried on the schedule. Those are usually the server's or our own
  configuration's trouble, which an operator can fix before the attempts run out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from goalstream_notifications.adapters.webhook import describe_error, printable
from goalstream_notifications.domain.addresses import domain_of, mailbox
from goalstream_notifications.domain.render import EmailContent
from goalstream_notifications.domain.retry import AttemptResult

MAX_ERROR_CHARS = 500  # as the webhook channel
ACCEPTED = 250  # the reply to the end of DATA when the server takes the message


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    from_: str  # the From header: "Name <address>" or an address
    timeout_seconds: float
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False


def message_id(delivery_id: str, from_address: str) -> str:
    """The same on every attempt of one delivery, so mail clients and archives see one message."""
    return f"<{delivery_id}@{domain_of(from_address)}>"


def build_message(
    config: SmtpConfig, to: str, delivery_id: str, content: EmailContent, now: datetime
) -> tuple[EmailMessage, str]:
    """The MIME message (plain text first, then HTML) and the envelope sender."""
    header, sender = mailbox(config.from_)
    message = EmailMessage()
    message["Subject"] = content.subject
    message["From"] = header
    message["To"] = to
    message["Date"] = format_datetime(now)  # this attempt's time; Message-ID is what stays the same
    message["Message-ID"] = message_id(delivery_id, sender)
    message["X-Goalstream-Delivery-Id"] = delivery_id
    for name, value in content.headers:
        message[name] = value
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    return message, sender


class EmailSender:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, to: str, delivery_id: str, body: bytes, now: datetime) -> AttemptResult:
        """Send the stored content to `to`; never raises for what the server or the network does."""
        config = self.config
        try:
            message, sender = build_message(config, to, delivery_id, EmailContent.from_json(body), now)
            # aiosmtplib's timeout bounds each command; this bounds the whole attempt (the claim lease).
            async with asyncio.timeout(config.timeout_seconds):
                await aiosmtplib.send(
                    message,
                    sender=sender,
                    recipients=[to],
                    hostname=config.host,
                    port=config.port,
                    username=config.username,
                    password=config.password,
                    use_tls=config.ssl,
                    start_tls=config.starttls,
                    timeout=config.timeout_seconds,
                )
        except TimeoutError:  # aiosmtplib's own timeouts are TimeoutErrors too
            return AttemptResult(status_code=None, error=f"no answer within {config.timeout_seconds:g}s")
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            return _refused(codes[0] if codes else None, f"recipient refused: {detail}", stage_is_final=True)
        except aiosmtplib.SMTPDataError as exc:
            return _refused(exc.code, f"message refused: {exc.code} {exc.message}", stage_is_final=True)
        except aiosmtplib.SMTPResponseException as exc:
            # EHLO, STARTTLS, AUTH, MAIL FROM: the session, not this recipient or message.
            return _refused(exc.code, f"{type(exc).__name__}: {exc.code} {exc.message}", stage_is_final=False)
        except (aiosmtplib.SMTPException, OSError, ValueError, KeyError) as exc:
            return AttemptResult(status_code=None, error=describe_error(exc))
        return AttemptResult(status_code=ACCEPTED)


def _refused(code: int | None, error: str, *, stage_is_final: bool) -> AttemptResult:
    permanent = stage_is_final and code is not None and 500 <= code < 600
    return AttemptResult(status_code=code, error=printable(error)[:MAX_ERROR_CHARS], permanent=permanent)
