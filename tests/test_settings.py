"""Settings come from the environment and fail loudly on bad or missing values."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from clienteling import env
from tests.conftest import REPO

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a production secret of fifty characters or more, made up",
    "DATABASE_URL": "postgres://frontline@127.0.0.1:5432/frontline",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "frontline.example.com",
    "SITE_URL": "https://frontline.example.com",
}


def load_settings(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter, as a server start-up would."""
    environment = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    for name, value in overrides.items():
        if value is not None:
            environment[name] = value
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import clienteling.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_load_when_everything_is_given():
    result = load_settings(**PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SITE_URL"])
def test_production_start_up_names_the_missing_value(missing):
    result = load_settings(**{**PRODUCTION_ENV, missing: None})
    assert result.returncode != 0
    assert "MissingSetting" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize(
    "secret",
    ["django-insecure-development-only-never-use-in-production", "short", "x" * 60],
)
def test_production_refuses_a_development_or_guessable_secret_key(secret):
    result = load_settings(**{**PRODUCTION_ENV, "SECRET_KEY": secret})
    assert result.returncode != 0
    assert "WeakSecret" in result.stderr and "SECRET_KEY" in result.stderr


def test_the_deployment_check_is_clean_with_production_settings():
    environment = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env={**environment, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_malformed_boolean_fails_naming_the_variable():
    result = load_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_redis_url_of_another_scheme_is_refused():
    result = load_settings(REDIS_URL="http://127.0.0.1:6379")
    assert result.returncode != 0
    assert "is not a redis:// URL" in result.stderr


def test_development_needs_no_variable_at_all():
    result = load_settings(DEBUG=None)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("raw, expected", [("1", True), ("on", True), ("No", False), ("", False)])
def test_booleans_accept_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FRONTLINE_FLAG", raw)
    assert env.get_bool("FRONTLINE_FLAG", default=not expected) is expected


def test_integers_below_their_minimum_are_refused(monkeypatch):
    monkeypatch.setenv("FRONTLINE_POOL", "-3")
    with pytest.raises(ImproperlyConfigured, match="FRONTLINE_POOL=-3 is below the minimum"):
        env.get_int("FRONTLINE_POOL", 5, minimum=0)


def test_integers_that_are_not_numbers_are_refused(monkeypatch):
    monkeypatch.setenv("FRONTLINE_POOL", "ten")
    with pytest.raises(ImproperlyConfigured, match="is not a whole number"):
        env.get_int("FRONTLINE_POOL", 5)


def test_lists_are_split_on_commas_and_trimmed(monkeypatch):
    monkeypatch.setenv("FRONTLINE_HOSTS", " a.example , b.example,, ")
    assert env.get_list("FRONTLINE_HOSTS", []) == ["a.example", "b.example"]


def test_beat_schedule_keeps_every_domains_periodic_tasks():
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert (
        schedule["worker-heartbeat"]["task"] == "frontline.core.tasks.record_worker_heartbeat_task"
    )
    assert schedule["catalog-expire-holds"]["task"] == "frontline.catalog.tasks.expire_holds_task"
    assert (
        schedule["privacy-interaction-retention"]["task"]
        == "frontline.privacy.tasks.apply_interaction_retention_task"
    )
    assert (
        schedule["privacy-erasure-confirmations"]["task"]
        == "frontline.privacy.tasks.collect_erasure_confirmations_task"
    )


def test_queued_writes_may_not_outlive_the_keys_that_make_their_replay_safe():
    result = load_settings(OFFLINE_WRITE_MAX_AGE_SECONDS=str(25 * 3600), IDEMPOTENCY_KEY_HOURS="24")
    assert result.returncode != 0
    assert "OFFLINE_WRITE_MAX_AGE_SECONDS" in result.stderr
