"""Sync writes other than runs: quarantine retries and the write-back outbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from frontline.customers.models import CustomerIdentity, CustomerNote, Interaction
from frontline.customers.models import Source as RecordSource
from frontline.sync.connectors import connector_for
from frontline.sync.engine import land_records
from frontline.sync.models import OutboxMessage, QuarantinedRecord, Source, UncertainMatch


def quarantine_retry(*, record_ids: Iterable[int]) -> tuple[int, int]:
    """Land quarantined records again (after someone fixed their payload).

    Returns (landed, still quarantined); a record that fails again keeps its row with the new
    reason, so the quarantine never grows from retries.
    """
    landed = failed = 0
    records = QuarantinedRecord.objects.filter(
        pk__in=list(record_ids), status=QuarantinedRecord.Status.OPEN
    ).select_related("source")
    for record in records:
        with transaction.atomic():
            landing = land_records(connector_for(record.source), record.entity, [record.payload])
            record.attempts += 1
            if landing.failures:
                record.reason = landing.failures[0].reason
                failed += 1
            else:
                record.status = QuarantinedRecord.Status.RESOLVED
                record.resolved_at = timezone.now()
                landed += 1
            record.save(update_fields=["attempts", "reason", "status", "resolved_at"])
    return landed, failed


# --- Write-back outbox ------------------------------------------------------------------

OUTBOX_MAX_ATTEMPTS = 8
CONTACT_WAIT = timedelta(hours=1)


def _brand_text(message: str, **values: object) -> str:
    """Words Frontline writes into the CRM, in the brand's language (LANGUAGE_CODE).

    What the CRM holds is stored text that everyone there reads, like the timeline, so it is
    in one language whoever's store wrote it: a French store's note reaches an English brand's
    CRM with an English subject. The message is marked with ``gettext_noop`` where it is
    written and translated here.
    """
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(message)
    return text % values if values else text


def _crm_source() -> Source | None:
    return Source.objects.filter(kind=Source.Kind.SALESFORCE, is_active=True).order_by("pk").first()


def outbox_add(
    *,
    key: str,
    customer_id: int,
    subject: str,
    description: str,
    occurred_at: datetime,
    subtype: str = "Task",
    revise: bool = False,
) -> OutboxMessage | None:
    """Queue a CRM Task for the customer; the same key never queues (or creates) it twice.

    With ``revise``, a message already queued or sent for the key whose Task now reads
    differently (an edited note) is queued again with the new text: delivery upserts on the key,
    so the CRM's one Task is updated. Returns None when no CRM is configured: there is nothing
    to write back to.
    """
    crm = _crm_source()
    if crm is None:
        return None
    contact = _crm_contact(crm, customer_id)
    payload = {
        "Subject": subject[:255],
        "Description": description[:32000],
        "ActivityDate": occurred_at.date().isoformat(),
        "Status": "Completed",
        "TaskSubtype": subtype,
        "WhoId": contact,
    }
    message, created = OutboxMessage.objects.get_or_create(
        source=crm,
        key=key,
        defaults={
            "payload": payload,
            "customer_id": customer_id,
            "next_attempt_at": timezone.now(),
        },
    )
    if not created and revise and message.payload != payload:
        # A new next_attempt_at also tells a delivery of the old text that is under way that
        # it has been overtaken (see outbox_deliver).
        message.payload, message.status, message.attempts = payload, message.Status.PENDING, 0
        message.last_error, message.next_attempt_at = "", timezone.now()
        message.save(
            update_fields=["payload", "status", "attempts", "last_error", "next_attempt_at"]
        )
    elif not created:
        return message
    _deliver_after_commit(message.pk)
    return message


def _crm_contact(crm: Source, customer_id: int) -> str | None:
    """The customer's contact id in the CRM (its WhoId), if the CRM knows them."""
    return (
        CustomerIdentity.objects.filter(customer_id=customer_id, source=crm.record_source)
        .values_list("external_id", flat=True)
        .first()
    )


def _deliver_after_commit(message_id: int) -> None:
    from frontline.sync.tasks import deliver_outbox_task

    # Robust: the message is saved either way, and a broker that is down must not fail the
    # caller (an associate saving a note); the outbox sweep sends what was not delivered.
    transaction.on_commit(lambda: deliver_outbox_task.delay(message_id), robust=True)


def writeback_note(*, interaction_id: int) -> OutboxMessage | None:
    """Send an associate's note (an Interaction of kind note) to the CRM as a Task."""
    note = Interaction.objects.filter(pk=interaction_id).first()
    if note is None or note.source != RecordSource.FRONTLINE:
        return None  # gone, or came from a source system: never echo it back
    with translation.override(settings.LANGUAGE_CODE):
        channel_name = note.get_channel_display()
    return outbox_add(
        key=f"note-{note.pk}",
        customer_id=note.customer_id,
        subject=_brand_text(gettext_noop("Frontline note (%(channel)s)"), channel=channel_name),
        description=note.summary,
        occurred_at=note.occurred_at,
    )


def writeback_customer_note(*, note_id: int) -> OutboxMessage | None:
    """Send a note an associate wrote on the profile to the CRM as a Task; an edit updates it.

    Called by the customers domain in the transaction that saves the note, so the note and its
    outbox message commit together: a broker outage or a killed process loses no write-back,
    as the outbox sweep finds the message.
    """
    note = CustomerNote.objects.filter(pk=note_id).select_related("author").first()
    if note is None:
        return None
    author = (note.author.get_full_name() or note.author.username) if note.author else ""
    return outbox_add(
        key=f"customer-note-{note.pk}",
        customer_id=note.customer_id,
        subject=(
            _brand_text(gettext_noop("Frontline note from %(author)s"), author=author)
            if author
            else _brand_text(gettext_noop("Frontline note"))
        ),
        description=note.body,
        occurred_at=note.created_at,
        revise=True,
    )


