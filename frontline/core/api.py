"""API pieces every domain shares."""

from __future__ import annotations

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer: a message for people, and a code for programs when known.

    One class for the whole API, so the OpenAPI schema has one "Error" component.
    """

    detail = serializers.CharField()
    code = serializers.CharField(required=False)
