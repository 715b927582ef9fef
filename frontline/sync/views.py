"""The run page for managers: recent runs, and one run's progress while it goes.

Progress arrives live over the notifications socket (``frontline.sync.progress``); the
progress fragment rendered here is what the page polls while that socket is not live, and what
it reads again when the socket (re)connects or the run ends.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from frontline.sync import selectors
from frontline.sync.models import Run

RECENT_RUNS = 50


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    if not selectors.may_see_sync(request.user):  # type: ignore[arg-type]
        raise PermissionDenied(_("Sync runs are for store managers."))
    runs = list(selectors.runs_for(request.user)[:RECENT_RUNS])  # type: ignore[arg-type]
    context = {
        "runs": runs,
        "any_running": any(run.status == Run.Status.RUNNING for run in runs),
        "open_quarantine": selectors.open_quarantine_count(),
    }
    template = "sync/run_list.html#runs" if request.htmx else "sync/run_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(selectors.runs_for(request.user), pk=run_id)  # type: ignore[arg-type]
    context = {"run": run, "quarantined": selectors.run_quarantine(run)[:50]}
    template = "sync/run_detail.html#progress" if request.htmx else "sync/run_detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)
