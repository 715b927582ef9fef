"""APPOINTMENTS_ICE_SERVERS is read strictly: a typo fails at start-up, naming the variable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from clienteling import env


def test_ice_servers_are_a_json_array_of_objects(monkeypatch):
    monkeypatch.setenv("APPOINTMENTS_ICE_SERVERS", '[{"urls": "stun:stun.example.com"}]')
    assert env.get_json_list("APPOINTMENTS_ICE_SERVERS") == [{"urls": "stun:stun.example.com"}]
    monkeypatch.setenv("APPOINTMENTS_ICE_SERVERS", "")
    assert env.get_json_list("APPOINTMENTS_ICE_SERVERS") == []


@pytest.mark.parametrize("raw", ["stun:stun.example.com", '{"urls": "stun:x"}', '["stun:x"]'])
def test_anything_else_is_refused_with_the_name(monkeypatch, raw):
    monkeypatch.setenv("APPOINTMENTS_ICE_SERVERS", raw)
    with pytest.raises(ImproperlyConfigured, match="APPOINTMENTS_ICE_SERVERS"):
        env.get_json_list("APPOINTMENTS_ICE_SERVERS")
