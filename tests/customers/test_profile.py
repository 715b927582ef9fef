"""The profile: everything on one page and in one API answer, in a fixed number of queries."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from frontline.core.navigation import navigation_for
from frontline.customers.api import ProfileSerializer
from frontline.customers.loading import customer_figures_refresh
from frontline.customers.models import Interaction
from frontline.customers.panels import ProfilePanel, profile_panel_register, profile_panels
from frontline.customers.selectors import customer_profile, customer_timeline
from frontline.privacy.models import AccessAction, PersonalDataAccess
from tests.factories import (
    ConsentFactory,
    CustomerFactory,
    CustomerPreferenceFactory,
    CustomerSizeFactory,
    IdentityFactory,
    NoteFactory,
    OrderFactory,
    OrderLineFactory,
    UserFactory,
    WishlistItemFactory,
)

pytestmark = pytest.mark.django_db


def add_history(customer, store, *, interactions: int, orders: int) -> None:
    now = timezone.now()
    channels = ["store", "email", "sms", "online"]
    sentiments = ["positive", "neutral", "negative"]
    Interaction.objects.bulk_create(
        Interaction(
            customer=customer,
            channel=channels[i % 4],
            kind="visit" if i % 2 else "message",
            sentiment=sentiments[i % 3],
            sentiment_score=[0.8, 0.0, -0.6][i % 3],
            summary=f"interaction {i}",
            occurred_at=now - timedelta(hours=i),
            store=store,
        )
        for i in range(interactions)
    )
    for i in range(orders):
        order = OrderFactory(customer=customer, store=store, placed_at=now - timedelta(days=i))
        OrderLineFactory(order=order, quantity=2, returned_quantity=i % 2)


@pytest.fixture
def rich_customer(customer, store, associate):
    ConsentFactory(customer=customer, channel="email", purpose="marketing", granted=True)
    ConsentFactory(customer=customer, channel="sms", purpose="service", granted=False)
    CustomerSizeFactory(customer=customer, category="tops", size="M", updated_by=associate)
    CustomerPreferenceFactory(customer=customer, kind="colour", value="navy")
    IdentityFactory(customer=customer, source="ecommerce", external_id="shop-1")
    WishlistItemFactory(customer=customer, source="ecommerce")
    NoteFactory(customer=customer, author=associate, body="Pinned one", is_pinned=True)
    NoteFactory(customer=customer, author=associate, body="Later one")
    return customer


def test_every_panel_loads_into_the_profile_with_one_request(associate_client, customer):
    html = associate_client.get(reverse("customers:profile", args=[customer.pk])).content.decode()
    panels_url = reverse("customers:panels", args=[customer.pk])
    assert 'hx-trigger="load' not in html, "a panel fetched on its own again"
    assert f'hx-get="{panels_url}" hx-trigger="intersect once" hx-swap="outerHTML"' in html
    fragment = associate_client.get(panels_url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.strip().startswith('<div class="profile-panels" id="profile-panels">')
    assert "hx-trigger" not in fragment.split(">", 1)[0], "the answer must not fetch itself again"
    for panel in profile_panels():
        assert f'id="panel-{panel.key}"' in fragment
        if panel.is_live:
            # Each keeps its own address: the link without JavaScript, and my day's messages.
            assert reverse("customers:panel", args=[customer.pk, panel.key]) in html


@pytest.mark.parametrize("key", ["holds", "actions"])
def test_a_panel_of_inventory_and_actions_answers_on_its_own(associate_client, customer, key):
    panel_url = reverse("customers:panel", args=[customer.pk, key])
    response = associate_client.get(panel_url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="panel-{key}"' in response.content.decode()


def test_the_panels_page_without_javascript_is_a_whole_page(associate_client, customer):
    response = associate_client.get(reverse("customers:panels", args=[customer.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'id="profile-panels"' in html


def test_the_profile_page_shows_every_section(associate_client, rich_customer, store):
    add_history(rich_customer, store, interactions=30, orders=3)
    html = associate_client.get(
        reverse("customers:profile", args=[rich_customer.pk])
    ).content.decode()
    for expected in (
        "Ada Lovelace",
        "C00001234",
        "Net spend",
        "Customer since",
        "Consent to be contacted",
        "Marketing",
        "Tops",
        "navy",
        "shop-1",
        "Cashmere scarf",
        "Pinned one",
        "Timeline",
        "interaction 0",
        "Load more",
        "Purchases",
        "1 returned",
        "Sentiment, last 12 months",
        "Recommended actions",
        "Holds",
        "Follow-ups",
        "Appointments",
        "Messages",
    ):
        assert expected in html, expected
    # Pinned notes come first.
    assert html.index("Pinned one") < html.index("Later one")


def test_the_profile_costs_the_same_queries_for_a_long_history(
    client, associate, customer, store, django_assert_max_num_queries
):
    add_history(customer, store, interactions=1000, orders=200)
    client.force_login(associate)
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/customers/{customer.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert len(body["timeline"]["results"]) == 20 and body["timeline"]["next_cursor"]
    assert len(body["orders"]) == 25


def test_the_api_document_says_what_the_documented_serializer_says(
    client, associate, rich_customer, store
):
    """The API shapes plain rows itself for speed; it must give what ProfileSerializer gives.

    Datetimes are compared as instants: through PostgreSQL's JSON they are written with
    "+00:00" where the serializer writes "Z".
    """
    add_history(rich_customer, store, interactions=30, orders=30)
    client.force_login(associate)
    response = client.get(f"/api/customers/{rich_customer.pk}/")
    profile = customer_profile(user=associate, customer_id=rich_customer.pk)
    documented = json.loads(JSONRenderer().render(ProfileSerializer(profile).data))
    assert as_instants(response.json()) == as_instants(documented)
    assert response.json()["orders"][0]["total"] == documented["orders"][0]["total"]


def as_instants(value):
    """The document with every ISO datetime string turned into an aware datetime."""
    if isinstance(value, dict):
        return {key: as_instants(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_instants(item) for item in value]
    if isinstance(value, str) and ISO_DATETIME.match(value):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def test_the_profile_page_costs_the_same_queries_for_a_long_history(
    client, associate, customer, store
):
    """The page's own queries stay within 14 (on PostgreSQL the consents, identities, trend
    and returns aggregates are one round trip; here they are four; one is the role lookup that
    offers a manager the customer's data export and erasure); the app bar (base.html)
    adds what other domains show on every page, such as the notification badge and the
    navigation's role lookup, the same for every customer."""
    newcomer = CustomerFactory(preferred_store=store)
    add_history(customer, store, interactions=1000, orders=200)
    client.force_login(associate)

    def page_queries(target) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("customers:profile", args=[target.pk])).status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    long_history, no_history = page_queries(customer), page_queries(newcomer)
    assert len(long_history) == len(no_history)
    with CaptureQueriesContext(connection) as navigation:
        navigation_for(associate)
    app_bar = {query["sql"] for query in navigation.captured_queries}
    own = [sql for sql in long_history if '"notifications_' not in sql and sql not in app_bar]
    assert len(own) <= 14, own


