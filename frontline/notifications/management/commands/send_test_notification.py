"""``manage.py send_test_notification USERNAME [--title T] [--body B] [--via-worker]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontline.notifications.services import notification_test_send
from frontline.notifications.tasks import send_test_notification_task
from frontline.staff.models import User


class Command(BaseCommand):
    help = "Send a test notification to a staff member (live, and by Web Push if they opted in)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--title", default="")
        parser.add_argument("--body", default="")
        parser.add_argument(
            "--via-worker", action="store_true", help="raise it from a Celery worker instead"
        )

    def handle(self, *args: Any, username: str, title: str, body: str, **options: Any) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active staff member is called {username!r}.")
        if options["via_worker"]:
            send_test_notification_task.delay(user_id=user.pk, title=title, body=body)
            self.stdout.write(f"Queued a test notification for {username}.")
            return
        notification = notification_test_send(user_id=user.pk, title=title, body=body)
        assert notification is not None
        self.stdout.write(self.style.SUCCESS(f"Sent notification {notification.pk} to {username}."))
