from __future__ import annotations

from django.http import HttpRequest

from frontline.core.navigation import navigation_for


def navigation(request: HttpRequest) -> dict[str, object]:
    # A callable: the template calls it only on pages that show the navigation, so pages
    # without it (login, offline) cost no role lookup.
    return {"main_navigation": lambda: navigation_for(request.user)}  # type: ignore[arg-type]
