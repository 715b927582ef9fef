"""Deterministic generation of the demo brand's rows, as tuples in the column orders of ``tables``.

Determinism: every random choice comes from a ``random.Random`` seeded with the seed and the
name of what it generates (the catalogue, the stock, or customer chunk *n* of ``CHUNK_SIZE``
customers). The data therefore depends on the seed and the counts only, never on how the rows
are batched for writing. Dates are laid out backwards from an *anchor*: midnight (UTC) of the
day the seed runs, so that birthdays "in the next weeks" and "recent" complaints stay recent
whenever the demo is loaded; within one day, the same seed gives byte-identical data.

The structure carries signal that later features can find: customers belong to a segment (VIP,
regular, occasional, lapsed, new) that shapes how often and how recently they buy; each has a
main style, favourite brands and colours that their purchases follow most of the time, one size
per category that their purchases use, seasonal buying (autumn/winter lines in autumn, spring/
summer lines in spring), and returns that are likelier when an item was bought in another size.

Conventions later features can rely on:
- ``Customer.lifetime_value`` is net of returns; ``Order.total`` is what was paid at the till.
- ``Customer.last_visit_at`` is the latest in-store moment: a store visit (an Interaction of
  kind "visit") or an in-store order.
- A complaint is answered when a staff member's "message" follows it for the same customer;
  complaints of the last days are often still unanswered.
- Online orders have no store; in-store orders name their store and, mostly, the associate.
- Appointments and follow-ups are not generated (their domains do not exist yet).
"""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from itertools import accumulate
from typing import TypeVar

from frontline.demo import reference as ref
from frontline.demo.tables import (
    BRAND,
    CONSENT,
    CUSTOMER,
    IDENTITY,
    INTERACTION,
    ORDER,
    ORDER_LINE,
    PREFERENCE,
    PRODUCT,
    SIZE,
    VARIANT,
    Table,
)

CHUNK_SIZE = 200
DAY = 86400
Row = tuple[object, ...]
T = TypeVar("T")


# --- The world the customers live in: stores and the staff who serve them ----------------


@dataclass(frozen=True)
class StaffMember:
    id: int
    first_name: str


@dataclass(frozen=True)
class StoreRef:
    id: int
    city: ref.City
    manager: StaffMember
    # The associates and stylists a customer can have as their own.
    advisers: tuple[StaffMember, ...]


@dataclass(frozen=True)
class World:
    seed: int
    today: date
    stores: tuple[StoreRef, ...]
    warehouse_id: int

    @property
    def anchor(self) -> int:
        """Midnight UTC of ``today`` as a Unix timestamp: every generated date is before it."""
        return int(
            datetime(self.today.year, self.today.month, self.today.day, tzinfo=UTC).timestamp()
        )


def rng_for(seed: int, part: str) -> random.Random:
    # A string seed is hashed with SHA-512 by random.seed: stable across processes and
    # Python runs, unlike hash().
    return random.Random(f"frontline-demo:{seed}:{part}")


def timestamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def money(pennies: int) -> Decimal:
    return Decimal(pennies).scaleb(-2)


# Names come from short reference lists: each is slugged once, not once per customer.
@cache
def ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def weighted_picker(weights: Sequence[float]) -> tuple[list[float], float]:
    cumulative = list(accumulate(weights))
    return cumulative, cumulative[-1]


def randint(rng: random.Random, low: int, high: int) -> int:
    """rng.randint without its argument checking, which dominates in a tight loop."""
    return low + int(rng.random() * (high - low + 1))


def choice(rng: random.Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def pick_weighted(rng: random.Random, cumulative: list[float], total: float) -> int:
    """Index chosen with the given cumulative weights (random.choices without the overhead)."""
    return bisect_right(cumulative, rng.random() * total)


# --- Catalogue ----------------------------------------------------------------------------

SEASON_KEYS = ("aw", "ss", "any")
STYLE_NAMES = tuple(style.name for style in ref.STYLES)
STYLE_BY_NAME = {style.name: style for style in ref.STYLES}
CATEGORY_INDEX = {category.code: i for i, category in enumerate(ref.CATEGORIES)}


@dataclass
class CatalogueProduct:
    id: int
    name: str
    brand: int
    category: int
    style: str
    season: str
    launched: int  # date ordinal
    colours: tuple[str, ...]
    # variants[colour index][size index] = (variant id, sku, line description, price in pennies)
    variants: list[list[tuple[int, str, str, int]]]

    @property
    def style_index(self) -> int:
        return STYLE_NAMES.index(self.style)


Bucket = tuple[list[CatalogueProduct], list[int]]  # products oldest first, their launch ordinals
SEASON_AW, SEASON_SS, SEASON_ANY = range(3)


@dataclass
class Catalogue:
    products: list[CatalogueProduct]
    rows: dict[Table, list[Row]]
    # Buckets of products for fast picking, indexed by numbers rather than keyed by tuples
    # (building and hashing a tuple key per pick is measurable over millions of picks):
    # by_brand_category[brand][category][season], by_brand[brand][season], and so on.
    by_brand_category: list[list[list[Bucket]]] = field(default_factory=list)
    by_brand: list[list[Bucket]] = field(default_factory=list)
    by_style_category: list[list[list[Bucket]]] = field(default_factory=list)
    by_category: list[list[Bucket]] = field(default_factory=list)
    everything: list[Bucket] = field(default_factory=list)


def colour_code(colour: str) -> str:
    letters = "".join(word[:3] for word in colour.upper().split())
    return letters[:6]


def ean13(number: int) -> str:
    """A syntactically valid EAN-13 in the 200-299 prefix range, kept for a shop's own use."""
    body = f"2{number:011d}"
    checksum = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - checksum % 10) % 10)


