"""REST API of notifications (session auth for the PWA, token auth for devices)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from frontline.core.api import LARGEST_ID, ErrorSerializer, error_body, id_field
from frontline.notifications import selectors, services
from frontline.notifications.delivery import web_push_configured
from frontline.notifications.payloads import received_payload

PAGE_LIMIT_MAX = selectors.CATCH_UP_LIMIT


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField()
    store_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()


class NotificationListQuery(serializers.Serializer):
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=LARGEST_ID,
        help_text="Only ids above this one, oldest first.",
    )
    before = id_field(required=False, help_text="Only ids below this one, newest first.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=PAGE_LIMIT_MAX)


class NotificationList(serializers.Serializer):
    notifications = NotificationSerializer(many=True)
    has_more = serializers.BooleanField()
    unread_count = serializers.IntegerField()


class UnreadCount(serializers.Serializer):
    unread_count = serializers.IntegerField()


class PushKeysSerializer(serializers.Serializer):
    p256dh = serializers.RegexField(r"^[A-Za-z0-9_\-]+=*$", max_length=200)
    auth = serializers.RegexField(r"^[A-Za-z0-9_\-]+=*$", max_length=60)


class PushSubscriptionSerializer(serializers.Serializer):
    """The JSON a browser's ``PushSubscription.toJSON()`` gives."""

    endpoint = serializers.URLField(max_length=1000)
    keys = PushKeysSerializer()

    def validate_endpoint(self, endpoint: str) -> str:
        # The worker will POST to this URL: only push services' (https) URLs are accepted.
        scheme = endpoint.split(":", 1)[0].lower()
        if scheme not in settings.WEB_PUSH_ENDPOINT_SCHEMES:
            raise serializers.ValidationError(_("A push endpoint must be an https:// URL."))
        return endpoint


class PushEndpointSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)


@extend_schema(
    parameters=[NotificationListQuery],
    responses={
        200: NotificationList,
        400: ErrorSerializer,
    },
)
@api_view(["GET"])
def notification_list(request: Request) -> Response:
    """The staff member's notifications: catch-up with ``after``, or pages back with ``before``."""
    staff = selectors.signed_in_staff(request.user)
    query = NotificationListQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    limit = query.validated_data.get("limit", 50)
    if "after" in query.validated_data:
        entries = selectors.notifications_after(
            staff,
            after_id=query.validated_data["after"],
            limit=limit + 1,
        )
    else:
        entries_query = selectors.notifications_for(staff)
        if "before" in query.validated_data:
            entries_query = entries_query.filter(notification_id__lt=query.validated_data["before"])
        entries = list(entries_query[: limit + 1])
    return Response(
        {
            "notifications": [received_payload(entry) for entry in entries[:limit]],
            "has_more": len(entries) > limit,
            "unread_count": selectors.unread_count(staff),
        }
    )


@extend_schema(request=None, responses={200: UnreadCount, 404: ErrorSerializer})
@api_view(["POST"])
def notification_read(request: Request, pk: int) -> Response:
    staff = selectors.signed_in_staff(request.user)
    if not services.notification_mark_read(user=staff, notification_id=pk):
        return Response(error_body(_("No such notification of yours."), "not_found"), status=404)
    return Response({"unread_count": selectors.unread_count(staff)})


@extend_schema(request=None, responses={200: UnreadCount})
@api_view(["POST"])
def notification_read_all(request: Request) -> Response:
    staff = selectors.signed_in_staff(request.user)
    services.notifications_mark_all_read(user=staff)
    return Response({"unread_count": 0})


@extend_schema(
    responses={
        200: inline_serializer(
            "PushSettings",
            {"enabled": serializers.BooleanField(), "public_key": serializers.CharField()},
        )
    }
)
@api_view(["GET"])
def push_settings(request: Request) -> Response:
    """Whether Web Push is on, and the VAPID public key to subscribe with."""
    return Response(
        {"enabled": web_push_configured(), "public_key": settings.VAPID_PUBLIC_KEY or ""}
    )


@extend_schema(
    methods=["POST"],
    request=PushSubscriptionSerializer,
    responses={201: None, 400: ErrorSerializer, 503: ErrorSerializer},
)
@extend_schema(
    methods=["DELETE"],
    request=PushEndpointSerializer,
    responses={204: None, 400: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["POST", "DELETE"])
def push_subscriptions(request: Request) -> Response:
    """Opt this device in to Web Push (POST its subscription) or out (DELETE its endpoint)."""
    staff = selectors.signed_in_staff(request.user)
    if request.method == "DELETE":
        endpoint = PushEndpointSerializer(data=request.data)
        endpoint.is_valid(raise_exception=True)
        deleted = services.push_subscription_delete(
            user=staff,
            endpoint=endpoint.validated_data["endpoint"],
        )
        if not deleted:
            return Response(
                error_body(_("This device was not subscribed."), "not_found"), status=404
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
    if not web_push_configured():
        return Response(
            error_body(_("Web Push is not configured on this server."), "push_not_configured"),
            status=503,
        )
    subscription = PushSubscriptionSerializer(data=request.data)
    subscription.is_valid(raise_exception=True)
    data: dict[str, Any] = subscription.validated_data
    services.push_subscription_save(
        user=staff,
        endpoint=data["endpoint"],
        p256dh=data["keys"]["p256dh"],
        auth=data["keys"]["auth"],
        user_agent=request.headers.get("User-Agent", ""),
    )
    return Response({"subscribed": True}, status=status.HTTP_201_CREATED)
