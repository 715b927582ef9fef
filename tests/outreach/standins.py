"""Real servers standing in for the outside world of outreach, built from the vendors' docs.

``TwilioStandIn`` answers Twilio's Messages API over real HTTP (pytest-httpserver) as Twilio
documents it: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded, HTTP
basic auth with the account SID and auth token (401, code 20003, otherwise); ``To`` must be
E.164 (``whatsapp:+E164`` for WhatsApp) or it answers 400 with code 21211; a recipient who
replied STOP answers 400 with code 21610; a ``ContentSid`` (a Content template, which
WhatsApp requires outside the 24-hour window) must match ``^HX[0-9a-fA-F]{32}$`` and, where the
test lists the account's templates in ``contents``, be one of them (400, code 21655), with
``ContentVariables`` a JSON object of strings of at most 255 characters; success is 201 with
the new Message resource (``sid`` "SM" + 32 hex digits, ``status`` "queued"). Errors have
Twilio's body ``{"code", "message", "more_info", "status"}``. Faults (429 with code 20429, 500) are
injected per test. It does *not* deduplicate on ``Idempotency-Key``: Twilio's public docs
promise no such thing, so the tests see whether Frontline itself ever asks twice.

``signed_form`` signs a callback as Twilio does (``X-Twilio-Signature``): HMAC-SHA1 keyed with
the auth token over the full URL followed by the sorted parameters' names and values, base64.

``SmtpSink`` is a real SMTP server (aiosmtpd) that keeps every message it accepts, or answers
scripted SMTP replies (451 try later, 550 no such user).
"""

from __future__ import annotations

import base64
import email
import email.parser
import email.policy
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import free_port

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "stand-in-auth-token-0123456789abcdef"
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
# Twilio's documented limit on a Content template variable's value.
CONTENT_VARIABLE_LENGTH = 255


@dataclass
class Created:
    sid: str
    form: dict[str, str]
    idempotency_key: str


@dataclass
class TwilioStandIn:
    server: HTTPServer
    created: list[Created] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    unsubscribed: set[str] = field(default_factory=set)
    faults: deque[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=deque)
    # The account's Content templates by SID, with their text ("{{1}}" placeholders); None
    # accepts any well-formed SID.
    contents: dict[str, str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def start(self) -> TwilioStandIn:
        path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        self.server.expect_request(path, method="POST").respond_with_handler(self._create)
        return self

    def fail_next(self, status: int, code: int, message: str, **headers: str) -> None:
        self.faults.append((status, {"code": code, "message": message}, headers))

    def _error(self, status: int, code: int, message: str, headers: dict[str, str]) -> Response:
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return Response(json.dumps(body), status, headers, content_type="application/json")

    def _create(self, request: Request) -> Response:
        form = {key: request.form[key] for key in request.form}
        key = request.headers.get("Idempotency-Key", "")
        with self.lock:
            self.requests.append({"form": form, "idempotency_key": key})
            if not self._authorised(request):
                return self._error(401, 20003, "Authenticate", {})
            if self.faults:
                status, error, headers = self.faults.popleft()
                return self._error(status, error["code"], error["message"], headers)
            to = form.get("To", "").removeprefix("whatsapp:")
            if not E164.match(to):
                text = f"The 'To' number {to} is not a valid phone number."
                return self._error(400, 21211, text, {})
            if to in self.unsubscribed:
                return self._error(400, 21610, "Attempt to send to unsubscribed recipient", {})
            if not form.get("Body") and not form.get("ContentSid"):
                return self._error(400, 21602, "Message body is required.", {})
            if form.get("ContentSid") and not self._content_valid(form):
                return self._error(400, 21655, "The ContentSid is Invalid", {})
            sid = "SM" + secrets.token_hex(16)
            self.created.append(Created(sid=sid, form=form, idempotency_key=key))
        resource = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "status": "queued",
            "to": form["To"],
            "from": form.get("From"),
            "body": form.get("Body", ""),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "num_segments": "1",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
        }
        return Response(json.dumps(resource), 201, content_type="application/json")

    def _content_valid(self, form: dict[str, str]) -> bool:
        sid = form["ContentSid"]
        if not CONTENT_SID.match(sid) or (self.contents is not None and sid not in self.contents):
            return False
        try:
            variables = json.loads(form.get("ContentVariables") or "{}")
        except ValueError:
            return False
        return isinstance(variables, dict) and all(
            isinstance(value, str) and len(value) <= CONTENT_VARIABLE_LENGTH
            for value in variables.values()
        )

    def content_text(self, created: Created) -> str:
        """What the customer reads: the template's text with the request's variables."""
        assert self.contents is not None
        variables = json.loads(created.form.get("ContentVariables") or "{}")
        text = self.contents[created.form["ContentSid"]]
        return re.sub(r"\{\{(\w+)\}\}", lambda match: variables.get(match[1], ""), text)

    @staticmethod
    def _authorised(request: Request) -> bool:
        auth = request.authorization
        return bool(auth and auth.username == ACCOUNT_SID and auth.password == AUTH_TOKEN)


def twilio_sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_form(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    """Headers of a webhook Twilio would post to ``url`` with these form parameters."""
    return {"X-Twilio-Signature": twilio_sign(url, params, token)}


class SmtpSink:
    """aiosmtpd on a free loopback port; ``replies`` scripts the next DATA answers.

    It keeps what it accepts as the bytes it received and, for every DATA it answered, the
    SMTP session (the client's address and port, one per connection) it came over. It parses
    the messages only when ``received`` is read: parsing in the server's thread made the
    stand-in, not the sender, much of what a benchmark measured.
    """

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.sessions: list[tuple[str, int]] = []
        self._parsed: list[EmailMessage] = []
        self.replies: deque[str] = deque()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server: object, session: Any, envelope: Any) -> str:
        self.sessions.append(tuple(session.peer))
        if self.replies:
            return self.replies.popleft()
        self.raw.append(envelope.content)
        return "250 Message accepted for delivery"

    @property
    def received(self) -> list[EmailMessage]:
        """Every message accepted so far, parsed."""
        for content in self.raw[len(self._parsed) :]:
            parsed = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self._parsed.append(parsed)
        return list(self._parsed)

    def message_ids(self) -> list[str]:
        """The Message-ID of every message accepted so far (its headers alone are parsed)."""
        parser = email.parser.BytesHeaderParser(policy=email.policy.default)
        return [str(parser.parsebytes(content)["Message-ID"]) for content in self.raw]

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return int(self.controller.port)