def build_catalogue(world: World, product_count: int) -> Catalogue:
    rng = rng_for(world.seed, "catalogue")
    today = world.today.toordinal()
    brand_rows: list[Row] = [(i + 1, brand.name) for i, brand in enumerate(ref.BRANDS)]
    product_rows: list[Row] = []
    variant_rows: list[Row] = []
    products: list[CatalogueProduct] = []
    category_pick = weighted_picker([c.share for c in ref.CATEGORIES])
    next_variant_id = 1
    for index in range(product_count):
        brand_index = index % len(ref.BRANDS)
        brand = ref.BRANDS[brand_index]
        category_index = pick_weighted(rng, *category_pick)
        category = ref.CATEGORIES[category_index]
        style = brand.styles[0] if rng.random() < 0.8 else brand.styles[1]
        season = SEASON_KEYS[pick_weighted(rng, *weighted_picker(category.seasons))]
        season = "all" if season == "any" else season
        # A sixth of the range is new this season; the rest spans six years, so that even the
        # oldest orders find products that existed when they were placed.
        days_old = rng.randint(1, 60) if rng.random() < 0.16 else rng.randint(61, 6 * 365)
        launched = today - days_old
        is_active = not (season != "all" and days_old > 3 * 365 and rng.random() < 0.5)
        palette = STYLE_BY_NAME[style].palette
        colours = tuple(rng.sample(palette, rng.choice((1, 2, 2, 3, 3, 4))))
        item = rng.choice(category.items)
        material = rng.choice(ref.MATERIALS[season])
        adjective = rng.choice(STYLE_BY_NAME[style].adjectives)
        name = f"{adjective} {material} {item}"
        price = round(category.base_price * brand.price_factor * rng.uniform(0.8, 1.3)) * 100 - 5
        style_code = f"{ascii_slug(brand.name)[:3].upper()}{index + 1:05d}"
        product_id = index + 1
        product_rows.append(
            (
                product_id,
                style_code,
                name,
                brand_index + 1,
                category.code,
                style,
                season,
                f"{name.capitalize()} by {brand.name}, from the {style} line.",
                date.fromordinal(launched),
                is_active,
            )
        )
        variants = []
        for colour in colours:
            by_size = []
            for size in category.sizes:
                sku = f"{style_code}-{colour_code(colour)}-{size.replace(' ', '').upper()}"
                variant_rows.append(
                    (
                        next_variant_id,
                        product_id,
                        sku,
                        ean13(next_variant_id),
                        size,
                        colour,
                        money(price),
                        "GBP",
                    )
                )
                by_size.append((next_variant_id, sku, f"{name} ({colour}, {size})", price))
                next_variant_id += 1
            variants.append(by_size)
        products.append(
            CatalogueProduct(
                product_id,
                name,
                brand_index,
                category_index,
                style,
                season,
                launched,
                colours,
                variants,
            )
        )
    catalogue = Catalogue(
        products=products, rows={BRAND: brand_rows, PRODUCT: product_rows, VARIANT: variant_rows}
    )
    index_catalogue(catalogue)
    return catalogue


