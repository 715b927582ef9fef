"""Kept answers to idempotent requests may show a customer (a notes fragment, a note as JSON,
a completed follow-up's card). They go after a day anyway; an erased customer's go at once."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from frontline.tablet.models import IdempotentRequest


def idempotent_answers_erase(sender: Any, customer_id: int, **_: Any) -> None:
    """On privacy's customer_erased: the answers about the customer's own pages, and every kept
    follow-up outcome (its path names the follow-up, not the customer; losing the replay of
    another's outcome within the day costs at most a "someone changed it" message)."""
    IdempotentRequest.objects.filter(
        Q(path__startswith=f"/customers/{customer_id}/")
        | Q(path__startswith=f"/api/customers/{customer_id}/")
        | Q(path__contains="/followups/")
    ).delete()
