from __future__ import annotations

import logging


def test_every_request_is_logged_once_with_its_id_status_and_duration(client, db, caplog):
    caplog.set_level(logging.INFO, logger="frontline.requests")
    response = client.get("/healthz/", HTTP_X_REQUEST_ID="store-12-tablet-3-abc")
    assert response["X-Request-ID"] == "store-12-tablet-3-abc"
    [record] = [r for r in caplog.records if r.name == "frontline.requests"]
    assert record.request_id == "store-12-tablet-3-abc"
    assert record.status == 200
    assert record.duration_ms >= 0
    assert record.staff_id is None


def test_a_request_without_an_id_gets_one(client, associate):
    client.force_login(associate)
    response = client.get("/")
    assert len(response["X-Request-ID"]) == 32
