"""Every word a template shows goes through Django's i18n (issue 24: "Django's i18n in every
template"): text between tags and the attributes people read (aria-label, title, placeholder,
alt) are inside {% translate %} or {% blocktranslate %}, or come from a variable."""

from __future__ import annotations

import re

from tests.conftest import REPO

BLOCK_TRANSLATIONS = re.compile(
    r"{%-?\s*blocktrans(?:late)?\b.*?{%-?\s*endblocktrans(?:late)?\s*-?%}", re.S
)
COMMENTS = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|<!--.*?-->", re.S)
SCRIPTS_AND_STYLES = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
# Blocks that hold CSS class names ({% block main_class %}page page-narrow{% endblock %}).
CLASS_BLOCKS = re.compile(r"{%\s*block\s+\w+_class\s*%}.*?{%\s*endblock\s*%}", re.S)
# A template variable written out for people to copy ({{ first_name }} in a message editor).
LITERAL_VARIABLES = re.compile(
    r"{%\s*templatetag openvariable\s*%}.*?{%\s*templatetag closevariable\s*%}", re.S
)
TEMPLATE_CODE = re.compile(r"{{.*?}}|{%.*?%}", re.S)
READ_ATTRIBUTES = re.compile(r'\b(aria-label|title|placeholder|alt)="([^"]*)"')
HTML_TAGS = re.compile(r"<[^>]*>", re.S)
ENTITIES = re.compile(r"&#?\w+;")
# The brand's name and units are the same in every language.
SAME_IN_EVERY_LANGUAGE = re.compile(r"\b(Frontline|km)\b")
WORD = re.compile(r"[^\W\d_]{2,}")


def untranslated_text(template: str) -> list[str]:
    for pattern in (COMMENTS, BLOCK_TRANSLATIONS, SCRIPTS_AND_STYLES):
        template = pattern.sub(" ", template)
    template = LITERAL_VARIABLES.sub(" ", CLASS_BLOCKS.sub(" ", template))
    without_code = TEMPLATE_CODE.sub("", template)
    found = [
        f'{name}="{value}"'
        for name, value in READ_ATTRIBUTES.findall(without_code)
        if _has_words(value)
    ]
    text = HTML_TAGS.sub("\n", TEMPLATE_CODE.sub("\n", template))
    return found + [line.strip() for line in text.splitlines() if _has_words(line)]


def _has_words(text: str) -> bool:
    return bool(WORD.search(SAME_IN_EVERY_LANGUAGE.sub("", ENTITIES.sub("", text))))


def test_no_template_shows_words_outside_the_translation_tags():
    found = {
        str(path.relative_to(REPO)): words
        for path in sorted((REPO / "templates").rglob("*"))
        if path.suffix in (".html", ".txt")
        if (words := untranslated_text(path.read_text()))
    }
    assert not found, found


def test_the_check_sees_text_and_attributes_left_in_english():
    template = """{% load i18n %}{# a comment #}
    <h1>{% translate "Customers" %}</h1>
    <p>{% blocktranslate with name=customer.name %}Hello {{ name }}{% endblocktranslate %}</p>
    <button aria-label="Close the panel">&times;</button>
    <input placeholder="{% translate "Search" %}">
    <p>{{ customer.name }} · Frontline</p>
    <p>Nothing yet.</p>
    <script>const message = "not shown as such";</script>"""
    assert untranslated_text(template) == ['aria-label="Close the panel"', "Nothing yet."]
