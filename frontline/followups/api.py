"""REST API of the follow-ups: thin DRF views over the same selectors and services as the pages.

Errors are 4xx with a message: 400 per field for input the services refuse, 403 for a
follow-up one may see but not change (someone else's), 404 for one outside one's stores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontline.core.api import ErrorSerializer, id_field
from frontline.customers.criteria import MAX_TAG_LENGTH, MAX_TAGS, CustomerCriteria
from frontline.customers.models import InteractionChannel, SizeCategory, Tier
from frontline.followups import bulk, selectors, services
from frontline.followups.models import (
    BulkAssignment,
    EventKind,
    FollowUp,
    Outcome,
    Priority,
    Reason,
    Status,
)
from frontline.staff.models import User
from frontline.tablet.idempotency import (
    IDEMPOTENCY_PARAMETERS,
    IDEMPOTENCY_RESPONSES,
    idempotent_api,
)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username


class CustomerFactsSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    name = serializers.CharField(source="full_name")
    tier = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    lifetime_value = serializers.DecimalField(max_digits=12, decimal_places=2)
    last_purchase_at = serializers.DateTimeField(allow_null=True)


class FollowUpSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    customer = CustomerFactsSerializer()
    store_id = serializers.IntegerField()
    assignee = PersonSerializer()
    created_by_id = serializers.IntegerField(allow_null=True)
    due_on = serializers.DateField(help_text="In the store's time zone")
    reason = serializers.ChoiceField(choices=Reason.choices)
    reason_text = serializers.CharField()
    title = serializers.CharField()
    priority = serializers.ChoiceField(choices=Priority.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    outcome = serializers.CharField(help_text="One of the outcomes once done, else empty")
    note = serializers.CharField()
    snooze_reason = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    days_late = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class ListQuery(serializers.Serializer):
    customer = id_field(required=False, help_text="Only this customer's")
    assignee = id_field(required=False, help_text="Only this staff member's")
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=500, required=False)
    offset = serializers.IntegerField(min_value=0, required=False)


class BoardQuery(serializers.Serializer):
    store = id_field(required=False, help_text="A store you manage (default: the first)")


class FollowUpPageSerializer(serializers.Serializer):
    """One page of follow-ups (limit/offset)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = FollowUpSerializer(many=True)


class EventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EventKind.choices)
    by_id = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField()
    changes = serializers.DictField(source="data", help_text="What changed: before and after")


class FollowUpDetailSerializer(FollowUpSerializer):
    history = serializers.SerializerMethodField()

    @extend_schema_field(EventSerializer(many=True))
    def get_history(self, followup: FollowUp) -> Any:
        return EventSerializer(selectors.followup_history(followup=followup), many=True).data


class CreateInputSerializer(serializers.Serializer):
    customer_id = id_field()
    assignee_id = id_field()
    due_on = serializers.DateField(help_text="A store-local day, today or later")
    reason = serializers.ChoiceField(choices=Reason.choices)
    reason_text = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    store_id = id_field(required=False, allow_null=True, default=None)


class CompleteInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    channel = serializers.ChoiceField(
        choices=InteractionChannel.choices, default=InteractionChannel.PHONE
    )


class FollowUpSnoozeInputSerializer(serializers.Serializer):
    until = serializers.DateField()
    reason = serializers.CharField(max_length=200)


class ReassignInputSerializer(serializers.Serializer):
    assignee_id = id_field()


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class SectionSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    followups = FollowUpSerializer(many=True, source="rows")


class MyDaySerializer(serializers.Serializer):
    overdue = SectionSerializer()
    today = SectionSerializer()
    upcoming = SectionSerializer()


