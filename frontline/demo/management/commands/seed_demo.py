"""``manage.py seed_demo``: load the demo brand (see frontline.demo.services)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontline.demo.services import DEFAULT_BATCH_SIZE, DemoError, demo_seed


class Command(BaseCommand):
    help = (
        "Load a realistic, deterministic demo brand: stores with their staff, brands, products "
        "with size/colour variants, stock per store and online, and customers with order "
        "history online and in store, returns, consents, identities, sizes, preferences and "
        "interactions. Always creates or refreshes the demo logins associate1, associate2, "
        "manager1 and admin (password: settings.DEMO_PASSWORD). Fills an empty database only. "
        "Appointments and follow-ups are not generated yet (their domains do not exist). "
        "Dates count back from today, so the same seed gives the same data on the same day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=2000, help="default 2,000")
        parser.add_argument("--products", type=int, default=300, help="default 300")
        parser.add_argument(
            "--stores", type=int, default=3, help="retail stores, 2 to 12 (default 3)"
        )
        parser.add_argument("--seed", type=int, default=1, help="default 1")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="only load data when there is no customer yet (the logins are ensured anyway)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help="customers written per batch: memory against round trips (data does not change)",
        )
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="the day dates count back from, YYYY-MM-DD (default: today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo_seed(
                customers=options["customers"],
                products=options["products"],
                stores=options["stores"],
                seed=options["seed"],
                if_empty=options["if_empty"],
                today=options["today"],
                batch_size=options["batch_size"],
                progress=self.report,
            )
        except DemoError as error:
            raise CommandError(str(error)) from error

    def report(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
