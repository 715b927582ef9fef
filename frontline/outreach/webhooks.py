"""What the provider and the mail relay post to Frontline: signed, rate-limited, idempotent.

* ``twilio_inbound``: a customer's SMS or WhatsApp message (Twilio's incoming-message
  webhook: ``MessageSid``, ``From``, ``To``, ``Body``; WhatsApp addresses are
  ``whatsapp:+E164``). Answered with TwiML: empty, or the unsubscribe confirmation.
* ``twilio_status``: a delivery status callback (``MessageSid``, ``MessageStatus``,
  ``ErrorCode``). Twilio may send them out of order and more than once.
* ``email_inbound``: a reply e-mail, raw (RFC 5322), posted by the mail relay with an
  HMAC-SHA256 of the body in ``X-Frontline-Signature``.

A bad or missing signature is answered 403 and nothing is recorded.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from email.message import EmailMessage
from email.utils import parseaddr
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from frontline.core.text import without_nul
from frontline.outreach import services
from frontline.outreach.models import Channel, Conversation, Direction, Message
from frontline.outreach.signatures import relay_signature_valid, twilio_signature_valid

logger = logging.getLogger("frontline.outreach.webhooks")
WHATSAPP_PREFIX = "whatsapp:"
REPLY_TOKEN = re.compile(r"^reply\+([A-Za-z0-9_-]+)@", re.IGNORECASE)
MAX_EMAIL_BYTES = 2 * 1024 * 1024
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _public_url(request: HttpRequest) -> str:
    """The URL as the provider called it (and signed it): behind a proxy, the public base."""
    return settings.OUTREACH_WEBHOOK_BASE_URL.rstrip("/") + request.get_full_path()


def _twilio_verified(request: HttpRequest) -> bool:
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    valid = twilio_signature_valid(
        settings.TWILIO_AUTH_TOKEN,
        _public_url(request),
        params,
        request.headers.get("X-Twilio-Signature", ""),
    )
    if not valid:
        logger.warning(
            "outreach webhook with a bad signature refused",
            extra={"path": request.path, "remote_addr": request.META.get("REMOTE_ADDR")},
        )
    return valid


def _refused() -> JsonResponse:
    return JsonResponse({"error": "bad signature"}, status=403)


def _twiml(text: str = "") -> HttpResponse:
    body = TWIML_EMPTY
    if text:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
            f"{escape(text)}</Message></Response>"
        )
    return HttpResponse(body, content_type="text/xml")


def _channel_and_number(address: str) -> tuple[str, str]:
    if address.startswith(WHATSAPP_PREFIX):
        return Channel.WHATSAPP, address.removeprefix(WHATSAPP_PREFIX)
    return Channel.SMS, address


def _posted(request: HttpRequest, name: str) -> str:
    """A field of a signed Twilio callback, without NUL (PostgreSQL cannot store it: the
    callback would fail, and Twilio retry it for hours)."""
    return without_nul(request.POST.get(name))


@csrf_exempt
@require_POST
@ratelimit(key="ip", rate=lambda group, request: settings.OUTREACH_WEBHOOK_RATE, block=True)
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not _twilio_verified(request):
        return _refused()
    sid = _posted(request, "MessageSid")
    sender = _posted(request, "From")
    if not sid or not sender:
        return JsonResponse({"error": "MessageSid and From are required"}, status=400)
    channel, number = _channel_and_number(sender)
    received = services.inbound_message_receive(
        channel=channel,
        from_address=number,
        to_address=_channel_and_number(_posted(request, "To"))[1],
        body=_posted(request, "Body"),
        provider_id=sid,
    )
    return _twiml(received.confirmation)


@csrf_exempt
@require_POST
@ratelimit(key="ip", rate=lambda group, request: settings.OUTREACH_WEBHOOK_RATE, block=True)
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _twilio_verified(request):
        return _refused()
    sid = _posted(request, "MessageSid")
    status = _posted(request, "MessageStatus")
    if not sid or not status:
        return JsonResponse({"error": "MessageSid and MessageStatus are required"}, status=400)
    services.delivery_status_record(
        provider_id=sid,
        provider_status=status,
        error_code=_posted(request, "ErrorCode"),
        # Twilio marks its retries of one webhook with the same token.
        dedupe_key=without_nul(request.headers.get("I-Twilio-Idempotency-Token")),
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
@ratelimit(key="ip", rate=lambda group, request: settings.OUTREACH_WEBHOOK_RATE, block=True)
def email_inbound(request: HttpRequest) -> HttpResponse:
    if len(request.body) > MAX_EMAIL_BYTES:
        return JsonResponse({"error": "the e-mail is too large"}, status=413)
    secret = settings.OUTREACH_INBOUND_EMAIL_SECRET
    if not relay_signature_valid(
        secret, request.body, request.headers.get("X-Frontline-Signature", "")
    ):
        return _refused()
    parsed = email.message_from_bytes(request.body, policy=email.policy.default)
    if not isinstance(parsed, EmailMessage):
        return JsonResponse({"error": "not an e-mail"}, status=400)
    sender = without_nul(parseaddr(str(parsed.get("From", "")))[1])
    message_id = without_nul(str(parsed.get("Message-ID", ""))).strip()
    if not sender or not message_id:
        return JsonResponse({"error": "From and Message-ID are required"}, status=400)
    received = services.inbound_message_receive(
        channel=Channel.EMAIL,
        from_address=sender,
        to_address=without_nul(parseaddr(str(parsed.get("To", "")))[1]),
        subject=without_nul(str(parsed.get("Subject", ""))),
        body=without_nul(reply_text(parsed)),
        provider_id=message_id,
        conversation=_conversation_of(parsed),
    )
    matched = received.message is not None and received.message.customer_id is not None
    return JsonResponse({"matched": matched, "unsubscribed": received.opted_out}, status=202)


def _conversation_of(parsed: EmailMessage) -> Conversation | None:
    """The thread the reply belongs to: by the reply+token address, else by the message it
    answers (In-Reply-To names our Message-ID)."""
    for header in ("To", "Delivered-To", "Cc"):
        for _, address in email.utils.getaddresses([str(v) for v in parsed.get_all(header, [])]):
            match = REPLY_TOKEN.match(address)
            if match:
                found = Conversation.objects.filter(reply_token=match[1]).first()
                if found is not None:
                    return found
    answered = without_nul(str(parsed.get("In-Reply-To", ""))).strip()
    if answered:
        original = (
            Message.objects.filter(provider_id=answered, direction=Direction.OUTBOUND)
            .select_related("conversation")
            .first()
        )
        if original is not None:
            return original.conversation
    return None


QUOTE_HEADER = re.compile(r"^On .+ wrote:$|^Le .+ a écrit :$|^El .+ escribió:$")


def reply_text(parsed: EmailMessage) -> str:
    """The customer's own words: the plain-text part without the quoted message below it."""
    part = parsed.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    kept: list[str] = []
    for line in str(text).splitlines():
        if line.startswith(">") or QUOTE_HEADER.match(line.strip()):
            break
        kept.append(line)
    return "\n".join(kept).strip()[:4000]
