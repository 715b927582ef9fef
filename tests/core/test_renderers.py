"""The API's orjson renderer gives what DRF's JSONRenderer gives, read back as JSON."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from frontline.core.renderers import FastJSONRenderer


def test_types_orjson_does_not_know_go_through_drfs_encoder():
    data = {
        "money": Decimal("12.30"),
        "label": gettext_lazy("Invalid token."),
        "id": uuid.UUID(int=7),
        "day": date(2026, 11, 29),
        "rows": [{"n": 1, "text": "Zoë ☕"}],
    }
    assert json.loads(FastJSONRenderer().render(data)) == json.loads(JSONRenderer().render(data))


def test_a_datetime_is_the_same_instant_as_drf_writes_it():
    moment = datetime(2026, 11, 29, 22, 30, 5, 123456, tzinfo=UTC)
    ours = json.loads(FastJSONRenderer().render({"at": moment}))["at"]
    drfs = json.loads(JSONRenderer().render({"at": moment}))["at"]
    assert datetime.fromisoformat(ours) == datetime.fromisoformat(drfs.replace("Z", "+00:00"))


def test_nothing_renders_as_an_empty_body():
    assert FastJSONRenderer().render(None) == b""
