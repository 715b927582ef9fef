"""Data for the actions and recommendations benchmarks.

``seed_demo`` (frontline.demo) is the source of truth once it is on main: when the command
exists it fills the database. Until then, and only then, a set-based SQL generator writes
customers with the same kinds of structure (brand and style affinities, sizes, consents,
birthdays, lapsing VIPs, recent big orders, complaints, new arrivals with stock), so the
benchmarks can run on this branch. PostgreSQL only, like every benchmark.
"""

from __future__ import annotations

import time

from django.core.management import call_command, get_commands
from django.db import connection

from frontline.customers.models import Customer
from frontline.staff.models import StaffRole, Store, StoreAssignment, User

BRANDS = 10
STYLES = 3
PRODUCTS_PER_STYLE = 10
SIZES = ["XS", "S", "M", "L", "XL"]
GENERATE_BATCH = 100_000


def ensure_customers(count: int) -> str:
    """Make sure the database holds at least ``count`` customers; say where they came from."""
    have = Customer.objects.count()
    if have >= count:
        return "existing"
    if "seed_demo" in get_commands():
        call_command("seed_demo", customers=count)
        return "seed_demo"
    started = time.monotonic()
    _generate(count - have)
    print(f"bench data: generated {count - have} customers in {time.monotonic() - started:.0f} s")
    return "bench generator (seed_demo not on this branch)"


def bench_staff() -> User:
    """A staff member assigned to every store, so visibility checks run but hide nothing."""
    user, _created = User.objects.get_or_create(username="bench-actions")
    for store in Store.objects.all():
        StoreAssignment.objects.get_or_create(
            user=user, store=store, defaults={"role": StaffRole.MANAGER}
        )
    return user


