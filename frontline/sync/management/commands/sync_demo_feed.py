"""The demo source for ``make run``: every few seconds a small ERP change lands in the inbox.

Each tick drops one of: a new customer, a purchase by an existing customer (in store when the
catalog has variants), or a stock arrival, as files in the demo source's file-drop inbox, then
asks Celery to sync them (customers before orders, chained). It reads customers, SKUs and stores
from the database at run time, so it works on whatever ``seed_demo`` created; on an empty
database it only adds new customers.
"""

from __future__ import annotations

import json
import random
import time
import unicodedata
import uuid
from pathlib import Path
from typing import Any

from celery import chain
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from frontline.catalog.models import StockLevel, Variant
from frontline.customers.models import Customer
from frontline.staff.models import Store
from frontline.sync.connectors.file_drop import inbox_of
from frontline.sync.models import Run, Source
from frontline.sync.tasks import run_sync_task

FIRST_NAMES = ["Amara", "Ben", "Chloé", "Dev", "Elena", "Farah", "Gus", "Hana", "Ivo", "Jade"]
LAST_NAMES = ["Okafor", "Lindqvist", "Moreau", "Patel", "Rossi", "Tanaka", "Walsh", "Young"]


def drop_file(inbox: Path, entity: str, rows: list[dict[str, Any]]) -> Path:
    """Write under a temporary name, then rename: the connector never sees half a file."""
    inbox.mkdir(parents=True, exist_ok=True)
    name = f"{entity}-{timezone.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}.jsonl"
    partial = inbox / f".{name}.tmp"
    partial.write_text("".join(json.dumps(row, default=str) + "\n" for row in rows))
    return partial.rename(inbox / name)


def ascii_only(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def customer_row(customer: Customer) -> dict[str, Any]:
    return {
        "external_id": f"demo-{customer.number}",
        "number": customer.number,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "postcode": customer.postcode,
        "country": customer.country,
        "tier": customer.tier,
    }


class Command(BaseCommand):
    help = "Drop a small ERP change into the demo source's inbox every few seconds."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--source", default="demo-erp")
        parser.add_argument("--interval", type=float, default=6.0)
        parser.add_argument("--once", action="store_true", help="drop one change and stop")
        parser.add_argument("--no-trigger", action="store_true", help="leave it to the schedule")

    def handle(
        self, *args: Any, source: str, interval: float, once: bool, no_trigger: bool, **options: Any
    ) -> None:
        demo = Source.objects.filter(name=source, kind="file_drop").first()
        if demo is None:
            raise CommandError(f"no file-drop source named {source!r} (run migrate)")
        self.randomness = random.Random()
        while True:
            entities = self.drop_change(demo)
            if entities and not no_trigger:
                chain(
                    *(run_sync_task.si(demo.pk, entity, Run.Trigger.MANUAL) for entity in entities)
                ).delay()
            if once:
                return
            time.sleep(interval)

    def drop_change(self, demo: Source) -> list[str]:
        inbox = inbox_of(demo.name)
        actions = [self.new_customer]
        if Customer.objects.exists() and Variant.objects.exists() and Store.objects.exists():
            actions += [self.purchase, self.stock_arrival]
        return actions[self.randomness.randrange(len(actions))](inbox)

    def new_customer(self, inbox: Path) -> list[str]:
        token = uuid.uuid4().hex[:10]
        first, last = self.randomness.choice(FIRST_NAMES), self.randomness.choice(LAST_NAMES)
        drop_file(
            inbox,
            "customers",
            [
                {
                    "external_id": f"demo-{token}",
                    "number": f"D{token[:9].upper()}",
                    "first_name": first,
                    "last_name": last,
                    "email": ascii_only(f"{first}.{last}.{token[:4]}@example.com").lower(),
                    "country": "GB",
                }
            ],
        )
        self.stdout.write(f"feed: new customer {first} {last}")
        return ["customers"]

    def purchase(self, inbox: Path) -> list[str]:
        customer = Customer.objects.filter(merged_into__isnull=True).order_by("?").first()
        variant = Variant.objects.order_by("?").first()
        store = Store.objects.filter(is_active=True).order_by("?").first()
        if not (customer and variant and store):
            return []
        quantity = self.randomness.randint(1, 2)
        token = uuid.uuid4().hex[:10]
        drop_file(inbox, "customers", [customer_row(customer)])
        drop_file(
            inbox,
            "orders",
            [
                {
                    "order_id": f"demo-{token}",
                    "number": f"DEMO-{token.upper()}",
                    "customer_id": f"demo-{customer.number}",
                    "channel": "store",
                    "store": store.code,
                    "placed_at": timezone.now().isoformat(),
                    "currency": variant.currency,
                    "total": str(variant.price * quantity),
                    "lines": [
                        {
                            "sku": variant.sku,
                            "description": str(variant),
                            "quantity": quantity,
                            "unit_price": str(variant.price),
                        }
                    ],
                }
            ],
        )
        self.stdout.write(f"feed: {customer} bought {quantity} x {variant.sku} at {store.code}")
        return ["customers", "orders"]

    def stock_arrival(self, inbox: Path) -> list[str]:
        variant = Variant.objects.order_by("?").first()
        store = Store.objects.filter(is_active=True).order_by("?").first()
        if not (variant and store):
            return []
        level = StockLevel.objects.filter(variant=variant, store=store).first()
        arriving = self.randomness.randint(1, 6)
        on_hand = (level.on_hand if level else 0) + arriving
        drop_file(inbox, "stock", [{"sku": variant.sku, "store": store.code, "on_hand": on_hand}])
        self.stdout.write(f"feed: {arriving} x {variant.sku} arrived at {store.code}")
        return ["stock"]
