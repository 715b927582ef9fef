"""Webhooks in from the REST sources: verify the HMAC, then enqueue a targeted sync.

Shopify signs the raw body with HMAC-SHA256 and sends it base64 in ``X-Shopify-Hmac-Sha256``,
with the record kind in ``X-Shopify-Topic`` (``customers/update``) and the record in the body.
Every topic of a synced resource, ``customers/delete`` included (its body is little more than
the id), enqueues a fetch of that record: the shop's current answer is what lands, and a
customer it answers 404 for becomes a tombstone that the landing soft-deletes.
The CRM relay (Salesforce has no signed webhooks of its own; a Platform Event or Flow relay
posts here) sends ``{"sobject": "Contact", "ids": [...]}`` signed hex in ``X-Signature``.
A bad signature is answered 401 and logged; nothing is enqueued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from frontline.sync.models import Entity, Source
from frontline.sync.tasks import sync_records_task

logger = logging.getLogger("frontline.sync.webhooks")
SHOPIFY_TOPICS = {
    "customers": Entity.CUSTOMERS,
    "orders": Entity.ORDERS,
    "products": Entity.PRODUCTS,
}
SALESFORCE_OBJECTS = {
    "Contact": Entity.CUSTOMERS,
    "Account": Entity.CUSTOMERS,
    "Task": Entity.INTERACTIONS,
}


class BadWebhook(ValueError):
    """The body is signed correctly but says something we cannot act on."""


def signature_of(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def _signature_valid(source: Source, request: HttpRequest, secret: str) -> bool:
    expected = signature_of(secret, request.body)
    if source.kind == Source.Kind.SHOPIFY:
        given = request.headers.get("X-Shopify-Hmac-Sha256", "")
        return hmac.compare_digest(base64.b64encode(expected).decode(), given)
    return hmac.compare_digest(expected.hex(), request.headers.get("X-Signature", ""))


def _targets(source: Source, request: HttpRequest) -> tuple[str, list[str]]:
    try:
        body: Any = json.loads(request.body)
    except json.JSONDecodeError:
        raise BadWebhook("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadWebhook("the body must be a JSON object")
    if source.kind == Source.Kind.SHOPIFY:
        topic = request.headers.get("X-Shopify-Topic", "").split("/")[0]
        if topic not in SHOPIFY_TOPICS or not body.get("id"):
            raise BadWebhook(f"topic {topic!r} with id {body.get('id')!r} is not synced")
        return SHOPIFY_TOPICS[topic], [str(body["id"])]
    sobject, ids = body.get("sobject"), body.get("ids")
    if sobject not in SALESFORCE_OBJECTS or not isinstance(ids, list) or not ids:
        raise BadWebhook("expected {'sobject': Contact|Account|Task, 'ids': [...]}")
    return SALESFORCE_OBJECTS[sobject], [str(i) for i in ids[:200]]


@csrf_exempt
@require_POST
@ratelimit(key="ip", rate=lambda group, request: settings.SYNC_WEBHOOK_RATE, block=True)
def webhook_receive(request: HttpRequest, source_name: str) -> JsonResponse:
    source = get_object_or_404(
        Source,
        name=source_name,
        is_active=True,
        kind__in=[Source.Kind.SHOPIFY, Source.Kind.SALESFORCE],
    )
    secret = os.environ.get(source.webhook_secret_env, "") if source.webhook_secret_env else ""
    if not secret:
        logger.error("webhook for %s refused: no signing secret configured", source.name)
        return JsonResponse({"error": "webhooks are not configured for this source"}, status=503)
    if not _signature_valid(source, request, secret):
        logger.warning(
            "webhook with a bad signature refused",
            extra={"source": source.name, "remote_addr": request.META.get("REMOTE_ADDR")},
        )
        return JsonResponse({"error": "bad signature"}, status=401)
    try:
        entity, external_ids = _targets(source, request)
    except BadWebhook as error:
        return JsonResponse({"error": str(error)}, status=400)
    transaction.on_commit(lambda: sync_records_task.delay(source.pk, entity, external_ids))
    return JsonResponse({"queued": {"entity": entity, "ids": external_ids}}, status=202)
