"""The scripts' words are translated like the pages': every text a script looks up is in the
catalogue, and a French page carries its translations (an English one carries nothing)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from frontline.core.javascript_text import SCRIPT_TEXTS
from tests.conftest import REPO
from tests.factories import TEST_PASSWORD, StoreAssignmentFactory, StoreFactory

SCRIPTS = ("frontline.js", "tablet.js", "notifications.js", "video_session.js", "barcode.js")
# text("…"), text("…" + "…"), and text(a ? "…" : "…"): every literal a lookup may get.
LOOKUP = re.compile(r'\btext\((?:[^()"]*\?\s*)?((?:"[^"]*"\s*(?:\+|:)\s*)*"[^"]*")')
LITERAL = re.compile(r'"([^"]*)"')


def looked_up(source: str) -> set[str]:
    found = set()
    for match in LOOKUP.finditer(source):
        pieces = match.group(1)
        if ":" in re.findall(r'"\s*([+:])\s*"', pieces):  # a choice: each branch on its own
            found.update(LITERAL.findall(pieces))
        else:
            found.add("".join(LITERAL.findall(pieces)))
    return found


def test_every_text_a_script_looks_up_is_in_the_catalogue():
    wanted = set()
    for name in SCRIPTS:
        wanted |= looked_up((REPO / "static" / "js" / name).read_text())
    assert len(wanted) >= 25  # the pattern above still finds them
    assert wanted - set(SCRIPT_TEXTS) == set()
    assert set(SCRIPT_TEXTS) - wanted == set(), "texts no script uses any more"


def page_for(store_language: str) -> str:
    store = StoreFactory(language=store_language)
    associate = StoreAssignmentFactory(store=store, role="associate").user
    client = Client()
    assert client.login(username=associate.username, password=TEST_PASSWORD)
    return client.get("/").content.decode()


@pytest.mark.django_db
def test_a_french_page_carries_the_scripts_words_in_french():
    page = page_for("fr")
    block = re.search(r'<script id="frontline-text" type="application/json">(.*?)</script>', page)
    assert block is not None
    words = json.loads(block.group(1))
    assert words["Dismiss"] == "Écarter"
    waiting = "%(count)s modifications en attente d\u2019envoi"
    assert words["%(count)s changes waiting to send"] == waiting
    # Every text but those French writes the same way.
    assert set(SCRIPT_TEXTS) - set(words) == {"%(count)s minute", "%(count)s minutes"}


@pytest.mark.django_db
def test_an_english_page_carries_none():
    assert 'id="frontline-text"' not in page_for("en")
