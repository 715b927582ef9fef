"""Signals of the privacy domain, for domains privacy must not import (sync above all)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent in the erasure's transaction, after Frontline's own copy is erased, with
# ``erasure_id``, ``customer_id`` and ``systems`` (the customers.Source values of the
# connected systems that know the customer). A receiver that asks one of those systems to
# erase its record returns {system: "what it did"}, shown on that system's step.
customer_erased = Signal()
