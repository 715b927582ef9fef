"""Reading the UCI "Online Retail" data set: a real year of a UK shop's purchases.

Daqing Chen, "Online Retail", UCI Machine Learning Repository (2015),
https://doi.org/10.24432/C5BW33, licensed CC BY 4.0. 541,909 invoice lines from 2010-12-01 to
2011-12-09; columns InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
CustomerID, Country. The file is not in the repository (docs/recommendations.md says where it
comes from); ``ONLINE_RETAIL_CSV`` names it, plain or gzipped CSV with those columns.

A purchase is a line with a customer id, a positive quantity, an invoice that is not a
cancellation (``C`` prefix) and a stock code that names a product: the data set's codes for
postage, fees, discounts and manual entries (POST, DOT, M, D, BANK CHARGES, AMAZONFEE, …) do
not start with a digit, every product's does.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from frontline.recommendations.model import Purchases

ENVIRONMENT = "ONLINE_RETAIL_CSV"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "var" / "datasets" / "online_retail.csv.gz"
COLUMNS = ("InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "CustomerID")


class DataSetError(ValueError):
    """The file is missing or is not the Online Retail CSV."""


@dataclass
class Catalogue:
    """Stock codes to dense integer product ids, and back (with the first description seen)."""

    ids: dict[str, int] = field(default_factory=dict)
    descriptions: dict[int, str] = field(default_factory=dict)

    def id_of(self, stock_code: str, description: str) -> int:
        code = stock_code.strip().upper()
        product = self.ids.get(code)
        if product is None:
            product = self.ids[code] = len(self.ids)
            self.descriptions[product] = description.strip()
        return product


def configured_path() -> Path:
    """``ONLINE_RETAIL_CSV``, else ``var/datasets/online_retail.csv.gz`` in the checkout."""
    return Path(os.environ.get(ENVIRONMENT) or DEFAULT_PATH)


def _open_text(path: Path) -> io.TextIOBase:
    if not path.exists():
        raise DataSetError(f"{path} does not exist (set ONLINE_RETAIL_CSV to the data set's CSV)")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def is_purchase(row: dict[str, str]) -> bool:
    return (
        bool(row["CustomerID"].strip())
        and int(row["Quantity"]) > 0
        and not row["InvoiceNo"].upper().startswith("C")
        and row["StockCode"].strip()[:1].isdigit()
    )


def parse_when(text: str) -> datetime:
    """ISO (``2010-12-01 08:26:00``) or the UCI spreadsheet's ``12/1/2010 8:26``, as UTC."""
    text = text.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.strptime(text, "%m/%d/%Y %H:%M")
        except ValueError as error:
            raise DataSetError(f"InvoiceDate {text!r} is neither ISO nor m/d/Y H:M") from error
    return when.replace(tzinfo=UTC)


def purchase_rows(path: Path, catalogue: Catalogue) -> Iterator[tuple[int, int, float]]:
    """(customer id, product id, Unix seconds) of every purchase line in the file."""
    with _open_text(path) as text:
        reader = csv.DictReader(text)
        missing = set(COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise DataSetError(f"{path} lacks the columns {', '.join(sorted(missing))}")
        for row in reader:
            if is_purchase(row):
                yield (
                    int(float(row["CustomerID"])),
                    catalogue.id_of(row["StockCode"], row.get("Description") or ""),
                    parse_when(row["InvoiceDate"]).timestamp(),
                )


def load(path: Path) -> tuple[Purchases, Catalogue]:
    catalogue = Catalogue()
    return Purchases.from_rows(list(purchase_rows(path, catalogue))), catalogue
