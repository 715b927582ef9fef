"""Loading the demo brand: stores, staff logins, catalogue, stock, customers with history,
follow-ups for every member of staff and styling sessions (from the appointments domain's own
demo); then the recommended actions are computed, so the demo's first screens show work to do.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from frontline.actions.services import actions_batch_run
from frontline.appointments.demo import demo_appointments_seed
from frontline.catalog.demo import demo_holds_seed
from frontline.catalog.models import Brand, Product
from frontline.customers.models import Customer
from frontline.demo import reference as ref
from frontline.demo.followups import demo_followups_announce, demo_followups_create
from frontline.demo.generate import (
    CustomerContext,
    StaffMember,
    StoreRef,
    World,
    build_catalogue,
    customer_chunks,
    stock_rows,
)
from frontline.demo.load import (
    PostgresCopyWriter,
    analyze,
    indexes_and_foreign_keys_built_once,
    reset_sequences,
    writer_for_connection,
)
from frontline.demo.parallel import EncodedBatch, write_customers_in_parallel
from frontline.demo.tables import (
    ALL_TABLES,
    CATALOGUE_TABLES,
    CUSTOMER_TABLES,
    DERIVED_TABLES,
    STOCK_LEVEL,
    Table,
)
from frontline.orders.models import Order
from frontline.staff.models import StaffRole, Store, StoreAssignment, User

MIN_STORES = 2  # associate2 works at store 2
MAX_STORES = len(ref.CITIES)
DEFAULT_BATCH_SIZE = 10_000
# Processes generating customers on PostgreSQL (0: in the command's own process).
DEFAULT_WORKERS = 2
# Up to this many customers the recommended actions are computed straight after the seed; a
# bigger demo leaves them to the nightly batch (about a minute per 100,000 customers).
ACTIONS_AFTER_SEED_MAX = 200_000
Progress = Callable[[str], None]


class DemoError(Exception):
    """The demo cannot be loaded as asked; the message says why and what to do."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str  # a StaffRole, or "admin"
    store_number: int | None  # 1-based, None for the superuser


def demo_logins(store_count: int) -> list[DemoLogin]:
    """The contract's four logins first, then a manager, associate and stylist per store."""
    logins = [
        DemoLogin("associate1", StaffRole.ASSOCIATE, 1),
        DemoLogin("associate2", StaffRole.ASSOCIATE, 2),
        DemoLogin("manager1", StaffRole.MANAGER, 1),
        DemoLogin("admin", "admin", None),
    ]
    taken = {login.username for login in logins}
    for number in range(1, store_count + 1):
        for role in (StaffRole.MANAGER, StaffRole.ASSOCIATE, StaffRole.STYLIST):
            username = f"{role}{number}"
            if username not in taken:
                logins.append(DemoLogin(username, role, number))
                taken.add(username)
    return logins


def staff_person(username: str) -> tuple[str, str]:
    """A stable made-up name for a demo login, whatever the seed."""
    rng = random.Random(f"frontline-demo:staff:{username}")
    return rng.choice(ref.FIRST_NAMES), rng.choice(ref.LAST_NAMES)


@dataclass
class SeedResult:
    seeded: bool
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def demo_stores_ensure(*, store_count: int) -> tuple[list[Store], Store]:
    """The retail stores 1..store_count and the online warehouse, created or brought up to date."""
    if not MIN_STORES <= store_count <= MAX_STORES:
        raise DemoError(
            f"--stores must be between {MIN_STORES} and {MAX_STORES}, not {store_count}."
        )
    stores = [store_from_city(city, Store.Kind.STORE) for city in ref.CITIES[:store_count]]
    return stores, store_from_city(ref.WAREHOUSE, Store.Kind.WAREHOUSE)


def store_from_city(city: ref.City, kind: str) -> Store:
    store, _ = Store.objects.update_or_create(
        code=city.code,
        defaults={
            "name": city.name,
            "kind": kind,
            "address": city.address,
            "city": city.name.split(" ")[0],
            "postcode": city.postcode,
            "country": city.country,
            "time_zone": city.time_zone,
            "latitude": city.latitude,
            "longitude": city.longitude,
            "is_active": True,
        },
    )
    return store