class BoardRowSerializer(serializers.Serializer):
    associate = PersonSerializer(source="user")
    open = serializers.IntegerField()
    due_today = serializers.IntegerField()
    overdue = serializers.IntegerField()
    done_this_week = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True)
    average_days_late = serializers.FloatField(allow_null=True)
    reached = serializers.IntegerField()
    purchase_within_14_days = serializers.IntegerField()


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown, or not yours to see")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Not yours to change (or managers only)")
INVALID = OpenApiResponse(ErrorSerializer, description="Invalid input, per field")


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _detail(user: User, followup_id: int) -> dict[str, Any]:
    try:
        followup = selectors.followup_get(user=user, followup_id=followup_id)
    except Http404:
        raise NotFound(_("No such follow-up among the ones you may see.")) from None
    return FollowUpDetailSerializer(followup).data


def _run(write: Callable[[], FollowUp]) -> FollowUp:
    """The service's refusals as API errors (never a 500)."""
    try:
        return write()
    except FollowUp.DoesNotExist:
        raise NotFound(_("No such follow-up among the ones you may see.")) from None
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error)) from None
    except ValidationError as error:
        raise ApiValidationError(error.message_dict) from None


class FollowUpListView(APIView):
    @extend_schema(
        operation_id="followups_list",
        parameters=[ListQuery],
        responses={200: FollowUpPageSerializer, 400: INVALID},
        summary="Follow-ups at the staff member's stores, by due day (paginated)",
    )
    def get(self, request: Request) -> Response:
        followups = selectors.followups_visible_to(_user(request)).select_related(
            "customer", "assignee"
        )
        query = ListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        filters: dict[str, object] = {
            field: wanted[name]
            for name, field in (
                ("customer", "customer_id"),
                ("assignee", "assignee_id"),
                ("status", "status"),
            )
            if name in wanted
        }
        followups = followups.filter(**filters).order_by("due_on", "priority", "pk")
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(followups, request, view=self)
        return paginator.get_paginated_response(FollowUpSerializer(page, many=True).data)

    @extend_schema(
        operation_id="followup_create",
        request=CreateInputSerializer,
        responses={201: FollowUpDetailSerializer, 400: INVALID},
        summary="Plan a follow-up: managers for anyone at their store, others for themselves",
    )
    def post(self, request: Request) -> Response:
        serializer = CreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _user(request)
        followup = _run(lambda: services.followup_create(by=user, **serializer.validated_data))
        return Response(_detail(user, followup.pk), status=status.HTTP_201_CREATED)


class FollowUpDetailView(APIView):
    @extend_schema(
        operation_id="followup_detail",
        responses={200: FollowUpDetailSerializer, 404: NOT_FOUND},
        summary="One follow-up with its history (who changed what, when)",
    )
    def get(self, request: Request, followup_id: int) -> Response:
        return Response(_detail(_user(request), followup_id))


class _WriteView(APIView):
    input_serializer: type[serializers.Serializer]

    def _write(self, user: User, followup_id: int, data: dict[str, Any]) -> FollowUp:
        raise NotImplementedError

    def post(self, request: Request, followup_id: int) -> Response:
        user = _user(request)
        # Scope before input: a 400 for another store's follow-up would tell it exists.
        _detail(user, followup_id)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _run(lambda: self._write(user, followup_id, dict(serializer.validated_data)))
        return Response(_detail(user, followup_id))


WRITE_RESPONSES = {200: FollowUpDetailSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND}


class CompleteView(_WriteView):
    input_serializer = CompleteInputSerializer

    @extend_schema(
        operation_id="followup_complete",
        request=CompleteInputSerializer,
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={**WRITE_RESPONSES, **IDEMPOTENCY_RESPONSES},
        summary="Complete one's own follow-up with an outcome; the note goes on the timeline",
    )
    @idempotent_api
    def post(self, request: Request, followup_id: int) -> Response:
        return super().post(request, followup_id)

    def _write(self, user: User, followup_id: int, data: dict[str, Any]) -> FollowUp:
        return services.followup_complete(by=user, followup_id=followup_id, **data)


