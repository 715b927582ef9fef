"""The nightly batch: chunked by id range, resumable from its progress row, idempotent.

The refresh for one customer is queued after commit and run by a real Celery worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from clienteling.celery import app as celery_app
from frontline.actions import services
from frontline.actions.models import ActionBatchRun, ActionSuggestion
from frontline.actions.rules import LapsingHighValue
from tests import conftest as shared_fixtures
from tests.factories import ConsentFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_chunks(settings):
    settings.ACTIONS = {"batch_chunk_size": 2}


def customers_with_a_birthday(count: int):
    today = timezone.localdate()
    customers = []
    for _ in range(count):
        customer = CustomerFactory(birthday=date(1990, today.month, today.day))
        ConsentFactory(customer=customer)
        customers.append(customer)
    return customers


def test_the_batch_covers_every_customer_chunk_by_chunk(small_chunks):
    customers = customers_with_a_birthday(5)
    CustomerFactory()  # nothing to suggest
    run = services.actions_batch_run()
    assert run.status == "finished"
    assert run.chunks_done == 3  # ids are consecutive here: 6 customers in chunks of 2
    assert run.suggestions_written == 5
    assert set(ActionSuggestion.objects.values_list("customer_id", flat=True)) == {
        c.pk for c in customers
    }


def test_a_paused_batch_resumes_where_it_stopped(small_chunks):
    customers_with_a_birthday(5)
    first = services.actions_batch_run(max_seconds=0)  # one chunk, then pause
    assert (first.status, first.chunks_done) == ("running", 1)
    assert ActionSuggestion.objects.count() == 2
    resumed = services.actions_batch_run()
    assert resumed.pk == first.pk
    assert (resumed.status, resumed.chunks_done) == ("finished", 3)
    assert ActionSuggestion.objects.count() == 5


def test_a_chunk_that_fails_leaves_no_half_written_state(small_chunks, monkeypatch):
    customers = customers_with_a_birthday(5)
    real_eligible = LapsingHighValue.eligible

    def fails_on_the_second_chunk(self, chunk):
        if chunk.first_id > customers[1].pk:
            raise ConnectionError("database went away")
        return real_eligible(self, chunk)

    monkeypatch.setattr(LapsingHighValue, "eligible", fails_on_the_second_chunk)
    with pytest.raises(ConnectionError):
        services.actions_batch_run()
    run = ActionBatchRun.objects.get()
    assert (run.status, run.last_customer_id) == ("running", customers[1].pk)
    assert ActionSuggestion.objects.count() == 2
    monkeypatch.setattr(LapsingHighValue, "eligible", real_eligible)
    assert services.actions_batch_run().status == "finished"
    assert ActionSuggestion.objects.count() == 5


def test_running_the_batch_twice_gives_the_same_suggestions(small_chunks):
    customers_with_a_birthday(3)
    services.actions_batch_run()
    first = sorted(ActionSuggestion.objects.values_list("customer_id", "rule", "score"))
    services.actions_batch_run()
    assert sorted(ActionSuggestion.objects.values_list("customer_id", "rule", "score")) == first
    assert ActionBatchRun.objects.filter(status="finished").count() == 2


def test_a_run_abandoned_by_a_dead_worker_on_an_earlier_night_is_replaced(small_chunks):
    customers_with_a_birthday(1)
    old = ActionBatchRun.objects.create(
        as_of=timezone.now() - timedelta(days=1),
        started_at=timezone.now() - timedelta(days=1),
        chunk_size=2,
        max_customer_id=10**9,
    )
    run = services.actions_batch_run()
    old.refresh_from_db()
    assert old.status == "abandoned"
    assert run.pk != old.pk and run.status == "finished"


def test_the_batch_is_in_the_beat_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["actions-nightly-batch"]
    assert entry["task"] == "frontline.actions.tasks.compute_actions_batch_task"


def test_refresh_for_one_customer_recomputes_only_that_customer():
    one, _other = customers_with_a_birthday(2)
    assert services.actions_refresh_for_customer(customer_id=one.pk) == 1
    assert list(ActionSuggestion.objects.values_list("customer_id", flat=True)) == [one.pk]


def test_refresh_is_queued_only_when_the_callers_transaction_commits(
    django_capture_on_commit_callbacks,
):
    (customer,) = customers_with_a_birthday(1)
    with django_capture_on_commit_callbacks() as callbacks:
        services.actions_refresh_for_customer_on_commit(customer_id=customer.pk)
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_real_worker_refreshes_a_customer_after_commit(tmp_path):
    if not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the worker process needs the shared PostgreSQL test database")
    (customer,) = customers_with_a_birthday(1)
    # Tasks other tests queued with no worker to run them would stand in front of ours.
    celery_app.control.purge()
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clienteling",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=shared_fixtures.REPO,
        env={**os.environ, **shared_fixtures.database_url_for_subprocesses()},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with transaction.atomic():
            services.actions_refresh_for_customer_on_commit(customer_id=customer.pk)
        deadline = time.monotonic() + 30
        while not ActionSuggestion.objects.filter(customer=customer).exists():
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    assert ActionSuggestion.objects.get(customer=customer).rule == "birthday_soon"


def test_the_nightly_task_runs_the_batch_to_the_end(small_chunks):
    from frontline.actions.tasks import compute_actions_batch_task

    customers_with_a_birthday(3)
    result = compute_actions_batch_task()
    assert result["status"] == "finished"
    assert ActionSuggestion.objects.count() == 3


BATCH_IN_A_SUBPROCESS = """
import django
django.setup()
from django.conf import settings
settings.ACTIONS = {"batch_chunk_size": 1}
from frontline.actions.services import actions_batch_run
actions_batch_run()
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_batch_killed_mid_run_resumes_and_ends_with_every_suggestion_once(settings):
    if not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the batch process needs the shared PostgreSQL test database")
    customers = customers_with_a_birthday(60)
    process = subprocess.Popen(
        [sys.executable, "-c", BATCH_IN_A_SUBPROCESS],
        cwd=shared_fixtures.REPO,
        env={
            **os.environ,
            **shared_fixtures.database_url_for_subprocesses(),
            "DJANGO_SETTINGS_MODULE": "clienteling.settings",
        },
    )
    deadline = time.monotonic() + 60
    while not ActionBatchRun.objects.filter(chunks_done__gte=5).exists():
        assert process.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.kill()  # SIGKILL: no clean-up, exactly like a worker lost to the OOM killer
    process.wait(timeout=10)
    interrupted = ActionBatchRun.objects.get()
    assert interrupted.status == "running"
    assert interrupted.last_customer_id < customers[-1].pk

    settings.ACTIONS = {"batch_chunk_size": 1}
    resumed = services.actions_batch_run()
    assert resumed.pk == interrupted.pk and resumed.status == "finished"
    assert resumed.suggestions_written == 60
    assert ActionSuggestion.objects.count() == 60
