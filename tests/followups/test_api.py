from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from frontline.followups.models import FollowUp
from tests.factories import FollowUpFactory


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def followup(associate, customer, today):
    return FollowUpFactory(customer=customer, assignee=associate, due_on=today)


def test_a_manager_creates_one_and_reads_its_history(manager, associate, customer, tomorrow):
    response = api_for(manager).post(
        "/api/followups/",
        {
            "customer_id": customer.pk,
            "assignee_id": associate.pk,
            "due_on": tomorrow.isoformat(),
            "reason": "new_arrivals",
            "priority": 1,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["assignee"] == {"id": associate.pk, "name": "Alex Reed"}
    assert body["customer"]["name"] == "Ada Lovelace" and body["status"] == "open"
    assert [event["kind"] for event in body["history"]] == ["created"]
    detail = api_for(associate).get(f"/api/followups/{body['id']}/").json()
    assert detail["history"][0]["by_id"] == manager.pk


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"due_on": "2000-01-01"}, "due_on", "Choose today or a later day"),
        ({"reason": "other"}, "reason_text", "Say in a few words"),
        ({"reason": "gossip"}, "reason", "is not a valid choice"),
        ({"assignee_id": 999_999}, "assignee", "Choose someone who works at London."),
        ({"customer_id": 999_999}, "customer", "No such customer among the ones you may see."),
        ({"due_on": "soon"}, "due_on", "Date has wrong format"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    manager, associate, customer, tomorrow, change, field, message
):
    data = {
        "customer_id": customer.pk,
        "assignee_id": associate.pk,
        "due_on": tomorrow.isoformat(),
        "reason": "thank_you",
        **change,
    }
    response = api_for(manager).post("/api/followups/", data, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    assert not FollowUp.objects.exists()


def test_the_assignee_completes_and_snoozes_through_the_api(associate, followup, today):
    client = api_for(associate)
    later = (today + timedelta(days=2)).isoformat()
    snoozed = client.post(
        f"/api/followups/{followup.pk}/snooze/", {"until": later, "reason": "Away"}, format="json"
    )
    assert snoozed.status_code == 200 and snoozed.json()["status"] == "snoozed"
    done = client.post(
        f"/api/followups/{followup.pk}/complete/",
        {"outcome": "appointment_booked", "note": "Saturday 11:00"},
        format="json",
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["outcome"]) == ("done", "appointment_booked")
    again = client.post(
        f"/api/followups/{followup.pk}/complete/", {"outcome": "reached"}, format="json"
    )
    assert again.status_code == 400 and "already done" in again.json()["errors"]["status"][0]


def test_a_colleague_reads_but_may_not_complete(colleague, followup):
    client = api_for(colleague)
    assert client.get(f"/api/followups/{followup.pk}/").status_code == 200
    response = client.post(
        f"/api/followups/{followup.pk}/complete/", {"outcome": "reached"}, format="json"
    )
    assert response.status_code == 403
    assert "only they may complete it" in response.json()["detail"]


def test_managers_reassign_and_cancel_associates_may_not(manager, associate, colleague, followup):
    url = f"/api/followups/{followup.pk}"
    refused = api_for(associate).post(f"{url}/reassign/", {"assignee_id": colleague.pk})
    assert refused.status_code == 403
    moved = api_for(manager).post(f"{url}/reassign/", {"assignee_id": colleague.pk})
    assert moved.status_code == 200 and moved.json()["assignee"]["id"] == colleague.pk
    cancelled = api_for(manager).post(f"{url}/cancel/", {"reason": "Duplicate"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_another_store_gets_404_everywhere_as_for_a_missing_one(outsider, other_manager, followup):
    missing = followup.pk + 1000
    for user in (outsider, other_manager):
        client = api_for(user)
        for pk in (followup.pk, missing):
            assert client.get(f"/api/followups/{pk}/").status_code == 404
            for action, data in [
                ("complete", {"outcome": "reached"}),
                ("snooze", {"until": "2099-01-01", "reason": "x"}),
                ("reassign", {"assignee_id": user.pk}),
                ("cancel", {}),
            ]:
                response = client.post(f"/api/followups/{pk}/{action}/", data, format="json")
                assert response.status_code == 404
                assert response.json()["detail"] == (
                    "No such follow-up among the ones you may see."
                )
        assert client.get("/api/followups/").json()["count"] == 0
        # Bad input for another store's follow-up is still "not found", not a 400.
        bad = client.post(f"/api/followups/{followup.pk}/complete/", {}, format="json")
        assert bad.status_code == 404
    followup.refresh_from_db()
    assert followup.status == "open"


def test_the_list_filters_and_refuses_bad_filters(associate, colleague, customer, followup):
    FollowUpFactory(customer=customer, assignee=colleague)
    client = api_for(associate)
    mine = client.get(f"/api/followups/?assignee={associate.pk}").json()
    assert [row["id"] for row in mine["results"]] == [followup.pk]
    assert client.get("/api/followups/").json()["count"] == 2  # the store's, read-only
    assert client.get("/api/followups/?status=later").status_code == 400
    assert client.get("/api/followups/?customer=ada").status_code == 400


def test_my_day_and_the_team_board(manager, associate, followup):
    day = api_for(associate).get("/api/followups/my-day/").json()
    assert day["today"]["count"] == 1
    assert day["today"]["followups"][0]["id"] == followup.pk
    board = api_for(manager).get("/api/followups/team/").json()
    alex = next(row for row in board if row["associate"]["id"] == associate.pk)
    assert (alex["open"], alex["due_today"], alex["overdue"]) == (1, 1, 0)
    assert api_for(associate).get("/api/followups/team/").status_code == 404
    assert api_for(manager).get("/api/followups/team/?store=x").status_code == 400


def test_every_endpoint_is_in_the_schema(manager):
    schema = api_for(manager).get("/api/schema/?format=json").json()
    paths = {path for path in schema["paths"] if path.startswith("/api/followups/")}
    assert paths == {
        "/api/followups/",
        "/api/followups/my-day/",
        "/api/followups/team/",
        "/api/followups/{followup_id}/",
        "/api/followups/{followup_id}/complete/",
        "/api/followups/{followup_id}/snooze/",
        "/api/followups/{followup_id}/reassign/",
        "/api/followups/{followup_id}/cancel/",
        "/api/followups/bulk/",
        "/api/followups/bulk/preview/",
        "/api/followups/bulk/{bulk_id}/undo/",
    }
