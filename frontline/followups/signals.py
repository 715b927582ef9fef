"""What the follow-ups domain tells other domains, without knowing who listens.

``followup_completed`` is sent inside the transaction that completes a follow-up, so a
listener's writes (the CRM write-back's outbox message) commit or roll back with it.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with ``followup_id``, ``customer_id``, ``outcome`` (its label), ``summary`` and
# ``occurred_at``.
followup_completed = Signal()
