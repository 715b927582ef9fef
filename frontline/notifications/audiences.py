"""Who receives a notification, and which channel-layer groups reach them live.

An audience is resolved when the notification is raised (one query), so the recipient rows
written record exactly who was told. A store's whole staff is reached through one ``store-<id>``
group message instead of one message per person: that is what keeps a store-wide event cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from frontline.notifications.groups import staff_group, store_group
from frontline.staff.models import StaffRole, Store, StoreAssignment, User


@dataclass(frozen=True)
class Audience:
    """Recipients (active staff ids), and the stores whose whole staff they include."""

    user_ids: frozenset[int]
    whole_store_ids: frozenset[int] = field(default_factory=frozenset)
    # The recipients reached through those stores' groups, who need no personal message.
    reached_by_store_groups: frozenset[int] = field(default_factory=frozenset)

    def __or__(self, other: Audience) -> Audience:
        return Audience(
            self.user_ids | other.user_ids,
            self.whole_store_ids | other.whole_store_ids,
            self.reached_by_store_groups | other.reached_by_store_groups,
        )

    def __bool__(self) -> bool:
        return bool(self.user_ids)

    def groups(self) -> list[str]:
        """The fewest groups that reach every recipient exactly once."""
        personal = self.user_ids - self.reached_by_store_groups
        return [store_group(pk) for pk in sorted(self.whole_store_ids)] + [
            staff_group(pk) for pk in sorted(personal)
        ]


NOBODY = Audience(frozenset())


def to_staff(*users: User | None) -> Audience:
    """One or more staff members (``None`` and inactive accounts are left out)."""
    return Audience(frozenset(user.pk for user in users if user is not None and user.is_active))


def to_store_staff(store: Store) -> Audience:
    """Everyone who works at the store, whatever their role."""
    staff_ids = frozenset(_active_staff_ids(StoreAssignment.objects.filter(store=store)))
    return Audience(staff_ids, frozenset([store.pk]), staff_ids)


def to_store_managers(store: Store) -> Audience:
    """The store's managers (a handful: reached one by one)."""
    assignments = StoreAssignment.objects.filter(store=store, role=StaffRole.MANAGER)
    return Audience(frozenset(_active_staff_ids(assignments)))


def to_all_managers() -> Audience:
    """Every store manager, for events that concern the whole brand (a failed sync run)."""
    assignments = StoreAssignment.objects.filter(role=StaffRole.MANAGER)
    return Audience(frozenset(_active_staff_ids(assignments)))


def _active_staff_ids(assignments: QuerySet[StoreAssignment]) -> list[int]:
    return list(
        assignments.filter(user__is_active=True).values_list("user_id", flat=True).distinct()
    )