def test_every_profile_read_is_recorded_for_the_privacy_audit(
    associate_client, associate, customer
):
    associate_client.get(reverse("customers:profile", args=[customer.pk]))
    associate_client.get(f"/api/customers/{customer.pk}/")
    reads = PersonalDataAccess.objects.filter(staff=associate, customer=customer)
    assert sorted(reads.values_list("action", flat=True)) == sorted(
        [AccessAction.PROFILE_VIEWED, AccessAction.PROFILE_READ_API]
    )


def test_a_refused_read_is_not_recorded_as_a_read(associate_client, customer, store):
    merged = CustomerFactory(preferred_store=store, merged_into=customer)
    assert associate_client.get(reverse("customers:profile", args=[merged.pk])).status_code == 404
    api = associate_client.get(f"/api/customers/{merged.pk}/")
    assert api.status_code == 404 and api.json()["detail"]
    # On the record as refusals (frontline.privacy.middleware), never as reads.
    recorded = PersonalDataAccess.objects.filter(customer=merged)
    assert list(recorded.values_list("action", flat=True)) == [AccessAction.ACCESS_DENIED] * 2


def test_the_api_answers_each_reader_for_their_own_scope_and_records_each_read(
    client, associate, admin_user, customer, stranger
):
    """The statement is compiled once per process for staff and once for superusers; the
    ids filled in each time decide who sees what and whose read is recorded."""
    client.force_login(associate)
    assert client.get(f"/api/customers/{customer.pk}/").json()["customer"]["id"] == customer.pk
    # Lookup is brand-wide: another store's customer too.
    assert client.get(f"/api/customers/{stranger.pk}/").json()["customer"]["id"] == stranger.pk
    client.force_login(UserFactory())  # signed in, but working at no store: finds nobody
    assert client.get(f"/api/customers/{stranger.pk}/").status_code == 404
    client.force_login(admin_user)
    assert client.get(f"/api/customers/{stranger.pk}/").json()["customer"]["id"] == stranger.pk
    reads = PersonalDataAccess.objects.filter(action=AccessAction.PROFILE_READ_API)
    assert sorted(reads.values_list("staff_id", "customer_id")) == sorted(
        [(associate.pk, customer.pk), (associate.pk, stranger.pk), (admin_user.pk, stranger.pk)]
    )


