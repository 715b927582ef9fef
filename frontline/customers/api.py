"""REST API of the customers domain: thin views over the same selectors and services as the pages.

Every response an endpoint can give is in the OpenAPI schema (drf-spectacular), including the
400 and 404 answers, so that clients (and the schemathesis run in the tests) can rely on it.
"""

from __future__ import annotations

import functools
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontline.core.api import ErrorSerializer
from frontline.customers import selectors, services
from frontline.customers.models import (
    Customer,
    CustomerNote,
    InteractionChannel,
    InteractionKind,
)
from frontline.customers.search import MAX_QUERY_LENGTH
from frontline.privacy.models import AccessAction
from frontline.privacy.services import (
    personal_data_access_record,
    personal_data_listing_record,
    personal_data_search_record,
)
from frontline.staff.models import Store, User
from frontline.staff.selectors import primary_store_for, stores_for
from frontline.tablet.idempotency import (
    IDEMPOTENCY_PARAMETERS,
    IDEMPOTENCY_RESPONSES,
    idempotent_api,
)

# --- Serializers ---------------------------------------------------------------------------


class StoreRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StaffRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class CustomerSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField(source="full_name")
    email = serializers.CharField()
    phone = serializers.CharField()
    tier = serializers.CharField()
    preferred_store = StoreRefSerializer(allow_null=True)
    last_purchase_at = serializers.DateTimeField(allow_null=True)


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField(help_text="The text searched for, after cleaning")
    hint = serializers.CharField(help_text="Advice for the associate, or empty")
    showing_recent = serializers.BooleanField(
        help_text="True when the query was empty and the results are recently opened customers"
    )
    results = CustomerSummarySerializer(many=True, source="customers")


class ConsentSerializer(serializers.Serializer):
    channel = serializers.CharField()
    purpose = serializers.CharField()
    granted = serializers.BooleanField()
    recorded_at = serializers.DateTimeField(allow_null=True)


class SizeSerializer(serializers.Serializer):
    category = serializers.CharField()
    size = serializers.CharField()
    updated_at = serializers.DateTimeField()
    updated_by = StaffRefSerializer(allow_null=True)


class PreferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    value = serializers.CharField()
    updated_at = serializers.DateTimeField()
    updated_by = StaffRefSerializer(allow_null=True)


class IdentitySerializer(serializers.Serializer):
    source = serializers.CharField()  # type: ignore[assignment]  # the field is named "source"
    external_id = serializers.CharField()
    last_synced_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(
        allow_null=True, help_text="When the source system deleted its record, if it did."
    )
    tags = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The source's own tags on its record; null when the source sends none.",
    )


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    channel = serializers.CharField()
    placed_at = serializers.DateTimeField()
    store = StoreRefSerializer(allow_null=True)
    associate = StaffRefSerializer(allow_null=True)
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    item_count = serializers.IntegerField(allow_null=True)
    returned_count = serializers.IntegerField(allow_null=True)
    returned_value = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class WishlistItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # the field is named "source"
    variant_id = serializers.IntegerField(allow_null=True)
    added_at = serializers.DateTimeField()
    added_by = StaffRefSerializer(allow_null=True)


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField(help_text="Plain text; render it escaped")
    is_pinned = serializers.BooleanField()
    sentiment = serializers.CharField(help_text="positive, neutral, negative or unknown")
    author = StaffRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class InteractionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    channel = serializers.CharField()
    kind = serializers.CharField()
    sentiment = serializers.CharField()
    sentiment_score = serializers.FloatField(allow_null=True)
    summary = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # the field is named "source"
    store = StoreRefSerializer(allow_null=True)


class TimelinePageSerializer(serializers.Serializer):
    results = InteractionSerializer(many=True, source="interactions")
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as ?cursor= for the next page; null on the last page"
    )


class TrendMonthSerializer(serializers.Serializer):
    month = serializers.DateTimeField()
    positive = serializers.IntegerField()
    neutral = serializers.IntegerField()
    negative = serializers.IntegerField()
    average_score = serializers.FloatField(allow_null=True)


