"""Bulk, idempotent upserts into any table, counting what was created, updated or left alone.

The domains land what sync maps (``customers.loading``, ``catalog.loading``, ``orders.loading``)
with these; they report back in a ``WriteOutcome``. (Their bulk forms for a staged table,
``customers.bulk`` and ``orders.bulk``, build on ``core.bulk_load``.)

PostgreSQL: the batch is COPYed into a temporary staging table, then one
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE (…) IS DISTINCT FROM (…)`` lands it, so an
unchanged record costs no write at all (no new row version, no WAL). A small batch (up to
``SMALL_BATCH`` rows: a booking's one customer) goes in as ``INSERT … VALUES … ON CONFLICT``
with the same tail instead: for it the staging table, COPY and ANALYZE cost several statements
and most of the time. Other databases (SQLite in
development and tests): existing rows are read by key and compared in Python, new rows go in
with ``bulk_create`` and changed ones with ``bulk_update``. Both paths give the same result and
the same counts; the engine's lease guarantees one writer per source/entity, which the simpler
path relies on.

Keys are deduplicated within a batch first (the last occurrence wins): PostgreSQL refuses an
``ON CONFLICT DO UPDATE`` that touches the same row twice in one statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils import timezone
from psycopg import sql
from psycopg.types.json import Jsonb

Row = dict[str, Any]
Key = tuple[Any, ...]

# Batches up to this size are upserted with one INSERT … VALUES instead of through a staging
# table: five statements (create, COPY, ANALYZE, insert, read the ids) become one or two.
SMALL_BATCH = 20


@dataclass(frozen=True)
class TableSpec:
    """How one table is upserted. All names are column names (``store_id``, not ``store``)."""

    model: type[models.Model]
    key: tuple[str, ...]
    # Business columns: a difference in one of these makes the row "updated".
    compare: tuple[str, ...]
    # Set on insert only (figures other services own, creation stamps).
    insert_defaults: dict[str, Callable[[], Any]] = field(default_factory=dict)
    # Set to "now" whenever the row is really written (insert or real change).
    stamps: tuple[str, ...] = ()
    # Predicate of a partial unique index that the key relies on.
    conflict_where: str = ""

    @property
    def table(self) -> str:
        return self.model._meta.db_table


@dataclass
class UncertainMatch:
    """A source record that resembled existing customers without clearly being one of them."""

    external_id: str
    customer_id: int
    candidate_ids: list[int]
    reason: str


@dataclass
class WriteOutcome:
    """What a domain's landing of one batch did, per record."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Records the domain refused, by their index in the batch, with the reason.
    rejected: dict[int, str] = field(default_factory=dict)
    # Customers whose purchases or interactions this write changed (their actions go stale).
    active_customer_ids: set[int] = field(default_factory=set)
    # The customer each landed customer record belongs to, by the record's external id.
    customer_ids: dict[str, int] = field(default_factory=dict)
    # Identity doubts for a person to review (sync records them against its source).
    uncertain: list[UncertainMatch] = field(default_factory=list)
    # Tables the write analysed itself (a bulk load rebuilds and analyses the tables it filled).
    analysed: set[str] = field(default_factory=set)

    def count(self, counts: WriteOutcome) -> None:
        """Take the created/updated/unchanged figures of ``counts``."""
        self.created, self.updated = counts.created, counts.updated
        self.unchanged = counts.unchanged


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: dict[Key, int] = field(default_factory=dict)


def per_record_counts(
    primary: UpsertResult, records: int, *, also_written: int = 0
) -> WriteOutcome:
    """Per-record counts: a record is updated when its row or a dependent row was written."""
    unchanged = max(0, min(primary.unchanged, records - primary.created - also_written))
    return WriteOutcome(
        created=primary.created,
        updated=records - primary.created - unchanged,
        unchanged=unchanged,
    )


def split_deletions(records: list[Row]) -> tuple[list[int], list[str]]:
    """The positions of the live records, and the external ids of those the source deleted
    (tombstones: ``{"external_id": …, "deleted": True}``)."""
    live = [index for index, record in enumerate(records) if not record.get("deleted")]
    gone = [record["external_id"] for record in records if record.get("deleted")]
    return live, gone


