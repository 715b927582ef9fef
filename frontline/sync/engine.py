"""The sync engine: one run of one source/entity, page by page, resumable and never doubled.

Each page lands in one transaction together with the cursor that follows it and the run's
counters, so a run that dies (exception, time limit, SIGKILL) resumes from the last page that
landed. Two runs of the same source/entity never overlap: a run first takes a lease row that
expires, so a killed worker delays the next run by at most ``SYNC_LEASE_SECONDS``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from frontline.core.upsert import WriteOutcome
from frontline.sync import seams
from frontline.sync.connectors import connector_for
from frontline.sync.connectors.base import Connector, Page, Raw
from frontline.sync.mapping import MappingError
from frontline.sync.models import Cursor, Lease, QuarantinedRecord, Run, Source

logger = logging.getLogger("frontline.sync")


# Tables each entity writes, whose planner statistics a run can make stale.
WRITTEN_TABLES = {
    "customers": ("customers_customer", "customers_customeridentity"),
    "orders": ("orders_order", "orders_orderline", "customers_customer"),
    "products": ("catalog_brand", "catalog_product", "catalog_variant"),
    "stock": ("catalog_stocklevel",),
    "interactions": ("customers_interaction",),
    "reviews": ("customers_interaction",),
}
# When a run has changed a table materially, it is analysed as the run ends: when the rows the
# run wrote exceed ANALYZE_BASE_ROWS plus ANALYZE_SHARE of the rows the table held. That is
# PostgreSQL's own autovacuum rule (autovacuum_analyze_threshold 50, scale factor 0.1),
# applied at once rather than whenever autovacuum next comes round: a table that grew from
# nothing keeps the statistics of an empty table until then, and the planner answers a lookup
# of a few thousand keys by scanning a million rows (seen here: 0.02 s became 1 s a page).
ANALYZE_BASE_ROWS = 50
ANALYZE_SHARE = 0.1
# A long run also analyses in its course, every this many rows written to a table.
STATISTICS_EVERY = 50_000


@dataclass
class StaleStatistics:
    """Rows a run wrote to each of its entity's tables since the table was last analysed.

    Rows are counted as records landed (created or updated): an order's lines and its
    customer's figures move with it.
    """

    entity: str
    written: dict[str, int] = field(default_factory=dict)

    def note(self, landing: Landing) -> None:
        # An entity this table does not know (yet) leaves its tables to autovacuum.
        for table in WRITTEN_TABLES.get(self.entity, ()):
            if table in landing.analysed:
                self.written[table] = 0
            else:
                rows = landing.created + landing.updated
                self.written[table] = self.written.get(table, 0) + rows

    def refresh_large(self) -> list[str]:
        """In the course of a run: analyse the tables that took STATISTICS_EVERY rows."""
        return self._analyse([t for t, rows in self.written.items() if rows >= STATISTICS_EVERY])

    def refresh_changed(self) -> list[str]:
        """As the run ends: analyse the tables it changed materially (see ANALYZE_SHARE)."""
        written = {table: rows for table, rows in self.written.items() if rows > 0}
        held = estimated_rows(list(written))
        return self._analyse(
            [
                table
                for table, rows in written.items()
                if rows > ANALYZE_BASE_ROWS + ANALYZE_SHARE * held.get(table, 0)
            ]
        )

    def _analyse(self, tables: list[str]) -> list[str]:
        tables = sorted(tables)
        if tables:
            analyse_tables(tables)
        for table in tables:
            self.written[table] = 0
        return tables


def estimated_rows(tables: list[str]) -> dict[str, float]:
    """The planner's own estimate of each table's rows (none for a table never analysed)."""
    if not tables or connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class "
            "WHERE oid = ANY(%s::regclass[]) AND reltuples > 0",
            [tables],
        )
        return dict(cursor.fetchall())


def analyse_tables(tables: list[str]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


class LeaseLost(RuntimeError):
    """Another run took the lease (ours expired): stop before writing anything more."""


# --- Leases -----------------------------------------------------------------------------


def lease_acquire(*, source: Source, entity: str) -> str | None:
    """Take the source/entity's lease if free or expired; returns the holder token or None."""
    holder = uuid.uuid4().hex
    now = timezone.now()
    expires = now + timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    Lease.objects.get_or_create(source=source, entity=entity, defaults={"expires_at": now})
    taken = Lease.objects.filter(
        Q(expires_at__lte=now) | Q(holder=""), source=source, entity=entity
    ).update(holder=holder, expires_at=expires)
    return holder if taken else None


