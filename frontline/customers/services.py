"""Writes of the customers domain: profile edits, notes, wishlist, duplicates, merges.

Every function is keyword-only and checks nothing about who may call it beyond what it says:
views and API views fetch the customer through ``customers_findable_by`` first.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from frontline.actions.services import actions_refresh_for_customer_on_commit
from frontline.core.batching import PreparedBatch, values_in_one_round_trip
from frontline.core.text import one_line
from frontline.customers import matching, merging, selectors
from frontline.customers.models import (
    CandidateStatus,
    Customer,
    CustomerEdit,
    CustomerMerge,
    CustomerNote,
    CustomerPreference,
    CustomerSize,
    DuplicateCandidate,
    Interaction,
    InteractionChannel,
    InteractionKind,
    PreferenceKind,
    SizeCategory,
    WishlistItem,
    WishlistSource,
)
from frontline.customers.normalize import normalize_email, normalize_phone
from frontline.customers.sentiment import SENTIMENT_COLUMNS, interaction_sentiment_fields
from frontline.customers.signals import note_saved
from frontline.notifications.audiences import to_store_staff
from frontline.notifications.services import notification_create
from frontline.privacy.context import client_address
from frontline.privacy.models import AccessAction
from frontline.privacy.services import (
    personal_data_access_record,
    personal_data_access_statement,
)
from frontline.staff.models import StaffRole, Store, StoreAssignment, User

NOTE_MAX_LENGTH = 4000


class MergeRefused(Exception):
    """A merge or an undo that must not happen; the message says why, for the manager."""


# --- New customers signed up in the store --------------------------------------------------


def customer_create(
    *,
    by: User,
    store: Store,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    postcode: str = "",
) -> Customer:
    """A customer signed up by hand, in ``store``, with the associate who did it as theirs.

    Contact points are normalised as the matcher compares them (a phone without an
    international prefix is read in the store's country). Raises ValidationError naming each
    field at fault; nothing is saved then. Once the customer is saved, probable duplicates
    (the same person known from the web shop, say) are looked for and queued for review.
    """
    fields = _new_customer_fields(
        store=store, first_name=first_name, last_name=last_name, email=email, phone=phone
    )
    with transaction.atomic():
        customer = Customer.objects.create(
            **fields,
            postcode=postcode.strip().upper(),
            country=store.country,
            preferred_store=store,
            preferred_associate=by,
            # A unique stand-in until the id, which the brand-facing number is made from, exists.
            number=uuid.uuid4().hex[:20],
        )
        customer.number = f"{HAND_NUMBER_PREFIX}{customer.pk:08d}"
        customer.save(update_fields=["number"])
        personal_data_access_record(
            staff_id=by.pk, customer_id=customer.pk, action=AccessAction.PROFILE_CREATED
        )
    # Imported here: the tasks module imports this one.
    from frontline.customers.tasks import detect_duplicates_task

    transaction.on_commit(lambda: detect_duplicates_task.delay(customer.pk), robust=True)
    return customer


HAND_NUMBER_PREFIX = "FL"


def _new_customer_fields(
    *, store: Store, first_name: str, last_name: str, email: str, phone: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name and not last_name:
        errors["last_name"] = "Give a first name or a last name."
    try:
        email = normalize_email(email)
    except ValidationError:
        errors["email"] = "Enter an e-mail address like name@example.com, or leave it empty."
    try:
        phone = normalize_phone(phone, store.country)
    except ValidationError:
        errors["phone"] = "Enter a phone number with its area code, or leave it empty."
    if errors:
        raise ValidationError(errors)
    return {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}


# --- Arrivals in the store -----------------------------------------------------------------


def customer_check_in(*, customer: Customer, store: Store, by: User) -> Interaction:
    """The customer has arrived at ``store``: a visit on their timeline, and the store told.

    Every staff member of the store hears it the moment it commits (their tablets show it
    live), so whoever knows the customer can come and greet them. Checking in twice in the
    same minute (a double tap) tells the store once.
    """
    now = timezone.now()
    with transaction.atomic():
        visit = Interaction.objects.create(
            customer=customer,
            channel=InteractionChannel.STORE,
            kind=InteractionKind.VISIT,
            summary=f"Checked in at {store.name}",
            occurred_at=now,
            store=store,
            staff=by,
        )
        Customer.objects.filter(pk=customer.pk).update(last_visit_at=now)
        notification_create(
            kind="customer.checked_in",
            recipients=to_store_staff(store),
            title=f"{customer.full_name} checked in",
            body=_check_in_body(customer, store),
            link=f"/customers/{customer.pk}/",
            store=store,
            dedupe_key=f"{customer.pk}-{store.pk}-{now:%Y%m%d%H%M}",
            customer_id=customer.pk,
        )
        actions_refresh_for_customer_on_commit(customer_id=customer.pk)
    return visit


def _check_in_body(customer: Customer, store: Store) -> str:
    associate = customer.preferred_associate
    if associate is None:
        return f"At {store.name}."
    return f"At {store.name}. Their associate: {associate.get_full_name() or associate.username}."


# --- Retention -------------------------------------------------------------------------------


def interactions_details_remove(*, occurred_before: datetime, limit: int) -> int:
    """Replace the text of up to ``limit`` interactions older than ``occurred_before`` by a
    summary of what they were (kind, channel), the oldest first; returns how many.

    The rows stay, so timelines, counts and sentiment trends keep their history; only the
    raw details go. One transaction per call: a job killed between calls has lost nothing
    and resumes where it stopped, since what is done no longer matches. Rows another worker
    is on are skipped (SKIP LOCKED, PostgreSQL), never waited for.
    """
    now = timezone.now()
    with transaction.atomic():
        due = Interaction.objects.filter(
            occurred_at__lt=occurred_before, details_removed_at__isnull=True
        ).order_by("occurred_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        batch = list(due.only("pk", "kind", "channel")[:limit])
        with translation.override(settings.LANGUAGE_CODE):  # stored: in the brand's language
            for interaction in batch:
                interaction.summary = (
                    f"{interaction.get_kind_display()} ({interaction.get_channel_display()}); "
                    "details removed after the retention period"
                )
                interaction.details_removed_at = now
        Interaction.objects.bulk_update(batch, ["summary", "details_removed_at"])
    return len(batch)


# --- Reading the profile (the API's read records itself) ------------------------------------


def customer_profile_read(*, by: User, customer_id: int) -> selectors.ProfileRows:
    """The profile the API serves, with the read recorded in the privacy audit.

    The API's hottest request. On PostgreSQL the scope check, the header, every section and
    the audit row are one prepared statement: one round trip, planned once per connection,
    and the read is on the record exactly when it was answered (an out-of-scope id records
    nothing). Elsewhere the same querysets run one by one, then the read is recorded.
    """
    since = selectors.trend_since()
    if connection.vendor == "postgresql":
        statement = _profile_read_statement(superuser=by.is_superuser)
        fetched = statement.run(
            staff_id=by.pk, customer_id=customer_id, since=since, ip_address=client_address()
        )
    else:
        querysets = selectors.profile_querysets(user=by, customer_id=customer_id, since=since)
        fetched = values_in_one_round_trip(querysets)
        if fetched["customer"]:
            personal_data_access_record(
                staff_id=by.pk, customer_id=customer_id, action=AccessAction.PROFILE_READ_API
            )
    return selectors.profile_rows(fetched)


# Stand-ins the profile statement is compiled with, once per process (see PreparedBatch):
# values no real id or date can take.
_STAFF_STAND_IN = -7_777_777_701
_CUSTOMER_STAND_IN = -7_777_777_702
_SINCE_STAND_IN = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
_ADDRESS_STAND_IN = "stand-in for the client address"


@functools.cache
def _profile_read_statement(*, superuser: bool) -> PreparedBatch:
    """Superusers see every customer, so their statement has no store scope to fill in."""
    staff = User(pk=_STAFF_STAND_IN, is_superuser=superuser)
    in_scope = selectors.customer_in_scope(user=staff, customer_id=_CUSTOMER_STAND_IN)
    return PreparedBatch(
        selectors.profile_querysets(
            user=staff, customer_id=_CUSTOMER_STAND_IN, since=_SINCE_STAND_IN
        ),
        stand_ins={
            "staff_id": _STAFF_STAND_IN,
            "customer_id": _CUSTOMER_STAND_IN,
            "since": _SINCE_STAND_IN,
            "ip_address": _ADDRESS_STAND_IN,
        },
        writes=[
            personal_data_access_statement(
                staff_id=_STAFF_STAND_IN,
                customers=in_scope,
                action=AccessAction.PROFILE_READ_API,
                ip_address=_ADDRESS_STAND_IN,
            )
        ],
    )


# --- Profile edits -------------------------------------------------------------------------


def _record_edit(*, customer: Customer, field: str, old: object, new: object, by: User) -> None:
    CustomerEdit.objects.create(
        customer=customer,
        field=field,
        old_value="" if old is None else str(old)[:200],
        new_value="" if new is None else str(new)[:200],
        edited_by=by,
    )
    # The privacy audit names what was edited, never the values (the edit history holds them,
    # and goes with the customer's data when it is erased).
    personal_data_access_record(
        staff_id=by.pk, customer_id=customer.pk, action=AccessAction.PROFILE_EDITED, detail=field
    )
    # Sizes, favourite brands and dates feed the recommended actions (a birthday soon, a new
    # arrival in their size): show the change without waiting for the nightly batch. Queued
    # once the edit commits; two edits in one call queue two cheap, identical refreshes.
    actions_refresh_for_customer_on_commit(customer_id=customer.pk)


@transaction.atomic
def customer_size_set(
    *, customer: Customer, category: str, size: str, by: User
) -> CustomerSize | None:
    """Set (or with an empty size, clear) the customer's size in a category."""
    if category not in SizeCategory.values:
        raise ValidationError(
            {
                "category": gettext("Unknown size category %(category)s.")
                % {"category": repr(category)}
            }
        )
    size = one_line(size)
    if len(size) > 10:
        raise ValidationError({"size": gettext("A size is at most 10 characters.")})
    current = CustomerSize.objects.filter(customer=customer, category=category).first()
    old = current.size if current else None
    if not size:
        if current:
            current.delete()
            _record_edit(customer=customer, field=f"size:{category}", old=old, new=None, by=by)
        return None
    row, _ = CustomerSize.objects.update_or_create(
        customer=customer, category=category, defaults={"size": size, "updated_by": by}
    )
    if old != size:
        _record_edit(customer=customer, field=f"size:{category}", old=old, new=size, by=by)
    return row


@transaction.atomic
def customer_preference_add(
    *, customer: Customer, kind: str, value: str, by: User
) -> CustomerPreference:
    if kind not in PreferenceKind.values:
        raise ValidationError(
            {"kind": gettext("Unknown preference kind %(kind)s.") % {"kind": repr(kind)}}
        )
    value = one_line(value)
    if not value or len(value) > 120:
        raise ValidationError({"value": gettext("Say the preference in 1 to 120 characters.")})
    row, created = CustomerPreference.objects.get_or_create(
        customer=customer, kind=kind, value=value, defaults={"updated_by": by}
    )
    if created:
        _record_edit(customer=customer, field=f"preference:{kind}", old=None, new=value, by=by)
    return row


@transaction.atomic
def customer_preference_remove(*, customer: Customer, preference_id: int, by: User) -> None:
    row = CustomerPreference.objects.filter(customer=customer, pk=preference_id).first()
    if row is None:
        return  # Already gone: removing twice (a double tap) is not an error.
    row.delete()
    _record_edit(customer=customer, field=f"preference:{row.kind}", old=row.value, new=None, by=by)


@transaction.atomic
def customer_important_dates_set(
    *, customer: Customer, birthday: date | None, anniversary: date | None, by: User
) -> Customer:
    today = timezone.localdate()
    for name, value in (("birthday", birthday), ("anniversary", anniversary)):
        if value is not None and value > today:
            raise ValidationError({name: gettext("This date is in the future.")})
    changed = []
    for name, value in (("birthday", birthday), ("anniversary", anniversary)):
        old = getattr(customer, name)
        if old != value:
            setattr(customer, name, value)
            changed.append(name)
            _record_edit(customer=customer, field=name, old=old, new=value, by=by)
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


# --- Notes -------------------------------------------------------------------------------


def _clean_note_body(body: str) -> str:
    body = body.replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": gettext("A note cannot be empty.")})
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "body": gettext("A note is at most %(limit)s characters.")
                % {"limit": NOTE_MAX_LENGTH}
            }
        )
    return body


