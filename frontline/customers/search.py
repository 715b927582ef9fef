"""Customer search: one box for names, e-mails, phones in any format, numbers and external ids.

Results come in tiers, each one small indexed query with a LIMIT:

1. exact: customer number, external id of any source, whole e-mail, whole phone number;
2. prefix: a word of the name starts with the text, the e-mail starts with it, or the phone
   ends with the digits typed;
3. similar (PostgreSQL only), when nothing matched as typed: names within trigram
   word-similarity of the text, for typos.

On PostgreSQL the indexes of migration 0004 serve every tier (trigram GIN on ``search_name``,
``text_pattern_ops`` on e-mail and on the reversed phone). SQLite, used in development, runs
the same tiers as plain scans and has no typo tier.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Lower, Reverse

from frontline.customers.models import Customer, CustomerIdentity
from frontline.customers.normalize import normalize_phone, phone_digits

MAX_QUERY_LENGTH = 100
# pg_trgm's default word-similarity threshold (0.6) misses one-letter typos in short names
# ("lovalace" scores 0.5 against "ada lovelace"); 0.45 finds them and stays selective.
WORD_SIMILARITY_THRESHOLD = 0.45
MIN_NAME_LENGTH = 3
MIN_PHONE_DIGITS = 4
_PHONE_LIKE = re.compile(r"^[\d\s()+\-./]+$")
_SPACES = re.compile(r"\s+")
# Fields a result row needs: keeps the rows small when a page of results is rendered.
RESULT_FIELDS = [
    "id",
    "number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "tier",
    "preferred_store__name",
    "last_purchase_at",
]


@dataclass(frozen=True)
class SearchOutcome:
    query: str
    customers: list[Customer] = field(default_factory=list)
    hint: str = ""
    showing_recent: bool = False


def clean_query(raw: str | None) -> str:
    """What is worth searching for in the raw input.

    Unicode is folded to its compatibility form (full-width digits become digits), control
    characters (PostgreSQL refuses NUL in text) become spaces, runs of spaces collapse, and the
    text is cut to a length no real name, e-mail or number exceeds.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    return _SPACES.sub(" ", text).strip()[:MAX_QUERY_LENGTH].strip()


def search_customers(base: QuerySet[Customer], raw_query: str, *, limit: int = 20) -> SearchOutcome:
    """Search ``base`` (already scoped to what the staff member may see), best matches first."""
    query = clean_query(raw_query)
    hint = ""
    if len(raw_query or "") > MAX_QUERY_LENGTH:
        hint = f"Only the first {MAX_QUERY_LENGTH} characters were searched."
    if not query:
        return SearchOutcome(query="", hint=hint)
    base = base.select_related("preferred_store").only(*RESULT_FIELDS)
    found: dict[int, Customer] = {}
    for tier in (_exact, _prefix):
        if len(found) >= limit:
            break
        for customer in tier(base.exclude(pk__in=list(found)), query)[: limit - len(found)]:
            found.setdefault(customer.pk, customer)
    if not found and _wants_typo_tolerance(query):
        # Typo tolerance is the fallback: when the text matches nobody as typed. It is the
        # costliest tier, and a near-miss ranked under real matches would only be noise.
        for customer in _similar(base, query)[:limit]:
            found.setdefault(customer.pk, customer)
    if hint:
        pass
    elif _is_short_name(query):
        hint = (
            f"Type at least {MIN_NAME_LENGTH} letters to search within names; "
            "showing names that start with what you typed."
        )
    elif not found:
        hint = "No customer matches. Try the e-mail, the phone number or the customer number."
    return SearchOutcome(query=query, customers=list(found.values())[:limit], hint=hint)


def _is_short_name(query: str) -> bool:
    return len(query) < MIN_NAME_LENGTH and not query.isdigit()


def _wants_typo_tolerance(query: str) -> bool:
    return _supports_trigrams() and _is_name_like(query) and len(query) >= MIN_NAME_LENGTH


def _supports_trigrams() -> bool:
    return connection.vendor == "postgresql"


def _is_name_like(query: str) -> bool:
    return "@" not in query and not _PHONE_LIKE.match(query)


def _exact(base: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    condition = Q(number__in={query, query.upper()})
    if "@" in query:
        condition |= Q(email=query.lower())
    phone = _as_phone(query)
    if phone:
        condition |= Q(phone=phone)
    if " " not in query:
        # A separate small query: an IN (subquery) inside the OR would stop PostgreSQL from
        # combining the indexes of the other branches.
        identity_owners = list(
            CustomerIdentity.objects.filter(external_id=query).values_list(
                "customer_id", flat=True
            )[:20]
        )
        if identity_owners:
            condition |= Q(pk__in=identity_owners)
    return base.filter(condition).order_by("last_name", "first_name", "pk")


def _prefix(base: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    text = query.lower()
    condition = Q()
    if _is_name_like(query):
        # The whole name starts with it ("ada lov"), or one of its words does ("lovel").
        condition |= Q(search_name__startswith=text)
        if len(text) >= MIN_NAME_LENGTH:
            condition |= Q(search_name__contains=f" {text}")
    if " " not in text and len(text) >= MIN_NAME_LENGTH and not _PHONE_LIKE.match(text):
        condition |= Q(email_lower__startswith=text)
    digits = _significant_digits(query)
    if len(digits) >= MIN_PHONE_DIGITS and _PHONE_LIKE.match(query):
        condition |= Q(phone_reversed__startswith=digits[::-1])
    if not condition:
        return base.none()
    return (
        base.alias(email_lower=Lower("email"), phone_reversed=Reverse("phone"))
        .filter(condition)
        .order_by("search_name", "pk")
    )


def _similar(base: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    _set_word_similarity_threshold()
    text = query.lower()
    return (
        base.filter(TrigramWordSimilar(F("search_name"), Value(text)))
        .alias(similarity=TrigramWordSimilarity(Value(text), "search_name"))  # type: ignore[arg-type]
        .order_by("-similarity", "pk")
    )


def _set_word_similarity_threshold() -> None:
    """The ``<%`` operator (the one the trigram index serves) reads its threshold from a setting.

    Set for the session, so it holds whether or not a transaction is open; every search on
    any connection sets the same value, so a pooled connection keeping it is harmless.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(WORD_SIMILARITY_THRESHOLD)],
        )


def _as_phone(query: str) -> str:
    if not _PHONE_LIKE.match(query) or len(phone_digits(query)) < 6:
        return ""
    try:
        return normalize_phone(query)
    except ValidationError:
        return ""


def _significant_digits(query: str) -> str:
    """The digits that end a stored E.164 number.

    A whole national number ("07700 900123") starts with a trunk '0' (or '00' for an
    international prefix) that E.164 drops; a short fragment ("0123") is taken as typed.
    """
    digits = phone_digits(query)
    return digits.lstrip("0") if len(digits) >= 9 else digits