def demo_logins_ensure(*, stores: list[Store]) -> dict[str, User]:
    """Create or refresh every demo login with the demo password and its role at its store.

    Idempotent: running it again updates the same users (and resets their password to
    ``settings.DEMO_PASSWORD``, so a changed setting takes effect).
    """
    # One hash for all: hashing is deliberately slow, and every demo login shares the password.
    password_hash = make_password(settings.DEMO_PASSWORD)
    users: dict[str, User] = {}
    for login in demo_logins(len(stores)):
        first_name, last_name = (
            ("Demo", "Admin") if login.role == "admin" else staff_person(login.username)
        )
        is_admin = login.role == "admin"
        user, _ = User.objects.update_or_create(
            username=login.username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{login.username}@example.com",
                "is_active": True,
                "is_staff": is_admin,
                "is_superuser": is_admin,
                "password": password_hash,
            },
        )
        if login.store_number is not None:
            store = stores[login.store_number - 1]
            StoreAssignment.objects.filter(user=user, is_primary=True).exclude(store=store).update(
                is_primary=False
            )
            StoreAssignment.objects.update_or_create(
                user=user, store=store, defaults={"role": login.role, "is_primary": True}
            )
        users[login.username] = user
    return users


def demo_world(
    *, seed: int, today: date, stores: list[Store], warehouse: Store, users: dict[str, User]
) -> World:
    references = []
    for number, store in enumerate(stores, start=1):
        manager = users[f"manager{number}"]
        advisers = tuple(
            StaffMember(users[f"{role}{number}"].pk, users[f"{role}{number}"].first_name)
            for role in (StaffRole.ASSOCIATE, StaffRole.STYLIST)
        )
        references.append(
            StoreRef(
                id=store.pk,
                city=ref.CITIES[number - 1],
                manager=StaffMember(manager.pk, manager.first_name),
                advisers=advisers,
            )
        )
    return World(seed=seed, today=today, stores=tuple(references), warehouse_id=warehouse.pk)


def data_already_present() -> list[str]:
    """Names of the tables the demo writes that already hold rows."""
    present = []
    for model in (Customer, Order, Product, Brand):
        if model.objects.exists():
            present.append(str(model._meta.verbose_name_plural))
    return present


def demo_seed(
    *,
    customers: int,
    products: int,
    stores: int,
    seed: int,
    if_empty: bool = False,
    today: date | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = DEFAULT_WORKERS,
    progress: Progress = lambda message: None,
) -> SeedResult:
    """Load the demo brand into an empty database, in one transaction.

    The logins are ensured every time. With ``if_empty``, the data is only generated when
    there is no customer yet; otherwise the database must not hold any of the demo's kind of
    data (customers, orders, products, brands), so that nothing real is ever mixed with or
    overwritten by demo data.
    """
    if customers < 0 or products < 1:
        raise DemoError("--customers must be 0 or more and --products 1 or more.")
    if batch_size < 1 or workers < 0:
        raise DemoError("--batch-size must be 1 or more and --workers 0 or more.")
    started = time.perf_counter()
    today = today or date.today()
    with transaction.atomic():
        store_rows, warehouse = demo_stores_ensure(store_count=stores)
        users = demo_logins_ensure(stores=store_rows)
        if if_empty and Customer.objects.exists():
            progress("seed_demo: customers exist already; demo logins refreshed, data left as is.")
            return SeedResult(seeded=False, seconds=time.perf_counter() - started)
        present = data_already_present()
        if present:
            raise DemoError(
                f"The database already holds {', '.join(present)}. seed_demo only fills an "
                "empty database: use --if-empty to keep what is there, or start from an empty "
                "database (manage.py flush)."
            )
        world = demo_world(
            seed=seed, today=today, stores=store_rows, warehouse=warehouse, users=users
        )
        loader = Loader(progress=progress, started=started)
        with indexes_and_foreign_keys_built_once(ALL_TABLES + DERIVED_TABLES, progress):
            catalogue = build_catalogue(world, products)
            for table in CATALOGUE_TABLES:
                if table is STOCK_LEVEL:
                    loader.write(table, stock_rows(world, catalogue))
                else:
                    loader.write(table, catalogue.rows[table])
            progress(f"seed_demo: catalogue of {products:,} products written")
            loader.write_customers(
                CustomerContext(world, catalogue, customers), batch_size, workers
            )
            progress("seed_demo: building the indexes and checking every reference once")
        reset_sequences(ALL_TABLES)
        followups = demo_followups_create(seed=seed, today=today, stores=store_rows)
        loader.counts["followups_followup"] = followups
        progress(f"seed_demo: {followups:,} follow-ups planned and worked for the staff")
    analyze(ALL_TABLES + DERIVED_TABLES)
    sessions = demo_appointments_seed(
        stylists_by_store={
            store: users[f"{StaffRole.STYLIST}{number}"]
            for number, store in enumerate(store_rows, start=1)
        },
        seed=seed,
    )
    progress(f"seed_demo: {sessions} styling sessions booked")
    holds = demo_holds_seed(
        associates_by_store={
            store: [users[f"{StaffRole.ASSOCIATE}{number}"]]
            for number, store in enumerate(store_rows, start=1)
        },
        seed=seed,
    )
    progress(f"seed_demo: {holds} holds placed for the associates' customers")
    told = demo_followups_announce(stores=store_rows, today=today)
    progress(f"seed_demo: {told} notifications of today's follow-ups raised")
    if customers <= ACTIONS_AFTER_SEED_MAX:
        run = actions_batch_run()
        written = run.suggestions_written if run else 0
        progress(f"seed_demo: {written:,} recommended actions computed")
    else:
        progress("seed_demo: recommended actions are left to the nightly batch at this size")
    seconds = time.perf_counter() - started
    progress(
        f"seed_demo: done in {seconds:.1f} s, "
        + ", ".join(f"{count:,} {name}" for name, count in loader.counts.items())
    )
    return SeedResult(seeded=True, rows=dict(loader.counts), seconds=seconds)


