from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from frontline.sentiment.learning import CLASSES
from frontline.sentiment.scoring import NEGATIVE, NEUTRAL, POSITIVE, UNKNOWN
from frontline.sentiment.selectors import model_in_use, model_versions

# The model's answers as people read them (the same words as the customers' sentiment).
ANSWER_NAMES = {
    NEGATIVE: pgettext_lazy("customer", "Negative"),
    NEUTRAL: pgettext_lazy("customer", "Neutral"),
    POSITIVE: pgettext_lazy("customer", "Positive"),
    UNKNOWN: pgettext_lazy("customer", "Unknown"),
}


@login_required
@require_GET
def models_page(request: HttpRequest) -> HttpResponse:
    """Both models' macro-F1 and confusion matrices on the held-out share, and which is in use."""
    if not request.user.is_staff:
        # The back office's people (Django's staff flag), as for the admin: not store roles.
        raise PermissionDenied(_("Only the back office sees the sentiment models."))
    versions = list(model_versions())
    latest = versions[0] if versions else None
    evaluations = [
        {"title": title, **evaluation, "rows": _matrix_rows(evaluation)}
        for title, evaluation in (
            (_("Learned model"), latest and latest.learned_evaluation),
            # The lexicon, or the local ONNX model where one is configured (named beside).
            (_("Default model"), latest and latest.default_evaluation),
        )
        if evaluation
    ]
    return render(
        request,
        "sentiment/models.html",
        {
            "in_use": model_in_use().name,
            "latest": latest,
            "evaluations": evaluations,
            "versions": versions,
            "answers": [str(ANSWER_NAMES[answer]) for answer in (*CLASSES, UNKNOWN)],
        },
    )


def _matrix_rows(evaluation: dict[str, Any]) -> list[tuple[str, list[int]]]:
    """The confusion matrix as table rows: the true label, then the count of each answer."""
    names = [str(ANSWER_NAMES[label]) for label in CLASSES]
    return list(zip(names, evaluation.get("confusion") or [], strict=False))
