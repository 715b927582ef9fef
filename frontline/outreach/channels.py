"""How a message leaves Frontline: one adapter per way out, behind one interface.

* ``EmailAdapter``: Django's e-mail backend (real SMTP in production, ``EMAIL_URL``).
* ``TwilioAdapter``: SMS and WhatsApp through Twilio's Messages API (form-encoded POST to
  ``/2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP basic auth).
* ``LogAdapter``: development; writes the message to the log and pretends it was sent.

An adapter answers a ``SendResult`` or raises ``TemporaryFailure`` (worth retrying: a 429,
a 5xx, a dropped connection) or ``PermanentFailure`` (never: an invalid number, an
unsubscribed recipient, a refused address).
"""

from __future__ import annotations

import json
import logging
import smtplib
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("frontline.outreach")

# Twilio error codes that say something about the recipient rather than the request.
TWILIO_INVALID_NUMBER = "21211"
TWILIO_UNSUBSCRIBED = "21610"


@dataclass(frozen=True)
class OutgoingMessage:
    idempotency_key: str
    channel: str
    to: str
    text: str
    subject: str = ""
    html: str = ""
    reply_to: str = ""
    # WhatsApp templates approved at the provider: its id and the numbered variables.
    content_sid: str = ""
    content_variables: dict[str, str] = field(default_factory=dict)
    status_callback: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_id: str
    from_address: str = ""


class TemporaryFailure(Exception):
    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentFailure(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class ChannelAdapter(Protocol):
    def send(self, message: OutgoingMessage) -> SendResult: ...


def message_id_for(idempotency_key: str) -> str:
    """The e-mail's Message-ID: derived from the key, so every attempt carries the same one and
    the receiving side can tell a retry from a new message."""
    domain = settings.OUTREACH_REPLY_DOMAIN or "frontline.local"
    return f"<{idempotency_key}@{domain}>"


class EmailAdapter:
    def __init__(self, connection: BaseEmailBackend | None = None) -> None:
        self.connection = connection

    def send(self, message: OutgoingMessage) -> SendResult:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            reply_to=[message.reply_to] if message.reply_to else None,
            headers={"Message-ID": message_id_for(message.idempotency_key)},
            connection=self.connection or get_connection(fail_silently=False),
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        try:
            if self.connection is not None:
                # A shared session stays open for the next e-mail (its owner closes it): the
                # backend opens one itself only to close it again after this e-mail, which
                # would cost every e-mail a connection, a greeting, an EHLO and a QUIT.
                self.connection.open()
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentFailure("recipient_refused", _smtp_reason(error)) from error
        except smtplib.SMTPResponseException as error:
            # 4xx: the server asks us to come back later; 5xx: it will never take it.
            if 400 <= error.smtp_code < 500:
                raise TemporaryFailure(f"SMTP {error.smtp_code}") from error
            raise PermanentFailure(f"smtp_{error.smtp_code}", _smtp_reason(error)) from error
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"SMTP unreachable: {error.__class__.__name__}") from error
        return SendResult(
            provider_id=message_id_for(message.idempotency_key),
            from_address=settings.DEFAULT_FROM_EMAIL,
        )


def _smtp_reason(error: Exception) -> str:
    return str(error)[:300]


class TwilioAdapter:
    """Twilio's Messages API, as its public documentation describes it.

    The request carries an ``Idempotency-Key`` header with the message's key, so a provider
    (or a proxy in front of it) that honours it answers a retried request with the message it
    created the first time; our own claim on the row is what keeps Frontline from asking twice
    in the ordinary case.
    """

    def __init__(self, client: httpx.Client | None = None) -> None:
        self.client = client

    def send(self, message: OutgoingMessage) -> SendResult:
        sender = self._sender(message.channel)
        form = {"To": _address(message.channel, message.to), "From": sender}
        if message.content_sid:
            form["ContentSid"] = message.content_sid
            form["ContentVariables"] = json.dumps(message.content_variables)
        else:
            form["Body"] = message.text
        if message.status_callback:
            form["StatusCallback"] = message.status_callback
        url = (
            f"{settings.TWILIO_API_URL.rstrip('/')}/2010-04-01/Accounts/"
            f"{settings.TWILIO_ACCOUNT_SID}/Messages.json"
        )
        try:
            response = self._client().post(
                url,
                data=form,
                auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
                headers={"Idempotency-Key": message.idempotency_key},
                timeout=settings.TWILIO_TIMEOUT_SECONDS,
            )
        except httpx.TransportError as error:
            raise TemporaryFailure(f"provider unreachable: {error.__class__.__name__}") from error
        return _twilio_result(response, sender)

    def _client(self) -> httpx.Client:
        if self.client is None:
            self.client = httpx.Client()
        return self.client

    @staticmethod
    def _sender(channel: str) -> str:
        if channel == "whatsapp":
            return _address(channel, settings.TWILIO_WHATSAPP_FROM)
        return settings.TWILIO_SMS_FROM


def _address(channel: str, number: str) -> str:
    """WhatsApp addresses are the number prefixed with ``whatsapp:``."""
    if channel == "whatsapp" and not number.startswith("whatsapp:"):
        return f"whatsapp:{number}"
    return number


def _twilio_result(response: httpx.Response, sender: str) -> SendResult:
    if response.status_code in (200, 201):
        body = response.json()
        return SendResult(provider_id=str(body["sid"]), from_address=sender)
    if response.status_code == 429 or response.status_code >= 500:
        raise TemporaryFailure(
            f"provider answered {response.status_code}",
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    code, text = _twilio_error(response)
    raise PermanentFailure(code, text)


def _twilio_error(response: httpx.Response) -> tuple[str, str]:
    """Twilio's error body: ``{"code": 21211, "message": "...", "status": 400, ...}``."""
    try:
        body = response.json()
    except ValueError:
        return f"http_{response.status_code}", response.text[:300]
    if not isinstance(body, dict):
        return f"http_{response.status_code}", str(body)[:300]
    code = body.get("code") or f"http_{response.status_code}"
    return str(code), str(body.get("message") or "")[:300]


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class LogAdapter:
    """Development: nothing leaves the machine; the log says what would have."""

    def send(self, message: OutgoingMessage) -> SendResult:
        logger.info(
            "outreach %s to %s (not sent: log adapter): %s",
            message.channel,
            message.to,
            message.text[:200],
        )
        return SendResult(provider_id=f"log-{message.idempotency_key}", from_address="log")


def adapter_for(channel: str) -> ChannelAdapter:
    if channel == "email":
        return EmailAdapter()
    if settings.OUTREACH_SMS_BACKEND == "twilio":
        return TwilioAdapter()
    return LogAdapter()