class SnoozeView(_WriteView):
    input_serializer = FollowUpSnoozeInputSerializer

    @extend_schema(
        operation_id="followup_snooze",
        request=FollowUpSnoozeInputSerializer,
        responses=WRITE_RESPONSES,
        summary="Move one's own follow-up to a later day (at most 90 days), with a reason",
    )
    def post(self, request: Request, followup_id: int) -> Response:
        return super().post(request, followup_id)

    def _write(self, user: User, followup_id: int, data: dict[str, Any]) -> FollowUp:
        return services.followup_snooze(by=user, followup_id=followup_id, **data)


class ReassignView(_WriteView):
    input_serializer = ReassignInputSerializer

    @extend_schema(
        operation_id="followup_reassign",
        request=ReassignInputSerializer,
        responses=WRITE_RESPONSES,
        summary="Give the follow-up to someone else at its store (managers)",
    )
    def post(self, request: Request, followup_id: int) -> Response:
        return super().post(request, followup_id)

    def _write(self, user: User, followup_id: int, data: dict[str, Any]) -> FollowUp:
        return services.followup_reassign(
            by=user, followup_id=followup_id, assignee_id=data["assignee_id"]
        )


class CancelView(_WriteView):
    input_serializer = CancelInputSerializer

    @extend_schema(
        operation_id="followup_cancel",
        request=CancelInputSerializer,
        responses=WRITE_RESPONSES,
        summary="Cancel a follow-up (managers, or whoever planned it for themselves)",
    )
    def post(self, request: Request, followup_id: int) -> Response:
        return super().post(request, followup_id)

    def _write(self, user: User, followup_id: int, data: dict[str, Any]) -> FollowUp:
        return services.followup_cancel(by=user, followup_id=followup_id, **data)


class MyDayView(APIView):
    @extend_schema(
        operation_id="followups_my_day",
        responses={200: MyDaySerializer},
        summary="The staff member's overdue, due today and upcoming follow-ups",
    )
    def get(self, request: Request) -> Response:
        return Response(MyDaySerializer(selectors.my_day(user=_user(request))).data)


class TeamBoardView(APIView):
    @extend_schema(
        operation_id="followups_team_board",
        parameters=[BoardQuery],
        responses={200: BoardRowSerializer(many=True), 400: INVALID, 404: NOT_FOUND},
        summary="Per staff member of the store: open, due, overdue, done, rates and outcomes",
    )
    def get(self, request: Request) -> Response:
        query = BoardQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = _user(request)
        try:
            store = selectors.store_for_board(user=user, store_id=query.validated_data.get("store"))
            board = selectors.team_board(user=user, store=store)
        except Http404:
            raise NotFound(_("No such store among the ones you manage.")) from None
        return Response(BoardRowSerializer(board, many=True).data)


# --- Bulk assignment ------------------------------------------------------------------------


class BulkCriteriaSerializer(serializers.Serializer):
    tiers = serializers.ListField(
        child=serializers.ChoiceField(choices=Tier.choices), required=False, default=list
    )
    not_seen_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    last_purchase_within_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False
    )
    min_lifetime_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False
    )
    max_lifetime_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False
    )
    size_category = serializers.ChoiceField(
        choices=SizeCategory.choices, required=False, allow_blank=True
    )
    size = serializers.CharField(max_length=10, required=False, allow_blank=True)
    brand = serializers.CharField(max_length=120, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH),
        max_length=MAX_TAGS,
        required=False,
        default=list,
        help_text="Any of these source tags (as the shop sends them), compared without case.",
    )


class BulkPreviewInputSerializer(serializers.Serializer):
    store_id = id_field()
    criteria = BulkCriteriaSerializer(required=False, default=dict)
    assignee_ids = serializers.ListField(child=id_field(), min_length=1, max_length=500)