def index_catalogue(catalogue: Catalogue) -> None:
    """Fill the catalogue's buckets: a season's bucket holds its own and all-year products."""
    brands, styles, categories = len(ref.BRANDS), len(STYLE_NAMES), len(ref.CATEGORIES)

    def buckets() -> list[Bucket]:
        return [([], []) for _ in SEASON_KEYS]

    catalogue.by_brand_category = [[buckets() for _ in range(categories)] for _ in range(brands)]
    catalogue.by_brand = [buckets() for _ in range(brands)]
    catalogue.by_style_category = [[buckets() for _ in range(categories)] for _ in range(styles)]
    catalogue.by_category = [buckets() for _ in range(categories)]
    catalogue.everything = buckets()
    for product in sorted(catalogue.products, key=lambda p: (p.launched, p.id)):
        for season, season_key in enumerate(SEASON_KEYS):
            if season_key != "any" and product.season not in (season_key, "all"):
                continue
            for bucket in (
                catalogue.by_brand_category[product.brand][product.category][season],
                catalogue.by_brand[product.brand][season],
                catalogue.by_style_category[product.style_index][product.category][season],
                catalogue.by_category[product.category][season],
                catalogue.everything[season],
            ):
                bucket[0].append(product)
                bucket[1].append(product.launched)


def launched_by(bucket: Bucket, day: int, rng: random.Random) -> CatalogueProduct | None:
    """A random product of the bucket that was already on sale on ``day``."""
    available = bisect_right(bucket[1], day)
    return bucket[0][int(rng.random() * available)] if available else None


def stock_rows(world: World, catalogue: Catalogue) -> Iterator[Row]:
    """On-hand and reserved units of every variant in every store and the warehouse."""
    rng = rng_for(world.seed, "stock")
    locations = [(store.id, store.city.weight) for store in world.stores]
    locations.append((world.warehouse_id, 0.0))
    row_id = 0
    for product in catalogue.products:
        popularity = rng.uniform(0.3, 1.5)
        for by_size in product.variants:
            for variant_id, _sku, _description, _price in by_size:
                for store_id, weight in locations:
                    if weight:
                        on_hand = (
                            0
                            if rng.random() < 0.15
                            else int(rng.random() * 8 * weight * popularity)
                        )
                    else:
                        on_hand = int(rng.random() * 60 * popularity)
                    reserved = 0
                    if on_hand and rng.random() < 0.12:
                        reserved = 1 + int(rng.random() * min(on_hand, 3))
                    synced = timestamp(world.anchor - rng.randint(60, 3600))
                    row_id += 1
                    yield (row_id, store_id, variant_id, on_hand, reserved, synced, synced)


# --- Customers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    name: str
    share: float
    orders: tuple[int, int]
    # How many days ago the first and the last purchase happened (ranges).
    first_days_ago: tuple[int, int]
    last_days_ago: tuple[int, int]
    visits: tuple[int, int]
    online_only: float


SEGMENTS = (
    Segment("vip", 0.03, (10, 24), (730, 1825), (1, 45), (3, 10), 0.02),
    Segment("regular", 0.17, (3, 9), (365, 1460), (1, 120), (1, 4), 0.10),
    Segment("occasional", 0.42, (1, 3), (180, 1460), (30, 330), (0, 2), 0.18),
    Segment("lapsed", 0.20, (2, 4), (730, 1825), (400, 900), (0, 1), 0.15),
    Segment("new", 0.18, (1, 2), (1, 90), (1, 90), (0, 1), 0.25),
)
SEGMENT_PICK = weighted_picker([s.share for s in SEGMENTS])
STYLE_PICK = weighted_picker([s.popularity for s in ref.STYLES])


# A handful of style pairs exist: their lookups are worked out once, not once per customer.
@cache
def style_indexes_and_brands(styles: tuple[str, ...]) -> tuple[list[int], list[int]]:
    """The indexes of ``styles`` (main style first) and the brands whose styles match them."""
    main_style = styles[0]
    matching = [i for i, b in enumerate(ref.BRANDS) if b.styles[0] in styles]
    matching += [i for i, b in enumerate(ref.BRANDS) if b.styles[1] == main_style]
    return [STYLE_NAMES.index(style) for style in styles], matching


# Orders are likelier around Black Friday and Christmas and in the January and July sales.
MONTH_WEIGHT = (0, 1.1, 0.8, 0.9, 0.9, 0.9, 0.9, 1.1, 0.8, 0.9, 1.0, 1.5, 1.6)
# The season a month's purchases come from: autumn/winter lines from September to January,
# spring/summer lines from March to July, anything in the February and August changeovers.
MONTH_SEASON = (-1, SEASON_AW, SEASON_ANY, *[SEASON_SS] * 5, SEASON_ANY, *[SEASON_AW] * 4)
LINES_PICK = weighted_picker([0.55, 0.28, 0.12, 0.05])
QUANTITY_PICK = weighted_picker([0.92, 0.07, 0.01])
BODY_PICK = weighted_picker([1, 3, 4, 3, 1])
TIERS = ((1500, "gold"), (500, "silver"), (0, "member"))
PHONE_POOL = len(ref.PHONE_PREFIXES) * 1000


