"""Who may reach what: every route of the URL configuration, as every kind of user.

The routes are read from the URL configuration itself and the API's operations from its OpenAPI
schema; each must have a rule in ACCESS, so a route added without one fails here. Every route is
requested with real objects of store A (a customer, a note, a hold, a notification...) as:
nobody signed in, an associate of store A, an associate of store B, the manager of store A, a
stylist of store A and an administrator. Customer lookup is brand-wide (store B's staff open
store A's customer), but the work is store-scoped: store B's staff must get 404 for store A's
follow-ups, holds, appointments, messages and suggested actions (never a 403 that would confirm
they exist). Each request runs in a savepoint that is rolled
back, so what one visitor changes never decides what the next one sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from frontline.appointments.models import LookbookItem
from frontline.appointments.services import booking_feedback_token, booking_manage_token
from frontline.catalog.services import hold_create
from frontline.customers.models import DuplicateCandidate
from frontline.customers.services import customers_merge
from frontline.followups.models import BulkAssignment
from frontline.followups.selectors import store_today
from frontline.followups.services import followup_create
from frontline.notifications.audiences import to_staff
from frontline.notifications.management.commands.vapid_keys import generate_vapid_keys
from frontline.notifications.services import notification_create
from frontline.outreach.models import Campaign, Message
from frontline.privacy.services import customer_erase
from frontline.staff.models import StaffRole
from frontline.surveys.models import About
from frontline.surveys.services import survey_create, survey_link
from frontline.sync.models import Run, Source
from tests.appointments.factories import BookingFactory, StylistFactory
from tests.catalog.shop import build_shop
from tests.factories import (
    ActionSuggestionFactory,
    ConsentFactory,
    CustomerFactory,
    CustomerPreferenceFactory,
    NoteFactory,
    UserFactory,
    WishlistItemFactory,
    staff_at,
)

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "associate_a", "associate_b", "manager_a", "stylist_a", "admin")

# Who is let through, by policy. Everyone else is refused: sent to sign in (pages) or answered
# 401/403 (API) when not signed in; 403 for a page or action their role lacks; 404 for an
# object outside their stores.
EVERYONE = frozenset(PERSONAS)
STAFF = EVERYONE - {"anonymous"}
STORE_A = frozenset({"associate_a", "manager_a", "stylist_a", "admin"})
MANAGERS_A = frozenset({"manager_a", "admin"})  # the manager of the object's store
MANAGERS = frozenset({"manager_a", "admin"})  # any store's manager (pages about their stores)
RECIPIENT = frozenset({"associate_a"})  # a notification is its recipient's alone
AUTHOR = frozenset({"associate_a"})  # a note's text is edited by its author only


@dataclass(frozen=True)
class Rule:
    methods: tuple[str, ...]
    allowed: frozenset[str]


def rule(methods: str, allowed: frozenset[str]) -> Rule:
    return Rule(tuple(methods.split()), allowed)


# Every route, by name, with the methods it answers and who may use them.
ACCESS: dict[str, Rule] = {
    # The app shell and what a device needs before signing in.
    "core:home": rule("GET", STAFF),
    "core:healthz": rule("GET", EVERYONE),
    "core:manifest": rule("GET", EVERYONE),
    "core:service_worker": rule("GET", EVERYONE),
    "core:offline": rule("GET", EVERYONE),
    "login": rule("GET", EVERYONE),
    "logout": rule("POST", EVERYONE),
    "password_change": rule("GET POST", STAFF),
    # Shared tablets: any staff member locks their own session, opens it with a PIN, sets one.
    "tablet:lock": rule("POST", STAFF),
    "tablet:locked": rule("GET", STAFF),
    "tablet:unlock": rule("POST", STAFF),
    "tablet:pin": rule("GET POST", STAFF),
    "password_change_done": rule("GET", STAFF),
    "password_reset": rule("GET POST", EVERYONE),
    "password_reset_done": rule("GET", EVERYONE),
    "password_reset_confirm": rule("GET", EVERYONE),
    "password_reset_complete": rule("GET", EVERYONE),
    "admin:index": rule("GET", frozenset({"admin"})),
    # Customers: lookup is brand-wide. A customer is one person in every store: any staff member
    # finds them, opens the 360 (on the audit) and adds to their own record (notes, sizes,
    # preferences, wishlist, a check-in at their own store). Only a note's author edits its text.
    "customers:search": rule("GET", STAFF),
    "customers:new": rule("GET POST", STAFF),
    "customers:duplicates": rule("GET", MANAGERS),
    "customers:duplicate_review": rule("GET POST", MANAGERS_A),
    "customers:duplicate_dismiss": rule("POST", MANAGERS_A),
    "customers:merge_undo": rule("POST", MANAGERS_A),
    "customers:profile": rule("GET", STAFF),
    "customers:timeline": rule("GET", STAFF),
    "customers:check_in": rule("POST", STAFF),
    "customers:panels": rule("GET", STAFF),
    "customers:panel": rule("GET", STAFF),
    "customers:note_add": rule("POST", STAFF),
    "customers:note_edit": rule("GET POST", AUTHOR),
    "customers:note_pin": rule("POST", STAFF),
    "customers:wishlist_add": rule("POST", STAFF),
    "customers:wishlist_remove": rule("POST", STAFF),
    "customers:size_set": rule("POST", STAFF),
    "customers:preference_add": rule("POST", STAFF),
    "customers:preference_remove": rule("POST", STAFF),
    "customers:dates_set": rule("POST", STAFF),
    # Stock is the brand's; holds belong to the store that keeps them.
    "catalog:lookup": rule("GET", STAFF),
    "catalog:product": rule("GET", STAFF),
    "catalog:watch": rule("POST", STAFF),
    "catalog:variant": rule("GET", STAFF),
    "catalog:hold_create": rule("GET POST", STAFF),
    "catalog:holds": rule("GET", STAFF),
    "catalog:hold": rule("GET", STORE_A),
    "catalog:hold_action": rule("POST", STORE_A),
    "catalog:request_action": rule("POST", STORE_A),
    # Notifications are personal.
    "notifications:centre": rule("GET", STAFF),
    "notifications:read": rule("POST", RECIPIENT),
    "notifications:read_all": rule("POST", STAFF),
    "notifications:open": rule("GET", RECIPIENT),
    # Sync is for managers; its webhooks are signed by the source, not signed in.
    "sync:runs": rule("GET", MANAGERS),
    "sync:run": rule("GET", MANAGERS),
    "sync:webhook": rule("POST", frozenset()),
    # Follow-ups belong to their store: colleagues read them; pages answer a refused change
    # with a message on the page (the API answers 403, below).
    "followups:team": rule("GET", MANAGERS),
    "followups:mine": rule("GET", STAFF),
    "followups:bulk": rule("GET POST", MANAGERS),
    "followups:bulk_detail": rule("GET", MANAGERS_A),
    "followups:bulk_undo": rule("POST", MANAGERS_A),
    "followups:new": rule("GET POST", STORE_A),
    "followups:detail": rule("GET", STORE_A),
    "followups:complete": rule("POST", STORE_A),
    "followups:snooze": rule("POST", STORE_A),
    "followups:reassign": rule("POST", STORE_A),
    "followups:cancel": rule("POST", STORE_A),
    "api:followups:list": rule("GET POST", STAFF),
    "api:followups:my_day": rule("GET", STAFF),
    "api:followups:team": rule("GET", MANAGERS),
    "api:followups:bulk_preview": rule("POST", MANAGERS),
    "api:followups:bulk": rule("POST", MANAGERS),
    "api:followups:bulk_undo": rule("POST", MANAGERS_A),
    "api:followups:detail": rule("GET", STORE_A),
    # An empty body: refused as input (400) by whoever may see the follow-up.
    "api:followups:complete": rule("POST", STORE_A),
    "api:followups:snooze": rule("POST", STORE_A),
    "api:followups:reassign": rule("POST", STORE_A),
    # Nothing to fill in: the manager cancels, the assignee may not (they did not plan it).
    "api:followups:cancel": rule("POST", MANAGERS_A),
    # Virtual styling: customers book in public and hold their booking by its link; staff
    # see the sessions of their stores.
    "appointments:book": rule("GET POST", EVERYONE),
    "appointments:booked": rule("GET", EVERYONE),
    "appointments:manage": rule("GET", EVERYONE),
    "appointments:customer_session": rule("GET", EVERYONE),
    "appointments:feedback": rule("GET POST", EVERYONE),
    "appointments:list": rule("GET", STAFF),
    "appointments:detail": rule("GET", STORE_A),
    "appointments:session": rule("GET", STORE_A),
    "appointments:customer_lookbook": rule("GET", EVERYONE),
    # The preparation view's writes: whoever at the booking's store prepares the session.
    "appointments:lookbook": rule("GET POST", STORE_A),
    "appointments:lookbook_share": rule("POST", STORE_A),
    "appointments:lookbook_item": rule("POST", STORE_A),
    "appointments:outcome": rule("POST", STORE_A),
    "appointments:meeting_link": rule("POST", STORE_A),
    # Suggested actions are the customer's store's work queue (accepting one plans a follow-up
    # there); product recommendations are about the person, shown wherever the profile is.
    "actions:customer_panel": rule("GET", STORE_A),
    "actions:customer_recommendations": rule("GET", STAFF),
    "actions:accept": rule("POST", STORE_A),
    "actions:snooze": rule("POST", STORE_A),
    "actions:dismiss": rule("POST", STORE_A),
    "actions:performance": rule("GET", MANAGERS),
    # A customer's data rights (export, erasure) are their store manager's and the admins'.
    "privacy:customer_export": rule("GET", MANAGERS_A),
    "privacy:customer_erase": rule("GET POST", MANAGERS_A),
    "privacy:erasure": rule("GET", MANAGERS_A),
    # Outreach: writing to a customer is for their store's staff; the provider's and the mail
    # relay's webhooks are signed by them, not signed in (a request without a signature is
    # refused whoever sends it).
    "outreach:compose": rule("GET POST", STORE_A),
    # Campaigns are a store manager's: the list and a new one for the stores they manage.
    "outreach:campaigns": rule("GET", MANAGERS),
    "outreach:campaign_new": rule("GET POST", MANAGERS),
    "outreach:campaign": rule("GET", MANAGERS_A),
    "outreach:campaign_launch": rule("POST", MANAGERS_A),
    "outreach:twilio_inbound": rule("POST", frozenset()),
    "outreach:twilio_status": rule("POST", frozenset()),
    "outreach:email_inbound": rule("POST", frozenset()),
    "api:outreach:messages": rule("GET POST", STORE_A),
    "api:outreach:preview": rule("POST", STORE_A),
    "api:outreach:channels": rule("GET", STORE_A),
    "api:outreach:message": rule("GET", STORE_A),
    "api:outreach:cancel": rule("POST", STORE_A),
    "api:outreach:templates": rule("GET", STAFF),
    # How the sentiment models read the brand's feedback: the back office's (staff flag).
    "sentiment:models": rule("GET", frozenset({"admin"})),
    # A survey is answered by whoever holds its signed link: no sign-in.
    "surveys:answer": rule("GET POST", EVERYONE),
    # The API: the same policies, answered in JSON.
    "api:token": rule("POST", EVERYONE),
    # The API's description is public, as its endpoints' answers are not.
    "api:schema": rule("GET", EVERYONE),
    "api:docs": rule("GET", EVERYONE),
    "api:customers:search": rule("GET POST", STAFF),
    "api:customers:profile": rule("GET", STAFF),
    "api:customers:timeline": rule("GET", STAFF),
    "api:customers:check_in": rule("POST", STAFF),
    "api:customers:notes": rule("POST", STAFF),
    # Anyone who opens the customer pins a note; only its author edits its text (tests/customers).
    "api:customers:note": rule("PATCH", STAFF),
    "api:catalog:products": rule("GET", STAFF),
    "api:catalog:lookup": rule("GET", STAFF),
    "api:catalog:product_stock": rule("GET", STAFF),
    "api:catalog:variant_stock": rule("GET", STAFF),
    "api:catalog:holds": rule("GET POST", STAFF),
    "api:catalog:hold": rule("GET", STORE_A),
    "api:catalog:hold_extend": rule("POST", STORE_A),
    "api:catalog:hold_cancel": rule("POST", STORE_A),
    "api:catalog:hold_complete": rule("POST", STORE_A),
    "api:catalog:request_accept": rule("POST", STORE_A),
    "api:catalog:request_decline": rule("POST", STORE_A),
    "api:catalog:watches": rule("POST", STAFF),
    "api:notifications:list": rule("GET", STAFF),
    "api:notifications:read": rule("POST", RECIPIENT),
    "api:notifications:read_all": rule("POST", STAFF),
    "api:notifications:push_settings": rule("GET", STAFF),
    "api:notifications:push_subscriptions": rule("POST DELETE", STAFF),
    "api:actions:customer": rule("GET", STORE_A),
    "api:actions:recommendations": rule("GET", STAFF),
    "api:actions:accept": rule("POST", STORE_A),
    "api:actions:snooze": rule("POST", STORE_A),
    "api:actions:dismiss": rule("POST", STORE_A),
    "api:actions:performance": rule("GET", MANAGERS),
    "api:privacy:customer_export": rule("GET", MANAGERS_A),
    "api:privacy:customer_erase": rule("POST", MANAGERS_A),
    "api:privacy:erasure": rule("GET", MANAGERS_A),
}

# Answers that mean "refused". 405 is not among them: a route answers only its methods.
REFUSALS = {401, 403, 404}

# What a route needs besides its path to answer at all (its required query parameters).
QUERY = {"api:catalog:lookup": "?code=MC-NAVY-M"}


@dataclass(frozen=True)
class Route:
    name: str
    template: str  # e.g. "customers/<id:customer_id>/notes/"


def routes(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    """Every named route of the URL configuration; the admin is one route (its index)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                yield Route("admin:index", prefix + str(pattern.pattern))
                continue
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield Route(namespace + pattern.name, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            # The admin's own sign-in page, wrapped in the app's rate limits.
            yield Route("admin:login", prefix + str(pattern.pattern))


PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def schema_path(template: str) -> str:
    # drf-spectacular names a ``pk`` parameter ``id``.
    return "/" + PARAMETER.sub(
        lambda match: "{" + ("id" if match["name"] == "pk" else match["name"]) + "}", template
    )


@pytest.fixture
def brand(settings, monkeypatch):
    """Store A and store B, their staff, and one object of store A of every kind a URL names."""
    settings.RATELIMIT_ENABLE = False
    # Configured as in production, so that no endpoint answers "not configured" (503).
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = generate_vapid_keys()
    monkeypatch.setenv("SHOPIFY_WEBHOOK_SECRET", "a signing secret")
    shop = build_shop()
    store_a = shop.here
    stylist = StylistFactory(store=store_a)
    people = {
        "associate_a": shop.associate,
        "associate_b": shop.other_associate,
        "manager_a": staff_at(store_a, StaffRole.MANAGER),
        "stylist_a": stylist.user,
        "admin": UserFactory(is_superuser=True, is_staff=True),
    }
    customer = shop.customer
    twin = CustomerFactory(preferred_store=store_a, last_name=customer.last_name)
    merged_away = CustomerFactory(preferred_store=store_a)
    first, second = sorted([customer.pk, twin.pk])
    hold = hold_create(user=shop.associate, customer=customer, variant=shop.navy_m, store=store_a)
    requested = hold_create(
        user=shop.other_associate, customer=shop.stranger, variant=shop.navy_l, store=store_a
    )
    notification = notification_create(
        kind="system.test", recipients=to_staff(shop.associate), title="Hello"
    )
    followup = followup_create(
        by=people["manager_a"],
        customer_id=customer.pk,
        assignee_id=shop.associate.pk,
        due_on=store_today(store_a),
        reason="thank_you",
    )
    bulk_assignment = BulkAssignment.objects.create(
        store=store_a,
        created_by=people["manager_a"],
        reason="thank_you",
        due_on=store_today(store_a),
    )
    booking = BookingFactory(customer=customer, stylist=stylist)
    ConsentFactory(customer=customer, purpose="service")
    survey = survey_create(
        customer=customer, store=store_a, about=About.PURCHASE, about_key="order:matrix"
    )
    merge = customers_merge(
        survivor_id=customer.pk, loser_id=merged_away.pk, merged_by=people["manager_a"]
    )
    erasure = customer_erase(
        by=people["admin"], customer_id=CustomerFactory(preferred_store=store_a).pk
    )
    source, _ = Source.objects.get_or_create(
        name="shopify", defaults={"kind": Source.Kind.SHOPIFY, "record_source": "ecommerce"}
    )
    source.webhook_secret_env = "SHOPIFY_WEBHOOK_SECRET"
    source.save()
    values = {
        "customer_id": customer.pk,
        "note_id": NoteFactory(customer=customer, author=shop.associate).pk,
        "item_id": WishlistItemFactory(customer=customer).pk,
        "preference_id": CustomerPreferenceFactory(customer=customer).pk,
        "candidate_id": DuplicateCandidate.objects.create(
            customer_id=first, other_id=second, score=0.9
        ).pk,
        "merge_id": merge.pk,
        "suggestion_id": ActionSuggestionFactory(customer=customer).pk,
        "hold_id": hold.pk,
        "request_id": requested.request.pk,
        "product_id": shop.navy_m.product_id,
        "variant_id": shop.navy_m.pk,
        "pk": notification.pk,
        "run_id": Run.objects.create(source=source, entity="customers").pk,
        "key": "holds",
        "source_name": source.name,
        "followup_id": followup.pk,
        "bulk_id": bulk_assignment.pk,
        "booking_id": booking.pk,
        "lookbook_item_id": LookbookItem.objects.create(
            booking=booking, variant=shop.navy_m, position=1
        ).pk,
        "section": "today",
        "signed": booking_manage_token(booking=booking),
        "feedback": booking_feedback_token(booking=booking),
        "uidb64": "MQ",  # a reset link that is not valid: the page says so
        "token": booking.token,
        "erasure_id": erasure.pk,
        "message_id": Message.objects.create(
            customer=customer,
            channel="email",
            direction="outbound",
            status="scheduled",
            body="Hello",
            to_address=customer.email,
            not_before=timezone.now() + timedelta(days=1),
        ).pk,
        "survey_link": survey_link(survey),
        "campaign_id": Campaign.objects.create(
            store=store_a, name="Autumn", channel="email", body="Hello", subject="Hi"
        ).pk,
    }
    return people, values


def url_for(route: Route, values: dict[str, object]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match["name"]
        if name == "signed":  # a booking's signed links: to manage it, or to rate the session
            return str(values["feedback" if "feedback/" in route.template else "signed"])
        if name == "token":  # a booking's link, or a password reset link (not valid)
            return str(values["token"]) if "book/" in route.template else "set-password"
        if name == "action":  # hold and hold-request actions
            return "accept" if "requests/" in route.template else "cancel"
        return str(values[name])

    return "/" + PARAMETER.sub(value, route.template) + QUERY.get(route.name, "")


def request_as(persona: str, people: dict, method: str, url: str) -> HttpResponseBase:
    """One request in a fresh session, its effects (a sign-out included) rolled back."""
    with transaction.atomic():
        client = Client()
        if persona != "anonymous":
            client.force_login(people[persona])
        response = client.generic(method, url, data="{}", content_type="application/json")
        transaction.set_rollback(True)
    return response


def refused(route: Route, status: int, location: str) -> bool:
    if route.name == "logout":  # signing out leads to the sign-in page: that is its success
        return status in REFUSALS
    # A page asks whoever may not see it to sign in (as someone who may, for the admin).
    return status in REFUSALS or (status == 302 and "/login/" in location)


def test_every_route_has_an_access_rule():
    names = {route.name for route in routes()} - {"admin:login"}
    assert names - set(ACCESS) == set(), "add a rule to ACCESS for each new route"
    assert set(ACCESS) - names == set(), "ACCESS names routes that no longer exist"


def test_every_api_operation_is_covered_with_its_methods():
    documented = {
        (path, method.upper())
        for path, operations in SchemaGenerator().get_schema(public=True)["paths"].items()
        for method in operations
    }
    covered = {
        (schema_path(route.template), method)
        for route in routes()
        if route.name.startswith("api:")
        for method in ACCESS[route.name].methods
    }
    assert documented - covered == set(), "operations without a rule for their method"


def test_each_visitor_reaches_exactly_what_their_role_allows(brand):
    people, values = brand
    wrong: list[str] = []
    for route in routes():
        if route.name == "admin:login":
            continue
        access = ACCESS[route.name]
        url = url_for(route, values)
        for method in access.methods:
            for persona in PERSONAS:
                response = request_as(persona, people, method, url)
                status = response.status_code
                was_refused = refused(route, status, response.get("Location", ""))
                should_refuse = persona not in access.allowed
                if status >= 500 or was_refused != should_refuse:
                    wrong.append(
                        f"{method} {url} as {persona}: {status}, expected "
                        f"{'refusal' if should_refuse else 'access'}"
                    )
    assert not wrong, "\n".join(wrong)


def test_store_b_gets_404_not_403_for_store_a_objects(brand):
    """A 403 would tell store B's staff that the hold, follow-up or booking exists.

    A note's edit form is not among them: store B's staff read the note on the profile they
    may open, so "only its author edits it" (403) tells them nothing new.
    """
    people, values = brand
    leaks = []
    for route in routes():
        access = ACCESS.get(route.name)
        if access is None or access.allowed not in (STORE_A, RECIPIENT):
            continue
        if route.name == "customers:note_edit":  # AUTHOR: the same people as RECIPIENT
            continue
        url = url_for(route, values)
        for method in access.methods:
            status = request_as("associate_b", people, method, url).status_code
            if status != 404:
                leaks.append(f"{method} {url}: {status}")
    assert not leaks, "\n".join(leaks)


def test_store_b_opens_store_a_customer_but_none_of_its_work(brand):
    """The walk-in of store A at store B: the profile opens, store A's work stays store A's."""
    people, values = brand
    customer_id = values["customer_id"]
    opened = [
        f"/customers/{customer_id}/",
        f"/api/customers/{customer_id}/",
        f"/customers/{customer_id}/panels/",
    ]
    for url in opened:
        assert request_as("associate_b", people, "GET", url).status_code == 200, url
    store_a_work = {
        "followups:detail": "followup_id",
        "api:followups:detail": "followup_id",
        "catalog:hold": "hold_id",
        "api:catalog:hold": "hold_id",
        "appointments:detail": "booking_id",
        "api:outreach:message": "message_id",
        "api:outreach:messages": "customer_id",
        "api:actions:customer": "customer_id",
    }
    by_name = {route.name: route for route in routes()}
    for name in store_a_work:
        url = url_for(by_name[name], values)
        assert request_as("associate_b", people, "GET", url).status_code == 404, url
    panels = request_as(
        "associate_b", people, "GET", f"/customers/{customer_id}/panels/"
    ).content.decode()
    store_a_links = [
        reverse("followups:detail", args=[values["followup_id"]]),
        reverse("catalog:hold", args=[values["hold_id"]]),
        reverse("followups:new", args=[customer_id]),
        reverse("outreach:compose", args=[customer_id]),
    ]
    assert [link for link in store_a_links if link in panels] == []
    assert "Messages with this customer are kept by the staff of their store." in panels
    own = request_as("associate_a", people, "GET", f"/customers/{customer_id}/panels/")
    assert [link for link in store_a_links if link in own.content.decode()] == store_a_links
