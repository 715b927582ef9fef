from __future__ import annotations

import pytest

from frontline.sync.models import QuarantinedRecord, Run, Source
from tests.factories import StoreAssignmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = StoreAssignmentFactory(role="manager").user
    client.force_login(user)
    return user


@pytest.fixture
def run() -> Run:
    source = Source.objects.get(name="demo-erp")
    run = Run.objects.create(source=source, entity="customers", pages=3, created=120, quarantined=1)
    QuarantinedRecord.objects.create(
        source=source,
        entity="customers",
        run=run,
        external_id="E9",
        payload={},
        reason="first_name is missing",
    )
    return run


def test_a_manager_sees_runs_with_their_counts(client, manager, run):
    page = client.get("/sync/runs/").content.decode()
    assert f"/sync/runs/{run.pk}/" in page
    assert "120" in page
    # A run is going: the list polls while the live socket is not up, and refreshes itself
    # without JavaScript.
    assert 'hx-trigger="every 3s" data-poll-unless-live' in page
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in page
    assert f'data-run-id="{run.pk}" data-run-status="running" data-run-pages="3"' in page
    assert "/static/js/sync_runs.js" in page


def test_a_running_run_polls_its_progress_fragment_and_a_finished_one_stops(client, manager, run):
    fragment = client.get(f"/sync/runs/{run.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="progress"')
    assert 'hx-trigger="every 2s" data-poll-unless-live' in fragment
    assert '<dd data-run-field="created">120</dd>' in fragment  # where live figures go
    assert "<html" not in fragment
    assert 'http-equiv="refresh"' in client.get(f"/sync/runs/{run.pk}/").content.decode()

    Run.objects.filter(pk=run.pk).update(status="failed", error="ConnectionError: gone")
    page = client.get(f"/sync/runs/{run.pk}/").content.decode()
    assert "every 2s" not in page
    assert 'http-equiv="refresh"' not in page
    assert "This run failed: ConnectionError: gone" in page
    assert "first_name is missing" in page


def test_associates_may_not_see_sync_runs(client, associate, run):
    client.force_login(associate)
    assert client.get("/sync/runs/").status_code == 403
    assert client.get(f"/sync/runs/{run.pk}/").status_code == 404


def test_an_empty_run_list_says_so(client, manager):
    assert "No sync has run yet" in client.get("/sync/runs/").content.decode()