def _note_write_back(note: CustomerNote) -> None:
    """Tell listeners (the CRM write-back) in the transaction that saves the note."""
    note_saved.send(sender=CustomerNote, note_id=note.pk)


def note_create(
    *, customer: Customer, author: User, body: str, pinned: bool = False
) -> CustomerNote:
    with transaction.atomic():
        body = _clean_note_body(body)
        note = CustomerNote.objects.create(
            customer=customer,
            author=author,
            body=body,
            is_pinned=pinned,
            **interaction_sentiment_fields(summary=body),
        )
        _note_write_back(note)
        personal_data_access_record(
            staff_id=author.pk,
            customer_id=customer.pk,
            action=AccessAction.PROFILE_EDITED,
            detail=f"note {note.pk} added",
        )
        # A note is news about the customer: their actions are recomputed once it commits.
        actions_refresh_for_customer_on_commit(customer_id=customer.pk)
    return note


def note_update(*, note: CustomerNote, editor: User, body: str) -> CustomerNote:
    """Only the author edits a note's text: it is their account of what happened."""
    if note.author_id != editor.pk:
        raise PermissionDenied(gettext("Only the author can edit this note."))
    note.body = _clean_note_body(body)
    for name, value in interaction_sentiment_fields(summary=note.body).items():
        setattr(note, name, value)
    with transaction.atomic():
        note.save(update_fields=["body", *SENTIMENT_COLUMNS, "updated_at"])
        _note_write_back(note)
        personal_data_access_record(
            staff_id=editor.pk,
            customer_id=note.customer_id,
            action=AccessAction.PROFILE_EDITED,
            detail=f"note {note.pk} edited",
        )
    return note


