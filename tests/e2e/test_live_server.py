"""The live server the browser tests talk to (see conftest: one request at a time on SQLite)."""

from __future__ import annotations

import socketserver

import pytest
from django.db import connection


@pytest.mark.django_db
def test_on_sqlite_the_live_server_serves_one_request_at_a_time(live_server):
    threaded = isinstance(live_server.thread.httpd, socketserver.ThreadingMixIn)
    assert threaded == (connection.vendor != "sqlite")
