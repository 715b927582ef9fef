"""The translation catalogues are complete, consistent and compiled (issue 24).

The compiled catalogues (``.mo``) are kept in the repository beside their sources (``.po``), so
that a fresh machine needs no GNU gettext; these tests fail when one is edited without the
other, or when a string is left untranslated or marked fuzzy.
"""

from __future__ import annotations

import re

import polib
import pytest
from django.conf import settings

from tests.conftest import REPO

PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\{ *\w+ *\}\}")
OTHER_LANGUAGES = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(REPO / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_string_is_translated_and_none_is_fuzzy(language):
    po = catalogue(language)
    assert len(po) > 0
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()]


def translations(entry: polib.POEntry | polib.MOEntry) -> tuple[str, ...]:
    """The entry's translation, or each of its plural forms."""
    if entry.msgid_plural:
        return tuple(text for _, text in sorted(entry.msgstr_plural.items()))
    return (entry.msgstr,)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_translations_keep_every_placeholder(language):
    changed = [
        (entry.msgid, text)
        for entry in catalogue(language)
        for text in translations(entry)
        if sorted(set(PLACEHOLDER.findall(entry.msgid))) != sorted(set(PLACEHOLDER.findall(text)))
    ]
    assert not changed


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    po = catalogue(language)
    compiled = polib.mofile(str(REPO / "locale" / language / "LC_MESSAGES" / "django.mo"))

    def pairs(entries) -> set[tuple[str | None, str, tuple[str, ...]]]:
        return {(e.msgctxt, e.msgid, translations(e)) for e in entries if e.msgid}

    assert pairs(compiled) == pairs(po.translated_entries()), (
        "recompile: python -c \"import polib; polib.pofile('locale/fr/LC_MESSAGES/django.po')"
        ".save_as_mofile('locale/fr/LC_MESSAGES/django.mo')\""
    )
