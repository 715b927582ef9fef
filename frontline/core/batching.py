"""Several read-only ``values()`` querysets in one database round trip.

A page or an API answer that shows ten small lists pays ten round trips and ten rounds of
ORM work when each list is its own query. On PostgreSQL this module sends them as one
SELECT: each queryset's own SQL (compiled by the ORM, so its filters, ordering and LIMIT are
exactly the ones the caller wrote) becomes a scalar subquery that PostgreSQL aggregates to
JSON. Elsewhere (SQLite in development) each queryset simply runs on its own. Either way the
caller gets, per name, the list of rows as dicts keyed by the ``values()`` names.

What differs between the two is only the types of the values: through JSON, datetimes
arrive as ISO 8601 strings and decimals as numbers. Callers format those fields themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from psycopg.types.json import JsonLoader

Rows = list[dict[str, Any]]
# A write that travels in the batch's statement: SQL with %s placeholders and its parameters.
Statement = tuple[str, Sequence[Any]]


def values_in_one_round_trip(querysets: Mapping[str, QuerySet[Any]]) -> dict[str, Rows]:
    if connection.vendor != "postgresql":
        return {name: list(queryset) for name, queryset in querysets.items()}
    return PreparedBatch(querysets).run()


class PreparedBatch:
    """The one-round-trip SELECT of ``values_in_one_round_trip``, compiled once, run many times.

    Building and compiling a dozen querysets costs the ORM more than PostgreSQL takes to run
    them. For a batch whose querysets differ between calls only in a few values (a customer's
    id, a date), build it once with a stand-in for each value — an unlikely number or date
    that shows up among the compiled parameters — and ``run`` it with the real values, which
    replace the stand-ins among the parameters. The SQL text itself never changes, so it is
    sent with server-side binding: psycopg prepares it on each connection after a few runs
    (its ``prepare_threshold``) and PostgreSQL stops planning it on every request.

    ``writes`` are INSERT/UPDATE statements run by the same statement as data-modifying WITH
    clauses (PostgreSQL runs each exactly once, whether or not the SELECT reads it): a read
    and the record of that read then cost one round trip and commit together. Their
    parameters may hold stand-ins too. PostgreSQL only.
    """

    def __init__(
        self,
        querysets: Mapping[str, QuerySet[Any]],
        stand_ins: Mapping[str, Any] | None = None,
        *,
        writes: Sequence[Statement] = (),
    ) -> None:
        subqueries: list[str] = []
        params: list[Any] = []
        clauses = []
        for number, (write_sql, write_params) in enumerate(writes):
            clauses.append(f"write_{number} AS ({write_sql})")
            params.extend(write_params)
        for queryset in querysets.values():
            sql, queryset_params, names = compiled(queryset)
            columns = ", ".join(connection.ops.quote_name(name) for name in names)
            # The aggregate reads the sorted subquery in its order, which PostgreSQL documents
            # for aggregates fed by a sorted subquery; the column list renames the columns, so
            # two "id"s from a join become "id" and "store__id". Only ORM-compiled SQL and
            # quoted names are joined here; values stay parameters.
            aggregate = "COALESCE(json_agg(section), '[]'::json)"
            subqueries.append(f"(SELECT {aggregate} FROM ({sql}) AS section ({columns}))")  # noqa: S608
            params.extend(queryset_params)
        self.names = list(querysets)
        with_clause = f"WITH {', '.join(clauses)} " if clauses else ""
        self.sql = with_clause + "SELECT " + ", ".join(subqueries)
        self.params = params
        self.slots = {
            name: _slots(params, stand_in, name) for name, stand_in in (stand_ins or {}).items()
        }

    def run(self, **values: Any) -> dict[str, Rows]:
        with _server_binding_cursor() as cursor:
            cursor.execute(self.sql, _filled(self.params, self.slots, values))
            row = cursor.fetchone()
        return dict(zip(self.names, row, strict=True))


def _filled(
    params: list[Any], slots: Mapping[str, list[int]], values: Mapping[str, Any]
) -> list[Any]:
    """The statement's parameters with each stand-in's positions holding its value."""
    if set(values) != set(slots):
        raise TypeError(f"run() takes exactly {sorted(slots)}")
    filled = list(params)
    for name, positions in slots.items():
        for position in positions:
            filled[position] = values[name]
    return filled


class PreparedModels:
    """One model queryset compiled once with stand-ins and run many times (PostgreSQL).

    What ``PreparedBatch`` does for ``values()`` querysets, for a queryset of model
    instances: ``run`` returns what iterating the queryset would (its ``select_related``
    relations and annotations included, through Django's own populators and converters),
    without building and compiling the query on every call — for a short read on a hot page
    that work costs the ORM far more than PostgreSQL takes to answer. Stand-ins as for
    ``PreparedBatch``; anything else that changes the SQL's shape (a LIMIT, a superuser's
    unscoped query) needs a statement of its own.
    """

    def __init__(self, queryset: QuerySet[Any], stand_ins: Mapping[str, Any]) -> None:
        self.db = queryset.db
        self.compiler = queryset.query.get_compiler(using=self.db)
        sql, params = self.compiler.as_sql()
        self.sql = sql
        self.params = list(params)
        self.slots = {name: _slots(self.params, value, name) for name, value in stand_ins.items()}
        klass_info, select = self.compiler.klass_info, self.compiler.select
        if klass_info is None:
            raise ValueError("PreparedModels takes querysets of model instances")
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.model_fields = slice(fields[0], fields[-1] + 1)
        self.init_list = [column[0].target.attname for column in select[self.model_fields]]
        # Django 5.2's signature; the stubs describe a later one, with a fetch mode.
        self.related_populators = get_related_populators(klass_info, select, self.db)  # type: ignore[call-arg]
        self.annotations = self.compiler.annotation_col_map

    def run(self, **values: Any) -> list[Any]:
        with _server_binding_cursor() as cursor:
            cursor.execute(self.sql, _filled(self.params, self.slots, values))
            rows = cursor.fetchall()
        return [self._instance(row) for row in self.compiler.results_iter([rows])]

    def _instance(self, row: Sequence[Any]) -> Any:
        instance = self.model.from_db(self.db, self.init_list, row[self.model_fields])
        for populator in self.related_populators:
            populator.populate(row, instance)
        for name, position in self.annotations.items():
            setattr(instance, name, row[position])
        return instance


_prepared_models: dict[tuple[Any, ...], PreparedModels] = {}


def prepared_models(
    build: Callable[..., QuerySet[Any]],
    *shape: Hashable,
    stand_ins: Mapping[str, Any],
    **values: Any,
) -> list[Any]:
    """``list(build(*shape, **values))``; on PostgreSQL from a ``PreparedModels`` statement
    compiled once per process for ``build`` and ``shape`` with ``build(*shape, **stand_ins)``.

    ``shape`` is what changes the SQL (a LIMIT), ``values`` what only changes its parameters
    (an id, a moment); each value needs its stand-in. Elsewhere (SQLite in development, whose
    parameters are prepared into text at compile time) the queryset simply runs.
    """
    if connection.vendor != "postgresql":
        return list(build(*shape, **values))
    key = (build, *shape)
    statement = _prepared_models.get(key)
    if statement is None:
        statement = _prepared_models[key] = PreparedModels(build(*shape, **stand_ins), stand_ins)
    return statement.run(**values)


class _OrjsonLoader(JsonLoader):
    """psycopg's loader of json columns, decoding with orjson: the sections arrive as JSON,
    and orjson reads them several times faster than the standard library."""

    # orjson.loads takes str or bytes like json.loads; its stub says otherwise.
    _loads = orjson.loads  # type: ignore[assignment]


@contextmanager
def _server_binding_cursor() -> Iterator[CursorWrapper]:
    """A Django cursor whose parameters PostgreSQL binds itself, so psycopg can prepare.

    Django's own cursors interpolate parameters client-side (its default), which rules out
    prepared statements. This one is still wrapped by Django, so query logging and
    ``assertNumQueries`` see it like any other.
    """
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
    raw.adapters.register_loader("json", _OrjsonLoader)  # type: ignore[attr-defined]
    with connection._prepare_cursor(raw) as cursor:  # type: ignore[attr-defined]
        yield cursor


def _slots(params: list[Any], stand_in: Any, name: str) -> list[int]:
    positions = [
        index
        for index, param in enumerate(params)
        if type(param) is type(stand_in) and param == stand_in
    ]
    if not positions:
        raise ValueError(f"the stand-in for {name!r} is not among the compiled parameters")
    return positions


def compiled(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...], list[str]]:
    """The queryset's SQL, its parameters and the names of its columns in select order."""
    query = queryset.query
    if not query.values_select and not query.annotation_select:
        raise ValueError("values_in_one_round_trip takes values() querysets")
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    if len(names) != len(compiler.select):
        raise ValueError(f"cannot name the {len(compiler.select)} columns of {names}")
    return sql, tuple(params), names
