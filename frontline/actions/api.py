"""REST API of recommended actions and product recommendations: thin DRF views."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontline.actions import selectors, services
from frontline.actions.models import ActionOutcome, ActionSuggestion, DismissReason
from frontline.core.api import ErrorSerializer
from frontline.customers.models import Customer
from frontline.recommendations.selectors import recommendations_for_customer


class RecommendationsQuery(serializers.Serializer):
    limit = serializers.IntegerField(
        min_value=1, max_value=50, default=10, help_text="How many products, 1 to 50"
    )


class SuggestionSerializer(serializers.ModelSerializer):
    rule_label = serializers.CharField(read_only=True)

    class Meta:
        model = ActionSuggestion
        fields = ["id", "rule", "rule_label", "score", "reason", "data", "channel", "computed_at"]


class CustomerActionsSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    actions = SuggestionSerializer(many=True)
    held_for_quiet_hours = serializers.IntegerField()
    contact_resumes_at = serializers.DateTimeField(allow_null=True)


class OutcomeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rule = serializers.CharField()
    kind = serializers.CharField()
    dismiss_reason = serializers.CharField()
    snoozed_until = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField()
    next_url = serializers.CharField(allow_null=True, required=False)


class AcceptInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class SnoozeInputSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=90)
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class DismissInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DismissReason.choices)
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class RecommendationSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField()
    brand = serializers.CharField()
    category = serializers.CharField()
    score = serializers.FloatField()
    because = serializers.CharField()
    sizes = serializers.ListField(child=serializers.CharField())
    in_stock_here = serializers.BooleanField()
    nearby_stores = serializers.ListField(child=serializers.CharField())


class ReasonCountSerializer(serializers.Serializer):
    reason = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


class RulePerformanceSerializer(serializers.Serializer):
    rule = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    outcomes = serializers.IntegerField()
    accepted = serializers.IntegerField()
    snoozed = serializers.IntegerField()
    dismissed = serializers.IntegerField()
    converted = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    conversion_rate = serializers.FloatField(allow_null=True)
    open_now = serializers.IntegerField(help_text="Suggestions waiting for a decision now")
    top_dismiss_reasons = ReasonCountSerializer(many=True)


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown, or not yours to see")


def _outcome_payload(outcome: ActionOutcome, next_url: str | None = None) -> dict[str, object]:
    return OutcomeSerializer(
        {
            "id": outcome.pk,
            "rule": outcome.rule,
            "kind": outcome.kind,
            "dismiss_reason": outcome.dismiss_reason,
            "snoozed_until": outcome.snoozed_until,
            "decided_at": outcome.decided_at,
            "next_url": next_url,
        }
    ).data


class CustomerActionsView(APIView):
    @extend_schema(
        operation_id="actions_for_customer",
        responses={200: CustomerActionsSerializer, 404: NOT_FOUND},
        summary="The customer's recommended actions, best first, as they should be shown now",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        try:
            current = selectors.actions_for_customer(user=request.user, customer_id=customer_id)  # type: ignore[arg-type]
        except Customer.DoesNotExist:
            raise NotFound(_("No such customer among the ones you may see.")) from None
        payload = {
            "customer_id": customer_id,
            "actions": current.actions,
            "held_for_quiet_hours": current.held_for_quiet_hours,
            "contact_resumes_at": current.contact_resumes_at,
        }
        return Response(CustomerActionsSerializer(payload).data)


class _OutcomeView(APIView):
    input_serializer: type[serializers.Serializer]

    def _input(self, request: Request) -> dict[str, object]:
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _decide(self, request: Request, suggestion_id: int, **values: object) -> Response:
        raise NotImplementedError

    def post(self, request: Request, suggestion_id: int) -> Response:
        try:
            # Scope before input: another store's staff learn nothing from a 400.
            selectors.suggestion_visible_to(user=request.user, suggestion_id=suggestion_id)  # type: ignore[arg-type]
            values = self._input(request)
            return self._decide(request, suggestion_id, **values)
        except ActionSuggestion.DoesNotExist:
            raise NotFound(
                _("This suggestion was already handled, or is not yours to see.")
            ) from None
        except ValidationError as error:
            raise ApiValidationError(error.message_dict) from None


OUTCOME_RESPONSES = {
    201: OutcomeSerializer,
    400: OpenApiResponse(ErrorSerializer, description="Invalid input, per field"),
    404: NOT_FOUND,
}


class AcceptView(_OutcomeView):
    input_serializer = AcceptInputSerializer

    @extend_schema(
        operation_id="action_accept",
        request=AcceptInputSerializer,
        responses=OUTCOME_RESPONSES,
        summary="Accept a suggestion; next_url opens the flow to act on it, when there is one",
    )
    def post(self, request: Request, suggestion_id: int) -> Response:
        return super().post(request, suggestion_id)

    def _decide(self, request: Request, suggestion_id: int, **values: object) -> Response:
        result = services.action_accept(
            user=request.user,  # type: ignore[arg-type]
            suggestion_id=suggestion_id,
            note=str(values["note"]),
        )
        return Response(
            _outcome_payload(result.outcome, result.next_url), status=status.HTTP_201_CREATED
        )


class SnoozeView(_OutcomeView):
    input_serializer = SnoozeInputSerializer

    @extend_schema(
        operation_id="action_snooze",
        request=SnoozeInputSerializer,
        responses=OUTCOME_RESPONSES,
        summary="Snooze a suggestion for 1 to 90 days",
    )
    def post(self, request: Request, suggestion_id: int) -> Response:
        return super().post(request, suggestion_id)

    def _decide(self, request: Request, suggestion_id: int, **values: object) -> Response:
        until = timezone.now() + timedelta(days=int(values["days"]))  # type: ignore[call-overload]
        outcome = services.action_snooze(
            user=request.user,  # type: ignore[arg-type]
            suggestion_id=suggestion_id,
            until=until,
            note=str(values["note"]),
        )
        return Response(_outcome_payload(outcome), status=status.HTTP_201_CREATED)


class DismissView(_OutcomeView):
    input_serializer = DismissInputSerializer

    @extend_schema(
        operation_id="action_dismiss",
        request=DismissInputSerializer,
        responses=OUTCOME_RESPONSES,
        summary="Dismiss a suggestion with a reason; it stays away for the cool-down",
    )
    def post(self, request: Request, suggestion_id: int) -> Response:
        return super().post(request, suggestion_id)

    def _decide(self, request: Request, suggestion_id: int, **values: object) -> Response:
        outcome = services.action_dismiss(
            user=request.user,  # type: ignore[arg-type]
            suggestion_id=suggestion_id,
            reason=str(values["reason"]),
            note=str(values["note"]),
        )
        return Response(_outcome_payload(outcome), status=status.HTTP_201_CREATED)


class CustomerRecommendationsView(APIView):
    @extend_schema(
        operation_id="recommendations_for_customer",
        parameters=[RecommendationsQuery],
        responses={
            200: RecommendationSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, description="Bad limit"),
            404: NOT_FOUND,
        },
        summary="Products for this customer, available in their size here or nearby",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        query = RecommendationsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            found = recommendations_for_customer(
                user=request.user,  # type: ignore[arg-type]
                customer_id=customer_id,
                limit=query.validated_data["limit"],
            )
        except Customer.DoesNotExist:
            raise NotFound(_("No such customer among the ones you may see.")) from None
        return Response(RecommendationSerializer(found, many=True).data)


class RulePerformanceView(APIView):
    @extend_schema(
        operation_id="actions_rule_performance",
        parameters=[
            OpenApiParameter(
                "days",
                {"type": "integer", "minimum": 1, "maximum": selectors.MAX_PERIOD_DAYS},
                description=f"How many days to look back (default {selectors.DEFAULT_PERIOD_DAYS})",
            )
        ],
        responses={
            200: RulePerformanceSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, description="Bad period"),
            403: OpenApiResponse(ErrorSerializer, description="Managers only"),
        },
        summary="Acceptance and conversion rate of each rule in the manager's stores",
    )
    def get(self, request: Request) -> Response:
        if not selectors.may_see_performance(request.user):  # type: ignore[arg-type]
            raise PermissionDenied(_("Only store managers see how the rules perform."))
        try:
            days = selectors.performance_period_days(request.query_params.get("days"))
        except ValueError as error:
            raise ApiValidationError({"days": [str(error)]}) from None
        since = timezone.now() - timedelta(days=days)
        rows = selectors.rule_performance(user=request.user, since=since)  # type: ignore[arg-type]
        return Response(RulePerformanceSerializer(rows, many=True).data)
