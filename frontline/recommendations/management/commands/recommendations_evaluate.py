"""``manage.py recommendations_evaluate --cutoff DATE``: the offline evaluation, app and peers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontline.recommendations import evaluation, online_retail
from frontline.recommendations.services import history_from_database

STOCK_NOTE = (
    "not applied: stock at the time of the held-out purchases is not recorded, so every"
    " recommender is scored before the live list's in-stock filter"
)


def cutoff_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--cutoff {text!r} is not a date (YYYY-MM-DD)") from error


class Command(BaseCommand):
    help = (
        "Time-based hold-out: train on purchases before --cutoff, score the top 10 against what"
        " each customer bought from then on (hit-rate, precision, recall, NDCG @10) for the"
        " app's recommender, popularity, item-item cosine and implicit's ALS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cutoff", required=True, type=cutoff_date, help="YYYY-MM-DD (UTC)")
        parser.add_argument(
            "--online-retail",
            nargs="?",
            const="",
            default=None,
            metavar="CSV",
            help="Evaluate on the UCI Online Retail file (default: ONLINE_RETAIL_CSV, else"
            " var/datasets/online_retail.csv.gz) instead of the database's orders",
        )
        parser.add_argument(
            "--new-only",
            action="store_true",
            help="Hold out only products the customer had not bought before the cut-off",
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = datetime.combine(options["cutoff"], datetime.min.time(), tzinfo=UTC)
        if options["online_retail"] is not None:
            path = Path(options["online_retail"]) if options["online_retail"] else None
            path = path or online_retail.configured_path()
            try:
                purchases, _catalogue = online_retail.load(path)
            except online_retail.DataSetError as error:
                raise CommandError(str(error)) from error
            source = f"UCI Online Retail ({path})"
        else:
            purchases = history_from_database().purchases
            source = "the database's order history"
        result = evaluation.evaluate(purchases, cutoff.timestamp(), new_only=options["new_only"])
        if result.customers_evaluated == 0:
            raise CommandError(
                f"No customer bought both before and after {cutoff:%Y-%m-%d} in {source}:"
                " choose a cut-off inside the history."
            )
        report = as_report(result, source=source, cutoff=cutoff, new_only=options["new_only"])
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.stdout.write(as_table(report))


def as_report(
    result: evaluation.Evaluation, *, source: str, cutoff: datetime, new_only: bool
) -> dict[str, Any]:
    return {
        "source": source,
        "cutoff": cutoff.date().isoformat(),
        "held_out": "products not bought before the cut-off"
        if new_only
        else "every product bought from the cut-off on",
        "customers_evaluated": result.customers_evaluated,
        "train_lines": result.train_lines,
        "products": result.products,
        "stock_filter": STOCK_NOTE,
        "fit_seconds": result.fit_seconds,
        "quality": {
            "app": result.app.as_results(k=result.k),
            **{name: peer.as_results(k=result.k) for name, peer in result.peers.items()},
        },
    }


def as_table(report: dict[str, Any]) -> str:
    lines = [
        f"{report['source']}: cut-off {report['cutoff']}, {report['customers_evaluated']:,}"
        f" customers evaluated on {report['held_out']} ({report['train_lines']:,} lines train)",
        f"In-stock filter: {report['stock_filter']}.",
        "",
        f"{'recommender':<14}{'hit-rate@10':>12}{'precision@10':>14}{'recall@10':>11}{'NDCG@10':>9}",
    ]
    for name, figures in report["quality"].items():
        values = list(figures.values())
        lines.append(
            f"{name:<14}{values[0]:>12.4f}{values[1]:>14.4f}{values[2]:>11.4f}{values[3]:>9.4f}"
        )
    if "als" not in report["quality"]:
        lines.append("als           not measured: the implicit library is not installed")
    return "\n".join(lines) + "\n"
