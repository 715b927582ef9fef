"""REST API of outreach: thin DRF views over the same services as the compose page.

A message the rules refuse is a 400 whose ``code`` names the rule (``no_consent``,
``quiet_hours``, ``whatsapp_window``, ``frequency_cap``, ``empty``, ``too_long``,
``unknown_variable``, ``invalid_phone``...) and whose ``detail`` says it in words.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontline.core.api import ErrorSerializer, error_body
from frontline.customers.models import ConsentPurpose
from frontline.customers.selectors import customer_get_in_stores
from frontline.outreach import rules, selectors, services
from frontline.outreach.models import Channel, Conversation, Direction, Message, Status
from frontline.outreach.rules import Refusal
from frontline.staff.models import User

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown, or not yours to see")
REFUSED = OpenApiResponse(
    ErrorSerializer, description="Invalid input, or a rule refuses the message (see code)"
)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _refused(refusal: Refusal) -> Response:
    errors = {refusal.field or "non_field_errors": [refusal.message]}
    return Response(error_body(refusal.message, refusal.code, errors), status=400)


class DeliveryEventSerializer(serializers.Serializer):
    status = serializers.CharField()
    error_code = serializers.CharField()
    received_at = serializers.DateTimeField()


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    customer_id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    subject = serializers.CharField()
    body = serializers.CharField()
    to_address = serializers.CharField()
    from_address = serializers.CharField()
    sent_by_id = serializers.IntegerField(allow_null=True)
    send_at = serializers.DateTimeField(source="not_before", allow_null=True)
    attempts = serializers.IntegerField()
    error_code = serializers.CharField()
    error_message = serializers.CharField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class MessageDetailSerializer(MessageSerializer):
    events = DeliveryEventSerializer(many=True, help_text="Delivery statuses the provider reported")


class MessagePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = MessageSerializer(many=True)


class SendSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    template = serializers.SlugField(required=False, allow_blank=True, max_length=40)
    subject = serializers.CharField(required=False, allow_blank=True, max_length=200)
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=20_000, help_text="May use variables"
    )
    send_at = serializers.DateTimeField(required=False, allow_null=True)
    followup = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The follow-up this message is for: sending marks it done (left a message)",
    )
    suggestion = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The recommended action this message acts on: sending accepts it",
    )


class PreviewSerializer(serializers.Serializer):
    channel = serializers.CharField()
    to_address = serializers.CharField()
    subject = serializers.CharField()
    text = serializers.CharField()
    html = serializers.CharField()
    whatsapp_template = serializers.BooleanField()


class ChannelSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    purposes = serializers.ListField(child=serializers.ChoiceField(choices=ConsentPurpose.choices))
    whatsapp_window_open = serializers.BooleanField()


class TemplateSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    purpose = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    whatsapp_approved = serializers.SerializerMethodField()

    def get_whatsapp_approved(self, template: Any) -> bool:
        return bool(template.whatsapp_content_sid)


def _send_arguments(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "channel": data["channel"],
        "purpose": data["purpose"],
        "subject": data.get("subject", ""),
        "body": data["body"],
        "template_key": data.get("template") or None,
        "send_at": data.get("send_at"),
    }


class CustomerMessagesView(APIView):
    @extend_schema(
        operation_id="outreach_messages_list",
        responses={200: MessagePageSerializer, 404: NOT_FOUND},
        summary="The customer's messages on every channel, newest first (paginated)",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        user = _user(request)
        customer = customer_get_in_stores(user=user, customer_id=customer_id)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(
            selectors.customer_messages(customer=customer), request, view=self
        )
        services.thread_read_record(by=user, customer=customer)
        services.thread_mark_read(by=user, customer=customer)
        return paginator.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(
        operation_id="outreach_message_send",
        request=SendSerializer,
        responses={201: MessageSerializer, 400: REFUSED, 404: NOT_FOUND},
        summary="Send a message now, or schedule it with send_at",
    )
    def post(self, request: Request, customer_id: int) -> Response:
        user = _user(request)
        customer_get_in_stores(user=user, customer_id=customer_id)
        serializer = SendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            data = serializer.validated_data
            message = services.message_send(
                by=user,
                customer_id=customer_id,
                followup_id=data.get("followup"),
                suggestion_id=data.get("suggestion"),
                **_send_arguments(data),
            )
        except Refusal as refusal:
            return _refused(refusal)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class PreviewView(APIView):
    @extend_schema(
        operation_id="outreach_message_preview",
        request=SendSerializer,
        responses={200: PreviewSerializer, 400: REFUSED, 404: NOT_FOUND},
        summary="The message as the customer would get it, with every rule checked",
    )
    def post(self, request: Request, customer_id: int) -> Response:
        user = _user(request)
        customer = customer_get_in_stores(user=user, customer_id=customer_id)
        serializer = SendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            draft = services.message_draft(
                by=user, customer=customer, **_send_arguments(serializer.validated_data)
            )
        except Refusal as refusal:
            return _refused(refusal)
        body = {
            "channel": draft.channel,
            "to_address": draft.to_address,
            "subject": draft.rendered.subject,
            "text": draft.rendered.text,
            "html": draft.rendered.html,
            "whatsapp_template": bool(draft.content_sid),
        }
        return Response(PreviewSerializer(body).data)


class ChannelsView(APIView):
    @extend_schema(
        operation_id="outreach_channels",
        responses={200: ChannelSerializer(many=True), 404: NOT_FOUND},
        summary="The channels the customer consented to, per purpose",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = customer_get_in_stores(user=_user(request), customer_id=customer_id)
        granted = rules.consented_channels(customer)
        whatsapp = Conversation.objects.filter(customer=customer, channel=Channel.WHATSAPP).first()
        window = rules.whatsapp_window_open(whatsapp, rules.now())
        rows = [
            {
                "channel": value,
                "purposes": sorted(granted.get(value, set())),
                "whatsapp_window_open": window,
            }
            for value in Channel.values
        ]
        return Response(ChannelSerializer(rows, many=True).data)


def _detail(message: Message) -> dict[str, Any]:
    data = dict(MessageSerializer(message).data)
    events = selectors.message_events(message=message)
    data["events"] = DeliveryEventSerializer(events, many=True).data
    return data


class MessageDetailView(APIView):
    @extend_schema(
        operation_id="outreach_message_detail",
        responses={200: MessageDetailSerializer, 404: NOT_FOUND},
        summary="One message with its delivery statuses",
    )
    def get(self, request: Request, message_id: int) -> Response:
        user = _user(request)
        message = selectors.message_get(user=user, message_id=message_id)
        if message.customer is not None:
            services.thread_read_record(by=user, customer=message.customer)
        return Response(_detail(message))


class MessageCancelView(APIView):
    @extend_schema(
        operation_id="outreach_message_cancel",
        request=None,
        responses={200: MessageDetailSerializer, 400: REFUSED, 404: NOT_FOUND},
        summary="Take a scheduled (or waiting) message out of the outbox",
    )
    def post(self, request: Request, message_id: int) -> Response:
        try:
            message = services.message_cancel(by=_user(request), message_id=message_id)
        except Refusal as refusal:
            return _refused(refusal)
        return Response(_detail(message))


class TemplatesView(APIView):
    @extend_schema(
        operation_id="outreach_templates",
        responses={200: TemplateSerializer(many=True)},
        summary="The brand's message templates",
    )
    def get(self, request: Request) -> Response:
        return Response(TemplateSerializer(selectors.templates_offered(), many=True).data)