class CustomerDetailSerializer(CustomerSummarySerializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    postcode = serializers.CharField()
    country = serializers.CharField()
    preferred_associate = StaffRefSerializer(allow_null=True)
    birthday = serializers.DateField(allow_null=True)
    anniversary = serializers.DateField(allow_null=True)
    lifetime_value = serializers.DecimalField(max_digits=12, decimal_places=2)
    order_count = serializers.IntegerField()
    customer_since = serializers.DateTimeField(source="created_at")
    first_purchase_at = serializers.DateTimeField(allow_null=True)
    last_visit_at = serializers.DateTimeField(allow_null=True)


class ProfileSerializer(serializers.Serializer):
    customer = CustomerDetailSerializer()
    consents = ConsentSerializer(many=True)
    sizes = SizeSerializer(many=True)
    preferences = PreferenceSerializer(many=True)
    identities = IdentitySerializer(many=True)
    orders = OrderSerializer(many=True, help_text="The latest orders, online and in store")
    wishlist = WishlistItemSerializer(many=True)
    notes = NoteSerializer(many=True, help_text="Pinned first, then newest first")
    timeline = TimelinePageSerializer(help_text="The first page of the timeline")
    sentiment_trend = TrendMonthSerializer(many=True, source="trend")


class InOneOfMyStoresSerializer(serializers.Serializer):
    """Input that names one of the staff member's stores (context["staff"]), or defaults to
    their primary store."""

    store = serializers.IntegerField(
        required=False, help_text="One of your stores; your primary store when left out"
    )

    def validate_store(self, value: int) -> Store:
        return _one_of_my_stores(self.context["staff"], value)

    def validate(self, attrs: dict) -> dict:
        return _with_primary_store(self.context["staff"], attrs)


class CustomerCreateSerializer(InOneOfMyStoresSerializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    postcode = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")


def _one_of_my_stores(staff: User, store_id: int) -> Store:
    store = stores_for(staff).filter(pk=store_id).first()
    if store is None:
        raise serializers.ValidationError(gettext("Not one of your stores."))
    return store


def _with_primary_store(staff: User, attrs: dict) -> dict:
    """The input with its store, the staff member's primary store when none was given."""
    if "store" not in attrs:
        attrs["store"] = primary_store_for(staff)
        if attrs["store"] is None:
            raise serializers.ValidationError({"store": gettext("You work in no store.")})
    return attrs


# At least one character that is neither a space nor NUL: what the note service accepts,
# stated in the schema (as a pattern) so that clients know it before they send.
NOTE_HAS_TEXT = RegexValidator(r"[^\s\x00]", message=gettext_lazy("A note cannot be empty."))


class NoteCreateSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=services.NOTE_MAX_LENGTH, trim_whitespace=True, validators=[NOTE_HAS_TEXT]
    )
    pinned = serializers.BooleanField(default=False)


class NoteUpdateSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=services.NOTE_MAX_LENGTH,
        trim_whitespace=True,
        required=False,
        validators=[NOTE_HAS_TEXT],
    )
    pinned = serializers.BooleanField(required=False)


