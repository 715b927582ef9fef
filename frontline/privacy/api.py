"""The privacy API: a customer's data export and erasure, for managers of the customer's store
and admins. Thin: the selectors decide who may, the services do it."""

from __future__ import annotations

from typing import cast

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontline.core.api import ErrorSerializer, error_body
from frontline.privacy import selectors, services
from frontline.privacy.models import ErasureRequest, ErasureStep
from frontline.staff.models import User

CUSTOMER_ID = OpenApiParameter(
    "customer_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The customer's id"
)
ERASURE_ID = OpenApiParameter("erasure_id", OpenApiTypes.INT, OpenApiParameter.PATH)
FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="Only a manager of the customer's store or an admin may"
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such customer among those you may see")


class PersonalDataExportSerializer(serializers.Serializer):
    format = serializers.CharField(help_text=f'"{services.EXPORT_FORMAT}"')
    exported_at = serializers.DateTimeField()
    exported_by = serializers.CharField()
    customer_id = serializers.IntegerField()
    customer_number = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here: an attribute named "data" would hide the serializer's own ``data``.
        fields = super().get_fields()
        fields["data"] = serializers.DictField(
            help_text="Per domain (customers, orders, catalog, actions, sync, privacy...), every "
            "row held about the customer, every column."
        )
        return fields


class ErasureConfirmSerializer(serializers.Serializer):
    confirm_name = serializers.CharField(
        max_length=201, help_text="The customer's full name, typed again: erasure is final"
    )


class ErasureStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ErasureStep
        fields = ["system", "external_ids", "status", "detail", "confirmed_at"]


class ErasureRequestSerializer(serializers.ModelSerializer):
    steps = ErasureStepSerializer(many=True, read_only=True)

    class Meta:
        model = ErasureRequest
        fields = ["id", "customer_number", "status", "requested_at", "completed_at", "steps"]


def _staff(request: Request) -> User:
    return cast(User, request.user)


class CustomerExportApi(APIView):
    @extend_schema(
        operation_id="privacy_customer_export",
        summary="Everything Frontline holds about a customer, as one JSON bundle (recorded in "
        "the privacy audit)",
        parameters=[CUSTOMER_ID],
        responses={200: PersonalDataExportSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request, customer_id: int) -> Response:
        staff = _staff(request)
        customer = selectors.customer_for_rights_request(user=staff, customer_id=customer_id)
        bundle = services.customer_data_export(by=staff, customer=customer)
        return Response(bundle, headers={"Cache-Control": "no-store"})


class CustomerErasureApi(APIView):
    @extend_schema(
        operation_id="privacy_customer_erase",
        summary="Erase a customer's personal data; connected systems are asked to erase theirs",
        parameters=[CUSTOMER_ID],
        request=ErasureConfirmSerializer,
        responses={
            201: ErasureRequestSerializer,
            400: OpenApiResponse(ErrorSerializer, description="The name does not match"),
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="The customer was erased already"),
        },
    )
    def post(self, request: Request, customer_id: int) -> Response:
        staff = _staff(request)
        customer = selectors.customer_for_rights_request(user=staff, customer_id=customer_id)
        if customer.erased_at is None:
            data = ErasureConfirmSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            if not selectors.names_match(data.validated_data["confirm_name"], customer.full_name):
                raise serializers.ValidationError(
                    {"confirm_name": [_("That is not the customer's name; nothing was erased.")]}
                )
        try:
            erasure = services.customer_erase(by=staff, customer_id=customer.pk)
        except services.ErasureRefused as refusal:
            return Response(error_body(str(refusal), "already_erased"), status.HTTP_409_CONFLICT)
        return Response(ErasureRequestSerializer(erasure).data, status=status.HTTP_201_CREATED)


class ErasureApi(APIView):
    @extend_schema(
        operation_id="privacy_erasure",
        summary="An erasure request and where each system stands",
        parameters=[ERASURE_ID],
        responses={200: ErasureRequestSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request, erasure_id: int) -> Response:
        erasure = selectors.erasure_visible(user=_staff(request), erasure_id=erasure_id)
        if erasure is None:
            raise Http404(_("No such erasure request."))
        return Response(ErasureRequestSerializer(erasure).data)
