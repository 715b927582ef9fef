"""seed_demo: the demo brand the README promises, with logins, structure and honest figures."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone

from frontline.catalog.models import Brand, Product, StockLevel, Variant
from frontline.customers.models import (
    Consent,
    Customer,
    CustomerIdentity,
    CustomerPreference,
    CustomerSize,
    Interaction,
)
from frontline.customers.normalize import normalize_email, normalize_phone
from frontline.demo.selectors import demo_checksum
from frontline.demo.tables import ALL_TABLES, DERIVED_TABLES
from frontline.orders.models import Order, OrderLine
from frontline.staff.models import Store, StoreAssignment, User
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# A fixed day keeps the structure tests independent of the calendar; the data is anchored on it.
DAY = date(2026, 11, 29)
SMALL = {"customers": 400, "products": 60, "today": DAY}


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


def wipe_demo_data() -> None:
    Order.objects.all().delete()
    Customer.objects.all().delete()
    Product.objects.all().delete()
    Brand.objects.all().delete()


@pytest.fixture
def seeded() -> str:
    return seed(seed=7)


# --- logins ---------------------------------------------------------------------------


def test_the_contract_logins_exist_with_their_roles_and_stores(seeded, client):
    store_1, store_2 = Store.objects.filter(kind=Store.Kind.STORE).order_by("pk")[:2]

    def role_at(username: str) -> tuple[str, str]:
        assignment = StoreAssignment.objects.get(user__username=username, is_primary=True)
        return assignment.role, assignment.store.code

    assert role_at("associate1") == ("associate", store_1.code)
    assert role_at("associate2") == ("associate", store_2.code)
    assert role_at("manager1") == ("manager", store_1.code)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    for username in ("associate1", "associate2", "manager1", "admin"):
        assert client.login(username=username, password=settings.DEMO_PASSWORD), username
    assert not client.login(username="associate1", password="wrong")


def test_associate1_logs_in_through_the_login_page(seeded, client):
    response = client.post(
        "/accounts/login/", {"username": "associate1", "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_every_store_has_a_manager_associate_and_stylist(seeded):
    for store in Store.objects.filter(kind=Store.Kind.STORE):
        roles = set(store.assignments.values_list("role", flat=True))
        assert roles == {"manager", "associate", "stylist"}, store.code


def test_seeding_again_keeps_the_same_logins(seeded, settings):
    before = dict(User.objects.values_list("username", "pk"))
    settings.DEMO_PASSWORD = "a-changed-demo-password"
    seed(if_empty=True)
    assert dict(User.objects.values_list("username", "pk")) == before
    assert StoreAssignment.objects.filter(user__username="associate1").count() == 1
    assert User.objects.get(username="associate1").check_password("a-changed-demo-password")


def test_the_logins_are_ensured_even_when_the_data_is_left_alone():
    CustomerFactory()
    output = seed(if_empty=True)
    assert "left as is" in output
    assert Customer.objects.count() == 1
    assert (
        User.objects.filter(username__in=["associate1", "associate2", "manager1", "admin"]).count()
        == 4
    )


# --- loading --------------------------------------------------------------------------


def test_if_empty_does_not_seed_twice(seeded):
    checksum = demo_checksum()
    seed(if_empty=True, seed=99)
    assert demo_checksum() == checksum


def test_seeding_over_existing_data_is_refused_and_loses_nothing(seeded):
    customers = Customer.objects.count()
    with pytest.raises(CommandError, match="already holds customers"):
        seed(seed=8)
    assert Customer.objects.count() == customers


def test_it_needs_the_two_stores_the_logins_work_at():
    with pytest.raises(CommandError, match="--stores must be between 2"):
        seed(stores=1)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(seeded):
    first = demo_checksum()
    wipe_demo_data()
    seed(seed=7)
    assert demo_checksum() == first
    wipe_demo_data()
    seed(seed=8)
    assert demo_checksum() != first


def test_neither_the_batch_size_nor_the_worker_processes_change_the_data():
    # Workers only exist on PostgreSQL; elsewhere this compares batch sizes alone.
    seed(seed=3, batch_size=1, workers=0)
    small_batches_in_process = demo_checksum()
    wipe_demo_data()
    seed(seed=3, batch_size=100_000, workers=2)
    assert demo_checksum() == small_batches_in_process


def test_progress_is_reported_per_batch():
    output = seed(batch_size=200)
    assert output.count("rows/s") == 2
    assert "done in" in output


def test_ids_continue_after_the_loaded_rows(seeded):
    highest = Customer.objects.aggregate(Max("pk"))["pk__max"]
    assert CustomerFactory(number="NOT-A-DEMO-NUMBER").pk > highest
    order = Order.objects.create(
        number="X1",
        channel="online",
        total=0,
        source="ecommerce",
        external_id="x1",
        placed_at=Order.objects.first().placed_at,
    )
    assert order.pk > Order.objects.exclude(pk=order.pk).aggregate(Max("pk"))["pk__max"]


def test_every_constraint_holds_after_loading(seeded):
    # Foreign keys are re-checked (SQLite: PRAGMA foreign_key_check; PostgreSQL: they exist).
    connection.check_constraints()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid = 'orders_orderline'::regclass"
            )
            assert cursor.fetchone()[0] == 2
    assert not StockLevel.objects.filter(reserved__gt=F("on_hand")).exists()
    assert not OrderLine.objects.filter(returned_quantity__gt=F("quantity")).exists()


def schema_of_the_loaded_tables() -> dict[str, set[tuple[str, str]]]:
    """Every index and constraint of the tables the demo fills, by name and definition."""
    names = [table.name for table in ALL_TABLES + DERIVED_TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [names]
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[])",
            [names],
        )
        constraints = set(cursor.fetchall())
    return {"indexes": indexes, "constraints": constraints}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="indexes are rebuilt on PostgreSQL")
def test_loading_leaves_exactly_the_indexes_and_constraints_the_migrations_made():
    before = schema_of_the_loaded_tables()
    assert any(name == "customer_email" for name, _ in before["indexes"])

    seed(seed=3)

    assert schema_of_the_loaded_tables() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers keep it")
def test_the_sentiment_rollup_counts_every_interaction_loaded(seeded):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM customers_interaction), "
            "(SELECT sum(positive + neutral + negative) FROM customers_sentimentmonth)"
        )
        interactions, rolled_up = cursor.fetchone()
    assert interactions > 0 and rolled_up == interactions


# --- structure ------------------------------------------------------------------------


def test_stores_are_real_places_and_online_stock_has_a_warehouse(seeded):
    stores = Store.objects.filter(kind=Store.Kind.STORE)
    assert stores.count() == 3
    london = stores.get(code="lon01")
    assert (round(float(london.latitude)), round(float(london.longitude))) == (52, 0)
    warehouse = Store.objects.get(kind=Store.Kind.WAREHOUSE)
    assert StockLevel.objects.filter(store=warehouse, on_hand__gt=0).exists()
    per_store = Counter(StockLevel.objects.values_list("store__code", flat=True))
    assert set(per_store.values()) == {Variant.objects.count()}


def test_products_come_in_sizes_and_colours_by_category_style_and_season(seeded):
    assert Product.objects.values("category").distinct().count() == 6
    assert set(Product.objects.values_list("season", flat=True)) == {"aw", "ss", "all"}
    assert Product.objects.values("style").distinct().count() >= 6
    shirt = Product.objects.filter(category="tops").first()
    assert shirt.variants.values("size").distinct().count() == 5
    assert Variant.objects.filter(price__gt=0).count() == Variant.objects.count()


def test_the_customer_base_has_every_segment(seeded):
    today = DAY
    assert Customer.objects.filter(tier="vip").count() >= 5
    lapsed = Customer.objects.filter(
        order_count__gte=2, last_purchase_at__date__lt=today - timedelta(days=365)
    )
    assert lapsed.count() >= 30
    assert Customer.objects.filter(first_purchase_at__date__gte=today - timedelta(days=90)).exists()
    assert Customer.objects.filter(order_count=0).exists()
    assert (
        Customer.objects.filter(tier="gold").exists()
        and Customer.objects.filter(tier="silver").exists()
    )


def test_some_birthdays_fall_in_the_next_30_days(seeded):
    soon = [
        customer
        for customer in Customer.objects.exclude(birthday=None)
        if 0 <= (customer.birthday.replace(year=DAY.year) - DAY).days % 366 <= 30
    ]
    assert len(soon) >= 10


def test_birthdays_are_anchored_on_today_by_default():
    call_command("seed_demo", customers=300, products=30, stdout=io.StringIO())
    today = date.today()
    upcoming = sum(
        1
        for birthday in Customer.objects.exclude(birthday=None).values_list("birthday", flat=True)
        if 0 <= (date(today.year, birthday.month, min(birthday.day, 28)) - today).days <= 30
        or 0 <= (date(today.year + 1, birthday.month, min(birthday.day, 28)) - today).days <= 30
    )
    assert upcoming >= 8


def test_there_are_unresolved_recent_complaints(seeded):
    answered = Interaction.objects.filter(
        customer=OuterRef("customer"),
        kind="message",
        staff__isnull=False,
        occurred_at__gt=OuterRef("occurred_at"),
    )
    recent = Interaction.objects.filter(
        kind="complaint", occurred_at__date__gte=DAY - timedelta(days=14)
    )
    assert recent.filter(~Exists(answered)).count() >= 2
    assert set(
        Interaction.objects.filter(kind="complaint").values_list("sentiment", flat=True)
    ) == {"negative"}
    assert set(Interaction.objects.filter(kind="thanks").values_list("sentiment", flat=True)) == {
        "positive"
    }
    assert Interaction.objects.filter(kind="complaint").filter(Exists(answered)).exists()


def test_interactions_span_channels_and_include_store_visits(seeded):
    channels = set(Interaction.objects.values_list("channel", flat=True))
    assert {"store", "email", "phone", "whatsapp"} <= channels
    visits = Interaction.objects.filter(kind="visit")
    assert visits.exists() and not visits.exclude(channel="store").exists()
    assert not visits.filter(store=None).exists()


def test_orders_online_and_in_store_with_returns(seeded):
    assert Order.objects.filter(channel="online", store=None).exists()
    assert Order.objects.filter(channel="store").exclude(associate=None).exists()
    returned = OrderLine.objects.filter(returned_quantity__gt=0)
    assert returned.count() >= 50
    assert not returned.filter(returned_at=None).exists()
    assert not returned.filter(returned_at__lt=F("order__placed_at")).exists()


def test_consents_identities_sizes_and_preferences(seeded):
    marketing = Consent.objects.filter(channel="email", purpose="marketing")
    assert marketing.filter(granted=True).exists() and marketing.filter(granted=False).exists()
    assert {"email", "sms", "whatsapp", "phone"} == set(
        Consent.objects.values_list("channel", flat=True)
    )
    assert {"crm", "ecommerce", "pos"} == set(
        CustomerIdentity.objects.values_list("source", flat=True)
    )
    assert CustomerSize.objects.values("category").distinct().count() == 5
    assert {"brand", "style", "colour", "fit"} == set(
        CustomerPreference.objects.values_list("kind", flat=True)
    )
    customer_with_no_email = Customer.objects.filter(email="").first()
    assert not Consent.objects.filter(customer=customer_with_no_email, channel="email").exists()


def test_contact_points_are_normalised(seeded):
    for email, phone in Customer.objects.values_list("email", "phone"):
        assert normalize_email(email) == email
        assert normalize_phone(phone) == phone


def test_denormalised_figures_agree_with_the_orders(seeded):
    value: dict[int, Decimal] = defaultdict(Decimal)
    for customer_id, quantity, returned, price in OrderLine.objects.values_list(
        "order__customer_id", "quantity", "returned_quantity", "unit_price"
    ):
        value[customer_id] += (quantity - returned) * price
    orders: dict[int, list] = defaultdict(list)
    store_times: dict[int, list] = defaultdict(list)
    for customer_id, placed_at, channel in Order.objects.values_list(
        "customer_id", "placed_at", "channel"
    ):
        orders[customer_id].append(placed_at)
        if channel == "store":
            store_times[customer_id].append(placed_at)
    visits: dict[int, list] = defaultdict(list)
    for customer_id, at in Interaction.objects.filter(kind="visit").values_list(
        "customer_id", "occurred_at"
    ):
        visits[customer_id].append(at)
    for customer in Customer.objects.all():
        placed = orders[customer.pk]
        assert customer.order_count == len(placed)
        assert customer.lifetime_value == value[customer.pk]
        assert customer.first_purchase_at == (min(placed) if placed else None)
        assert customer.last_purchase_at == (max(placed) if placed else None)
        seen = visits[customer.pk] + store_times[customer.pk]
        assert customer.last_visit_at == (max(seen) if seen else None)
    for order in Order.objects.prefetch_related("lines")[:200]:
        assert order.total == sum(line.quantity * line.unit_price for line in order.lines.all())


# --- signal for recommendations -------------------------------------------------------


def test_purchases_follow_the_recorded_brand_and_size(seeded):
    favourite_brands = defaultdict(set)
    for customer_id, brand in CustomerPreference.objects.filter(kind="brand").values_list(
        "customer_id", "value"
    ):
        favourite_brands[customer_id].add(brand)
    sizes = {
        (customer_id, category): size
        for customer_id, category, size in CustomerSize.objects.values_list(
            "customer_id", "category", "size"
        )
    }
    in_brand = in_size = sized = total = 0
    for customer_id, brand, category, size in OrderLine.objects.filter(
        order__customer_id__in=favourite_brands
    ).values_list(
        "order__customer_id",
        "variant__product__brand__name",
        "variant__product__category",
        "variant__size",
    ):
        total += 1
        in_brand += brand in favourite_brands[customer_id]
        if (customer_id, category) in sizes:
            sized += 1
            in_size += size == sizes[(customer_id, category)]
    assert in_brand / total > 0.5
    assert in_size / sized > 0.85


def test_autumn_lines_sell_in_autumn_and_spring_lines_in_spring(seeded):
    months = defaultdict(Counter)
    for season, placed_at in OrderLine.objects.values_list(
        "variant__product__season", "order__placed_at"
    ):
        months[season][placed_at.month] += 1
    autumn, spring = {9, 10, 11, 12, 1}, {3, 4, 5, 6, 7}
    assert sum(months["aw"][m] for m in autumn) > 5 * sum(months["aw"][m] for m in spring)
    assert sum(months["ss"][m] for m in spring) > 5 * sum(months["ss"][m] for m in autumn)


def test_vips_are_looked_after_by_an_associate_at_their_store(seeded):
    vips = Customer.objects.filter(tier="vip")
    with_adviser = vips.exclude(preferred_associate=None)
    assert with_adviser.count() >= 0.7 * vips.count()
    for customer in with_adviser.select_related("preferred_associate"):
        assert customer.preferred_associate.assignments.filter(
            store=customer.preferred_store_id
        ).exists()
    assert vips.filter(
        Q(
            lifetime_value__gt=Customer.objects.exclude(tier="vip").aggregate(
                m=Max("lifetime_value")
            )["m"]
            / 4
        )
    ).exists()


# --- follow-ups and recommended actions ------------------------------------------------------


def test_every_member_of_staff_has_a_day_of_follow_ups_and_a_history(seeded):
    from frontline.followups.models import FollowUp, FollowUpEvent

    staff = User.objects.filter(assignments__isnull=False).distinct()
    for person in staff:
        # Anchored on the demo's day: overdue, due that day and the week after, and done.
        theirs = FollowUp.objects.filter(assignee=person)
        active = theirs.filter(status="open")
        assert active.filter(due_on__lt=DAY).exists(), person.username
        assert active.filter(due_on=DAY).exists(), person.username
        assert active.filter(due_on__gt=DAY).exists(), person.username
        assert theirs.filter(status="done", due_on__lt=DAY).count() >= 5
    assert set(FollowUp.objects.values_list("outcome", flat=True)) > {"", "reached"}
    done = FollowUp.objects.filter(status="done")
    assert FollowUpEvent.objects.filter(kind="completed").count() == done.count()
    assert not done.filter(completed_at__isnull=True).exists()


def test_recommended_actions_are_computed_after_the_seed(seeded):
    from frontline.actions.models import ActionSuggestion

    suggestions = ActionSuggestion.objects.count()
    assert suggestions >= Customer.objects.count() // 20
    assert "recommended actions computed" in seeded


def test_associates_keep_holds_for_their_customers_and_have_news_of_today(seeded):
    """The default demo shows holds (one running out today, for "my day") and notifications."""
    from frontline.catalog.models import Hold, StockLevel
    from frontline.notifications.models import NotificationRecipient

    for username in ("associate1", "associate2"):
        person = User.objects.get(username=username)
        holds = Hold.objects.filter(created_by=person, status="active")
        assert holds.count() >= 2, username
        assert set(holds.values_list("customer__preferred_associate", flat=True)) == {person.pk}
        assert holds.filter(expires_at__lte=timezone.now() + timedelta(hours=3)).exists()
        for hold in holds:
            stock = StockLevel.objects.get(store=hold.store, variant=hold.variant)
            assert stock.reserved >= hold.quantity and stock.reserved <= stock.on_hand
        news = NotificationRecipient.objects.filter(
            recipient=person, notification__kind="followup.assigned"
        )
        assert news.exists(), username
    assert "holds placed" in seeded and "notifications of today's follow-ups raised" in seeded