def lease_renew(*, source: Source, entity: str, holder: str) -> None:
    expires = timezone.now() + timedelta(seconds=settings.SYNC_LEASE_SECONDS)
    renewed = Lease.objects.filter(source=source, entity=entity, holder=holder).update(
        expires_at=expires
    )
    if not renewed:
        raise LeaseLost(f"the lease on {source}/{entity} was taken over")


def lease_release(*, source: Source, entity: str, holder: str) -> None:
    Lease.objects.filter(source=source, entity=entity, holder=holder).update(
        holder="", expires_at=timezone.now()
    )


# --- Landing records --------------------------------------------------------------------


@dataclass
class Failure:
    raw: Raw
    external_id: str
    reason: str


@dataclass
class Landing:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[Failure] = field(default_factory=list)
    active_customer_ids: set[int] = field(default_factory=set)
    # Failures the landing quarantined itself (a bulk path that never holds them in memory).
    stored: int = 0
    # Tables the landing analysed itself (a bulk load rebuilds and analyses what it filled).
    analysed: set[str] = field(default_factory=set)

    def add(self, outcome: WriteOutcome) -> None:
        self.created += outcome.created
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged
        self.active_customer_ids |= outcome.active_customer_ids


def land_records(connector: Connector, entity: str, raws: list[Raw]) -> Landing:
    """Map and write a page; what cannot land is returned as failures, the rest lands."""
    landing = Landing()
    mapped: list[tuple[Raw, dict[str, Any]]] = []
    for raw in raws:
        try:
            mapped.append((raw, connector.map(entity, raw)))
        except MappingError as error:
            landing.failures.append(Failure(raw, connector.external_id(entity, raw), str(error)))
    if not mapped:
        return landing
    try:
        with transaction.atomic():
            _write(connector, entity, mapped, landing)
    except (IntegrityError, DatabaseError) as error:
        # The database refused something in the batch. Land the records one by one so that
        # only the bad ones are quarantined, each with the database's own reason.
        logger.warning("batch refused, landing one by one: %s", error)
        landing = Landing(failures=landing.failures)
        for raw, record in mapped:
            try:
                with transaction.atomic():
                    _write(connector, entity, [(raw, record)], landing)
            except (IntegrityError, DatabaseError) as single_error:
                reason = str(single_error).strip().splitlines()[0]
                landing.failures.append(
                    Failure(raw, connector.external_id(entity, raw), f"refused: {reason}")
                )
    # Once per batch, whichever way it landed: only the records that did land count.
    seams.customers_had_activity(customer_ids=landing.active_customer_ids)
    return landing


def _write(
    connector: Connector, entity: str, mapped: list[tuple[Raw, dict[str, Any]]], landing: Landing
) -> None:
    outcome = connector.write(entity, [record for _, record in mapped])
    landing.add(outcome)
    for index, reason in sorted(outcome.rejected.items()):
        raw = mapped[index][0]
        landing.failures.append(Failure(raw, connector.external_id(entity, raw), reason))


def quarantine_store(
    *, source: Source, entity: str, run: Run | None, failures: list[Failure]
) -> None:
    QuarantinedRecord.objects.bulk_create(
        [
            QuarantinedRecord(
                source=source,
                entity=entity,
                run=run,
                external_id=_storable(failure.external_id),
                payload=_storable(failure.raw),
                reason=failure.reason,
            )
            for failure in failures
        ]
    )


