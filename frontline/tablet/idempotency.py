"""Idempotency-Key: a write sent twice (a tablet's offline queue retrying after a lost answer)
takes effect once, and every replay gets the first answer.

As the IETF draft "The Idempotency-Key HTTP Header Field" (draft-ietf-httpapi-idempotency-key-
header) describes it: the client makes up a unique key per intended write and sends it with
every attempt; the server keeps the key with a fingerprint of the request and the answer it
gave. A key reused with a different request is refused with 422, a key whose first request is
still running with 409. Keys belong to the staff member who sent them, so one person's keys
never answer for another.

The claim (a row with no answer yet) is committed before the write runs, so a concurrent
attempt sees it; the write and the kept answer then commit together, so a process that dies
mid-write leaves no effect and a claim that is taken over once it is STALE_CLAIM old.
Refusals raised as exceptions (invalid input, a conflict with the object's state) keep no
answer: nothing was written, and the same request is refused again the same way.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from frontline.core.api import ErrorSerializer
from frontline.tablet.models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# When a write the tablet's outbox sends was written (RFC 3339): one that waited offline
# longer than OFFLINE_WRITE_MAX_AGE_SECONDS is refused rather than applied late.
WRITTEN_AT_HEADER = "X-Frontline-Written-At"
MAX_KEY_LENGTH = 255
STALE_CLAIM = timedelta(minutes=5)
# A key in use is answered with 409 and this Retry-After: the first request is then most likely
# done, and the retry gets its answer. The tablet's outbox waits and sends again, for the first
# request may still fail and leave the write undone.
IN_USE_RETRY_AFTER_SECONDS = 2
# A claim may vanish between our failed insert and our read (its request was refused, and a
# refusal keeps nothing): the key is free again, so it is claimed afresh a few times.
CLAIM_ATTEMPTS = 3
# Headers that are part of an answer's meaning (where a redirect goes, what htmx should do).
KEPT_HEADERS = ("Content-Type", "Location", "HX-Trigger", "HX-Redirect", "HX-Reswap", "HX-Retarget")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# What the app's pages say instead of the API's words, which name the header.
PAGE_MESSAGES = {
    "invalid_idempotency_key": _(
        "This change could not be sent as it was. Reload the page and try again."
    ),
    "idempotency_key_reused": _(
        "This change was already sent with other content. Reload the page and try again."
    ),
    "idempotency_key_in_use": _(
        "This change is still being saved. Wait a moment, then look again."
    ),
    "invalid_written_at": _(
        "This change could not be sent as it was. Reload the page and try again."
    ),
}


class KeyRefused(Exception):
    """The key cannot be honoured; ``status`` and ``message`` say why, and ``retry_after``
    (seconds) when the same request will be answered if sent again later."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        retry_after: int | None = None,
        page_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.page_message = page_message


@dataclass(frozen=True)
class KeptAnswer:
    status_code: int
    headers: dict[str, str]
    body: str


def key_from(request: HttpRequest) -> str | None:
    """The request's key, or None when it sent none (the key is optional).

    The draft sends it as a Structured Field string ("…" quoted); a bare token is taken too.
    """
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if len(key) > 2 and key.startswith('"') and key.endswith('"'):
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        raise KeyRefused(
            status.HTTP_400_BAD_REQUEST,
            "invalid_idempotency_key",
            _("%(header)s must be 1 to %(limit)s printable ASCII characters.")
            % {"header": HEADER, "limit": MAX_KEY_LENGTH},
        )
    return key


def written_at_from(request: HttpRequest) -> datetime | None:
    """When the write was made on the tablet (None when not said: a write sent at once)."""
    raw = request.headers.get(WRITTEN_AT_HEADER)
    if raw is None:
        return None
    try:
        written_at = parse_datetime(raw.strip())
    except ValueError:
        written_at = None
    if written_at is None or written_at.tzinfo is None:
        raise KeyRefused(
            status.HTTP_400_BAD_REQUEST,
            "invalid_written_at",
            _("%(header)s must be a date and time with its offset (RFC 3339).")
            % {"header": WRITTEN_AT_HEADER},
        )
    return written_at


def refuse_if_written_too_long_ago(written_at: datetime | None) -> None:
    """A write that waited offline longer than a shift is not applied late: what it says
    (a note, an outcome) may no longer hold, and its key may be forgotten by then."""
    if written_at is None:
        return
    now = timezone.now()
    oldest = now - timedelta(seconds=settings.OFFLINE_WRITE_MAX_AGE_SECONDS)
    if written_at >= oldest:
        return
    limit = timesince(oldest, now)
    raise KeyRefused(
        status.HTTP_410_GONE,
        "written_too_long_ago",
        _("Written at %(written_at)s, more than %(limit)s ago: too old to be applied now.")
        % {"written_at": written_at.isoformat(), "limit": limit},
        page_message=_(
            "Written on this tablet more than %(limit)s ago, while it was offline: too old to "
            "send now. Enter it again if it still applies."
        )
        % {"limit": limit},
    )