VALIDATION_ERROR = OpenApiResponse(
    ErrorSerializer, description="The input is not valid; each field names its problem"
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such customer among those you may see")
CUSTOMER_ID = OpenApiParameter(
    "customer_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The customer's id"
)
NOTE_ID = OpenApiParameter("note_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _staff(request: Request) -> User:
    """The signed-in staff member (IsAuthenticated, the default permission, ran first)."""
    return cast(User, request.user)


LARGEST_ID = 2**63 - 1  # ids are 64-bit signed integers


def _identifier(raw: str, missing: str | None = None) -> int:
    """The id in the path; anything that is not a whole number is simply not found.

    The URL takes any text there so that a malformed id gets this JSON 404, as documented,
    rather than the HTML 404 of an unmatched URL.
    """
    missing = missing or gettext("No such customer.")
    try:
        identifier = int(raw)
    except (TypeError, ValueError):
        raise NotFound(missing) from None
    if not 0 < identifier <= LARGEST_ID:  # no row has it, and a database may refuse it
        raise NotFound(missing)
    return identifier


def _findable_customer(request: Request, customer_id: str) -> Customer:
    # Http404 from the selector becomes a JSON 404 through DRF's exception handler.
    return selectors.customer_get_findable(
        user=_staff(request), customer_id=_identifier(customer_id)
    )


def _as_api_error(error: ValidationError) -> ApiValidationError:
    return ApiValidationError(
        error.message_dict if hasattr(error, "error_dict") else error.messages
    )


# --- The profile document ------------------------------------------------------------------
# The profile endpoint is the hottest in the app, so it shapes plain rows itself rather than
# running a serializer per row; ProfileSerializer still documents it, and the schemathesis
# run checks every answer against that schema.

MONEY_FIELDS = frozenset({"total", "returned_value", "lifetime_value"})


def _profile_payload(profile: selectors.ProfileRows) -> dict:
    sections = {name: _shaped(rows) for name, rows in profile.sections.items()}
    return {
        "customer": _header(profile.customer),
        "consents": [
            {
                "channel": cell.channel,
                "purpose": cell.purpose,
                "granted": cell.granted,
                "recorded_at": cell.recorded_at,
            }
            for cell in profile.consents
        ],
        "sizes": sections["sizes"],
        "preferences": sections["preferences"],
        "identities": sections["identities"],
        "orders": sections["orders"],
        "wishlist": sections["wishlist"],
        "notes": sections["notes"],
        "timeline": {"results": sections["timeline"], "next_cursor": profile.timeline_next_cursor},
        "sentiment_trend": [
            {
                "month": month.month,
                "positive": month.positive,
                "neutral": month.neutral,
                "negative": month.negative,
                "average_score": month.average_score,
            }
            for month in profile.trend
        ],
    }


def _header(row: dict) -> dict:
    """The header row as CustomerDetailSerializer shows a customer."""
    header = _shaped([row])[0]
    header["name"] = f"{row['first_name']} {row['last_name']}".strip()
    header["customer_since"] = header.pop("created_at")
    return header


def _shaped(rows: list[dict]) -> list[dict]:
    """values() rows as the API shows them: ``store__name`` as ``store.name``, money as text.

    A section's rows share their keys, so what to do with each key is worked out once.
    """
    if not rows:
        return []
    plain, money, related = _shape_of(tuple(rows[0]))
    shaped_rows = []
    for row in rows:
        shaped = {key: row[key] for key in plain}
        for key in money:
            shaped[key] = None if row[key] is None else f"{row[key]:.2f}"
        for relation, keys in related:
            shaped[relation] = _reference({attribute: row[key] for attribute, key in keys})
        shaped_rows.append(shaped)
    return shaped_rows


@functools.cache
def _shape_of(
    keys: tuple[str, ...],
) -> tuple[list[str], list[str], list[tuple[str, list[tuple[str, str]]]]]:
    """Which keys pass as they are, which are money, and which nest under a relation."""
    related: dict[str, list[tuple[str, str]]] = {}
    for key in keys:
        relation, _, attribute = key.partition("__")
        if attribute:
            related.setdefault(relation, []).append((attribute, key))
    plain = [key for key in keys if "__" not in key and key not in MONEY_FIELDS]
    money = [key for key in keys if key in MONEY_FIELDS]
    return plain, money, list(related.items())


def _reference(values: dict) -> dict | None:
    """A related store or staff member as StoreRefSerializer / StaffRefSerializer show it."""
    if values["id"] is None:
        return None
    if "username" not in values:
        return values
    full_name = f"{values['first_name']} {values['last_name']}".strip()
    return {"id": values["id"], "username": values["username"], "name": full_name}


# --- Views ---------------------------------------------------------------------------------


class CustomerSearchApi(APIView):
    @extend_schema(
        operation_id="customers_search",
        summary="Search customers by name, e-mail, phone, number or external id (each "
        "customer listed is recorded in the privacy audit)",
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description=(
                    "What the associate typed. Empty: the customers they opened recently. "
                    f"Only the first {MAX_QUERY_LENGTH} characters are searched."
                ),
            ),
        ],
        responses={200: SearchResponseSerializer},
    )
    def get(self, request: Request) -> Response:
        staff = _staff(request)
        outcome = selectors.customer_search(user=staff, query=request.query_params.get("q"))
        personal_data_search_record(staff_id=staff.pk, query=outcome.query)
        personal_data_listing_record(
            staff_id=staff.pk, customer_ids=[customer.pk for customer in outcome.customers]
        )
        return Response(SearchResponseSerializer(outcome).data)

    @extend_schema(
        operation_id="customers_create",
        summary="Sign a new customer up (probable duplicates are then queued for review)",
        request=CustomerCreateSerializer,
        responses={201: CustomerSummarySerializer, 400: VALIDATION_ERROR},
    )
    def post(self, request: Request) -> Response:
        staff = _staff(request)
        data = CustomerCreateSerializer(data=request.data, context={"staff": staff})
        data.is_valid(raise_exception=True)
        try:
            customer = services.customer_create(by=staff, **data.validated_data)
        except ValidationError as error:
            raise _as_api_error(error) from None
        return Response(CustomerSummarySerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerProfileApi(APIView):
    @extend_schema(
        operation_id="customers_profile",
        summary="The customer's whole profile (the read is recorded in the privacy audit)",
        parameters=[CUSTOMER_ID],
        responses={200: ProfileSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, customer_id: str) -> Response:
        profile = services.customer_profile_read(
            by=_staff(request), customer_id=_identifier(customer_id)
        )
        return Response(_profile_payload(profile))


class CheckInSerializer(InOneOfMyStoresSerializer):
    """Where the customer checked in."""


class CustomerCheckInApi(APIView):
    @extend_schema(
        operation_id="customers_check_in",
        summary="The customer has arrived: the visit is recorded and the store's staff told",
        parameters=[CUSTOMER_ID, *IDEMPOTENCY_PARAMETERS],
        request=CheckInSerializer,
        responses={
            201: InteractionSerializer,
            400: VALIDATION_ERROR,
            404: NOT_FOUND,
            **IDEMPOTENCY_RESPONSES,
        },
    )
    @idempotent_api
    def post(self, request: Request, customer_id: str) -> Response:
        customer = _findable_customer(request, customer_id)
        staff = _staff(request)
        data = CheckInSerializer(data=request.data, context={"staff": staff})
        data.is_valid(raise_exception=True)
        visit = services.customer_check_in(
            customer=customer, store=data.validated_data["store"], by=staff
        )
        return Response(InteractionSerializer(visit).data, status=status.HTTP_201_CREATED)


class CustomerTimelineApi(APIView):
    @extend_schema(
        operation_id="customers_timeline",
        summary="A page of the customer's interactions, newest first",
        parameters=[
            CUSTOMER_ID,
            OpenApiParameter("channel", OpenApiTypes.STR, enum=InteractionChannel.values),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=InteractionKind.values),
            OpenApiParameter(
                "cursor", OpenApiTypes.STR, description="next_cursor of the page before"
            ),
        ],
        responses={200: TimelinePageSerializer, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    def get(self, request: Request, customer_id: str) -> Response:
        customer = _findable_customer(request, customer_id)
        channel = request.query_params.get("channel", "")
        kind = request.query_params.get("kind", "")
        if channel not in {"", *InteractionChannel.values}:
            raise ApiValidationError(
                {"channel": [gettext("Unknown channel %(channel)s.") % {"channel": repr(channel)}]}
            )
        if kind not in {"", *InteractionKind.values}:
            raise ApiValidationError(
                {"kind": [gettext("Unknown kind %(kind)s.") % {"kind": repr(kind)}]}
            )
        try:
            page = selectors.customer_timeline(
                customer=customer,
                channel=channel,
                kind=kind,
                cursor=request.query_params.get("cursor"),
            )
        except ValueError as error:
            raise ApiValidationError({"cursor": [str(error)]}) from None
        personal_data_access_record(
            staff_id=request.user.pk, customer_id=customer.pk, action=AccessAction.TIMELINE_READ
        )
        return Response(TimelinePageSerializer(page).data)


class CustomerNotesApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="customers_notes_create",
        summary="Add a note to the customer",
        parameters=[CUSTOMER_ID, *IDEMPOTENCY_PARAMETERS],
        request=NoteCreateSerializer,
        responses={
            201: NoteSerializer,
            400: VALIDATION_ERROR,
            404: NOT_FOUND,
            **IDEMPOTENCY_RESPONSES,
        },
    )
    @idempotent_api
    def post(self, request: Request, customer_id: str) -> Response:
        customer = _findable_customer(request, customer_id)
        data = NoteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            note = services.note_create(
                customer=customer,
                author=_staff(request),
                body=data.validated_data["body"],
                pinned=data.validated_data["pinned"],
            )
        except ValidationError as error:
            raise _as_api_error(error) from None
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class CustomerNoteApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="customers_notes_update",
        summary="Edit your own note's text, or pin/unpin any note",
        parameters=[CUSTOMER_ID, NOTE_ID],
        request=NoteUpdateSerializer,
        responses={
            200: NoteSerializer,
            400: VALIDATION_ERROR,
            403: OpenApiResponse(ErrorSerializer, description="Only the author edits the text"),
            404: NOT_FOUND,
        },
    )
    def patch(self, request: Request, customer_id: str, note_id: str) -> Response:
        customer = _findable_customer(request, customer_id)
        note = get_object_or_404(
            CustomerNote, pk=_identifier(note_id, gettext("No such note.")), customer=customer
        )
        data = NoteUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            if "body" in data.validated_data:
                note = services.note_update(
                    note=note, editor=_staff(request), body=data.validated_data["body"]
                )
            if "pinned" in data.validated_data:
                note = services.note_pin(note=note, pinned=data.validated_data["pinned"])
        except ValidationError as error:
            raise _as_api_error(error) from None
        except PermissionDenied as error:
            raise ApiPermissionDenied(str(error)) from None
        return Response(NoteSerializer(note).data)
