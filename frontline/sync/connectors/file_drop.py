"""File drop: CSV or JSON Lines exports from an ERP or POS landing in an inbox folder.

Files are named ``<entity>-<anything>.csv`` or ``.jsonl`` (e.g. ``orders-2026-11-29.csv``) and
are picked up in name order. A dropper writes under another name (``.tmp``) and renames when
done, so a half-written file is never read. Each file is known by its SHA-256: a file that was
processed before is archived again without being read, and a run killed in the middle of a file
resumes after the records that already landed. Finished files move to ``archive/``.

Columns (CSV header, or JSON keys):
- customers: external_id, number, first_name, last_name, email, phone, postcode, country, tier
- products (one row per variant): style_code, name, brand, category, season, sku, barcode, size,
  colour, price, currency. A product without a name lands with its style code as the name and
  the data-quality flag ``name_is_code``.
- stock: sku, store, on_hand
- orders: CSV one row per line with order_id, number, customer_id, channel, store, placed_at,
  currency, total, sku, description, quantity, unit_price, returned_quantity (consecutive rows
  of one order_id form the order); JSON Lines one order per line with a ``lines`` list.
  Optional: kind (sale or return) and original_order_id (the sale a return returns). A return
  (a credit note) is a document of its own: negative quantities and a total of zero or less,
  as accounting exports write them; one named ``kind=return`` with positive quantities and
  total is read as the same return. Without ``kind``, negative quantities make a return.
  Unit prices keep up to four decimals, totals two; more is refused, never rounded.
- reviews (product reviews from the shop's review tool): review_id, customer_id (the customer's
  external_id, as orders name it), product_code, rating (1-5), title, text, written_at. Each
  lands on the customer's timeline as a review, scored, with its stars kept; the same review_id
  again updates it. A rating outside 1-5, a customer this source has not brought, a date that
  is not one or a NUL byte in any field is quarantined with that reason.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from frontline.catalog.models import Product
from frontline.customers.models import InteractionChannel, Tier
from frontline.orders.models import Order
from frontline.sync import bulk_file
from frontline.sync import mapping as m
from frontline.sync.connectors.base import Connector, Page, Raw, Record
from frontline.sync.models import Entity, ProcessedFile

logger = logging.getLogger("frontline.sync")
SUFFIXES = (".csv", ".jsonl")
# Choices as sets, looked up once: TextChoices.values builds a new list on every call.
TIERS = frozenset(Tier.values)
CATEGORIES = frozenset(Product.Category.values)
SEASONS = frozenset(Product.Season.values)
CHANNELS = frozenset(Order.Channel.values)
KINDS = frozenset(Order.Kind.values)
LINE_KEYS = ("sku", "description", "quantity", "unit_price", "returned_quantity")
# Decimals the order columns keep: unit prices as precise as wholesale price lists, totals in
# the currency's minor unit.
UNIT_PRICE_PLACES = 4
REVIEW_STARS = 5
# A review longer than this is a broken export rather than words (shops cap theirs far lower).
REVIEW_CHARACTERS = 20_000


def inbox_of(source_name: str) -> Path:
    return Path(settings.SYNC_ROOT) / source_name / "inbox"


def archive_of(source_name: str) -> Path:
    return Path(settings.SYNC_ROOT) / source_name / "archive"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_rows(path: Path) -> Iterator[Raw]:
    """Stream a file's rows as dicts; a line that is not valid JSON becomes a marked row."""
    with path.open(newline="", encoding="utf-8") as handle:
        if path.suffix == ".csv":
            yield from csv.DictReader(handle)
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                row = {"_unreadable": line[:2000], "_error": f"line {number}: {error.msg}"}
            yield row if isinstance(row, dict) else {"_unreadable": line[:2000]}


def group_order_lines(rows: Iterator[Raw]) -> Iterator[Raw]:
    """CSV orders come one row per line: consecutive rows of one order_id make the order."""
    for order_id, group in itertools.groupby(rows, key=lambda row: row.get("order_id")):
        lines = list(group)
        header = dict(lines[0])
        header["lines"] = [{key: line.get(key) for key in LINE_KEYS} for line in lines]
        header["order_id"] = order_id
        yield header


