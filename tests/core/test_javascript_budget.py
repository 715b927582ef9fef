"""The whole JavaScript the app ships stays within 60 KB compressed (issue 24).

Every script under static/ counts, htmx included, whichever page loads it, and the service
worker, which is rendered from templates/: the budget is for
what a tablet on a slow store Wi-Fi may have to fetch, not for one page. Sizes are gzip at the
level whitenoise uses for the compressed copies it serves in production.
"""

from __future__ import annotations

import gzip

from tests.conftest import REPO

BUDGET_BYTES = 60 * 1024
SCRIPTS = sorted([*(REPO / "static").rglob("*.js"), *(REPO / "templates").rglob("*.js")])


def compressed_size(path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def test_all_scripts_together_fit_in_60_kb_compressed():
    assert any(path.name.startswith("htmx") for path in SCRIPTS), "htmx is counted"
    sizes = {str(path.relative_to(REPO)): compressed_size(path) for path in SCRIPTS}
    total = sum(sizes.values())
    listing = "\n".join(f"{size:>7,} {name}" for name, size in sorted(sizes.items()))
    assert total <= BUDGET_BYTES, f"{total:,} bytes compressed, over {BUDGET_BYTES:,}:\n{listing}"
