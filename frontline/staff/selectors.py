"""Who may see what. Every queryset a staff member is shown is scoped through here.

Two rules: customer lookup is brand-wide (``customer_lookup_condition``); everything done for
customers (follow-ups, holds, appointments, messages, team data) belongs to stores and people
and is scoped by the stores a staff member works at (``stores_for``).
"""

from __future__ import annotations

from django.db.models import Exists, Q, QuerySet

from frontline.staff.models import StaffRole, Store, StoreAssignment, User


def stores_for(user: User) -> QuerySet[Store]:
    """The stores whose data the staff member may see: all for superusers, else their own."""
    if user.is_superuser:
        return Store.objects.all()
    return Store.objects.filter(assignments__user=user).distinct()


def customer_lookup_condition(user: User) -> Q:
    """Who may find and open any customer's profile: every active staff member of the brand.

    A customer is one person in every store: an associate at store B serving a walk-in who
    usually shops at store A must find them, read their profile and add to their notes, sizes
    and preferences. Each such read is audited (frontline.privacy). The work done for a
    customer stays with stores and people, scoped by ``stores_for``: follow-ups, holds,
    appointments, outreach threads, suggested actions, team data and notifications.

    A condition to filter customers with rather than a yes/no, so that the check costs no
    query of its own: on PostgreSQL the uncorrelated EXISTS is evaluated once per statement
    (an InitPlan), and the profile API's single prepared statement stays single. A signed-in
    member of staff who works at no store (not yet placed, or left) finds nobody.
    """
    if not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    return Q(Exists(StoreAssignment.objects.filter(user_id=user.pk)))


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