def fingerprint_of(request: HttpRequest) -> str:
    """What makes two attempts the same request: method, path and content.

    A form's CSRF token is left out (it is masked afresh on every page), and JSON is compared
    by value, not by its spacing.
    """
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        fields = sorted(
            (name, values) for name, values in request.POST.lists() if name != "csrfmiddlewaretoken"
        )
        content = json.dumps(fields)
    else:
        content = _canonical_json(request.body)
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, content):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def _canonical_json(body: bytes) -> str:
    try:
        return json.dumps(json.loads(body), sort_keys=True)
    except ValueError:
        return body.decode("utf-8", "replace")


def answer_once(
    *,
    staff_id: int,
    key: str,
    request: HttpRequest,
    run: Callable[[], KeptAnswer],
    written_at: datetime | None = None,
) -> tuple[KeptAnswer, bool]:
    """The first answer to this key, and whether it is a replay: the write is run now, or
    the answer kept from before is given again.

    A write made too long ago is refused, but only when it would run now: one that went
    through before (its answer was lost) still gets that answer, however late it asks.
    """
    fingerprint = fingerprint_of(request)
    _forget_old_keys(staff_id)
    claim = _claim(staff_id=staff_id, key=key, fingerprint=fingerprint, path=request.path)
    if isinstance(claim, KeptAnswer):
        return claim, True
    try:
        refuse_if_written_too_long_ago(written_at)
        with transaction.atomic():
            answer = run()
            if answer.status_code >= 500:
                raise _NotKept(answer)
            IdempotentRequest.objects.filter(pk=claim.pk).update(
                status_code=answer.status_code, headers=answer.headers, body=answer.body
            )
    except _NotKept as not_kept:
        claim.delete()
        return not_kept.answer, False
    except BaseException:
        claim.delete()
        raise
    return answer, False


class _NotKept(Exception):
    """A server error: rolled back and not kept, so that a retry runs the write again."""

    def __init__(self, answer: KeptAnswer) -> None:
        self.answer = answer


def _forget_old_keys(staff_id: int) -> None:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    IdempotentRequest.objects.filter(staff_id=staff_id, created_at__lt=cutoff).delete()


def _claim(
    *, staff_id: int, key: str, fingerprint: str, path: str
) -> IdempotentRequest | KeptAnswer:
    """A new claim on the key, or the answer kept for it; refuses a key in use otherwise."""
    for _attempt in range(CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                return IdempotentRequest.objects.create(
                    staff_id=staff_id, key=key, fingerprint=fingerprint, path=path
                )
        except IntegrityError:
            pass
        earlier = IdempotentRequest.objects.filter(staff_id=staff_id, key=key).first()
        if earlier is not None:
            return _earlier_claim(earlier, fingerprint)
    raise _in_use()


def _in_use() -> KeyRefused:
    return KeyRefused(
        status.HTTP_409_CONFLICT,
        "idempotency_key_in_use",
        _("A request with this %(header)s is still being handled; try again in a moment.")
        % {"header": HEADER},
        retry_after=IN_USE_RETRY_AFTER_SECONDS,
    )


def _earlier_claim(earlier: IdempotentRequest, fingerprint: str) -> IdempotentRequest | KeptAnswer:
    if earlier.fingerprint != fingerprint:
        raise KeyRefused(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            _("This %(header)s was used for a different request; make up a new key for a new one.")
            % {"header": HEADER},
        )
    if earlier.status_code is not None:
        return KeptAnswer(earlier.status_code, earlier.headers, earlier.body)
    stale_before = timezone.now() - STALE_CLAIM
    taken_over = IdempotentRequest.objects.filter(
        pk=earlier.pk, status_code__isnull=True, created_at__lt=stale_before
    ).update(created_at=timezone.now())
    if taken_over:  # its process died: the write rolled back with it, so it runs again
        return earlier
    raise _in_use()


# --- For Django views (the app's pages and htmx fragments) ---------------------------------


def idempotent_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Honour an Idempotency-Key on a view of the app (signed-in staff, session auth)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            key = key_from(request)
            written_at = written_at_from(request)
            if key is None or not request.user.is_authenticated:
                refuse_if_written_too_long_ago(written_at)
                return view(request, *args, **kwargs)
            answer, replayed = answer_once(
                staff_id=request.user.pk,
                key=key,
                request=request,
                run=lambda: _kept_from_page(view(request, *args, **kwargs)),
                written_at=written_at,
            )
        except KeyRefused as refusal:
            message = refusal.page_message or PAGE_MESSAGES.get(refusal.code, refusal.message)
            response = HttpResponse(message, status=refusal.status_code)
            response["Content-Type"] = "text/plain; charset=utf-8"
            response["HX-Reswap"] = "none"  # nothing to put in the page: the alert says it
            if refusal.retry_after is not None:
                response["Retry-After"] = str(refusal.retry_after)
            return response
        response = _page_from_kept(answer)
        if replayed:
            response[REPLAYED_HEADER] = "true"
        return response

    return wrapper


def _kept_from_page(response: HttpResponse) -> KeptAnswer:
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    return KeptAnswer(response.status_code, headers, response.content.decode("utf-8", "replace"))


def _page_from_kept(answer: KeptAnswer) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status_code)
    for name, value in answer.headers.items():
        response[name] = value
    return response