def dedupe(rows: Iterable[Row], key: tuple[str, ...]) -> list[Row]:
    """One row per key, the last one seen winning (later lines in a feed are newer)."""
    unique: dict[Key, Row] = {}
    for row in rows:
        unique[tuple(row[column] for column in key)] = row
    return list(unique.values())


def upsert(spec: TableSpec, rows: Iterable[Row], *, want_ids: bool = False) -> UpsertResult:
    batch = dedupe(rows, spec.key)
    if not batch:
        return UpsertResult()
    if connection.vendor == "postgresql":
        if len(batch) <= SMALL_BATCH:
            return _upsert_postgresql_values(spec, batch, want_ids=want_ids)
        return _upsert_postgresql(spec, batch, want_ids=want_ids)
    return _upsert_portable(spec, batch)


# --- PostgreSQL -------------------------------------------------------------------------


def copy_into_staging(name: str, template_table: str, columns: list[str], rows: list[Row]) -> None:
    """A temporary table shaped like the template's columns, filled by COPY, dropped on commit."""
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "DROP TABLE IF EXISTS {stage}; "
                "CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
                "SELECT {columns} FROM {template} WITH NO DATA"
            ).format(
                stage=sql.Identifier(name),
                columns=column_list,
                template=sql.Identifier(template_table),
            )
        )
        copy_statement = sql.SQL("COPY {stage} ({columns}) FROM STDIN").format(
            stage=sql.Identifier(name), columns=column_list
        )
        with cursor.copy(copy_statement) as copy:
            for row in rows:
                copy.write_row([_copyable(row[column]) for column in columns])
        if rows:
            # Without statistics the planner guesses the temporary table's size and may join
            # it to a million-row table by scanning that table whole.
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))


def _copyable(value: Any) -> Any:
    """A value COPY can send: dictionaries and lists go to json/jsonb columns as JSON."""
    return Jsonb(value) if isinstance(value, dict | list) else value


def returning_inserted(returning: tuple[str, ...] = ()) -> sql.Composed:
    """``RETURNING TRUE AS inserted, …``: the tail for a table known to hold none of the rows.

    The same row shape as ``on_conflict``'s, for callers that have made sure nothing can
    conflict (see ``bulk_load.first_load``): PostgreSQL then skips the speculative insertion that
    ``ON CONFLICT`` costs on every row, about a quarter of a large load's insert time.
    """
    return sql.SQL("RETURNING TRUE AS inserted{returning}").format(returning=_returning(returning))


def _returning(names: tuple[str, ...]) -> sql.Composable:
    return sql.SQL("").join(sql.SQL(", ") + sql.Identifier(name) for name in names)


def on_conflict(spec: TableSpec, returning: tuple[str, ...] = ()) -> sql.Composed:
    """``ON CONFLICT … DO UPDATE … WHERE (…) IS DISTINCT FROM (…) RETURNING (xmax = 0), …``.

    The tail of an ``INSERT INTO table AS target …`` that writes only what changed and says of
    each row it wrote whether it was inserted (then the ``returning`` columns).
    """
    updates = [*spec.compare, *spec.stamps]
    return sql.SQL(
        "ON CONFLICT ({key}){conflict_where} DO UPDATE SET {assignments} "
        "WHERE ({old}) IS DISTINCT FROM ({new}) "
        "RETURNING (xmax = 0) AS inserted{returning}"
    ).format(
        returning=_returning(returning),
        key=sql.SQL(", ").join(map(sql.Identifier, spec.key)),
        conflict_where=sql.SQL(f" WHERE {spec.conflict_where}" if spec.conflict_where else ""),
        assignments=sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name)) for name in updates
        ),
        old=sql.SQL(", ").join(
            sql.SQL("target.{}").format(sql.Identifier(name)) for name in spec.compare
        ),
        new=sql.SQL(", ").join(
            sql.SQL("EXCLUDED.{}").format(sql.Identifier(name)) for name in spec.compare
        ),
    )


def _written_columns(spec: TableSpec) -> list[str]:
    """The columns a batch brings: its key, then what is compared."""
    return list(dict.fromkeys([*spec.key, *spec.compare]))


def _insert_extras(spec: TableSpec) -> dict[str, Any]:
    """The values set on insert only, and the stamps, for the batch being written now."""
    extra = {name: make() for name, make in spec.insert_defaults.items()}
    extra.update(dict.fromkeys(spec.stamps, timezone.now()))
    return extra


