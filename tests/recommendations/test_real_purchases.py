"""Quality on real purchases: the shipped extract of the UCI Online Retail data set (issue 28).

Every 15th customer's whole year (26,156 lines, tests/data/online_retail/), split in time at
1 September 2011: the app must reach hit-rate@10 >= 0.50 and be ahead of ALS (the implicit
library) and of item-item cosine on both hit-rate and NDCG, as on the whole data set
(var/bench/recommendations_real.json, from ``python -m tests.bench --only recommendations_real``).
"""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from tests.conftest import REPO

EXTRACT = REPO / "tests" / "data" / "online_retail" / "customers-every-15th.csv.gz"


def test_the_app_beats_als_and_item_item_on_real_purchases():
    out = StringIO()
    call_command(
        "recommendations_evaluate",
        "--cutoff=2011-09-01",
        f"--online-retail={EXTRACT}",
        "--json",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    quality = report["quality"]
    app = quality["app"]
    assert report["customers_evaluated"] > 100
    assert app["hit_rate_at_10"] >= 0.50
    for peer in ("als", "item_item", "popularity"):
        assert app["hit_rate_at_10"] > quality[peer]["hit_rate_at_10"], peer
        assert app["ndcg_at_10"] > quality[peer]["ndcg_at_10"], peer