def _generate(count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        store_ids = _stores(cursor)
        variant_ids = _catalogue(cursor, store_ids)
        cursor.execute("SELECT coalesce(max(id), 0) FROM customers_customer")
        first = cursor.fetchone()[0] + 1
        for start in range(first, first + count, GENERATE_BATCH):
            end = min(start + GENERATE_BATCH, first + count) - 1
            _customers(cursor, start, end, store_ids, variant_ids)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _stores(cursor) -> list[int]:  # type: ignore[no-untyped-def]
    cursor.execute(
        """
        INSERT INTO staff_store (code, name, kind, address, city, postcode, country, time_zone,
                                 latitude, longitude, is_active)
        SELECT 'bench-' || n, 'Bench store ' || n, 'store', '', 'London', '', 'GB',
               'Europe/London', 51.5 + n * 0.01, -0.12, true
        FROM generate_series(1, 3) n
        ON CONFLICT (code) DO NOTHING
        """
    )
    cursor.execute("SELECT id FROM staff_store WHERE code LIKE 'bench-%%' ORDER BY code")
    return [row[0] for row in cursor.fetchall()]


def _catalogue(cursor, store_ids: list[int]) -> list[int]:  # type: ignore[no-untyped-def]
    per_brand = STYLES * PRODUCTS_PER_STYLE
    cursor.execute(
        "INSERT INTO catalog_brand (name) SELECT 'Bench Brand ' || b FROM generate_series(0, %s) b"
        " ON CONFLICT (name) DO NOTHING",
        [BRANDS - 1],
    )
    cursor.execute(
        """
        INSERT INTO catalog_product (style_code, name, category, style, season, description,
                                     launched_on, is_active, brand_id)
        SELECT 'BENCH-' || lpad(p::text, 4, '0'), 'Bench piece ' || p, 'tops', '', 'all', '',
               CASE WHEN p %% 10 = 0 THEN current_date - (p %% 20) ELSE current_date - 200 END,
               true, (SELECT id FROM catalog_brand WHERE name = 'Bench Brand ' || (p / %s))
        FROM generate_series(0, %s) p
        ON CONFLICT (style_code) DO NOTHING
        """,
        [per_brand, BRANDS * per_brand - 1],
    )
    cursor.execute(
        """
        INSERT INTO catalog_variant (sku, size, colour, price, currency, product_id)
        SELECT p.style_code || '-' || s.size, s.size, 'Navy', 120, 'GBP', p.id
        FROM catalog_product p CROSS JOIN unnest(%s::text[]) AS s(size)
        WHERE p.style_code LIKE 'BENCH-%%'
        ON CONFLICT (sku) DO NOTHING
        """,
        [SIZES],
    )
    cursor.execute(
        """
        INSERT INTO catalog_stocklevel (on_hand, reserved, updated_at, store_id, variant_id)
        SELECT floor(random() * 4)::int, 0, now(), s, v.id
        FROM catalog_variant v CROSS JOIN unnest(%s::bigint[]) AS s
        WHERE v.sku LIKE 'BENCH-%%'
        ON CONFLICT (variant_id, store_id) DO NOTHING
        """,
        [store_ids],
    )
    cursor.execute(
        "SELECT v.id FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id"
        " WHERE p.style_code LIKE 'BENCH-%%'"
        " ORDER BY p.style_code, array_position(%s::text[], v.size::text)",
        [SIZES],
    )
    return [row[0] for row in cursor.fetchall()]


def _customers(cursor, start: int, end: int, store_ids: list[int], variant_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    cursor.execute(
        """
        INSERT INTO customers_customer (
            id, number, first_name, last_name, email, phone, postcode, country, tier, birthday,
            anniversary, lifetime_value, order_count, first_purchase_at, last_purchase_at,
            last_visit_at, created_at, updated_at, preferred_store_id)
        SELECT g, 'B' || lpad(g::text, 9, '0'), 'Bench', 'Customer ' || g,
               'bench' || g || '@example.com', '', '', 'GB',
               CASE WHEN random() < 0.03 THEN 'vip' WHEN random() < 0.08 THEN 'gold'
                    ELSE 'member' END,
               date '1960-01-01' + (random() * 15000)::int,
               CASE WHEN random() < 0.3 THEN date '1995-01-01' + (random() * 10000)::int END,
               round((power(random(), 3) * 8000)::numeric, 2), 3, now() - interval '700 days',
               now() - (random() * 400)::int * interval '1 day',
               now() - (random() * 400)::int * interval '1 day', now(), now(),
               (%(stores)s::bigint[])[1 + g %% %(store_count)s]
        FROM generate_series(%(start)s, %(end)s) g
        """,
        {"start": start, "end": end, "stores": store_ids, "store_count": len(store_ids)},
    )
    cursor.execute("SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), %s)", [end])
    chunk = "FROM generate_series(%(start)s, %(end)s) g"
    params = {"start": start, "end": end}
    cursor.execute(
        f"""
        INSERT INTO customers_customerpreference (kind, value, updated_at, customer_id)
        SELECT 'brand', 'Bench Brand ' || (g %% {BRANDS}), now(), g {chunk}
        UNION ALL
        SELECT 'brand', 'Bench Brand ' || ((g / 7) %% {BRANDS}), now(), g {chunk}
        WHERE random() < 0.3 AND (g / 7) %% {BRANDS} <> g %% {BRANDS}
        """,
        params,
    )
    cursor.execute(
        f"""
        INSERT INTO customers_customersize (category, size, updated_at, customer_id)
        SELECT 'tops', (%(sizes)s::text[])[1 + g %% 5], now(), g {chunk}
        """,
        {**params, "sizes": SIZES},
    )
    cursor.execute(
        f"""
        INSERT INTO customers_consent (channel, purpose, granted, source, recorded_at,
                                       customer_id)
        SELECT 'email', 'marketing', random() < 0.75, 'crm', now(), g {chunk}
        UNION ALL SELECT 'email', 'service', random() < 0.8, 'crm', now(), g {chunk}
        UNION ALL SELECT 'sms', 'marketing', true, 'crm', now(), g {chunk} WHERE random() < 0.3
        """,
        params,
    )
    cursor.execute(
        f"""
        INSERT INTO customers_interaction (channel, kind, sentiment, summary, source,
                                           occurred_at, customer_id)
        SELECT 'store', 'complaint', 'negative', 'Seam came apart', 'frontline',
               now() - (random() * 29)::int * interval '1 day', g {chunk} WHERE random() < 0.02
        UNION ALL
        SELECT 'store', 'visit', 'neutral', '', 'frontline',
               now() - (random() * 200)::int * interval '1 day', g {chunk} WHERE random() < 0.2
        """,
        params,
    )
    # Three purchases each, from the customer's brand and style most of the time, in their
    # size; 1% also made a big purchase this week (thank-you candidates).
    per_brand = STYLES * PRODUCTS_PER_STYLE
    # The f-strings here interpolate module constants only; values go in as parameters.
    cursor.execute(
        f"""
        WITH picks AS (
            SELECT g AS customer_id, k,
                   CASE WHEN random() < 0.8
                        THEN (g %% {BRANDS}) * {per_brand}
                             + ((g / {BRANDS}) %% {STYLES}) * {PRODUCTS_PER_STYLE}
                             + floor(random() * {PRODUCTS_PER_STYLE})::int
                        ELSE floor(random() * {BRANDS * per_brand})::int END AS product_pos,
                   CASE WHEN k = 4 THEN now() - (random() * 5)::int * interval '1 day'
                        ELSE now() - (random() * 700)::int * interval '1 day' END AS placed_at,
                   CASE WHEN k = 4 THEN 800 ELSE 120 END AS total
            FROM generate_series(%(start)s, %(end)s) g
            CROSS JOIN generate_series(1, 4) k
            WHERE k < 4 OR (g * 7919) %% 100 = 0  -- not random(): PG would draw once per k
        ),
        orders AS (
            INSERT INTO orders_order (number, channel, placed_at, currency, total, source,
                                      external_id, customer_id)
            SELECT 'BO' || customer_id || '-' || k, 'online', placed_at, 'GBP', total,
                   'ecommerce', 'BO' || customer_id || '-' || k, customer_id
            FROM picks
            RETURNING id, number
        )
        INSERT INTO orders_orderline (sku, description, quantity, unit_price, returned_quantity,
                                      order_id, variant_id)
        SELECT 'bench', '', 1, p.total, 0, o.id,
               (%(variants)s::bigint[])[1 + p.product_pos * 5 + p.customer_id %% 5]
        FROM orders o JOIN picks p ON o.number = 'BO' || p.customer_id || '-' || p.k
        """,  # noqa: S608
        {**params, "variants": variant_ids},
    )