class FileDropConnector(Connector):
    entities = (Entity.CUSTOMERS, Entity.PRODUCTS, Entity.STOCK, Entity.ORDERS, Entity.REVIEWS)

    def pages(self, entity: str, cursor: dict[str, Any]) -> Iterator[Page]:
        inbox = inbox_of(self.source.name)
        inbox.mkdir(parents=True, exist_ok=True)
        files = sorted(
            path
            for path in inbox.iterdir()
            if path.name.startswith(f"{entity}-") and path.suffix in SUFFIXES
        )
        for path in files:
            yield from self._file_pages(entity, path)

    def _file_pages(self, entity: str, path: Path) -> Iterator[Page]:
        record, _ = ProcessedFile.objects.get_or_create(
            source=self.source,
            sha256=file_sha256(path),
            defaults={"entity": entity, "name": path.name},
        )
        archive = lambda: self._archive(path)  # noqa: E731
        if record.finished_at is not None:
            logger.info("%s was processed before (same content as %s): archived", path, record.name)
            archive()
            return
        if bulk_file.applies(entity, path, record.records_done):
            staged = bulk_file.stage(self, entity, path)
            if staged is not None:
                yield Page(
                    records=[],
                    cursor={"file": path.name, "records_done": staged.records},
                    on_landed=self._progress(record.pk, staged.records, finished=True),
                    after_commit=archive,
                    land=staged.land,
                )
                return
        rows = read_rows(path)
        if entity == Entity.ORDERS and path.suffix == ".csv":
            rows = group_order_lines(rows)
        rows = itertools.islice(rows, record.records_done, None)
        size = settings.SYNC_PAGE_SIZE
        done = record.records_done
        batch = list(itertools.islice(rows, size))
        while True:
            following = list(itertools.islice(rows, size))
            done += len(batch)
            last = not following
            yield Page(
                records=batch,
                cursor={"file": path.name, "records_done": done},
                on_landed=self._progress(record.pk, done, finished=last),
                after_commit=archive if last else None,
            )
            if last:
                return
            batch = following

    @staticmethod
    def _progress(record_id: int, done: int, *, finished: bool) -> Any:
        def remember() -> None:
            ProcessedFile.objects.filter(pk=record_id).update(
                records_done=done, finished_at=timezone.now() if finished else None
            )

        return remember

    def _archive(self, path: Path) -> None:
        archive = archive_of(self.source.name)
        archive.mkdir(parents=True, exist_ok=True)
        target = archive / f"{timezone.now():%Y%m%dT%H%M%S%f}-{path.name}"
        if path.exists():
            shutil.move(path, target)

    # --- Mappings -----------------------------------------------------------------------

    def external_id(self, entity: str, raw: Raw) -> str:
        key = {
            "orders": "order_id",
            "products": "sku",
            "stock": "sku",
            "reviews": "review_id",
        }.get(entity, "external_id")
        return str(raw.get(key) or "")[:100]

    @staticmethod
    def _readable(raw: Raw) -> None:
        if "_unreadable" in raw:
            raise m.MappingError(f"not valid JSON ({raw.get('_error', 'not an object')})")

    def map_customers(self, raw: Raw) -> Record:
        self._readable(raw)
        tier = (raw.get("tier") or Tier.MEMBER).strip().lower()
        if tier not in TIERS:
            raise m.MappingError(f"tier {tier!r} is not one of {', '.join(sorted(TIERS))}")
        country = m.country(raw.get("country"))
        return {
            "external_id": m.required(raw, "external_id")[:100],
            "number": m.text(raw, "number", limit=20),
            "first_name": m.required(raw, "first_name")[:100],
            "last_name": m.text(raw, "last_name", limit=100),
            "email": m.email(raw.get("email")),
            "phone": m.phone(raw.get("phone"), country),
            "postcode": m.text(raw, "postcode", limit=16),
            "country": country,
            "tier": tier,
        }

    def map_products(self, raw: Raw) -> Record:
        self._readable(raw)
        category = m.required(raw, "category").lower()
        if category not in CATEGORIES:
            raise m.MappingError(f"category {category!r} is not known")
        season = (raw.get("season") or Product.Season.ALL_YEAR).strip().lower()
        if season not in SEASONS:
            raise m.MappingError(f"season {season!r} is not known")
        style_code = m.required(raw, "style_code")[:30]
        name = m.text(raw, "name", limit=200)
        return {
            "style_code": style_code,
            "name": name or style_code,
            "name_is_code": not name,
            "brand": m.required(raw, "brand")[:80],
            "category": category,
            "season": season,
            "is_active": str(raw.get("is_active", "true")).lower() not in {"false", "0", "no"},
            "sku": m.required(raw, "sku")[:40],
            "barcode": m.text(raw, "barcode", limit=32) or None,
            "size": m.required(raw, "size")[:10],
            "colour": m.required(raw, "colour")[:40],
            "price": m.decimal(raw.get("price"), "price"),
            "currency": (m.text(raw, "currency", limit=3) or "GBP").upper(),
        }

    def map_stock(self, raw: Raw) -> Record:
        self._readable(raw)
        return {
            "sku": m.required(raw, "sku"),
            "store": m.required(raw, "store"),
            "on_hand": m.whole_number(raw.get("on_hand"), "on_hand"),
        }

    def map_orders(self, raw: Raw) -> Record:
        self._readable(raw)
        channel = (raw.get("channel") or Order.Channel.ONLINE).strip().lower()
        if channel not in CHANNELS:
            raise m.MappingError(f"channel {channel!r} is not store or online")
        lines = raw.get("lines") or []
        if not isinstance(lines, list):
            raise m.MappingError("lines must be a list")
        mapped_lines = [self._line(line) for line in lines]
        kind = self._kind(raw, mapped_lines)
        total = m.decimal(raw.get("total"), "total", signed=True)
        if kind == Order.Kind.RETURN:
            # A return named as such may count its units and money as positive: stored signed.
            total = -abs(total)
            for line in mapped_lines:
                line["quantity"] = -abs(line["quantity"])
        elif total < 0:
            raise m.MappingError(f"total {raw.get('total')!r} of a sale must be zero or more")
        original = m.text(raw, "original_order_id", limit=100)
        if original and kind != Order.Kind.RETURN:
            raise m.MappingError("only a return names an original order")
        return {
            "external_id": m.required(raw, "order_id")[:100],
            "number": m.required(raw, "number")[:30],
            "customer_external_id": m.text(raw, "customer_id", limit=100),
            "channel": channel,
            "store": m.text(raw, "store", limit=20),
            "placed_at": m.moment(raw.get("placed_at"), "placed_at"),
            "currency": (m.text(raw, "currency", limit=3) or "GBP").upper(),
            "total": total,
            "kind": kind,
            "original_external_id": original,
            "lines": mapped_lines,
        }

    def map_reviews(self, raw: Raw) -> Record:
        self._readable(raw)
        # PostgreSQL refuses NUL in text; a field holding one is a broken export, not words.
        broken = sorted(name for name, value in raw.items() if "\x00" in str(value or ""))
        if broken:
            raise m.MappingError(f"NUL byte in {', '.join(map(str, broken))}")
        rating = m.whole_number(raw.get("rating"), "rating", minimum=1)
        if rating > REVIEW_STARS:
            raise m.MappingError(f"rating {rating} is not between 1 and {REVIEW_STARS}")
        title = m.text(raw, "title", limit=200)
        words = m.text(raw, "text", limit=REVIEW_CHARACTERS + 1)
        if len(words) > REVIEW_CHARACTERS:
            # Landed whole or not at all: a cut review would teach the learned model a
            # rating for words the customer did not stop at. Kept in quarantine for a person.
            raise m.MappingError(f"text is longer than {REVIEW_CHARACTERS:,} characters")
        return {
            "external_id": m.required(raw, "review_id")[:90],
            "customer_external_id": m.required(raw, "customer_id")[:100],
            "product_code": m.text(raw, "product_code", limit=40),
            "rating": rating,
            "channel": InteractionChannel.ONLINE,
            "summary": " — ".join(part for part in (title, words) if part),
            "occurred_at": m.moment(raw.get("written_at"), "written_at"),
        }

    @staticmethod
    def _kind(raw: Raw, lines: list[Record]) -> str:
        """Sale or return: as the file says, or from the sign of its quantities."""
        named = m.text(raw, "kind", limit=10).lower()
        if named and named not in KINDS:
            raise m.MappingError(f"kind {named!r} is not sale or return")
        signs = {line["quantity"] > 0 for line in lines}
        if signs == {True, False}:
            raise m.MappingError(
                "an order mixes sold and returned lines: send the return as a document of its own"
            )
        if named == Order.Kind.SALE and signs == {False}:
            raise m.MappingError("a sale's quantities must be positive")
        if named:
            return named
        return Order.Kind.RETURN if signs == {False} else Order.Kind.SALE

    @staticmethod
    def _line(line: Any) -> Record:
        if not isinstance(line, dict):
            raise m.MappingError("an order line must be an object")
        quantity = m.whole_number(line.get("quantity"), "quantity", minimum=None)
        if quantity == 0:
            raise m.MappingError("quantity must not be zero")
        returned = m.whole_number(line.get("returned_quantity") or 0, "returned_quantity")
        if returned and quantity < 0:
            raise m.MappingError("units are returned against a sold line, not a returned one")
        if returned > quantity > 0:
            raise m.MappingError(f"returned quantity {returned} is above quantity {quantity}")
        return {
            "sku": m.required(line, "sku")[:40],
            "description": m.text(line, "description", limit=200),
            "quantity": quantity,
            "unit_price": m.decimal(line.get("unit_price"), "unit_price", places=UNIT_PRICE_PLACES),
            "returned_quantity": returned,
        }
