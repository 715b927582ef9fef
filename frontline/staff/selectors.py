"""Who may see what. Every queryset a staff member is shown is scoped through here."""

from __future__ import annotations

from django.db.models import QuerySet

from frontline.staff.models import StaffRole, Store, StoreAssignment, User


def stores_for(user: User) -> QuerySet[Store]:
    """The stores whose data the staff member may see: all for superusers, else their own."""
    if user.is_superuser:
        return Store.objects.all()
    return Store.objects.filter(assignments__user=user).distinct()


def primary_store_for(user: User) -> Store | None:
    assignment = (
        StoreAssignment.objects.filter(user=user)
        .select_related("store")
        .order_by("-is_primary", "store__code")
        .first()
    )
    return assignment.store if assignment else None


def is_manager(user: User) -> bool:
    """A manager of some store, or a superuser: who sees the managers' pages."""
    if user.is_superuser:
        return True
    return StoreAssignment.objects.filter(user=user, role=StaffRole.MANAGER).exists()


def is_manager_of(user: User, store: Store) -> bool:
    if user.is_superuser:
        return True
    return StoreAssignment.objects.filter(user=user, store=store, role=StaffRole.MANAGER).exists()