def note_pin(*, note: CustomerNote, pinned: bool) -> CustomerNote:
    """Anyone who sees the customer may pin or unpin: pinning is for the whole team."""
    note.is_pinned = pinned
    note.save(update_fields=["is_pinned", "updated_at"])
    return note


# --- Wishlist ----------------------------------------------------------------------------


def wishlist_item_add(
    *,
    customer: Customer,
    description: str,
    source: str = WishlistSource.ASSOCIATE,
    variant_id: int | None = None,
    added_by: User | None = None,
) -> WishlistItem:
    description = one_line(description)
    if not description or len(description) > 200:
        raise ValidationError({"description": gettext("Describe the item in 1 to 200 characters.")})
    if source not in WishlistSource.values:
        raise ValidationError(
            {"source": gettext("Unknown wishlist source %(source)s.") % {"source": repr(source)}}
        )
    if variant_id is not None:
        existing = WishlistItem.objects.filter(customer=customer, variant_id=variant_id).first()
        if existing:
            return existing  # The same variant twice is one wish (e-commerce re-sends them).
    return WishlistItem.objects.create(
        customer=customer,
        description=description,
        source=source,
        variant_id=variant_id,
        added_by=added_by,
    )


def wishlist_item_remove(*, customer: Customer, item_id: int) -> None:
    WishlistItem.objects.filter(customer=customer, pk=item_id).delete()


