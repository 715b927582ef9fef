"""The follow-up card's work forms, rendered once per page and filled in for each card.

The complete and snooze forms are the same in every card of a page but for the follow-up's
id, its address, its customer's address for a message, its title and its customer's name:
the labels, the outcomes, the CSRF token, the return address and the default snooze day do
not change. Rendering those forty-odd template nodes twenty times was a good part of the
associate's day (``tests/bench/callgrind_my_day.sh``); now they are rendered once, with a
marker where each card's values go, and each card swaps its values in. A marker holds NUL
characters, which nothing rendered into the forms can contain (the return address is
percent-encoded, the token alphanumeric), and the values are escaped as the template would.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any, cast

from django import template
from django.template import Engine
from django.template.context import Context
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from frontline.followups.models import FollowUp

register = template.Library()

_MARKERS = {
    "id": "\x00id\x00",
    "url": "\x00url\x00",
    "compose": "\x00compose\x00",
    "title": "\x00title\x00",
    "name": "\x00name\x00",
}
_MARKER = re.compile("|".join(re.escape(marker) for marker in _MARKERS.values()))
# A customer id no real one takes, to reverse the message address once per page.
_CUSTOMER_STAND_IN = 987_654_321_987_654_321
_CACHE_KEY = "followups.work_forms"


class _WorkForms:
    def __init__(self, context: Context) -> None:
        partial = Engine.get_default().get_template("followups/detail.html#work")
        markers = {
            # What the forms read of a follow-up, as markers.
            "followup": SimpleNamespace(
                title=_MARKERS["title"], customer=SimpleNamespace(full_name=_MARKERS["name"])
            ),
            "id": _MARKERS["id"],
            "followup_url": _MARKERS["url"],
            "compose_url": _MARKERS["compose"],
        }
        with context.push(**markers):
            self.html = partial.render(context)
        self.compose = conditional_escape(reverse("outreach:compose", args=[_CUSTOMER_STAND_IN]))

    def fill(self, followup: FollowUp, followup_id: str, followup_url: str) -> SafeString:
        values = {
            _MARKERS["id"]: followup_id,
            _MARKERS["url"]: conditional_escape(followup_url),
            _MARKERS["compose"]: self.compose.replace(
                str(_CUSTOMER_STAND_IN), str(followup.customer_id)
            ),
            _MARKERS["title"]: conditional_escape(followup.title),
            _MARKERS["name"]: conditional_escape(followup.customer.full_name),
        }
        return mark_safe(_MARKER.sub(lambda found: values[found.group()], self.html))  # noqa: S308


@register.simple_tag(takes_context=True)
def followup_work_forms(
    context: Context, followup: FollowUp, followup_id: str, followup_url: str
) -> SafeString:
    """The card's complete and snooze forms for this follow-up (see the module)."""
    # The bottom of the render context lasts the whole page, across the cards' includes.
    page = cast("dict[str, Any]", context.render_context.dicts[0])
    forms = page.get(_CACHE_KEY)
    if forms is None:
        forms = page[_CACHE_KEY] = _WorkForms(context)
    return forms.fill(followup, followup_id, followup_url)