def writeback_followup_outcome(
    *, followup_id: int, customer_id: int, outcome: str, summary: str, occurred_at: datetime
) -> OutboxMessage | None:
    """Send a follow-up's outcome to the CRM as a Task (called by the follow-ups domain)."""
    return outbox_add(
        key=f"followup-{followup_id}",
        customer_id=customer_id,
        subject=_brand_text(gettext_noop("Follow-up: %(outcome)s"), outcome=outcome),
        description=summary,
        occurred_at=occurred_at,
        subtype="Call",
    )


def writeback_erasure(
    *, erasure_id: int, customer_id: int, occurred_at: datetime
) -> OutboxMessage | None:
    """Ask the CRM to erase its contact of a customer Frontline erased (a Task on the contact,
    which the CRM's own privacy process acts on). Its confirmation comes back through sync:
    the contact deleted at the CRM (see ``frontline.privacy.services``)."""
    return outbox_add(
        key=f"erasure-{erasure_id}",
        customer_id=customer_id,
        subject=_brand_text(gettext_noop("Erasure request (GDPR/CCPA): erase this contact")),
        description=_brand_text(
            gettext_noop(
                "The customer asked for their personal data to be erased. Frontline erased its "
                "copy (erasure request %(erasure)s); please erase or anonymise this contact and "
                "its records."
            ),
            erasure=erasure_id,
        ),
        occurred_at=occurred_at,
    )


def sync_personal_data_export(customer_id: int) -> dict[str, object]:
    """What was queued or sent to the CRM about the customer, and identity doubts about them
    (part of their data export)."""
    from frontline.privacy.registry import rows

    return {
        "crm_write_back": rows(OutboxMessage.objects.filter(customer_id=customer_id)),
        "uncertain_matches": rows(UncertainMatch.objects.filter(customer_id=customer_id)),
    }


def sync_personal_data_erase(customer_id: int) -> None:
    """Nothing about an erased customer is sent any more, and no text of theirs is kept here:
    pending messages are given up and every payload keeps only its subject. Doubts about who
    they are have no one left to resolve and go."""
    UncertainMatch.objects.filter(customer_id=customer_id).delete()
    messages = OutboxMessage.objects.filter(customer_id=customer_id)
    messages.filter(status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.FAILED,
        last_error="The customer's personal data was erased: not sent.",
    )
    for message in messages.only("pk", "payload"):
        payload = {"Subject": message.payload.get("Subject", "")}
        OutboxMessage.objects.filter(pk=message.pk).update(payload=payload)


def outbox_deliver(*, message_id: int) -> OutboxMessage | None:
    """Send one pending message; on failure schedule the next attempt with backoff.

    Delivery is an upsert on the message's key at the CRM, so sending twice (a lost answer, a
    worker killed after the call) updates the one Task instead of creating another.
    """
    message = (
        OutboxMessage.objects.select_related("source")
        .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
        .first()
    )
    if message is None:
        return None
    connector = connector_for(message.source)
    # What this delivery sends, and the row's state when it began: a revision (an edited note)
    # saved meanwhile changes next_attempt_at, and this delivery must not overwrite it.
    sent_payload, began_at = message.payload, message.next_attempt_at
    if not sent_payload.get("WhoId"):
        # A Task about nobody would be lost in the CRM: wait until the customer is a contact
        # there (a customer signed up in a store, say, until the CRM sync brings them).
        contact = message.customer_id and _crm_contact(message.source, message.customer_id)
        if not contact:
            return _wait_for_contact(message, began_at)
        sent_payload = {**sent_payload, "WhoId": contact}
    message.attempts += 1
    try:
        message.remote_id = connector.task_upsert(key=message.key, fields=sent_payload)  # type: ignore[attr-defined]
    except Exception as error:  # any failure is recorded on the message and retried later
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        if message.attempts >= OUTBOX_MAX_ATTEMPTS:
            message.status = OutboxMessage.Status.FAILED
        delay = min(3600, 30 * 2 ** (message.attempts - 1))
        message.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    else:
        message.status = OutboxMessage.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
    delivered = OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxMessage.Status.PENDING, next_attempt_at=began_at
    ).update(
        payload=sent_payload,
        attempts=message.attempts,
        remote_id=message.remote_id,
        last_error=message.last_error,
        status=message.status,
        sent_at=message.sent_at,
        next_attempt_at=message.next_attempt_at,
    )
    message.refresh_from_db()
    if not delivered and message.payload != sent_payload:
        # Revised while the old text was on its way: the revision's own delivery may have
        # reached the CRM first, so the newest text goes once more, after this one.
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now()
        )
        _deliver_after_commit(message.pk)
        message.refresh_from_db()
    return message


def _wait_for_contact(message: OutboxMessage, began_at: datetime | None) -> OutboxMessage:
    """Look again in an hour; waiting is not a failed attempt, so it does not run out.

    A message whose customer has since been erased from Frontline is given up instead.
    """
    changes: dict[str, object]
    if message.customer_id is None:
        changes = {
            "status": OutboxMessage.Status.FAILED,
            "last_error": "The customer is no longer in Frontline: there is nobody to name.",
        }
    else:
        changes = {
            "last_error": "Waiting: the customer has no contact in the CRM yet.",
            "next_attempt_at": timezone.now() + CONTACT_WAIT,
        }
    OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxMessage.Status.PENDING, next_attempt_at=began_at
    ).update(**changes)
    message.refresh_from_db()
    return message


def outbox_due_ids(*, limit: int = 200) -> list[int]:
    return list(
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