# --- Identity resolution --------------------------------------------------------------------


def duplicate_candidates_detect(*, customer_id: int) -> list[DuplicateCandidate]:
    """Find the probable duplicates of a customer and store them for review. Idempotent.

    Call it whenever a customer is created or its name, e-mail, phone or postcode changed
    (sync, booking, by hand) — ideally after commit, through ``detect_duplicates_task``.
    A pair already reviewed (merged or dismissed) keeps its verdict; an open pair gets the
    newest score and reasons. A merged or missing customer has no candidates.
    """
    customer = Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()
    if customer is None:
        return []
    candidates = []
    for match in matching.find_matches(customer):
        low, high = sorted((customer.pk, match.other_id))
        with transaction.atomic():
            candidate, created = DuplicateCandidate.objects.get_or_create(
                customer_id=low,
                other_id=high,
                defaults={"score": match.score, "reasons": match.reasons},
            )
            if not created and candidate.status == CandidateStatus.OPEN:
                candidate.score = match.score
                candidate.reasons = match.reasons
                candidate.save(update_fields=["score", "reasons"])
        candidates.append(candidate)
    return candidates


def duplicate_candidate_dismiss(*, candidate: DuplicateCandidate, by: User) -> DuplicateCandidate:
    candidate.status = CandidateStatus.DISMISSED
    candidate.reviewed_by = by
    candidate.reviewed_at = timezone.now()
    candidate.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    return candidate


