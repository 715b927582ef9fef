"""Sending a test notification to a staff member (demos, and checking a tablet gets alerts)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from frontline.notifications.models import NotificationRecipient

pytestmark = pytest.mark.django_db


def test_the_command_sends_one_to_the_named_staff_member(associate, capsys):
    call_command("send_test_notification", associate.username, "--title", "Hello tablet")
    entry = NotificationRecipient.objects.select_related("notification").get(recipient=associate)
    assert entry.notification.kind == "system.test"
    assert entry.notification.title == "Hello tablet"
    assert entry.notification.link == "/notifications/"
    assert f"to {associate.username}" in capsys.readouterr().out


def test_the_command_names_an_unknown_staff_member(db):
    with pytest.raises(CommandError, match="nobody-here"):
        call_command("send_test_notification", "nobody-here")


def test_the_admin_action_sends_one_to_each_selected_staff_member(admin_client, associate):
    response = admin_client.post(
        "/admin/staff/user/",
        {"action": "send_test_notification", "_selected_action": [associate.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Sent a test notification to 1 staff member" in response.content.decode()
    assert NotificationRecipient.objects.filter(recipient=associate).count() == 1


def test_vapid_keys_prints_both_variables(capsys):
    call_command("vapid_keys")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("VAPID_PUBLIC_KEY=B")  # an uncompressed P-256 point
    assert lines[1].startswith("VAPID_PRIVATE_KEY=")
