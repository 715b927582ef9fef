"""From rules to stored suggestions, one chunk of customers at a time.

Per chunk the work is a fixed number of queries (one or two per rule, one for outcomes, one for
consents, one delete, one insert) whatever the chunk's size, and Python touches only customers
a rule found eligible. The same code refreshes one customer (a chunk of one id).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Q

from frontline.actions.conf import ActionSettings
from frontline.actions.models import ActionOutcome, ActionSuggestion, OutcomeKind
from frontline.actions.registry import BatchContext, Chunk, Facts, Rule, registry
from frontline.customers.models import Consent, ConsentChannel, Customer

# The channel suggested first when the customer consented on several: the least intrusive.
CHANNEL_PREFERENCE = [
    ConsentChannel.EMAIL,
    ConsentChannel.WHATSAPP,
    ConsentChannel.SMS,
    ConsentChannel.PHONE,
]


@dataclass(frozen=True)
class Candidate:
    customer_id: int
    rule: Rule
    score: float
    reason: str
    facts: Facts


def evaluate_rules(chunk: Chunk, rules: list[Rule] | None = None) -> list[Candidate]:
    candidates = []
    for rule in rules if rules is not None else list(registry):
        for finding in rule.eligible(chunk):
            candidates.append(
                Candidate(
                    customer_id=finding.customer_id,
                    rule=rule,
                    score=rule.score(finding.facts),
                    reason=rule.reason(finding.facts),
                    facts=finding.facts,
                )
            )
    return candidates


def suppressed_pairs(chunk: Chunk) -> set[tuple[int, str]]:
    """(customer, rule) pairs an associate recently dismissed or accepted, or snoozed for now.

    Accepted ones are in too: the associate is already acting on it, repeating it is noise.
    """
    cooldown_start = chunk.now - timedelta(days=chunk.config.cooldown_days)
    rows = ActionOutcome.objects.filter(
        Q(kind__in=[OutcomeKind.DISMISSED, OutcomeKind.ACCEPTED], decided_at__gte=cooldown_start)
        | Q(kind=OutcomeKind.SNOOZED, snoozed_until__gt=chunk.now),
        **chunk.by_customer(),
    ).values_list("customer_id", "rule")
    return set(rows)


def consented_channels(chunk: Chunk, customer_ids: set[int]) -> dict[tuple[int, str], str]:
    """(customer, purpose) -> the preferred channel the customer consented to for it."""
    if not customer_ids:
        return {}
    granted: dict[tuple[int, str], set[str]] = defaultdict(set)
    for customer_id, channel, purpose in Consent.objects.filter(
        **chunk.by_customer(), granted=True
    ).values_list("customer_id", "channel", "purpose"):
        if customer_id in customer_ids:
            granted[(customer_id, purpose)].add(channel)
    return {
        key: next(channel for channel in CHANNEL_PREFERENCE if channel in channels)
        for key, channels in granted.items()
    }


def merged_away(chunk: Chunk) -> set[int]:
    """The chunk's customers merged into another record: their actions belong to the survivor.

    Queried by the chunk's range (merged records are few), never with an IN list of every
    candidate.
    """
    return set(
        Customer.objects.filter(**chunk.within("id"), merged_into__isnull=False).values_list(
            "id", flat=True
        )
    )


class SuggestionRow(NamedTuple):
    """A suggestion on its way to the table; lighter than a model instance, in COPY order."""

    customer_id: int
    rule: str
    score: float
    reason: str
    data: Facts
    channel: str
    computed_at: datetime


def suggestions_for_chunk(chunk: Chunk) -> list[SuggestionRow]:
    """The chunk's suggestions after suppression: consent, cool-down, snooze, cap."""
    candidates = evaluate_rules(chunk)
    if not candidates:
        return []
    gone = merged_away(chunk)
    suppressed = suppressed_pairs(chunk)
    contacting = {c.customer_id for c in candidates if c.rule.contact_purpose}
    channels = consented_channels(chunk, contacting)
    kept: dict[int, list[SuggestionRow]] = defaultdict(list)
    for candidate in candidates:
        if candidate.customer_id in gone:
            continue
        if (candidate.customer_id, candidate.rule.name) in suppressed:
            continue
        channel = ""
        if candidate.rule.contact_purpose:
            channel = channels.get((candidate.customer_id, candidate.rule.contact_purpose), "")
            if not channel:  # no consent on any channel for this purpose: never suggest contact
                continue
        kept[candidate.customer_id].append(
            SuggestionRow(
                customer_id=candidate.customer_id,
                rule=candidate.rule.name,
                score=candidate.score,
                reason=candidate.reason,
                data=candidate.facts,
                channel=channel,
                computed_at=chunk.now,
            )
        )
    cap = chunk.config.max_per_customer
    result = []
    for suggestions in kept.values():
        suggestions.sort(key=lambda suggestion: (-suggestion.score, suggestion.rule))
        result.extend(suggestions[:cap])
    return result


def replace_chunk_suggestions(chunk: Chunk, suggestions: list[SuggestionRow]) -> int:
    """Idempotent: the chunk's rows become exactly ``suggestions``, however often it runs."""
    with transaction.atomic():
        ActionSuggestion.objects.filter(**chunk.by_customer()).delete()
        if connection.vendor == "postgresql" and len(suggestions) > COPY_ABOVE:
            _copy_into_table(suggestions)
        else:
            ActionSuggestion.objects.bulk_create(
                [ActionSuggestion(**row._asdict()) for row in suggestions], batch_size=2000
            )
    return len(suggestions)


# Below this many rows a plain INSERT is as quick and keeps the single-customer path simple.
COPY_ABOVE = 200
COPIED_COLUMNS = list(SuggestionRow._fields)


def _copy_into_table(suggestions: list[SuggestionRow]) -> None:
    """PostgreSQL COPY: measured several times faster than multi-row INSERTs for a chunk."""
    statement = f"COPY {ActionSuggestion._meta.db_table} ({', '.join(COPIED_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in suggestions:
            copy.write_row((*row[:4], json.dumps(row.data), *row[5:]))


def recompute_range(
    *, first_id: int, last_id: int, now: datetime, config: ActionSettings | None = None
) -> int:
    context = BatchContext(now=now, config=config or ActionSettings.load())
    chunk = Chunk(first_id=first_id, last_id=last_id, context=context)
    return replace_chunk_suggestions(chunk, suggestions_for_chunk(chunk))


# An event refresh names its customers in an IN list: this many per chunk keeps each query's
# list short while a page of synced orders still costs a handful of chunks, not one per customer.
REFRESH_CHUNK_IDS = 1000


def recompute_customers(
    *, customer_ids: Iterable[int], now: datetime, config: ActionSettings | None = None
) -> int:
    """Recompute exactly these customers (scattered ids), set-based, chunk by chunk.

    Each chunk commits on its own: a worker that dies part-way leaves earlier chunks done, and
    the redelivered task recomputes them harmlessly (the result is the same).
    """
    context = BatchContext(now=now, config=config or ActionSettings.load())
    ordered = sorted(set(customer_ids))
    written = 0
    for start in range(0, len(ordered), REFRESH_CHUNK_IDS):
        ids = ordered[start : start + REFRESH_CHUNK_IDS]
        chunk = Chunk(first_id=ids[0], last_id=ids[-1], context=context, only_ids=frozenset(ids))
        written += replace_chunk_suggestions(chunk, suggestions_for_chunk(chunk))
    return written
