"""Web Push: opt-in, encrypted delivery through a Celery task, and pruning of dead devices.

A local HTTP server (pytest-httpserver) stands in for the browser vendor's push service; the
test plays the browser: it makes the subscription's keys, and decrypts what arrives with them.
"""

from __future__ import annotations

import base64
import json
import os

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from clienteling.celery import app as celery_app
from frontline.notifications.audiences import to_staff
from frontline.notifications.management.commands.vapid_keys import generate_vapid_keys
from frontline.notifications.models import PushSubscription
from frontline.notifications.services import notification_create, notification_mark_read

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS_URL = "/api/notifications/push/subscriptions/"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """The keys a browser makes when it subscribes (RFC 8291: a P-256 key and an auth secret)."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)

    def subscription(self, endpoint: str) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": endpoint,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth_secret)},
        }

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return json.loads(plain)


@pytest.fixture
def vapid(settings) -> dict[str, str]:
    public, private = generate_vapid_keys()
    settings.VAPID_PUBLIC_KEY = public
    settings.VAPID_PRIVATE_KEY = private
    settings.VAPID_SUBJECT = "mailto:ops@frontline.example"
    # The stand-in push service speaks plain HTTP on loopback; real ones are https only.
    settings.WEB_PUSH_ENDPOINT_SCHEMES = ("https", "http")
    return {"public": public, "private": private}


@pytest.fixture
def celery_runs_tasks_inline():
    """Tasks run in the test's process (the worker path is covered by test_scale_out.py)."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def opted_in(client, associate, vapid, httpserver):
    """The associate pressed "Turn on alerts" on a tablet: its subscription is stored."""
    client.force_login(associate)
    browser = Browser()
    endpoint = httpserver.url_for("/push/tablet-1")
    response = client.post(
        SUBSCRIPTIONS_URL, browser.subscription(endpoint), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return browser


def raise_for(user, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        return notification_create(
            kind=fields.pop("kind", "appointment.starting_soon"),
            recipients=to_staff(user),
            title=fields.pop("title", "Styling session in 10 minutes"),
            body=fields.pop("body", "Ana Duarte, fitting room 2"),
            link="/appointments/5/",
            **fields,
        )


def verify_vapid_authorization(header: str, public_key: str, audience: str) -> dict:
    """Check the VAPID JWT (RFC 8292) the way a push service does; return its claims."""
    scheme, _, parameters = header.partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in parameters.split(","))
    assert fields["k"] == public_key
    signed, _, signature = fields["t"].rpartition(".")
    raw = unb64url(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    key.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        signed.encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    claims = json.loads(unb64url(signed.split(".")[1]))
    assert claims["aud"] == audience
    return claims


def test_a_subscribed_tablet_receives_the_notification_encrypted_for_it_alone(
    opted_in,
    associate,
    vapid,
    httpserver,
    celery_runs_tasks_inline,
    django_capture_on_commit_callbacks,
):
    httpserver.expect_oneshot_request("/push/tablet-1", method="POST").respond_with_data(status=201)
    notification = raise_for(associate, django_capture_on_commit_callbacks)

    httpserver.check_assertions()
    [(request, _)] = httpserver.log
    assert request.headers["Content-Encoding"] == "aes128gcm"
    assert request.headers["Topic"] == f"notification-{notification.pk}"
    assert int(request.headers["TTL"]) > 0
    claims = verify_vapid_authorization(
        request.headers["Authorization"], vapid["public"], httpserver.url_for("/").rstrip("/")
    )
    assert claims["sub"] == "mailto:ops@frontline.example"
    body = request.get_data()
    assert b"Styling session" not in body  # encrypted on the wire
    payload = opted_in.decrypt(body)
    assert payload["id"] == notification.pk
    assert payload["title"] == "Styling session in 10 minutes"
    assert payload["body"] == "Ana Duarte, fitting room 2"
    assert payload["link"] == "/appointments/5/"
    assert PushSubscription.objects.get().last_delivered_at is not None


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_deleted(
    opted_in,
    associate,
    httpserver,
    celery_runs_tasks_inline,
    django_capture_on_commit_callbacks,
    status,
):
    httpserver.expect_request("/push/tablet-1", method="POST").respond_with_data(status=status)
    raise_for(associate, django_capture_on_commit_callbacks)
    assert len(httpserver.log) == 1
    assert not PushSubscription.objects.exists()


def test_a_failing_push_service_is_retried_a_bounded_number_of_times_and_the_device_kept(
    opted_in, associate, httpserver, django_capture_on_commit_callbacks
):
    from frontline.notifications.tasks import send_web_push_task

    httpserver.expect_request("/push/tablet-1", method="POST").respond_with_data(status=503)
    notification = notification_create(
        kind="hold.expired", recipients=to_staff(associate), title="Hold expired"
    )
    result = send_web_push_task.apply(
        kwargs={
            "notification_id": notification.pk,
            "subscription_id": PushSubscription.objects.get().pk,
        }
    )
    # Run in-process, Celery retries at once instead of after the backoff: the count is what
    # this checks. The first try and five retries, then it gives up.
    assert len(httpserver.log) == 1 + send_web_push_task.max_retries == 6
    assert result.state == "FAILURE"
    assert PushSubscription.objects.exists()


def test_nothing_is_pushed_for_a_notification_already_read(
    opted_in, associate, httpserver, django_capture_on_commit_callbacks
):
    from frontline.notifications.push import PushOutcome, push_deliver

    notification = notification_create(
        kind="hold.expired", recipients=to_staff(associate), title="Hold expired"
    )
    notification_mark_read(user=associate, notification_id=notification.pk)
    subscription = PushSubscription.objects.get()
    outcome = push_deliver(notification_id=notification.pk, subscription_id=subscription.pk)
    assert outcome is PushOutcome.NOTHING_TO_SEND
    assert httpserver.log == []


def test_opting_out_deletes_the_subscription(client, opted_in, httpserver):
    endpoint = httpserver.url_for("/push/tablet-1")
    response = client.delete(
        SUBSCRIPTIONS_URL, {"endpoint": endpoint}, content_type="application/json"
    )
    assert response.status_code == 204
    assert not PushSubscription.objects.exists()
    again = client.delete(
        SUBSCRIPTIONS_URL, {"endpoint": endpoint}, content_type="application/json"
    )
    assert again.status_code == 404


@pytest.mark.parametrize(
    "subscription",
    [
        {"endpoint": "https://push.example/abc"},
        {"endpoint": "not a url", "keys": {"p256dh": "AAAA", "auth": "BBBB"}},
        {"endpoint": "https://push.example/abc", "keys": {"p256dh": "<script>", "auth": "BBBB"}},
        {"endpoint": "ftp://push.example/abc", "keys": {"p256dh": "AAAA", "auth": "BBBB"}},
    ],
)
def test_a_malformed_subscription_is_refused_with_a_reason(client, associate, vapid, subscription):
    client.force_login(associate)
    response = client.post(SUBSCRIPTIONS_URL, subscription, content_type="application/json")
    assert response.status_code == 400
    assert response.json()
    assert not PushSubscription.objects.exists()


def test_plain_http_endpoints_are_refused_outside_tests(client, associate, vapid, settings):
    settings.WEB_PUSH_ENDPOINT_SCHEMES = ("https",)
    client.force_login(associate)
    subscription = Browser().subscription("http://10.0.0.1/internal")
    response = client.post(SUBSCRIPTIONS_URL, subscription, content_type="application/json")
    assert response.status_code == 400
    assert "https" in response.json()["errors"]["endpoint"][0]


def test_without_vapid_keys_the_server_says_push_is_off(client, associate, settings):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = None
    client.force_login(associate)
    assert client.get("/api/notifications/push/").json() == {"enabled": False, "public_key": ""}
    subscription = Browser().subscription("https://push.example/abc")
    response = client.post(SUBSCRIPTIONS_URL, subscription, content_type="application/json")
    assert response.status_code == 503


def test_the_push_settings_give_the_public_key_to_subscribe_with(client, associate, vapid):
    client.force_login(associate)
    assert client.get("/api/notifications/push/").json() == {
        "enabled": True,
        "public_key": vapid["public"],
    }


def test_the_service_worker_handles_push_and_clicks(client):
    script = client.get("/sw.js").content.decode()
    assert 'addEventListener("push"' in script
    assert 'addEventListener("notificationclick"' in script
    assert "/offline/" in script  # the caching it had is still there
