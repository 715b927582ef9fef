"""What the customers domain tells other domains, without knowing who listens.

``note_saved`` is sent inside the transaction that creates or edits a note on the profile, so a
listener's writes (the CRM write-back's outbox message) commit or roll back with the note.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with ``note_id``.
note_saved = Signal()
