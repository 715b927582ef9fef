"""Many new rows of one model at once: COPY on PostgreSQL, ``bulk_create`` elsewhere.

``bulk_create`` writes multi-row ``INSERT … VALUES`` statements: every value of every row goes
through the ORM's preparation and then through psycopg's conversion of the statement's
placeholders. For a 10,000-e-mail campaign that was 370,000 of each and most of its queueing
CPU (cProfile of ``campaign_queue``). COPY streams the rows and psycopg adapts their values
itself; only the fields whose Python value PostgreSQL cannot take as it is (JSON, custom
fields) are prepared by their field.

The instances get their ids as from ``bulk_create``: drawn from the table's sequence in one
statement before the COPY. With ``ignore_conflicts`` the rows go through a temporary table and
one ``INSERT … SELECT … ON CONFLICT DO NOTHING``, and, as with ``bulk_create``, the instances
get no id (some of them were not written).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connection, models, transaction
from psycopg import sql

from frontline.core.upsert import copy_into_staging

M = TypeVar("M", bound=models.Model)
if TYPE_CHECKING:
    Field = models.Field[Any, Any]
Reader = Callable[[models.Model], Any]

# Fields whose attribute value psycopg adapts exactly as the ORM would have prepared it. The
# classes themselves, not subclasses: a custom field may prepare its values its own way.
AS_THEY_ARE = {
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.DateTimeField,
    models.EmailField,
    models.ForeignKey,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.TextField,
    models.UUIDField,
}
# Below this many rows the ORM's INSERT costs no more and keeps the statement simple.
COPY_FROM = 100


def bulk_insert(objs: Sequence[M], *, ignore_conflicts: bool = False) -> None:
    """Insert the (unsaved) instances, all of one model; ids set unless ``ignore_conflicts``."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM:
        model._default_manager.bulk_create(objs, batch_size=1000, ignore_conflicts=ignore_conflicts)
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    if ignore_conflicts:
        _insert_new_only(model, fields, objs)
    else:
        _copy_with_ids(model, fields, objs)


def _copy_with_ids(model: type[M], fields: list[Field], objs: Sequence[M]) -> None:
    pk = model._meta.pk
    assert pk is not None
    table, ids = model._meta.db_table, _new_ids(model, len(objs))
    columns = [str(pk.column), *(str(field.column) for field in fields)]
    statement = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
        table=sql.Identifier(table), columns=sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        readers = _readers(fields)
        for obj, new_id in zip(objs, ids, strict=True):
            copy.write_row([new_id, *(read(obj) for read in readers)])
    for obj, new_id in zip(objs, ids, strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = connection.alias


def _new_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` ids from the table's sequence, in one statement, in increasing order."""
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _insert_new_only(model: type[M], fields: list[Field], objs: Sequence[M]) -> None:
    columns = [str(field.column) for field in fields]
    readers = _readers(fields)
    stage = f"stage_{model._meta.db_table}"
    with transaction.atomic():  # the staging table lives until the commit
        copy_into_staging(
            stage,
            model._meta.db_table,
            columns,
            [
                {column: read(obj) for column, read in zip(columns, readers, strict=True)}
                for obj in objs
            ],
        )
        column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} "
                    "ON CONFLICT DO NOTHING"
                ).format(
                    table=sql.Identifier(model._meta.db_table),
                    columns=column_list,
                    stage=sql.Identifier(stage),
                )
            )


def _readers(fields: list[Field]) -> list[Reader]:
    """How to read each field's value for COPY: decided once per call, not once per value."""
    return [_reader(field) for field in fields]


def _reader(field: Field) -> Reader:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        # Sets the instance's stamp, as a save does.
        return lambda obj: field.pre_save(obj, add=True)
    if type(field) in AS_THEY_ARE:
        return attrgetter(field.attname)
    return lambda obj: field.get_db_prep_save(getattr(obj, field.attname), connection)