class Loader:
    """Streams generated rows to the database in batches and reports progress per batch."""

    def __init__(self, *, progress: Progress, started: float) -> None:
        self.writer = writer_for_connection()
        self.progress = progress
        self.started = started
        self.counts: dict[str, int] = {}

    def write(self, table: Table, rows: object) -> int:
        written = self.writer.write(table, rows)  # type: ignore[arg-type]
        self.count(table, written)
        return written

    def count(self, table: Table, written: int) -> None:
        self.counts[table.name] = self.counts.get(table.name, 0) + written

    def write_customers(self, context: CustomerContext, batch_size: int, workers: int) -> None:
        """Generate the customers chunk by chunk and write them ``batch_size`` at a time.

        Batches hold whole chunks: the data depends on the chunks (each has its own random
        generator and id blocks), never on the batch size or the number of workers, which only
        trade memory and processes for speed.
        """
        self.customers_total = context.total_customers
        self.customers_done = 0
        self.batch_started = time.perf_counter()
        if isinstance(self.writer, PostgresCopyWriter) and workers > 0:
            writer = self.writer
            started = time.perf_counter()
            waited = write_customers_in_parallel(
                context=context,
                batch_size=batch_size,
                workers=workers,
                connect_kwargs=writer.connect_kwargs(),
                column_types={t.name: writer.column_types(t) for t in CUSTOMER_TABLES},
                write_batch=self.write_encoded_batch,
            )
            self.progress(
                f"seed_demo: customers took {time.perf_counter() - started:.1f} s, of which "
                f"{waited:.1f} s waiting for the {workers} generating processes "
                "(the rest: the database taking the rows)"
            )
            return
        pending: dict[Table, list[tuple[object, ...]]] = {table: [] for table in CUSTOMER_TABLES}
        pending_customers = generated = 0
        for chunk in customer_chunks(context):
            for table, rows in chunk.rows.items():
                pending[table].extend(rows)
            pending_customers += chunk.customers
            generated += chunk.customers
            if pending_customers >= batch_size or generated == context.total_customers:
                written = sum(self.write(table, pending[table]) for table in CUSTOMER_TABLES)
                self.batch_written(pending_customers, written)
                pending = {table: [] for table in CUSTOMER_TABLES}
                pending_customers = 0

    def write_encoded_batch(self, batch: EncodedBatch) -> None:
        assert isinstance(self.writer, PostgresCopyWriter)
        for table, (rows, data) in zip(CUSTOMER_TABLES, batch.tables, strict=True):
            if rows:
                self.writer.write_encoded(table, [data])
                self.count(table, rows)
        self.batch_written(batch.customers, sum(rows for rows, _data in batch.tables))

    def batch_written(self, customers: int, rows: int) -> None:
        self.customers_done += customers
        now = time.perf_counter()
        seconds = max(now - self.batch_started, 1e-9)
        self.progress(
            f"seed_demo: customers {self.customers_done:,}/{self.customers_total:,}: "
            f"{rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s), "
            f"{now - self.started:.0f} s so far"
        )
        self.batch_started = now