# Each chunk owns a fixed block of ids in every table, sized for the most its customers can
# produce, so that chunks number their rows the same whether they are generated in order or in
# parallel (ids have gaps; the sequences are reset past the highest after loading).
ID_BLOCKS = {
    ORDER: 5_000,  # 200 customers x 24 orders at most
    ORDER_LINE: 20_000,  # x 4 lines at most
    INTERACTION: 4_000,  # 17 at most per customer
    IDENTITY: 1_000,
    CONSENT: 2_000,
    SIZE: 2_000,
    PREFERENCE: 2_000,
}


class IdCounters:
    """The ids a chunk hands out, from its own block in each table."""

    def __init__(self, chunk_index: int) -> None:
        self.next_ids = {table: chunk_index * size + 1 for table, size in ID_BLOCKS.items()}
        self.limits = {table: (chunk_index + 1) * size for table, size in ID_BLOCKS.items()}

    def next(self, table: Table) -> int:
        value = self.next_ids[table]
        if value > self.limits[table]:
            raise OverflowError(f"a chunk produced more {table.name} rows than its id block")
        self.next_ids[table] = value + 1
        return value


@dataclass
class CustomerContext:
    world: World
    catalogue: Catalogue
    total_customers: int

    def __post_init__(self) -> None:
        self.store_pick = weighted_picker([s.city.weight for s in self.world.stores])
        self.category_base = [c.share for c in ref.CATEGORIES]


@dataclass
class Chunk:
    index: int
    customers: int
    rows: dict[Table, list[Row]]


