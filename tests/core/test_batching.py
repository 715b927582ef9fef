"""Several values() querysets in one round trip; compiled once when only values change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Upper

from frontline.core.batching import (
    PreparedBatch,
    PreparedModels,
    prepared_models,
    values_in_one_round_trip,
)
from frontline.customers.models import Customer
from frontline.staff.models import Store
from tests.factories import CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db

on_postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="PreparedBatch builds one PostgreSQL SELECT (json_agg); elsewhere querysets run alone",
)


def test_each_queryset_comes_back_under_its_name_in_its_order():
    StoreFactory(code="b-store", name="B"), StoreFactory(code="a-store", name="A")
    fetched = values_in_one_round_trip(
        {
            "by_code": Store.objects.order_by("code").values("code", "name"),
            "none": Store.objects.filter(code="missing").values("code"),
        }
    )
    assert fetched == {
        "by_code": [{"code": "a-store", "name": "A"}, {"code": "b-store", "name": "B"}],
        "none": [],
    }


@on_postgresql_only
def test_a_prepared_batch_runs_with_the_values_it_is_given_each_time():
    first, second = StoreFactory(name="First"), StoreFactory(name="Second")
    stand_in = -7_000_000_001
    batch = PreparedBatch(
        {"store": Store.objects.filter(pk=stand_in).values("name")},
        stand_ins={"store_id": stand_in},
    )
    assert batch.run(store_id=first.pk) == {"store": [{"name": "First"}]}
    assert batch.run(store_id=second.pk) == {"store": [{"name": "Second"}]}
    with pytest.raises(TypeError):
        batch.run()


@on_postgresql_only
def test_a_stand_in_the_compiled_sql_does_not_carry_is_refused():
    with pytest.raises(ValueError, match="not among the compiled parameters"):
        PreparedBatch(
            {"stores": Store.objects.values("name")}, stand_ins={"store_id": -7_000_000_001}
        )


@on_postgresql_only
def test_a_write_in_the_batch_runs_once_with_the_read_and_its_stand_ins_filled():
    store = StoreFactory(name="Before")
    stand_in = -7_000_000_002
    rename = (
        f"UPDATE {Store._meta.db_table} SET name = %s WHERE id = %s",  # noqa: S608
        ("After", stand_in),
    )
    batch = PreparedBatch(
        {"store": Store.objects.filter(pk=stand_in).values("name")},
        stand_ins={"store_id": stand_in},
        writes=[rename],
    )
    # The SELECT sees the table as the statement began (PostgreSQL's rule for WITH writes);
    # the write has happened once it returns.
    assert batch.run(store_id=store.pk) == {"store": [{"name": "Before"}]}
    store.refresh_from_db()
    assert store.name == "After"


@on_postgresql_only
def test_a_batch_run_often_on_a_connection_is_prepared_there_so_it_is_not_planned_again():
    store = StoreFactory(name="Prepared")
    stand_in = -7_000_000_003
    batch = PreparedBatch(
        {"store": Store.objects.filter(pk=stand_in).values("name")},
        stand_ins={"store_id": stand_in},
    )

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE from_sql = false")
            return int(cursor.fetchone()[0])

    before = prepared()
    for _ in range(6):
        assert batch.run(store_id=store.pk) == {"store": [{"name": "Prepared"}]}
    assert prepared() == before + 1


def _customers_of_store(*, store_id: int) -> QuerySet[Customer]:
    return (
        Customer.objects.filter(preferred_store_id=store_id)
        .select_related("preferred_store")
        .annotate(store_shout=Upper("preferred_store__name"))
        .order_by("first_name")
    )


@on_postgresql_only
def test_prepared_models_are_the_querysets_instances_with_relations_and_annotations(
    django_assert_num_queries,
):
    first, second = StoreFactory(name="First"), StoreFactory(name="Second")
    CustomerFactory(preferred_store=first, first_name="Bea")
    CustomerFactory(preferred_store=first, first_name="Ann")
    CustomerFactory(preferred_store=second, first_name="Cy")
    stand_in = -7_000_000_003
    statement = PreparedModels(_customers_of_store(store_id=stand_in), {"store_id": stand_in})
    for store in (first, second, first):
        expected = list(_customers_of_store(store_id=store.pk))
        with django_assert_num_queries(1):
            got = statement.run(store_id=store.pk)
            assert [c.pk for c in got] == [c.pk for c in expected]
            assert [c.first_name for c in got] == [c.first_name for c in expected]
            assert [c.store_shout for c in got] == [store.name.upper()] * len(expected)
            assert {c.preferred_store.name for c in got} == {store.name}
            assert all(c._state.db == "default" and not c._state.adding for c in got)


def test_prepared_models_answer_what_the_queryset_answers_on_any_database():
    store = StoreFactory(name="Only")
    CustomerFactory(preferred_store=store, first_name="Ann")
    got = prepared_models(
        _customers_of_store, stand_ins={"store_id": -7_000_000_004}, store_id=store.pk
    )
    again = prepared_models(
        _customers_of_store, stand_ins={"store_id": -7_000_000_004}, store_id=store.pk
    )
    assert [c.first_name for c in got] == [c.first_name for c in again] == ["Ann"]
    assert got[0].preferred_store.name == "Only" and got[0].store_shout == "ONLY"
