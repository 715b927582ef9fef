"""/healthz/ answers 200 when the database and Redis answer, 503 naming the part that does not.

The failure cases start the real ASGI server with an unreachable database or Redis: the
failure is a refused connection, exactly as in production.
"""

from __future__ import annotations

import requests
from django.conf import settings

from tests.conftest import free_port


def test_healthz_reports_every_part_ok(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True


def test_healthz_needs_no_login_and_is_never_cached(client, db):
    response = client.get("/healthz/")
    assert "no-cache" in response["Cache-Control"]


def _unreachable_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def _unreachable_database_url() -> str:
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return f"postgres://postgres@127.0.0.1:{free_port()}/frontline"
    return "sqlite:////nonexistent-directory/frontline/db.sqlite3"


def test_healthz_is_503_naming_redis_when_redis_is_down(start_asgi_server):
    base_url = start_asgi_server({"REDIS_URL": _unreachable_redis_url()})
    response = requests.get(base_url + "/healthz/", timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_healthz_is_503_naming_the_database_when_it_is_down(start_asgi_server):
    base_url = start_asgi_server({"DATABASE_URL": _unreachable_database_url()})
    response = requests.get(base_url + "/healthz/", timeout=15)
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["redis"]["ok"] is True
