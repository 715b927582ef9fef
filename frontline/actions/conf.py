"""The engine's tunable numbers, read from ``settings.ACTIONS`` with safe defaults.

Kept in one place so that tests and operators change a threshold without touching a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from django.conf import settings


@dataclass(frozen=True)
class ActionSettings:
    # Birthday/anniversary: suggest a greeting this many days ahead.
    occasion_lookahead_days: int = 14
    # Lapsing: a high-value customer not seen (visit or purchase) for this many days.
    lapsing_after_days: int = 90
    lapsing_min_lifetime_value: Decimal = Decimal("2000")
    # Thank-you: an order of at least this amount within this many days.
    thank_you_min_order_total: Decimal = Decimal("500")
    thank_you_within_days: int = 7
    # Complaints and negative sentiment count for this many days unless resolved.
    complaint_within_days: int = 30
    # New arrivals: products launched within this many days.
    new_arrival_within_days: int = 30
    # Back in stock: a watch that woke up (its size arrived) within this many days.
    back_in_stock_within_days: int = 14
    # Hold expiring: an active hold whose deadline is within this many hours.
    hold_expiring_within_hours: int = 24
    # Suppression.
    cooldown_days: int = 30
    max_per_customer: int = 3
    quiet_hours_start: int = 21  # local hour at the customer's store, inclusive
    quiet_hours_end: int = 8  # local hour, exclusive
    # Outcomes: a purchase within this many days of accepting counts as a conversion.
    conversion_window_days: int = 14
    # Nightly batch.
    batch_chunk_size: int = 20_000

    @classmethod
    def load(cls) -> ActionSettings:
        overrides = getattr(settings, "ACTIONS", {}) or {}
        known = {field.name for field in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"settings.ACTIONS has unknown keys: {', '.join(sorted(unknown))}")
        return cls(**overrides)


def action_settings() -> ActionSettings:
    return ActionSettings.load()
