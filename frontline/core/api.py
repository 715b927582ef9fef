"""API pieces every domain shares: one error body for every refusal, whoever raises it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404
from django.utils.translation import gettext, gettext_lazy
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler

from frontline.core.converters import LARGEST_ID

INVALID_INPUT = gettext_lazy("The request is not valid.")


def id_field(**options: Any) -> serializers.IntegerField:
    """An id sent as a query parameter or in a body: a whole number a primary key can hold."""
    return serializers.IntegerField(min_value=1, max_value=LARGEST_ID, **options)


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer: a message for people, a code for programs and, when the
    input was refused, each field's problems under ``errors``.

    One class for the whole API, so the OpenAPI schema has one "Error" component.
    """

    detail = serializers.CharField()
    code = serializers.CharField(required=False)

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here, not as an attribute: an attribute named "errors" would hide the
        # serializer's own ``errors``.
        fields = super().get_fields()
        fields["errors"] = serializers.DictField(
            required=False, help_text="Per field (or non_field_errors), the list of its problems."
        )
        return fields


class Conflict(exceptions.APIException):
    """The request is sound but the object's state refuses it (already done, cancelled...)."""

    status_code = 409
    default_detail = gettext_lazy("This conflicts with the current state.")
    default_code = "conflict"


def error_body(detail: str, code: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors is not None:
        body["errors"] = errors
    return body


def invalid_input_body(errors: Any) -> dict[str, Any]:
    """A serializer's errors (a dict per field, or a bare list) as the one error body."""
    if not isinstance(errors, dict):
        errors = {"non_field_errors": errors}
    return error_body(str(INVALID_INPUT), "invalid", errors)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every body reshaped into the documented Error.

    DRF answers a refused input with the bare per-field dict and other refusals with a
    ``detail`` alone; clients would need to know which is which. Unhandled exceptions stay
    unhandled (None): Django's 500 handler answers them and the error is logged.
    """
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.data = invalid_input_body(response.data)
    else:
        codes = exc.get_codes()
        response.data = error_body(str(exc.detail), codes if isinstance(codes, str) else "error")
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404s under /api/ in the API's own body, also for URLs no route matches (a negative id
    does not match ``<id:…>``); the app's pages in the app's frame, saying what was not found
    in the staff member's language."""
    if _wants_json(request):
        return JsonResponse(error_body(gettext("Not found."), "not_found"), status=404)
    return render(request, "404.html", {"message": _not_found_message(exception)}, status=404)


def _not_found_message(exception: Exception) -> str:
    """The message an Http404 was raised with (written for the staff member, translated), or
    a general one: an unmatched URL's exception carries the resolver's internals instead."""
    message = exception.args[0] if exception.args else None
    if isinstance(exception, Resolver404) or not isinstance(message, str) or not message:
        return gettext("There is nothing here, or it is not yours to see.")
    return message


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body(gettext("Server error."), "server_error"), status=500)
    return defaults.server_error(request)
