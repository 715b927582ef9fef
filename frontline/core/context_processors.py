from __future__ import annotations

from django.http import HttpRequest

from frontline.core.navigation import MAIN_NAVIGATION


def navigation(request: HttpRequest) -> dict[str, object]:
    return {"main_navigation": MAIN_NAVIGATION}
