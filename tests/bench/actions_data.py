"""What the actions and recommendations benchmarks add to the demo data: their staff member.

The demo data itself (``seed_demo`` with N customers) is declared and prepared by the harness
(tests/bench/datasets.py).
"""

from __future__ import annotations

from frontline.staff.models import StaffRole, Store, StoreAssignment, User


def bench_staff() -> User:
    """A staff member assigned to every store, so visibility checks run but hide nothing."""
    user, _created = User.objects.get_or_create(username="bench-actions")
    for store in Store.objects.all():
        StoreAssignment.objects.get_or_create(
            user=user, store=store, defaults={"role": StaffRole.MANAGER}
        )
    return user
