"""The whole JavaScript the app ships, htmx included, stays small: the issue's budget is 60 KB
compressed. Counted as a browser receives it: every script under static/ and the service
worker, each gzip-compressed on its own (as the server sends them)."""

from __future__ import annotations

import gzip

import pytest

from tests.conftest import REPO

BUDGET_BYTES = 60 * 1024


def compressed_size(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=9))


@pytest.mark.django_db
def test_the_whole_javascript_payload_is_at_most_60_kb_compressed(client):
    scripts = sorted((REPO / "static").rglob("*.js"))
    assert any(path.name.startswith("htmx") for path in scripts), "htmx is not where expected"
    sizes = {str(path.relative_to(REPO)): compressed_size(path.read_bytes()) for path in scripts}
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    sizes["/sw.js"] = compressed_size(worker.content)
    total = sum(sizes.values())
    listing = "\n".join(f"{size:>7} {name}" for name, size in sorted(sizes.items()))
    assert total <= BUDGET_BYTES, f"{total} bytes compressed, over {BUDGET_BYTES}:\n{listing}"


def test_every_script_a_template_loads_is_counted():
    """A script loaded from elsewhere (a CDN) would escape the count above."""
    pages = "\n".join(path.read_text() for path in (REPO / "templates").rglob("*.html"))
    assert '<script src="http' not in pages and "<script src='http" not in pages
