"""Lighthouse on the login page, the public booking page, the associate's day and a customer's
profile (issues 23 and 24).

The pages are served by the production ASGI server (uvicorn) over a small demo brand, and
audited in Debian's Chromium as a signed-in associate sees them on a phone-sized screen with
Lighthouse's mobile throttling (a slow connection and a slow CPU, simulated). The CPU slowdown
is calibrated to this machine's benchmark index as Lighthouse's throttling guide advises (see
``node/lighthouse_pages.mjs``), so that the emulated phone is the same on a fast desktop and on a
shared CI machine. The reports are kept in ``var/lighthouse/``, with the calibration in
``summary.json``. The targets: performance ≥ 0.9, accessibility and best practices 1.0.

Performance varies from run to run on a shared machine; as Lighthouse's own guidance on
variability advises (five runs, the median), a page under its target is run four more times and
judged on the median of the five. Accessibility and best practices do not vary: one run
decides.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from frontline.customers.models import Customer
from frontline.staff.models import User
from tests.conftest import REPO, chromium_path

LIGHTHOUSE_DIR = REPO / "node_modules" / "lighthouse"
SCRIPT = Path(__file__).parent / "node" / "lighthouse_pages.mjs"
REPORTS = REPO / "var" / "lighthouse"
TARGETS = {"performance": 0.9, "accessibility": 1.0, "best-practices": 1.0}
MEDIAN_OF = 5

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL: the ASGI server process must share the test database",
    ),
    pytest.mark.skipif(
        not LIGHTHOUSE_DIR.exists() or shutil.which("node") is None,
        reason="Lighthouse not installed (make install runs npm ci when npm is present)",
    ),
    pytest.mark.skipif(chromium_path() is None, reason="Chromium not found"),
]


# Pages audited signed out, first: the sign-in page and the customers' public booking page.
PUBLIC_PREFIXES = ("/accounts/", "/book/")


def run_lighthouse(base_url: str, pages: dict[str, str], out_dir: Path) -> dict[str, dict]:
    """Audit ``pages`` once each (those on a public address signed out); the scores per page,
    the reports written to ``out_dir``."""
    config = {
        "chrome": chromium_path(),
        "baseUrl": base_url,
        "username": "associate1",
        "password": settings.DEMO_PASSWORD,
        "outDir": str(out_dir),
        "pages": pages,
        "signedOut": [name for name, path in pages.items() if path.startswith(PUBLIC_PREFIXES)],
    }
    config_path = out_dir / "config.json"
    out_dir.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(config))
    finished = subprocess.run(
        ["node", str(SCRIPT), str(config_path)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    config_path.unlink()
    assert finished.returncode == 0, finished.stderr[-3000:]
    lines = [json.loads(line) for line in finished.stdout.splitlines() if line.startswith("{")]
    calibration = next(line["calibration"] for line in lines if "calibration" in line)
    return {
        line["page"]: {**line["scores"], "calibration": calibration}
        for line in lines
        if "page" in line
    }


def failing_audits(report_path: Path, category: str) -> list[str]:
    """The audits that cost a category points, to say why a page missed its target."""
    report = json.loads(report_path.read_text())
    refs = report["categories"][category]["auditRefs"]
    audits = report["audits"]
    return [
        f"{ref['id']}: {audits[ref['id']].get('displayValue') or audits[ref['id']]['title']}"
        for ref in refs
        if ref["weight"] and (audits[ref["id"]].get("score") or 0) < 1
    ]


def completed(got: dict) -> bool:
    """False when Lighthouse could not finish the audit (a runtime error such as NO_NAVSTART,
    for which its message says: run Lighthouse again); the categories are then None."""
    return all(got[category] is not None for category in TARGETS)


def met_performance(got: dict) -> bool:
    return completed(got) and got["performance"] >= TARGETS["performance"]


def judged(attempts: list[dict]) -> dict:
    """One page's scores from several runs: the first completed run, its performance replaced
    by the median of the completed runs' (the first attempt when none completed)."""
    done = [got for got in attempts if completed(got)]
    if not done:
        return attempts[0]
    return {**done[0], "performance": statistics.median(got["performance"] for got in done)}


@pytest.fixture
def demo_brand(django_db_setup) -> Customer:
    call_command("seed_demo", customers=120, products=40, stores=2, verbosity=0)
    associate = User.objects.get(username="associate1")
    customer = Customer.objects.filter(preferred_associate=associate).order_by("pk").first()
    assert customer is not None, "the demo gives associate1 a book of customers"
    return customer


def test_login_booking_my_day_and_profile_meet_lighthouse_targets(start_asgi_server, demo_brand):
    base_url = start_asgi_server({"REDIS_URL": settings.REDIS_URL})
    pages = {
        "login": "/accounts/login/",
        "book": "/book/",
        "home": "/",
        "profile": f"/customers/{demo_brand.pk}/",
    }
    scores = run_lighthouse(base_url, pages, REPORTS)
    assert set(scores) == set(pages)

    again = [name for name, got in scores.items() if not met_performance(got)]
    if again:
        # One more session for all the reruns: one calibration, reports as reruns/<name>-<n>.json.
        runs = range(2, MEDIAN_OF + 1)
        reruns = run_lighthouse(
            base_url,
            {f"{name}-{n}": pages[name] for name in again for n in runs},
            REPORTS / "reruns",
        )
        for name in again:
            scores[name] = judged([scores[name], *(reruns[f"{name}-{n}"] for n in runs)])

    (REPORTS / "summary.json").write_text(json.dumps(scores, indent=2))
    missed = {
        f"{name} {category} {got[category]} < {target} ({got['calibration']})": failing_audits(
            REPORTS / f"{name}.json", category
        )
        for name, got in scores.items()
        for category, target in TARGETS.items()
        if got[category] is None or got[category] < target
    }
    assert not missed, json.dumps(missed, indent=2)
