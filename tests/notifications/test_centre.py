"""The notification centre page, the badge, and the REST API behind the PWA."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontline.notifications.audiences import to_staff
from frontline.notifications.models import NotificationRecipient
from frontline.notifications.services import notification_create
from tests.factories import staff_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, associate_here):
    client.force_login(associate_here)
    return client


def tell(user, title: str = "Hold expires in 2 hours", link: str = "/customers/42/"):
    return notification_create(
        kind="hold.expiring", recipients=to_staff(user), title=title, link=link
    )


def test_the_centre_lists_my_notifications_newest_first_and_not_a_colleagues(
    signed_in, associate_here, store
):
    older = tell(associate_here, "Older")
    newer = tell(associate_here, "Newer")
    tell(staff_at(store), "For a colleague")
    response = signed_in.get(reverse("notifications:centre"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Newer") < page.index("Older")
    assert "For a colleague" not in page
    assert f'href="/notifications/{newer.pk}/open/"' in page
    assert older


def test_the_badge_on_every_page_counts_unread_notifications(signed_in, associate_here):
    tell(associate_here)
    tell(associate_here)
    page = signed_in.get(reverse("core:home")).content.decode()
    assert "<span data-unread-count>2</span>" in page
    assert '"unread_count": 2' in page  # the live client's starting point


def test_an_empty_centre_says_so(signed_in):
    page = signed_in.get(reverse("notifications:centre")).content.decode()
    assert "No notifications yet" in page


def test_mark_read_without_javascript_redirects_back_to_the_centre(signed_in, associate_here):
    notification = tell(associate_here)
    response = signed_in.post(reverse("notifications:read", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:centre")
    assert NotificationRecipient.objects.get(notification=notification).read_at is not None


def test_mark_read_with_htmx_returns_the_entry_and_the_new_count(signed_in, associate_here):
    notification = tell(associate_here)
    tell(associate_here)
    response = signed_in.post(
        reverse("notifications:read", args=[notification.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.content.decode().strip().startswith(f'<li id="notification-{notification.pk}"')
    assert response["HX-Trigger"] == '{"notifications:unread": {"count": 1}}'


def test_mark_all_read(signed_in, associate_here):
    tell(associate_here)
    tell(associate_here)
    signed_in.post(reverse("notifications:read_all"))
    assert not NotificationRecipient.objects.filter(read_at__isnull=True).exists()


def test_nobody_can_mark_or_open_someone_elses_notification(signed_in, store):
    theirs = tell(staff_at(store))
    assert signed_in.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert signed_in.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert NotificationRecipient.objects.get(notification=theirs).read_at is None


def test_opening_follows_the_deep_link_and_marks_it_read(signed_in, associate_here):
    notification = tell(associate_here, link="/customers/42/?tab=holds")
    response = signed_in.get(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/customers/42/?tab=holds"
    assert NotificationRecipient.objects.get(notification=notification).read_at is not None


def test_the_centre_needs_a_signed_in_staff_member(client):
    response = client.get(reverse("notifications:centre"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- REST API ---------------------------------------------------------------------------


def test_the_api_catches_up_after_an_id_oldest_first(signed_in, associate_here):
    first, second, third = (tell(associate_here, f"n{index}") for index in range(3))
    response = signed_in.get("/api/notifications/", {"after": first.pk})
    assert response.status_code == 200
    body = response.json()
    assert [n["id"] for n in body["notifications"]] == [second.pk, third.pk]
    assert body["unread_count"] == 3
    assert body["has_more"] is False


def test_the_api_pages_back_newest_first(signed_in, associate_here):
    notifications = [tell(associate_here, f"n{index}") for index in range(3)]
    body = signed_in.get("/api/notifications/", {"limit": 2}).json()
    assert [n["id"] for n in body["notifications"]] == [notifications[2].pk, notifications[1].pk]
    assert body["has_more"] is True
    older = signed_in.get("/api/notifications/", {"before": notifications[1].pk}).json()
    assert [n["id"] for n in older["notifications"]] == [notifications[0].pk]


@pytest.mark.parametrize(
    "query", [{"after": "abc"}, {"after": -1}, {"limit": 0}, {"limit": 10_000}]
)
def test_the_api_answers_bad_parameters_with_400_and_a_reason(signed_in, query):
    response = signed_in.get("/api/notifications/", query)
    assert response.status_code == 400
    assert response.json()


def test_the_api_marks_read_and_answers_404_for_what_is_not_mine(signed_in, associate_here, store):
    mine = tell(associate_here)
    theirs = tell(staff_at(store))
    response = signed_in.post(f"/api/notifications/{mine.pk}/read/")
    assert response.json() == {"unread_count": 0}
    assert signed_in.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert signed_in.post("/api/notifications/read-all/").json() == {"unread_count": 0}


def test_the_api_refuses_anonymous_callers(client):
    assert client.get("/api/notifications/").status_code == 403


def test_the_nav_has_a_notifications_entry(signed_in):
    page = signed_in.get(reverse("core:home")).content.decode()
    assert f'href="{reverse("notifications:centre")}"' in page