def chunk_count(total_customers: int) -> int:
    return -(-total_customers // CHUNK_SIZE)


def customer_chunks(
    context: CustomerContext, chunk_indexes: Iterable[int] | None = None
) -> Iterator[Chunk]:
    """Every customer with their history, chunk by chunk (all chunks in order by default)."""
    if chunk_indexes is None:
        chunk_indexes = range(chunk_count(context.total_customers))
    for chunk_index in chunk_indexes:
        rng = rng_for(context.world.seed, f"customers:{chunk_index}")
        ids = IdCounters(chunk_index)
        start = chunk_index * CHUNK_SIZE
        stop = min(start + CHUNK_SIZE, context.total_customers)
        rows: dict[Table, list[Row]] = {
            t: []
            for t in (CUSTOMER, IDENTITY, CONSENT, SIZE, PREFERENCE, INTERACTION, ORDER, ORDER_LINE)
        }
        for customer_index in range(start, stop):
            CustomerBuilder(context, ids, rng, customer_index, rows).build()
        yield Chunk(chunk_index, stop - start, rows)


class CustomerBuilder:
    """Builds one customer's rows: profile, affinities, orders, interactions, consents."""

    def __init__(
        self,
        context: CustomerContext,
        ids: IdCounters,
        rng: random.Random,
        index: int,
        rows: dict[Table, list[Row]],
    ) -> None:
        self.context = context
        self.world = context.world
        self.catalogue = context.catalogue
        self.ids = ids
        self.rng = rng
        self.index = index
        self.id = index + 1
        self.rows = rows
        self.anchor = self.world.anchor
        self.today = self.world.today.toordinal()

    # The order of the steps matters for determinism: each consumes random numbers.
    def build(self) -> None:
        rng = self.rng
        self.segment = SEGMENTS[pick_weighted(rng, *SEGMENT_PICK)]
        self.choose_person()
        self.choose_home()
        self.choose_affinities()
        self.choose_sizes()
        self.orders_total = 0
        self.lifetime_pennies = 0
        self.order_times: list[int] = []
        self.store_times: list[int] = []
        self.returned_items: list[tuple[int, str]] = []
        self.make_orders()
        self.visit_times: list[int] = []
        self.make_interactions()
        self.created = self.signup_time()
        self.add_customer_row()
        self.add_identities()
        self.add_consents()
        self.add_sizes_and_preferences()

    # --- who they are ------------------------------------------------------------------

    def choose_person(self) -> None:
        rng = self.rng
        self.first_name = choice(rng, ref.FIRST_NAMES)
        self.last_name = choice(rng, ref.LAST_NAMES)
        has_email = rng.random() < 0.93
        has_phone = rng.random() < 0.8
        domain = ref.EMAIL_DOMAINS[self.index % len(ref.EMAIL_DOMAINS)]
        local = f"{ascii_slug(self.first_name)}.{ascii_slug(self.last_name)}.{self.id}"
        self.email = f"{local}@{domain}" if has_email else ""
        # Spread the customers over the fictional numbers so that neighbours differ.
        slot = (self.index * 7919) % PHONE_POOL
        self.phone = f"{ref.PHONE_PREFIXES[slot // 1000]}{slot % 1000:03d}" if has_phone else ""
        age = int(rng.triangular(19, 78, 38))
        # Birthdays are spread evenly over the coming year from today, so about one customer
        # in twelve has one in the next 30 days whichever day the demo is loaded.
        self.birthday = self.date_in_coming_year(int(rng.random() * 365), years_ago=age)
        self.anniversary = (
            self.date_in_coming_year(int(rng.random() * 365), years_ago=randint(rng, 1, 30))
            if rng.random() < 0.22
            else None
        )

    def date_in_coming_year(self, days_ahead: int, years_ago: int) -> date:
        day = date.fromordinal(self.today + days_ahead)
        if day.month == 2 and day.day == 29:
            day = day - timedelta(days=1)
        return day.replace(year=day.year - years_ago)

    def choose_home(self) -> None:
        rng = self.rng
        stores = self.world.stores
        self.online_only = rng.random() < self.segment.online_only
        home = stores[pick_weighted(rng, *self.context.store_pick)]
        self.home_city = home.city
        self.store: StoreRef | None = None if self.online_only else home
        self.adviser: StaffMember | None = None
        if self.store is not None:
            adviser_chance = {"vip": 0.9, "regular": 0.5}.get(self.segment.name, 0.08)
            if rng.random() < adviser_chance:
                self.adviser = choice(rng, self.store.advisers)
        self.online_share = 1.0 if self.online_only else rng.betavariate(1.6, 2.4)
        district = choice(rng, home.city.districts)
        if home.city.country == "IE":
            self.postcode = (
                f"{district} {choice(rng, ref.POSTCODE_LETTERS)}{randint(rng, 100, 999)}"
            )
        else:
            letters = ref.POSTCODE_LETTERS
            self.postcode = (
                f"{district} {randint(rng, 1, 9)}{choice(rng, letters)}{choice(rng, letters)}"
            )
        self.country = home.city.country

    def choose_affinities(self) -> None:
        rng = self.rng
        self.main_style = STYLE_NAMES[pick_weighted(rng, *STYLE_PICK)]
        second = STYLE_NAMES[pick_weighted(rng, *STYLE_PICK)]
        self.styles = (self.main_style,) if second == self.main_style else (self.main_style, second)
        self.style_indexes, matching = style_indexes_and_brands(self.styles)
        brand_count = 1 if rng.random() < 0.45 else 2 if rng.random() < 0.7 else 3
        favourites: list[int] = []
        for _ in range(brand_count):
            brand = (
                choice(rng, matching) if rng.random() < 0.9 else int(rng.random() * len(ref.BRANDS))
            )
            if brand not in favourites:
                favourites.append(brand)
        self.brands = favourites
        palette = STYLE_BY_NAME[self.main_style].palette
        self.colours = rng.sample(palette[:4], 2)
        # Who buys what: dresses are for about half the customers, accessories for most.
        weights = list(self.context.category_base)
        if rng.random() < 0.45:
            weights[CATEGORY_INDEX["dresses"]] = 0
        # rng.uniform(0.5, 1.5) is 0.5 + 1.0 * rng.random(): the same number, one call less.
        weights = [w * (0.5 + rng.random()) for w in weights]
        self.category_pick = weighted_picker(weights)

    def choose_sizes(self) -> None:
        rng = self.rng
        body = pick_weighted(rng, *BODY_PICK)
        sizes = {}
        for i, category in enumerate(ref.CATEGORIES):
            run = len(category.sizes)
            if run == 1:
                sizes[i] = 0
            elif category.code == "shoes":
                sizes[i] = min(run - 1, max(0, int(rng.triangular(0, run, run / 2 - 0.5))))
            elif category.code in ("tops", "outerwear"):
                sizes[i] = body
            else:
                sizes[i] = min(run - 1, body + randint(rng, 0, 2))
        if rng.random() < 0.2:  # sizes up in outerwear to layer
            outerwear = CATEGORY_INDEX["outerwear"]
            sizes[outerwear] = min(sizes[outerwear] + 1, len(ref.LETTER_SIZES) - 1)
        self.sizes = sizes
        self.categories_bought: set[int] = set()

    # --- what they bought ----------------------------------------------------------------

    def purchase_days(self) -> list[int]:
        """Days ago of each purchase, oldest first, following the season's rhythm."""
        rng = self.rng
        segment = self.segment
        if segment.name == "new" and rng.random() < 0.3:
            return []  # signed up, has not bought yet
        count = randint(rng, *segment.orders)
        last = randint(rng, *segment.last_days_ago)
        first = max(last, randint(rng, *segment.first_days_ago))
        days = [last]
        while len(days) < count:
            day = randint(rng, last, first)
            month = date.fromordinal(self.today - day).month
            if rng.random() * 1.6 < MONTH_WEIGHT[month]:
                days.append(day)
        days.sort(reverse=True)
        return days

    def make_orders(self) -> None:
        rng = self.rng
        for days_ago in self.purchase_days():
            online = rng.random() < self.online_share
            hour = randint(rng, 7, 22) if online else randint(rng, 10, 18)
            placed = self.anchor - days_ago * DAY + hour * 3600 + int(rng.random() * 3600)
            self.add_order(placed, online)
        # Two purchases on one day may come out of order.
        self.order_times.sort()

    def add_order(self, placed: int, online: bool) -> None:
        rng = self.rng
        ids = self.ids
        order_id = ids.next(ORDER)
        store: StoreRef | None = None
        associate_id = None
        if not online:
            store = self.store or choice(rng, self.world.stores)
            if rng.random() < 0.15:
                store = choice(rng, self.world.stores)
            if self.adviser is not None and store is self.store and rng.random() < 0.6:
                associate_id = self.adviser.id
            elif rng.random() < 0.9:
                associate_id = choice(rng, store.advisers).id
        placed_day = self.today - (self.anchor - placed) // DAY - 1
        month = date.fromordinal(placed_day).month
        season = MONTH_SEASON[month]
        on_sale = month in (1, 7) and rng.random() < 0.4
        total = 0
        kept = 0
        for _ in range(pick_weighted(rng, *LINES_PICK) + 1):
            product = self.pick_product(season, placed_day)
            category = product.category
            size = self.sizes[category]
            other_size = rng.random() < 0.08 and len(product.variants[0]) > 1
            if other_size:
                size = max(0, min(len(product.variants[0]) - 1, size + choice(rng, (-1, 1))))
            else:
                self.categories_bought.add(category)
            colour = self.pick_colour(product)
            variant_id, sku, description, price = product.variants[colour][size]
            if on_sale:
                price = price * 7 // 10
            quantity = pick_weighted(rng, *QUANTITY_PICK) + 1
            returned = 0
            returned_at = None
            return_chance = 0.45 if other_size else 0.15 if online else 0.05
            if rng.random() < return_chance:
                returned_time = placed + randint(rng, 3, 28) * DAY + int(rng.random() * DAY)
                if returned_time < self.anchor:
                    returned = quantity
                    returned_at = timestamp(returned_time)
                    self.returned_items.append((returned_time, product.name))
            total += price * quantity
            kept += price * (quantity - returned)
            self.rows[ORDER_LINE].append(
                (
                    ids.next(ORDER_LINE),
                    order_id,
                    variant_id,
                    sku,
                    description,
                    quantity,
                    money(price),
                    returned,
                    returned_at,
                )
            )
        if online:
            number = f"W{order_id:09d}"
            source, external_id = "ecommerce", f"EC-{order_id:09d}"
        else:
            number = f"S{order_id:09d}"
            source, external_id = "pos", f"POS-{store.city.code.upper()}-{order_id:09d}"  # type: ignore[union-attr]
            self.store_times.append(placed)
        self.rows[ORDER].append(
            (
                order_id,
                number,
                self.id,
                "online" if online else "store",
                store.id if store else None,
                associate_id,
                timestamp(placed),
                "GBP",
                money(total),
                source,
                external_id,
            )
        )
        self.orders_total += 1
        self.lifetime_pennies += kept
        self.order_times.append(placed)

    def pick_product(self, season: int, day: int) -> CatalogueProduct:
        """Mostly the customer's brands, else their style, else anything, in season and launched."""
        rng = self.rng
        catalogue = self.catalogue
        category = pick_weighted(rng, *self.category_pick)
        roll = rng.random()
        if roll < 0.7:
            brand = self.brands[int(rng.random() * len(self.brands))]
            found = launched_by(catalogue.by_brand_category[brand][category][season], day, rng)
            found = found or launched_by(catalogue.by_brand[brand][season], day, rng)
            if found:
                return found
        if roll < 0.9:
            style = self.style_indexes[int(rng.random() * len(self.style_indexes))]
            found = launched_by(catalogue.by_style_category[style][category][season], day, rng)
            if found:
                return found
        found = (
            launched_by(catalogue.by_category[category][season], day, rng)
            or launched_by(catalogue.by_category[category][SEASON_ANY], day, rng)
            or launched_by(catalogue.everything[SEASON_ANY], day, rng)
        )
        return found or catalogue.products[int(rng.random() * len(catalogue.products))]

    def pick_colour(self, product: CatalogueProduct) -> int:
        rng = self.rng
        if rng.random() < 0.65:
            for colour in self.colours:
                if colour in product.colours:
                    return product.colours.index(colour)
        return int(rng.random() * len(product.colours))

    # --- what else happened -----------------------------------------------------------

    def active_window(self) -> tuple[int, int]:
        """Seconds before the anchor of the customer's first and latest activity."""
        if self.order_times:
            return self.anchor - self.order_times[0], max(DAY, self.anchor - self.order_times[-1])
        return 90 * DAY, DAY

    def make_interactions(self) -> None:
        rng = self.rng
        oldest, latest = self.active_window()
        any_store = self.store or self.world.stores[0]
        if self.store is not None:
            for _ in range(randint(rng, *self.segment.visits)):
                at = (
                    self.anchor
                    - randint(rng, latest, max(latest, oldest))
                    + randint(rng, 0, 8) * 3600
                )
                self.visit_times.append(at)
                summary = self.topic(ref.VISIT_TOPICS)
                score = round(rng.uniform(0.0, 0.7), 2)
                self.add_interaction(
                    "store",
                    "visit",
                    score,
                    summary,
                    "pos",
                    self.store,
                    self.staff_at(self.store),
                    at,
                )
        complaint_chance = 0.2 if self.segment.name == "vip" else 0.12
        if rng.random() < complaint_chance:
            self.add_complaint(oldest, latest, any_store)
        if rng.random() < (0.25 if self.segment.name == "vip" else 0.06):
            at = self.anchor - randint(rng, latest, max(latest, oldest))
            channel = choice(rng, ("email", "social", "store"))
            self.add_interaction(
                channel,
                "thanks",
                round(rng.uniform(0.6, 1.0), 2),
                self.topic(ref.THANKS_TOPICS),
                "crm",
                self.store,
                None,
                at,
            )
        if rng.random() < 0.15:
            at = self.anchor - randint(rng, latest, max(latest, oldest))
            channel = choice(rng, ("email", "whatsapp", "phone", "online"))
            self.add_interaction(
                channel,
                "inquiry",
                round(rng.uniform(-0.1, 0.2), 2),
                self.topic(ref.INQUIRY_TOPICS),
                "crm",
                self.store,
                None,
                at,
            )
        if self.adviser is not None and self.store is not None:
            for _ in range(randint(rng, 0, 3 if self.segment.name == "vip" else 1)):
                at = self.anchor - randint(rng, latest, max(latest, oldest))
                channel = choice(rng, ("whatsapp", "email", "sms"))
                self.add_interaction(
                    channel,
                    "message",
                    0.0,
                    self.topic(ref.MESSAGE_TOPICS),
                    "frontline",
                    self.store,
                    self.adviser.id,
                    at,
                )

    def add_complaint(self, oldest: int, latest: int, store: StoreRef) -> None:
        """A complaint, answered by staff a few days later unless it is recent."""
        rng = self.rng
        if self.returned_items and rng.random() < 0.5:
            at, item = self.returned_items[int(rng.random() * len(self.returned_items))]
        else:
            recent = self.segment.name != "lapsed" and rng.random() < 0.4
            at = self.anchor - (
                randint(rng, DAY, 13 * DAY) if recent else randint(rng, latest, max(latest, oldest))
            )
            item = self.item_name()
        summary = choice(rng, ref.COMPLAINT_TOPICS).format(item=item)
        channel = choice(rng, ("email", "phone", "social", "store", "online"))
        self.add_interaction(
            channel,
            "complaint",
            round(rng.uniform(-0.95, -0.35), 2),
            summary,
            "crm",
            self.store,
            None,
            at,
        )
        answered = at + randint(rng, 1, 4) * DAY
        is_recent = self.anchor - at < 10 * DAY
        if answered < self.anchor and (not is_recent or rng.random() < 0.3):
            self.add_interaction(
                channel,
                "message",
                round(rng.uniform(0.1, 0.6), 2),
                choice(rng, ref.RESOLUTIONS),
                "frontline",
                store,
                store.manager.id,
                answered,
            )

    def add_interaction(
        self,
        channel: str,
        kind: str,
        score: float,
        summary: str,
        source: str,
        store: StoreRef | None,
        staff_id: int | None,
        at: int,
    ) -> None:
        sentiment = "negative" if score <= -0.3 else "positive" if score >= 0.3 else "neutral"
        self.rows[INTERACTION].append(
            (
                self.ids.next(INTERACTION),
                self.id,
                channel,
                kind,
                sentiment,
                score,
                summary,
                source,
                None,
                store.id if store else None,
                staff_id,
                timestamp(at),
            )
        )

    def staff_at(self, store: StoreRef) -> int:
        if self.adviser is not None and self.rng.random() < 0.7:
            return self.adviser.id
        return choice(self.rng, store.advisers).id

    def item_name(self) -> str:
        product = self.pick_product(SEASON_ANY, self.today)
        return product.name

    def topic(self, topics: Sequence[str]) -> str:
        rng = self.rng
        return choice(rng, topics).format(
            item=self.item_name(),
            style=self.main_style,
            associate=self.adviser.first_name if self.adviser else "the team",
        )

    # --- the customer row and what hangs off it -----------------------------------------

    def signup_time(self) -> int:
        first_activity = min([self.anchor - DAY, *self.order_times, *self.visit_times])
        return first_activity - randint(self.rng, 0, 30) * DAY - int(self.rng.random() * DAY)

    def tier(self) -> str:
        if self.segment.name == "vip":
            return "vip"
        pounds = self.lifetime_pennies // 100
        return next(name for threshold, name in TIERS if pounds >= threshold)

    def add_customer_row(self) -> None:
        last_visit = max([*self.visit_times, *self.store_times], default=None)
        self.rows[CUSTOMER].append(
            (
                self.id,
                f"C{self.id:08d}",
                self.first_name,
                self.last_name,
                self.email,
                self.phone,
                self.postcode,
                self.country,
                self.tier(),
                self.store.id if self.store else None,
                self.adviser.id if self.adviser else None,
                self.birthday,
                self.anniversary,
                money(self.lifetime_pennies),
                self.orders_total,
                timestamp(self.order_times[0]) if self.order_times else None,
                timestamp(self.order_times[-1]) if self.order_times else None,
                timestamp(last_visit) if last_visit is not None else None,
                None,
                timestamp(self.created),
                timestamp(self.anchor),
            )
        )

    def add_identities(self) -> None:
        ids = self.ids
        synced = timestamp(self.anchor - 3600)
        created = timestamp(self.created)
        identities = [("crm", f"003{self.id:012d}")]
        if self.online_share > 0.05 or not self.order_times:
            identities.append(("ecommerce", str(6_100_000_000_000 + self.id)))
        if self.store_times:
            identities.append(("pos", f"POS{self.id:09d}"))
        for source, external_id in identities:
            self.rows[IDENTITY].append(
                (
                    ids.next(IDENTITY),
                    self.id,
                    source,
                    external_id,
                    self.email,
                    self.phone,
                    created,
                    synced,
                )
            )

    def add_consents(self) -> None:
        """Rows only where the customer answered; no row means no consent."""
        rng = self.rng
        created = self.created
        keen = 0.8 if self.segment.name in ("vip", "regular") else 0.5
        answers: list[tuple[str, str, bool]] = []
        if self.email:
            answers.append(("email", "service", True))
            if rng.random() < 0.85:
                answers.append(("email", "marketing", rng.random() < keen))
        if self.phone:
            if rng.random() < 0.4:
                answers.append(("sms", "marketing", rng.random() < keen * 0.8))
            if rng.random() < 0.2:
                answers.append(("whatsapp", "service", True))
            if rng.random() < 0.1:
                answers.append(("phone", "service", rng.random() < 0.7))
        source = "pos" if self.store_times else "ecommerce"
        recorder = self.adviser.id if self.adviser and source == "pos" else None
        for channel, purpose, granted in answers:
            recorded = created + int(rng.random() * DAY)
            self.rows[CONSENT].append(
                (
                    self.ids.next(CONSENT),
                    self.id,
                    channel,
                    purpose,
                    granted,
                    source,
                    timestamp(min(recorded, self.anchor - 1)),
                    recorder,
                )
            )

    def add_sizes_and_preferences(self) -> None:
        """What an associate recorded: the sizes they buy in and the affinities they follow."""
        rng = self.rng
        ids = self.ids
        recorded_by = self.adviser.id if self.adviser else None
        updated = timestamp(self.anchor - randint(rng, 1, 365) * DAY)
        if rng.random() < 0.75:
            for category in sorted(self.categories_bought):
                spec = ref.CATEGORIES[category]
                if len(spec.sizes) > 1:
                    self.rows[SIZE].append(
                        (
                            ids.next(SIZE),
                            self.id,
                            spec.code,
                            spec.sizes[self.sizes[category]],
                            updated,
                            recorded_by,
                        )
                    )
        if self.segment.name == "vip" or rng.random() < 0.6:
            preferences = [("style", style) for style in self.styles]
            preferences += [("brand", ref.BRANDS[b].name) for b in self.brands[:2]]
            preferences.append(("colour", self.colours[0]))
            if rng.random() < 0.12:
                preferences.append(("fit", choice(rng, ref.FIT_NOTES)))
            for kind, value in preferences:
                self.rows[PREFERENCE].append(
                    (ids.next(PREFERENCE), self.id, kind, value, updated, recorded_by)
                )