# --- For DRF views (the API, session or token auth) -----------------------------------------

# For the OpenAPI schema of every operation that honours a key.
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[!-~]([ -~]{0,253}[!-~])?$",
    description=(
        "Any unique text (a UUID) made up for this one write and sent again with every retry "
        "of it: the write then happens once and every retry gets its first answer again "
        "(marked Idempotent-Replayed: true). Kept for a day, per staff member."
    ),
)
WRITTEN_AT_PARAMETER = OpenApiParameter(
    WRITTEN_AT_HEADER,
    OpenApiTypes.DATETIME,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "When the write was made, for a write kept on a device while offline and sent later: "
        "one made longer ago than a shift (OFFLINE_WRITE_MAX_AGE_SECONDS) is refused with 410, "
        "unless it went through before, when its first answer is given again."
    ),
)
# Every header an idempotent write reads.
IDEMPOTENCY_PARAMETERS = [IDEMPOTENCY_KEY_PARAMETER, WRITTEN_AT_PARAMETER]
IDEMPOTENCY_RESPONSES = {
    409: OpenApiResponse(
        ErrorSerializer, description="The first request with this Idempotency-Key is still running"
    ),
    410: OpenApiResponse(
        ErrorSerializer,
        description="Written too long ago (X-Frontline-Written-At) to be applied now",
    ),
    422: OpenApiResponse(
        ErrorSerializer, description="This Idempotency-Key was used for a different request"
    ),
}


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


class KeyInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_use"
    wait: int | None = None  # seconds; DRF's handler sends it as Retry-After


def idempotent_api(method: Callable[..., Response]) -> Callable[..., Response]:
    """Honour an Idempotency-Key on an APIView's method; runs after DRF authenticated the
    caller, so token-authenticated devices have their keys kept too."""

    @functools.wraps(method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            key = key_from(request._request)
            written_at = written_at_from(request._request)
            if key is None or request.user.pk is None:
                refuse_if_written_too_long_ago(written_at)
                return method(view, request, *args, **kwargs)
            answer, replayed = answer_once(
                staff_id=request.user.pk,
                key=key,
                request=request._request,
                run=lambda: _kept_from_api(method(view, request, *args, **kwargs)),
                written_at=written_at,
            )
        except KeyRefused as refusal:
            raise _api_refusal(refusal) from None
        headers = {REPLAYED_HEADER: "true"} if replayed else None
        return Response(json.loads(answer.body), status=answer.status_code, headers=headers)

    return wrapper


class WrittenTooLongAgo(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_code = "written_too_long_ago"


def _api_refusal(refusal: KeyRefused) -> exceptions.APIException:
    if refusal.code == "invalid_written_at":
        return exceptions.ValidationError({WRITTEN_AT_HEADER: [refusal.message]})
    if refusal.status_code == status.HTTP_400_BAD_REQUEST:
        return exceptions.ValidationError({HEADER: [refusal.message]})
    if refusal.status_code == status.HTTP_410_GONE:
        return WrittenTooLongAgo(refusal.message)
    if refusal.status_code == status.HTTP_409_CONFLICT:
        in_use = KeyInUse(refusal.message)
        in_use.wait = refusal.retry_after
        return in_use
    return KeyReused(refusal.message)


def _kept_from_api(response: Response) -> KeptAnswer:
    return KeptAnswer(response.status_code, {}, json.dumps(response.data, cls=JSONEncoder))