def _storable(value: Any) -> Any:
    """A payload PostgreSQL's jsonb takes: it refuses NUL (``\\u0000``) in any string, and a
    record quarantined for holding one must still be kept. NUL becomes U+FFFD, the replacement
    character, which a person reviewing it sees."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


# --- Runs -------------------------------------------------------------------------------


def run_sync(
    *,
    source: Source,
    entity: str,
    trigger: str = Run.Trigger.SCHEDULE,
    external_ids: list[str] | None = None,
) -> Run:
    """One run of one source/entity: every page since the cursor, or just the records named."""
    holder = lease_acquire(source=source, entity=entity)
    if holder is None:
        return Run.objects.create(
            source=source,
            entity=entity,
            trigger=trigger,
            status=Run.Status.SKIPPED,
            finished_at=timezone.now(),
        )
    # A run still marked running now that we hold the lease lost its worker (killed or timed
    # out): say so, so that the run page never shows it running forever.
    Run.objects.filter(source=source, entity=entity, status=Run.Status.RUNNING).update(
        status=Run.Status.FAILED, error="worker lost", finished_at=timezone.now()
    )
    run = Run.objects.create(source=source, entity=entity, trigger=trigger)
    statistics = StaleStatistics(entity)
    try:
        connector = connector_for(source)
        if external_ids is None:
            cursor, _ = Cursor.objects.get_or_create(source=source, entity=entity)
            for page in connector.pages(entity, dict(cursor.value)):
                statistics.note(
                    _land_page(run, connector, entity, page, cursor=cursor, holder=holder)
                )
                statistics.refresh_large()
        else:
            raws = connector.fetch(entity, external_ids)
            statistics.note(
                _land_page(run, connector, entity, Page(raws, {}), cursor=None, holder=holder)
            )
        # Before the run is reported finished, so that what runs next plans on fresh figures.
        statistics.refresh_changed()
    except Exception as error:
        logger.exception("sync run %s failed", run.pk)
        _finish(run, Run.Status.FAILED, error=f"{type(error).__name__}: {error}")
        transaction.on_commit(lambda: seams.run_failed(run=run))
        if _must_propagate(error):
            raise
    else:
        _finish(run, Run.Status.SUCCEEDED)
    finally:
        lease_release(source=source, entity=entity, holder=holder)
    return run


def _must_propagate(error: BaseException) -> bool:
    """Time limits must reach Celery; everything else is recorded on the run."""
    from celery.exceptions import SoftTimeLimitExceeded

    return isinstance(error, SoftTimeLimitExceeded)


def _land_page(
    run: Run, connector: Connector, entity: str, page: Page, *, cursor: Cursor | None, holder: str
) -> Landing:
    with transaction.atomic():
        lease_renew(source=run.source, entity=entity, holder=holder)
        if page.land is not None:
            landing = page.land(run)
        else:
            landing = land_records(connector, entity, page.records)
        quarantine_store(source=run.source, entity=entity, run=run, failures=landing.failures)
        if cursor is not None:
            cursor.value = page.cursor
            cursor.save(update_fields=["value", "updated_at"])
        if page.on_landed:
            page.on_landed()
        Run.objects.filter(pk=run.pk).update(
            pages=F("pages") + 1,
            created=F("created") + landing.created,
            updated=F("updated") + landing.updated,
            unchanged=F("unchanged") + landing.unchanged,
            quarantined=F("quarantined") + len(landing.failures) + landing.stored,
        )
        if page.after_commit:
            transaction.on_commit(page.after_commit)
    run.refresh_from_db()
    seams.run_progressed(run=run)
    return landing


def _finish(run: Run, status: str, *, error: str = "") -> None:
    Run.objects.filter(pk=run.pk).update(status=status, error=error, finished_at=timezone.now())
    run.refresh_from_db()
    seams.run_progressed(run=run)
