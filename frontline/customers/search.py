"""Customer search: one box for names, e-mails, phones in any format, numbers and external ids.

Results come in tiers; each tier is a few small "probes", each one indexed query with a LIMIT
that walks its index in the order it returns rows, so that a common prefix ("smi" among a
million customers) costs as little as a rare one:

1. exact: customer number, external id of any source, whole e-mail, whole phone number;
2. prefix: the last name or the first name starts with the text ("lovel", "ada"), a first
   name followed by the start of a last name ("ada lov", or "lovelace ada"), the e-mail starts
   with it, or the phone ends with the digits typed;
3. similar (PostgreSQL only), when nothing matched as typed: a name with one word exact and the
   other within a small edit distance ("ada lovleace"), else names within trigram
   word-similarity of the text.

Lookup is brand-wide (every staff member searches every customer of the brand). On PostgreSQL,
migration 0017 gives each name and e-mail probe an index over the brand's live customers that
compares in the "C" collation, so that a prefix is an index range already in the order shown;
edit distances are computed inside the name indexes (fuzzystrmatch). Phone fragments use
its reversed-phone index, whole e-mails the plain e-mail index, and the last resort 0004's
trigram index. SQLite, used in development, runs the same probes as plain scans and has no
typo tier.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, Func, IntegerField, Q, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Collate, Lower, Reverse
from django.db.models.lookups import Exact, StartsWith

from frontline.core.text import one_line
from frontline.customers.models import Customer, CustomerIdentity
from frontline.customers.normalize import normalize_phone, phone_digits

MAX_QUERY_LENGTH = 100
# pg_trgm's default word-similarity threshold (0.6) misses one-letter typos in short names
# ("lovalace" scores 0.5 against "ada lovelace"); 0.45 finds them and stays selective.
WORD_SIMILARITY_THRESHOLD = 0.45
MIN_NAME_LENGTH = 3
MIN_PHONE_DIGITS = 4
_PHONE_LIKE = re.compile(r"^[\d\s()+\-./]+$")
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
    text = one_line(unicodedata.normalize("NFKC", raw or ""))
    return text[:MAX_QUERY_LENGTH].strip()


def search_customers(base: QuerySet[Customer], raw_query: str, *, limit: int = 20) -> SearchOutcome:
    """Search ``base`` (the customers the staff member may find), best matches first."""
    query = clean_query(raw_query)
    hint = ""
    if len(raw_query or "") > MAX_QUERY_LENGTH:
        hint = f"Only the first {MAX_QUERY_LENGTH} characters were searched."
    if not query:
        return SearchOutcome(query="", hint=hint)
    base = base.select_related("preferred_store").only(*RESULT_FIELDS)
    found: dict[int, Customer] = {}
    _collect(found, [*_exact(base, query), *_prefix(base, query)], limit)
    if not found and _wants_typo_tolerance(query):
        # Typo tolerance is the fallback: when the text matches nobody as typed. A near-miss
        # ranked under real matches would only be noise.
        _collect(found, _similar(base, query), limit, stop_at_first_hit=True)
    if hint:
        pass
    elif _is_short_name(query):
        hint = (
            f"Type at least {MIN_NAME_LENGTH} letters to search within names; "
            "showing names that start with what you typed."
        )
    elif not found:
        hint = "No customer matches. Try the e-mail, the phone number or the customer number."
    return SearchOutcome(query=query, customers=list(found.values()), hint=hint)


def _collect(
    found: dict[int, Customer],
    probes: list[QuerySet[Customer]] | Iterator[QuerySet[Customer]],
    limit: int,
    *,
    stop_at_first_hit: bool = False,
) -> None:
    """Run the probes in order, each for the places still free, until ``limit`` are found."""
    for probe in probes:
        if len(found) >= limit:
            return
        if found:
            probe = probe.exclude(pk__in=list(found))
        for customer in probe[: limit - len(found)]:
            found.setdefault(customer.pk, customer)
        if found and stop_at_first_hit:
            return


def _is_short_name(query: str) -> bool:
    return len(query) < MIN_NAME_LENGTH and not query.isdigit()


def _wants_typo_tolerance(query: str) -> bool:
    return _supports_trigrams() and _is_name_like(query) and len(query) >= MIN_NAME_LENGTH


def _supports_trigrams() -> bool:
    return connection.vendor == "postgresql"


def _is_name_like(query: str) -> bool:
    return "@" not in query and not _PHONE_LIKE.match(query)


def _exact(base: QuerySet[Customer], query: str) -> list[QuerySet[Customer]]:
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
    return [base.filter(condition).order_by("last_name", "first_name", "pk")]


def _prefix(base: QuerySet[Customer], query: str) -> list[QuerySet[Customer]]:
    text = query.lower()
    probes = []
    if _is_name_like(query):
        probes += _name_prefix_probes(base, text)
    if " " not in text and len(text) >= MIN_NAME_LENGTH and not _PHONE_LIKE.match(text):
        email = _index_key("email")
        probes.append(base.filter(StartsWith(email, text)).order_by(email, "pk"))
    digits = _significant_digits(query)
    if len(digits) >= MIN_PHONE_DIGITS and _PHONE_LIKE.match(query):
        # A few hundred of a million numbers end with the same six digits: they are ranked
        # by name from the index alone (it holds the name), and only the page's rows are read.
        matches = (
            base.alias(phone_reversed=Reverse("phone"))
            .filter(phone_reversed__startswith=digits[::-1])
            .order_by("search_name", "pk")
            .values("pk")
        )
        probes.append(base.filter(pk__in=matches[:PHONE_LIMIT]).order_by("search_name", "pk"))
    return probes


MAX_NAME_WORDS = 4
# The phone fragments' matches ranked: a page of results at most.
PHONE_LIMIT = 20
# Near misses worth showing: the few closest, never a long list of guesses.
SIMILAR_LIMIT = 20


def _name_prefix_probes(base: QuerySet[Customer], text: str) -> list[QuerySet[Customer]]:
    """Names that start with ``text``: last-name matches first, then first names.

    With several words, each way of cutting them into a whole first name and the start of a
    last name is tried, both ways round ("ada lov", "lovelace ada"), then the whole text as
    the start of a compound first or last name ("mary ann", "van der").
    """
    first, last = _index_key("first_name"), _index_key("last_name")
    by_last = (last, first, "pk")
    by_first = (first, last, "pk")
    if len(text) < MIN_NAME_LENGTH:
        # One or two letters: only first names, as a list of everyone would be noise.
        return [base.filter(StartsWith(first, text)).order_by(*by_first)]
    probes = []
    words = text.split(" ")
    if 1 < len(words) <= MAX_NAME_WORDS:
        for cut in range(1, len(words)):
            head, tail = " ".join(words[:cut]), " ".join(words[cut:])
            probes.append(
                base.filter(Exact(first, head), StartsWith(last, tail)).order_by(*by_last)
            )
            probes.append(
                base.filter(Exact(last, head), StartsWith(first, tail)).order_by(*by_first)
            )
    probes.append(base.filter(StartsWith(last, text)).order_by(*by_last))
    probes.append(base.filter(StartsWith(first, text)).order_by(*by_first))
    return probes


def _similar(base: QuerySet[Customer], query: str) -> Iterator[QuerySet[Customer]]:
    """Near misses: one word of the name exact and the other a small edit away, then trigrams.

    With two words, the other word is first looked for among the namesakes whose other name
    starts with the same letter as typed: misspellings seldom change the first letter, and at
    the brand's scale (a common first name is shared by about 1% of customers) that range is a
    twentieth of all namesakes. Only when it finds nobody are all the namesakes compared.
    """
    text = query.lower()
    words = text.split(" ")
    if len(words) == 2:
        first, last = _index_key("first_name"), _index_key("last_name")
        pairs = [(first, last, words[0], words[1]), (last, first, words[1], words[0])]
        for same_initial in (True, False):
            for exact, fuzzy, typed_exact, typed_fuzzy in pairs:
                namesakes = base.filter(Exact(exact, typed_exact))
                if same_initial:
                    namesakes = namesakes.filter(StartsWith(fuzzy, typed_fuzzy[:1]))
                yield _nearest(base, namesakes, fuzzy, typed_fuzzy)
    _set_word_similarity_threshold()
    yield (
        base.filter(TrigramWordSimilar(F("search_name"), Value(text)))
        .alias(similarity=TrigramWordSimilarity(Value(text), "search_name"))  # type: ignore[arg-type]
        .order_by("-similarity", "pk")
    )


def _nearest(
    base: QuerySet[Customer],
    namesakes: QuerySet[Customer],
    fuzzy: Combinable,
    typed_fuzzy: str,
) -> QuerySet[Customer]:
    """The namesakes within the allowed edits of ``typed_fuzzy``, nearest first.

    The ids first, from the index alone (it holds both names), then the rows: the distance is
    checked for every namesake in the range, the table visited for 20.
    """
    distance = _edit_distance(fuzzy, typed_fuzzy)
    nearest = (
        namesakes.alias(distance=distance)
        .filter(distance__lte=_allowed_edits(typed_fuzzy))
        .order_by("distance", "pk")
        .values("pk")
    )
    return (
        base.filter(pk__in=nearest[:SIMILAR_LIMIT])
        .alias(distance=distance)
        .order_by("distance", "pk")
    )


def _allowed_edits(word: str) -> int:
    # Swapping two letters is two edits; in a word of three letters that is most of it.
    return 1 if len(word) <= 3 else 2


def _edit_distance(expression: Combinable, typed: str) -> Func:
    """Levenshtein distance, computed no further than the allowed edits (fuzzystrmatch)."""
    return Func(
        expression,
        Value(typed),
        Value(_allowed_edits(typed)),
        function="levenshtein_less_equal",
        output_field=IntegerField(),
    )


def _index_key(field_name: str) -> Combinable:
    """The lower-cased field as the search indexes hold it: in the "C" collation on PostgreSQL.

    Byte order is what makes a prefix an index range under any database collation, and the
    expression must be exactly the indexed one for PostgreSQL to use the index.
    """
    lowered = Lower(field_name)
    return Collate(lowered, "C") if _supports_trigrams() else lowered


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
