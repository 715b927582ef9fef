"""Reads for the run page. Sync is brand-wide, so it is shown to managers and superusers only."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from frontline.staff.models import StaffRole, StoreAssignment, User
from frontline.staff.selectors import is_manager
from frontline.sync.models import QuarantinedRecord, Run


def may_see_sync(user: User) -> bool:
    return is_manager(user)


def sync_viewers() -> QuerySet[User]:
    """Everyone ``may_see_sync`` lets in: active superusers and store managers."""
    managers = StoreAssignment.objects.filter(role=StaffRole.MANAGER).values("user_id")
    return User.objects.filter(Q(is_superuser=True) | Q(pk__in=managers), is_active=True)


def runs_for(user: User) -> QuerySet[Run]:
    if not may_see_sync(user):
        return Run.objects.none()
    return Run.objects.select_related("source")


def run_quarantine(run: Run) -> QuerySet[QuarantinedRecord]:
    return QuarantinedRecord.objects.filter(run=run).order_by("id")


def open_quarantine_count() -> int:
    return QuarantinedRecord.objects.filter(status=QuarantinedRecord.Status.OPEN).count()