class BulkAssignInputSerializer(BulkPreviewInputSerializer):
    due_on = serializers.DateField()
    reason = serializers.ChoiceField(choices=Reason.choices)
    reason_text = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    confirmed = serializers.BooleanField(
        default=False, help_text=f"Needed above {bulk.CONFIRM_ABOVE:,} follow-ups"
    )


class BulkShareSerializer(serializers.Serializer):
    assignee = PersonSerializer()
    open_now = serializers.IntegerField()
    new = serializers.IntegerField()


class BulkPreviewSerializer(serializers.Serializer):
    matched = serializers.IntegerField()
    already_followed = serializers.IntegerField(help_text="Left out: they have an open one")
    to_create = serializers.IntegerField()
    needs_confirmation = serializers.BooleanField()
    shares = BulkShareSerializer(many=True, source="rows")
    sample = CustomerFactsSerializer(many=True)


class BulkAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    store_id = serializers.IntegerField()
    created_count = serializers.IntegerField()
    due_on = serializers.DateField()
    reason = serializers.ChoiceField(choices=Reason.choices)
    created_at = serializers.DateTimeField()
    undone_at = serializers.DateTimeField(allow_null=True)


class BulkUndoSerializer(serializers.Serializer):
    cancelled = serializers.IntegerField(help_text="Follow-ups still open, now cancelled")


def _require_manager(user: User) -> None:
    if not selectors.managed_stores(user).exists():
        raise PermissionDenied(_("Only store managers bulk-assign follow-ups."))


def _bulk_input(data: dict[str, Any]) -> dict[str, Any]:
    asked = dict(data)
    try:
        asked["criteria"] = CustomerCriteria.parse(dict(asked.get("criteria") or {}))
    except ValidationError as error:
        raise ApiValidationError({"criteria": error.message_dict}) from None
    return asked


class BulkPreviewView(APIView):
    @extend_schema(
        operation_id="followups_bulk_preview",
        request=BulkPreviewInputSerializer,
        responses={200: BulkPreviewSerializer, 400: INVALID, 403: FORBIDDEN},
        summary="What a bulk assignment would create, and for whom; creates nothing",
    )
    def post(self, request: Request) -> Response:
        _require_manager(_user(request))
        serializer = BulkPreviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        asked = _bulk_input(serializer.validated_data)
        try:
            preview = bulk.bulk_preview(by=_user(request), **asked)
        except ValidationError as error:
            raise ApiValidationError(error.message_dict) from None
        return Response(BulkPreviewSerializer(preview).data)


class BulkAssignView(APIView):
    @extend_schema(
        operation_id="followups_bulk_assign",
        request=BulkAssignInputSerializer,
        responses={201: BulkAssignmentSerializer, 400: INVALID, 403: FORBIDDEN},
        summary="Create a follow-up for each matching customer, shared by open load",
    )
    def post(self, request: Request) -> Response:
        _require_manager(_user(request))
        serializer = BulkAssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        asked = _bulk_input(serializer.validated_data)
        try:
            batch = bulk.bulk_assign(by=_user(request), **asked)
        except ValidationError as error:
            raise ApiValidationError(error.message_dict) from None
        return Response(BulkAssignmentSerializer(batch).data, status=status.HTTP_201_CREATED)


class BulkUndoView(APIView):
    @extend_schema(
        operation_id="followups_bulk_undo",
        request=None,
        responses={200: BulkUndoSerializer, 400: INVALID, 404: NOT_FOUND},
        summary="Undo a bulk assignment: cancel what is still open of it (once)",
    )
    def post(self, request: Request, bulk_id: int) -> Response:
        try:
            cancelled = bulk.bulk_assignment_undo(by=_user(request), bulk_id=bulk_id)
        except BulkAssignment.DoesNotExist:
            raise NotFound(_("No such bulk assignment at the stores you manage.")) from None
        except ValidationError as error:
            raise ApiValidationError(error.message_dict) from None
        return Response(BulkUndoSerializer({"cancelled": cancelled}).data)
