from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from frontline.surveys import services
from frontline.surveys.forms import AnswerForm


def _answer_rate(group: str, request: HttpRequest) -> str:
    return settings.SURVEY_ANSWER_RATE


def _view_rate(group: str, request: HttpRequest) -> str:
    return settings.SURVEY_VIEW_RATE


@never_cache
@ratelimit(group="surveys.answer", key="ip", rate=_answer_rate, method="POST", block=False)
@ratelimit(group="surveys.view", key="ip", rate=_view_rate, method="GET", block=False)
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, survey_link: str) -> HttpResponse:
    """The public one-question page the survey e-mail links to (no sign-in: the link is the key)."""
    if getattr(request, "limited", False):
        response = render(request, "surveys/rate_limited.html", status=429)
        response["Retry-After"] = "60"
        return response
    survey = services.survey_from_link(survey_link)
    if survey is None:
        return render(request, "surveys/link_expired.html", status=410)
    if survey.answered_at is not None:
        return render(request, "surveys/answer.html", {"survey": survey, "thanks": True})
    form = AnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            return render(
                request, "surveys/answer.html", {"survey": survey, "form": form}, status=400
            )
        try:
            survey = services.survey_answer(
                survey=survey,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                form.add_error(name if name in form.fields else None, messages)
            return render(
                request, "surveys/answer.html", {"survey": survey, "form": form}, status=400
            )
        return render(request, "surveys/answer.html", {"survey": survey, "thanks": True})
    return render(request, "surveys/answer.html", {"survey": survey, "form": form})