def _managed_store_ids(user: User) -> set[int]:
    return set(
        StoreAssignment.objects.filter(user=user, role=StaffRole.MANAGER).values_list(
            "store_id", flat=True
        )
    )


def _check_may_merge(user: User, customers: Iterable[Customer]) -> None:
    if user.is_superuser:
        return
    managed = _managed_store_ids(user)
    if any(customer.preferred_store_id not in managed for customer in customers):
        raise PermissionDenied(gettext("Only a manager of both customers' stores can merge them."))


def _lock_pair(first_id: int, second_id: int) -> dict[int, Customer]:
    """Lock both rows, always in id order, so two merges of one pair cannot deadlock."""
    rows = Customer.objects.select_for_update().filter(pk__in=[first_id, second_id]).order_by("pk")
    return {customer.pk: customer for customer in rows}


@transaction.atomic
def customers_merge(
    *,
    survivor_id: int,
    loser_id: int,
    merged_by: User,
    take_from_loser: Iterable[str] = (),
    candidate_id: int | None = None,
) -> CustomerMerge:
    """Merge ``loser`` into ``survivor``: every related row moves, the loser is marked merged.

    ``take_from_loser`` names the fields (of ``merging.MERGEABLE_FIELDS``) whose value the
    manager chose from the merged record. Raises MergeRefused (merging a customer into itself,
    or a record already merged) and PermissionDenied. Two concurrent merges of the same pair:
    the second waits for the first's locks, then finds the loser merged and is refused.
    """
    if survivor_id == loser_id:
        raise MergeRefused(gettext("A customer cannot be merged into itself."))
    locked = _lock_pair(survivor_id, loser_id)
    if len(locked) < 2:
        raise MergeRefused(gettext("One of the two customers no longer exists."))
    survivor, loser = locked[survivor_id], locked[loser_id]
    for customer in (survivor, loser):
        if customer.merged_into_id is not None:
            raise MergeRefused(
                gettext(
                    "%(full_name)s (%(number)s) was already merged into another customer; open the "
                    "surviving record instead."
                )
                % {"full_name": customer.full_name, "number": customer.number}
            )
    _check_may_merge(merged_by, (survivor, loser))
    chosen = sorted(set(take_from_loser))
    unknown = set(chosen) - set(merging.MERGEABLE_FIELDS)
    if unknown:
        raise MergeRefused(
            gettext("These fields cannot be chosen in a merge: %(choices)s.")
            % {"choices": ", ".join(sorted(unknown))}
        )

    recorded_fields = merging.MERGEABLE_FIELDS + merging.HISTORY_FIELDS
    before = merging.snapshot(survivor, recorded_fields)
    removed, moved = _move_relations(survivor, loser)
    _take_fields(survivor, loser, chosen)
    _combine_history(survivor, loser)
    survivor.save()
    loser.merged_into = survivor
    loser.save(update_fields=["merged_into", "updated_at"])

    merge = CustomerMerge.objects.create(
        survivor=survivor,
        loser=loser,
        candidate_id=candidate_id,
        merged_by=merged_by,
        chosen_from_loser=chosen,
        survivor_before=before,
        survivor_after=merging.snapshot(survivor, recorded_fields),
        moved=moved,
        removed=removed,
    )
    DuplicateCandidate.objects.filter(
        Q(customer=loser) | Q(other=loser), status=CandidateStatus.OPEN
    ).filter(Q(customer=survivor) | Q(other=survivor)).update(
        status=CandidateStatus.MERGED, reviewed_by=merged_by, reviewed_at=timezone.now()
    )
    for customer in (survivor, loser):
        personal_data_access_record(
            staff_id=merged_by.pk,
            customer_id=customer.pk,
            action=AccessAction.CUSTOMERS_MERGED,
            detail=f"merge {merge.pk}: {loser.number} into {survivor.number}",
        )
    return merge


