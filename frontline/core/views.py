from __future__ import annotations

from functools import partial

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from frontline.core.api import error_body
from frontline.core.health import run_checks, worker_status
from frontline.core.rate_limits import public_rate_limited


@partial(public_rate_limited, group="core.healthz", open_without_redis=True)
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every dependency answers, 503 naming the ones that do not."""
    results = run_checks()
    healthy = all(result.ok for result in results)
    payload: dict[str, object] = {
        "status": "ok" if healthy else "unavailable",
        "checks": {
            result.name: {
                "ok": result.ok,
                "latency_ms": result.latency_ms,
                **({"error": result.error} if result.error else {}),
            }
            for result in results
        },
    }
    if not healthy:
        payload["failing"] = [result.name for result in results if not result.ok]
    # Informational: a stopped worker delays background work but does not make the web app
    # unavailable, so it never turns the status into 503.
    payload["worker"] = worker_status()
    return JsonResponse(payload, status=200 if healthy else 503)


@partial(public_rate_limited, group="core.manifest")
@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    icon = static("icons/frontline.svg")
    data = {
        "name": "Frontline",
        "short_name": "Frontline",
        "description": "Clienteling for store associates",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#f6f4f0",
        "theme_color": "#1f3b4d",
        "icons": [
            {"src": icon, "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


# As many as the search page lists as "recently opened".
RECENT_CUSTOMERS_OFFLINE = 20


@partial(public_rate_limited, group="core.service_worker")
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from / so that its scope covers the whole app."""
    response = render(
        request,
        "core/sw.js",
        {
            "version": settings.STATIC_VERSION,
            # Personal copies never outlive the sign-in they were made in.
            "personal_max_age_seconds": settings.SESSION_COOKIE_AGE,
            "recent_customers": RECENT_CUSTOMERS_OFFLINE,
        },
        content_type="application/javascript",
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@partial(public_rate_limited, group="core.offline")
@require_GET
@cache_control(max_age=86400)
def offline(request: HttpRequest) -> HttpResponse:
    """The page the service worker shows when a navigation fails for want of a network."""
    return render(request, "core/offline.html")


SIGN_IN_PATHS = ("/accounts/login/", "/admin/login/", "/accounts/password/reset/", "/tablet/")


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Too many attempts: say so plainly, and when to try again, with status 429 (in the API's
    error body under /api/)."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        body = error_body(_("Too many requests: wait a minute, then try again."), "throttled")
        response = JsonResponse(body, status=429)
    else:
        sign_in = request.path.startswith(SIGN_IN_PATHS)
        response = render(request, "core/rate_limited.html", {"sign_in": sign_in}, status=429)
    response["Retry-After"] = "60"
    return response
