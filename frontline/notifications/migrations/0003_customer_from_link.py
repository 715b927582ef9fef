"""Notifications raised before they named their customer (0002) get it from their link, so that
an erasure finds and scrubs them too.

What a notification links to says whose it is: a profile (``/customers/<id>/``), a follow-up
(``/followups/<id>/``), a hold (``/stock/holds/<id>/``) or a styling session
(``/appointments/<id>/``). Links to anything else (a sync run, the centre, a variant) name no
customer. Done in chunks of the notifications still without one, so a large table is read once.
"""

import re
from collections.abc import Iterable

from django.db import migrations

CHUNK = 2_000
LARGEST_ID = 2**63 - 1
LINKS = [
    (re.compile(r"^/customers/(\d+)/"), ("customers", "Customer", "pk")),
    (re.compile(r"^/followups/(\d+)/"), ("followups", "FollowUp", "customer_id")),
    (re.compile(r"^/stock/holds/(\d+)/"), ("catalog", "Hold", "customer_id")),
    (re.compile(r"^/appointments/(\d+)/"), ("appointments", "Booking", "customer_id")),
]


def _owners(apps, batch: list[tuple[int, str]]) -> dict[int, int]:
    """Notification id → the customer its link names, for the links that name one."""
    found: dict[int, int] = {}
    for pattern, (app, model, customer_field) in LINKS:
        targets = {}
        for pk, link in batch:
            match = pattern.match(link)
            if match and int(match.group(1)) <= LARGEST_ID:
                targets[pk] = int(match.group(1))
        if not targets:
            continue
        rows = apps.get_model(app, model).objects.filter(pk__in=set(targets.values()))
        customer_of = dict(rows.values_list("pk", customer_field))
        found.update(
            {pk: customer_of[target] for pk, target in targets.items() if customer_of.get(target)}
        )
    return found


def _chunks(pending) -> Iterable[list[tuple[int, str]]]:
    last = 0
    while batch := list(pending.filter(pk__gt=last).values_list("pk", "link")[:CHUNK]):
        last = batch[-1][0]
        yield batch


def customer_from_link(apps, schema_editor) -> None:
    Notification = apps.get_model("notifications", "Notification")
    pending = Notification.objects.filter(customer__isnull=True).exclude(link="").order_by("pk")
    for batch in _chunks(pending):
        named = [
            Notification(pk=pk, customer_id=customer)
            for pk, customer in _owners(apps, batch).items()
        ]
        Notification.objects.bulk_update(named, ["customer"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_notification_customer"),
        ("customers", "0018_interaction_summary_whole"),
        ("followups", "0001_initial"),
        ("catalog", "0003_holds_requests_watches"),
        ("appointments", "0001_initial"),
    ]

    operations = [migrations.RunPython(customer_from_link, migrations.RunPython.noop)]