def _move_relations(survivor: Customer, loser: Customer) -> tuple[list, dict[str, list[int]]]:
    removed: list[dict] = []
    moved: dict[str, list[int]] = {}
    for relation in merging.customer_relations():
        if relation.rule.skip:
            continue
        removed.extend(_set_aside_clashes(relation, survivor, loser))
        manager = relation.model._default_manager
        rows = manager.filter(**{relation.field_name: loser})
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            manager.filter(pk__in=ids).update(**{relation.field_name: survivor})
            moved[relation.key] = ids
    return removed, moved


def _set_aside_clashes(relation: merging.Relation, survivor: Customer, loser: Customer) -> list:
    """Rows of the two that may exist only once: keep one per the rule, set the other aside."""
    removed = []
    manager = relation.model._default_manager
    for key in merging.clash_keys(relation):
        attnames = merging.field_attnames(relation.model, key)
        survivors = {
            tuple(getattr(row, name) for name in attnames): row
            for row in manager.filter(**{relation.field_name: survivor})
        }
        for loser_row in manager.filter(**{relation.field_name: loser}):
            values = tuple(getattr(loser_row, name) for name in attnames)
            if None in values or values not in survivors:
                continue  # NULLs never clash in a unique constraint.
            survivor_row = survivors[values]
            kept = relation.rule.keep(survivor_row, loser_row)
            dropped = loser_row if kept is survivor_row else survivor_row
            removed.append({"relation": relation.key, "row": merging.serialise_row(dropped)})
            dropped.delete()
            if dropped is survivor_row:
                del survivors[values]
    return removed


def _take_fields(survivor: Customer, loser: Customer, chosen: list[str]) -> None:
    for name in chosen:
        attname = merging.model_field(Customer, name).attname
        setattr(survivor, attname, getattr(loser, attname))


def _combine_history(survivor: Customer, loser: Customer) -> None:
    survivor.lifetime_value += loser.lifetime_value
    survivor.order_count += loser.order_count
    for name, pick in (
        ("first_purchase_at", min),
        ("last_purchase_at", max),
        ("last_visit_at", max),
    ):
        values = [value for value in (getattr(survivor, name), getattr(loser, name)) if value]
        setattr(survivor, name, pick(values) if values else None)


