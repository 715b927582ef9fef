"""API pieces every domain shares."""

from __future__ import annotations

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer: a message for people, and a code for programs when known.

    One class for the whole API, so the OpenAPI schema has one "Error" component.
    """

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class FieldErrorsSerializer(serializers.Serializer):
    """The body of a 400 for invalid input: a list of messages per field. One shared class, so
    the schema has one "FieldErrors" component."""

    field = serializers.ListField(child=serializers.CharField(), required=False)
