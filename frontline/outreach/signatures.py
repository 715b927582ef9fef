"""Request signatures: Twilio's on its webhooks, and the mail relay's on inbound e-mail.

Twilio signs each webhook with ``X-Twilio-Signature``: the base64 HMAC-SHA1, keyed with the
account's auth token, of the full URL it called followed by every POST parameter's name and
value, the names sorted, without separators and without URL-encoding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_valid(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str
) -> bool:
    if not auth_token or not given:
        return False
    return hmac.compare_digest(twilio_signature(auth_token, url, params), given)


def relay_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def relay_signature_valid(secret: str, body: bytes, given: str) -> bool:
    if not secret or not given:
        return False
    return hmac.compare_digest(relay_signature(secret, body), given)