@transaction.atomic
def customers_merge_undo(*, merge_id: int, undone_by: User) -> CustomerMerge:
    """Put both records back as they were before the merge, keeping what happened since.

    Rows that moved go back; rows set aside are recreated; the survivor's fields return to
    their earlier values unless someone changed them after the merge (then the later edit
    stays). Refused when already undone, or when the survivor was itself merged since.
    """
    merge = CustomerMerge.objects.select_for_update().filter(pk=merge_id).first()
    if merge is None:
        raise MergeRefused(gettext("There is no such merge."))
    if merge.undone_at is not None:
        raise MergeRefused(gettext("This merge was already undone."))
    locked = _lock_pair(merge.survivor_id, merge.loser_id)
    survivor, loser = locked[merge.survivor_id], locked[merge.loser_id]
    _check_may_merge(undone_by, (survivor, loser))
    if survivor.merged_into_id is not None:
        raise MergeRefused(
            gettext("The surviving customer was merged again since; undo that later merge first.")
        )
    relations = {relation.key: relation for relation in merging.customer_relations()}
    for key, ids in merge.moved.items():
        relation = relations.get(key)
        if relation is None:
            continue  # The relation's app was removed since; nothing left to move back.
        relation.model._default_manager.filter(
            pk__in=ids, **{relation.field_name: survivor}
        ).update(**{relation.field_name: loser})
    try:
        with transaction.atomic():
            for entry in merge.removed:
                merging.deserialise_row(entry["row"]).save(force_insert=True)
    except IntegrityError:
        raise MergeRefused(
            gettext(
                "The merge cannot be undone: a row set aside by the merge clashes with one "
                "added since (for example a size recorded again). Edit the profile instead."
            )
        ) from None
    current = merging.snapshot(survivor, list(merge.survivor_after))
    unchanged_since = {
        name: merge.survivor_before[name]
        for name, value in current.items()
        if value == merge.survivor_after.get(name)
    }
    merging.restore(survivor, unchanged_since)
    survivor.save()
    loser.merged_into = None
    loser.save(update_fields=["merged_into", "updated_at"])
    merge.undone_at = timezone.now()
    merge.undone_by = undone_by
    merge.save(update_fields=["undone_at", "undone_by"])
    if merge.candidate_id:
        DuplicateCandidate.objects.filter(pk=merge.candidate_id).update(
            status=CandidateStatus.OPEN, reviewed_by=None, reviewed_at=None
        )
    for customer in (survivor, loser):
        personal_data_access_record(
            staff_id=undone_by.pk,
            customer_id=customer.pk,
            action=AccessAction.MERGE_UNDONE,
            detail=f"merge {merge.pk} undone",
        )
    return merge


# --- What other domains record on the timeline ---------------------------------------------


def customer_home_store_adopt(*, customer_id: int, store: Store) -> bool:
    """Make ``store`` the customer's store if they have none yet; whether it was set.

    A customer created outside a store (a booking on the public page) would otherwise be
    nobody's: no associate or stylist could see them. One that has a store keeps it.
    """
    return bool(
        Customer.objects.filter(pk=customer_id, preferred_store__isnull=True).update(
            preferred_store=store, updated_at=timezone.now()
        )
    )


# Longer than any review or survey comment (kept whole); what runs past it is an inbound
# e-mail's quoted history, which stays whole on its outreach message.
TIMELINE_TEXT_CHARACTERS = 20_000


def interaction_record(
    *,
    customer_id: int,
    source: str,
    external_id: str,
    channel: str,
    kind: str,
    summary: str,
    occurred_at: datetime,
    sentiment: str = "neutral",
    sentiment_score: float | None = None,
    store: Store | None = None,
    is_new: bool = False,
    refresh_actions: bool = True,
) -> Interaction:
    """Put something another domain knows (a session booked, its rating) on the customer's
    timeline: one entry per ``(source, external_id)``, updated when recorded again.

    ``is_new``: the caller made the thing in this very transaction (a booking), so no entry can
    have its external id yet; it is inserted without the look-up and savepoints of an update.
    ``refresh_actions=False``: the caller queues the customer's actions refresh itself (with its
    other follow-ups, in one message).
    """
    values = {
        "customer_id": customer_id,
        "channel": channel,
        "kind": kind,
        "summary": summary[:TIMELINE_TEXT_CHARACTERS],
        "occurred_at": occurred_at,
        "sentiment": sentiment,
        "sentiment_score": sentiment_score,
        "store": store,
    }
    if is_new:
        interaction = Interaction.objects.create(source=source, external_id=external_id, **values)
    else:
        interaction, _ = Interaction.objects.update_or_create(
            source=source, external_id=external_id, defaults=values
        )
    if refresh_actions:
        actions_refresh_for_customer_on_commit(customer_id=customer_id)
    return interaction