def _identifiers(names: Iterable[str]) -> sql.Composed:
    return sql.SQL(", ").join(map(sql.Identifier, names))


def _upsert_postgresql_values(spec: TableSpec, batch: list[Row], *, want_ids: bool) -> UpsertResult:
    """A small batch in one ``INSERT … VALUES … ON CONFLICT``, returning the ids it wrote."""
    written_columns = _written_columns(spec)
    extra = _insert_extras(spec)
    width = len(written_columns) + len(extra)
    one_row = sql.SQL("({})").format(sql.SQL(", ").join([sql.Placeholder()] * width))
    statement = sql.SQL("INSERT INTO {table} AS target ({columns}) VALUES {rows} ").format(
        table=sql.Identifier(spec.table),
        columns=_identifiers([*written_columns, *extra]),
        rows=sql.SQL(", ").join([one_row] * len(batch)),
    ) + on_conflict(spec, returning=(*spec.key, "id"))
    parameters = [
        value
        for row in batch
        for value in [*(_copyable(row[column]) for column in written_columns), *extra.values()]
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        written = cursor.fetchall()
    created = sum(1 for inserted, *_ in written if inserted)
    result = UpsertResult(
        created=created, updated=len(written) - created, unchanged=len(batch) - len(written)
    )
    result.ids = {tuple(found[1:-1]): found[-1] for found in written}
    if want_ids and result.unchanged:
        # Rows left alone return nothing from the insert: their ids are read by key.
        result.ids.update(
            _ids_by_key(spec, [key for key in _keys(spec, batch) if key not in result.ids])
        )
    return result


def _keys(spec: TableSpec, batch: list[Row]) -> list[Key]:
    return [tuple(row[column] for column in spec.key) for row in batch]


def _ids_by_key(spec: TableSpec, keys: list[Key]) -> dict[Key, int]:
    one_key = sql.SQL("({})").format(sql.SQL(", ").join([sql.Placeholder()] * len(spec.key)))
    statement = sql.SQL("SELECT {key}, id FROM {table} WHERE ({key}) IN ({keys})").format(
        key=_identifiers(spec.key),
        table=sql.Identifier(spec.table),
        keys=sql.SQL(", ").join([one_key] * len(keys)),
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [value for key in keys for value in key])
        return {tuple(found[:-1]): found[-1] for found in cursor.fetchall()}


def _upsert_postgresql(spec: TableSpec, batch: list[Row], *, want_ids: bool) -> UpsertResult:
    stage = f"stage_{spec.table}"
    staged = _written_columns(spec)
    copy_into_staging(stage, spec.table, staged, batch)
    extra = _insert_extras(spec)
    insert_columns = [*staged, *extra]
    identifiers = _identifiers
    statement = sql.SQL(
        "INSERT INTO {table} AS target ({insert_columns}) SELECT {staged}{extra} FROM {stage} "
    ).format(
        table=sql.Identifier(spec.table),
        insert_columns=identifiers(insert_columns),
        staged=identifiers(staged),
        extra=sql.SQL("").join(sql.SQL(", ") + sql.Placeholder() for _ in extra),
        stage=sql.Identifier(stage),
    ) + on_conflict(spec)
    with connection.cursor() as cursor:
        cursor.execute(statement, list(extra.values()))
        written = [inserted for (inserted,) in cursor.fetchall()]
        result = UpsertResult(
            created=sum(written),
            updated=len(written) - sum(written),
            unchanged=len(batch) - len(written),
        )
        if want_ids:
            cursor.execute(
                sql.SQL(
                    "SELECT {keys}, target.id FROM {table} target JOIN {stage} USING ({key})"
                ).format(
                    keys=sql.SQL(", ").join(
                        sql.SQL("target.{}").format(sql.Identifier(name)) for name in spec.key
                    ),
                    table=sql.Identifier(spec.table),
                    stage=sql.Identifier(stage),
                    key=identifiers(list(spec.key)),
                )
            )
            result.ids = {tuple(found[:-1]): found[-1] for found in cursor.fetchall()}
    return result


# --- Portable path (SQLite) -------------------------------------------------------------


def _attribute(spec: TableSpec, column: str) -> str:
    for model_field in spec.model._meta.concrete_fields:
        if model_field.column == column:
            return str(model_field.attname)
    raise LookupError(f"{spec.table} has no column {column}")


def _field_name(spec: TableSpec, column: str) -> str:
    for model_field in spec.model._meta.concrete_fields:
        if model_field.column == column:
            return model_field.name
    raise LookupError(f"{spec.table} has no column {column}")


def existing_by_key(spec: TableSpec, keys: list[Key]) -> dict[Key, models.Model]:
    """The rows already stored for these keys (filtered on the first key column, then exactly)."""
    first = _attribute(spec, spec.key[0])
    attributes = [_attribute(spec, column) for column in spec.key]
    wanted = set(keys)
    found: dict[Key, models.Model] = {}
    values = list({key[0] for key in keys})
    for start in range(0, len(values), 5000):
        chunk = values[start : start + 5000]
        for instance in spec.model._default_manager.filter(**{f"{first}__in": chunk}):
            key = tuple(getattr(instance, name) for name in attributes)
            if key in wanted:
                found[key] = instance
    return found


def _upsert_portable(spec: TableSpec, batch: list[Row]) -> UpsertResult:
    attributes = {column: _attribute(spec, column) for column in [*spec.key, *spec.compare]}
    keys = _keys(spec, batch)
    existing = existing_by_key(spec, keys)
    now = timezone.now()
    new, changed = [], []
    for key, row in zip(keys, batch, strict=True):
        instance = existing.get(key)
        if instance is None:
            values = {attributes[column]: row[column] for column in attributes}
            values.update({_attribute(spec, c): make() for c, make in spec.insert_defaults.items()})
            values.update({_attribute(spec, column): now for column in spec.stamps})
            new.append(spec.model(**values))
            continue
        differences = {
            attributes[column]: row[column]
            for column in spec.compare
            if getattr(instance, attributes[column]) != row[column]
        }
        if differences:
            for name, value in differences.items():
                setattr(instance, name, value)
            for column in spec.stamps:
                setattr(instance, _attribute(spec, column), now)
            changed.append(instance)
    if new:
        spec.model._default_manager.bulk_create(new, batch_size=500)
    if changed:
        update_fields = [_field_name(spec, c) for c in [*spec.compare, *spec.stamps]]
        spec.model._default_manager.bulk_update(changed, update_fields, batch_size=500)
    result = UpsertResult(
        created=len(new), updated=len(changed), unchanged=len(batch) - len(new) - len(changed)
    )
    stored = {**existing, **existing_by_key(spec, [k for k in keys if k not in existing])}
    result.ids = {key: instance.pk for key, instance in stored.items()}
    return result


def rows_where_in(
    model: type[models.Model],
    column: str,
    values: Iterable[Any],
    returning: tuple[str, ...],
    *,
    equal: dict[str, Any] | None = None,
    null: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """``SELECT returning FROM table WHERE column IN values [AND c = v …] [AND n IS NULL …]``.

    On PostgreSQL the values travel as one array parameter (``= ANY(%s)``): with thousands of
    values, Django's one-placeholder-per-value ``__in`` spends longer composing the query than
    the database spends answering it.
    """
    wanted = list(set(values))
    if not wanted:
        return []
    equal = equal or {}
    if connection.vendor != "postgresql":
        found: list[tuple[Any, ...]] = []
        filters = {**equal, **{f"{name}__isnull": True for name in null}}
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            query = model._default_manager.filter(**{f"{column}__in": chunk}, **filters)
            found.extend(query.values_list(*returning))
        return found
    conditions = [sql.SQL("{} = ANY(%s)").format(sql.Identifier(column))]
    conditions += [sql.SQL("{} = %s").format(sql.Identifier(name)) for name in equal]
    conditions += [sql.SQL("{} IS NULL").format(sql.Identifier(name)) for name in null]
    statement = sql.SQL("SELECT {returning} FROM {table} WHERE {conditions}").format(
        returning=sql.SQL(", ").join(map(sql.Identifier, returning)),
        table=sql.Identifier(model._meta.db_table),
        conditions=sql.SQL(" AND ").join(conditions),
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [wanted, *equal.values()])
        return [tuple(row) for row in cursor.fetchall()]


def ids_by_value(model: type[models.Model], column: str, values: Iterable[Any]) -> dict[Any, int]:
    """The id of each row by the value of one of its unique columns (an SKU, a store code)."""
    return dict(rows_where_in(model, column, values, (column, "id")))