def test_the_timeline_pages_newest_first_without_gaps_or_repeats(associate_client, customer, store):
    add_history(customer, store, interactions=45, orders=0)
    seen, cursor = [], None
    while True:
        params = {"cursor": cursor} if cursor else {}
        body = associate_client.get(f"/api/customers/{customer.pk}/timeline/", params).json()
        seen += [row["summary"] for row in body["results"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"interaction {i}" for i in range(45)]


def test_load_more_with_htmx_appends_only_rows(associate_client, customer, store):
    add_history(customer, store, interactions=25, orders=0)
    first = associate_client.get(
        reverse("customers:timeline", args=[customer.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "interaction 19<" in first and "interaction 20<" not in first
    cursor = customer_timeline(customer=customer).next_cursor
    assert f"cursor={cursor}" in first
    more = associate_client.get(
        reverse("customers:timeline", args=[customer.pk]),
        {"cursor": cursor},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "interaction 24" in more and "interaction 0<" not in more
    assert "<form" not in more and 'id="timeline-more"' not in more


def test_the_timeline_filters_by_channel_and_kind(associate_client, customer, store):
    add_history(customer, store, interactions=40, orders=0)
    body = associate_client.get(
        f"/api/customers/{customer.pk}/timeline/", {"channel": "email", "kind": "visit"}
    ).json()
    assert body["results"] and all(
        row["channel"] == "email" and row["kind"] == "visit" for row in body["results"]
    )


@pytest.mark.parametrize(
    "params", [{"cursor": "not-a-cursor"}, {"cursor": "MjAyNnxhYmM"}, {"channel": "pigeon"}]
)
def test_a_bad_timeline_request_is_a_clear_400(associate_client, customer, params):
    api = associate_client.get(f"/api/customers/{customer.pk}/timeline/", params)
    assert api.status_code == 400 and api.json()
    page = associate_client.get(reverse("customers:timeline", args=[customer.pk]), params)
    assert page.status_code == 400


def test_the_sentiment_trend_counts_each_month(associate_client, customer, store):
    add_history(customer, store, interactions=9, orders=0)
    trend = associate_client.get(f"/api/customers/{customer.pk}/").json()["sentiment_trend"]
    assert sum(m["positive"] + m["neutral"] + m["negative"] for m in trend) == 9
    assert sum(m["negative"] for m in trend) == 3


def test_consent_is_shown_for_every_channel_and_purpose_no_row_meaning_no(
    associate_client, rich_customer
):
    consents = associate_client.get(f"/api/customers/{rich_customer.pk}/").json()["consents"]
    assert len(consents) == 8
    granted = {(c["channel"], c["purpose"]) for c in consents if c["granted"]}
    assert granted == {("email", "marketing")}


def test_empty_slots_say_so_and_a_registered_panel_loads_from_its_own_url(
    associate_client, customer, tmp_path, settings
):
    html = associate_client.get(reverse("customers:profile", args=[customer.pk])).content.decode()
    assert "No appointments: booking arrives with virtual styling." in html
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates  # assigned, so Django rebuilds its template engines
    (tmp_path / "messages_panel.html").write_text(
        "{{ due_count }} messages for {{ customer.first_name }}"
    )
    original = {panel.key: panel for panel in profile_panels()}["appointments"]
    profile_panel_register(
        ProfilePanel(
            key="appointments",
            title="Appointments",
            order=30,
            template="messages_panel.html",
            context=lambda user, customer: {"due_count": 2},
        )
    )
    try:
        html = associate_client.get(
            reverse("customers:profile", args=[customer.pk])
        ).content.decode()
        assert reverse("customers:panel", args=[customer.pk, "appointments"]) in html
        panels_url = reverse("customers:panels", args=[customer.pk])
        fragment = associate_client.get(panels_url, HTTP_HX_REQUEST="true").content.decode()
        assert "2 messages for Ada" in fragment
    finally:
        profile_panel_register(original)


def test_orders_online_and_in_store_show_in_one_list_with_returns(
    associate_client, customer, store
):
    online = OrderFactory(customer=customer, channel="online", store=None, total="120.00")
    in_store = OrderFactory(customer=customer, store=store, total="80.00")
    OrderLineFactory(order=in_store, quantity=2, returned_quantity=1, unit_price="40.00")
    orders = associate_client.get(f"/api/customers/{customer.pk}/").json()["orders"]
    by_number = {o["number"]: o for o in orders}
    assert by_number[online.number]["channel"] == "online"
    assert by_number[in_store.number]["store"]["name"] == "London"
    assert by_number[in_store.number]["returned_value"] == "40.00"


def test_each_customer_gets_their_own_profile_from_the_compiled_once_batch(
    associate_client, associate, store
):
    """The API's SQL is compiled once per process and re-run with each customer's id."""
    first, second = CustomerFactory(preferred_store=store), CustomerFactory(preferred_store=store)
    NoteFactory(customer=first, author=associate, body="About the first")
    NoteFactory(customer=second, author=associate, body="About the second")
    for customer, body in ((first, "About the first"), (second, "About the second")):
        answer = associate_client.get(f"/api/customers/{customer.pk}/").json()
        assert answer["customer"]["id"] == customer.pk
        assert [note["body"] for note in answer["notes"]] == [body]


def test_the_profile_says_where_a_synced_value_came_from_and_which_source_deleted_its_record(
    associate_client, customer
):
    customer.field_sources = {
        "phone": {"source": "crm", "at": "2026-11-03T09:00:00+00:00"},
        "email": {"source": "nowhere-known", "at": "not a time"},
    }
    customer.save(update_fields=["field_sources"])
    IdentityFactory(customer=customer, source="crm", external_id="003A", deleted_at=timezone.now())

    html = associate_client.get(reverse("customers:profile", args=[customer.pk])).content.decode()

    assert "from CRM, 3 Nov 2026" in html
    assert html.count('class="origin"') == 1  # an unreadable origin is not guessed at
    assert "CRM 003A (deleted there" in html


def test_each_sources_tags_show_beside_its_record(associate_client, customer):
    IdentityFactory(customer=customer, source="ecommerce", external_id="7001", tags=["VIP"])
    html = associate_client.get(reverse("customers:profile", args=[customer.pk])).content.decode()
    assert '<span class="chip chip-tag">VIP</span>' in html


def test_the_profile_shows_net_spend_and_returns_credit_notes_included(
    associate_client, customer, store
):
    sale = OrderFactory(customer=customer, store=store, total="100.00")
    OrderLineFactory(order=sale, quantity=2, returned_quantity=1, unit_price="40.00")
    OrderLineFactory(order=sale, quantity=1, unit_price="20.00")
    credit = OrderFactory(
        customer=customer, store=store, kind="return", original=sale, total="-20.00"
    )
    OrderLineFactory(order=credit, quantity=-1, unit_price="20.00")
    customer_figures_refresh({customer.pk})

    html = associate_client.get(reverse("customers:profile", args=[customer.pk])).content.decode()

    # 100 bought, 40 returned against the sale, 20 on a credit note.
    assert re.search(r"<dt>Net spend</dt><dd>£40\.00</dd>", html)
    assert re.search(r"<dt>Returns</dt><dd>£60\.00 \(1 credit note\)</dd>", html)
    assert f"Credit note for {sale.number}" in html
    assert "<dt>Orders</dt><dd>1</dd>" in html


def test_each_order_is_shown_in_its_own_currency(associate_client, customer, store):
    OrderFactory(customer=customer, store=store, currency="EUR", total=Decimal("120.00"))
    OrderFactory(customer=customer, store=store, currency="GBP", total=Decimal("89.00"))
    page = associate_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "€120.00" in page and "£89.00" in page
