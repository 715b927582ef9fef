"""Reading the UCI Online Retail CSV and evaluating on it from the command line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from frontline.recommendations import online_retail

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
# Rows written for this test in the data set's format (not taken from it).
ROWS = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom",
    "C536379,71053,WHITE METAL LANTERN,-1,2010-12-01 09:41:00,3.39,17850,United Kingdom",
    "536380,POST,POSTAGE,1,2010-12-01 09:41:00,18.0,12583,France",
    "536381,22139,RETROSPOT TEA SET,-3,2010-12-01 09:45:00,4.95,12583,France",
    "536382,22139,RETROSPOT TEA SET,2,2010-12-01 09:45:00,4.95,,United Kingdom",
    "536383,22139,retrospot tea set,2,2010-12-02 10:00:00,4.95,12583,France",
]


def write(path: Path, rows: list[str]) -> Path:
    text = HEADER + "\n".join(rows) + "\n"
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as file:
            file.write(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["retail.csv", "retail.csv.gz"])
def test_only_real_purchases_of_known_customers_are_read(tmp_path, name):
    purchases, catalogue = online_retail.load(write(tmp_path / name, ROWS))
    assert purchases.customers.tolist() == [17850, 17850, 12583]
    assert [catalogue.descriptions[p] for p in purchases.products.tolist()] == [
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "WHITE METAL LANTERN",
        "retrospot tea set",  # the first purchase's description: the uppercase line had no customer
    ]
    # The spreadsheet's m/d/Y and ISO dates both read as UTC.
    assert purchases.seconds[0] == purchases.seconds[1] == 1291191960.0


def test_a_file_without_the_columns_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("Order,Item\n1,2\n")
    with pytest.raises(online_retail.DataSetError, match="lacks the columns"):
        online_retail.load(path)


def test_a_missing_file_names_the_setting(tmp_path):
    with pytest.raises(online_retail.DataSetError, match="ONLINE_RETAIL_CSV"):
        online_retail.load(tmp_path / "absent.csv")


def shop_rows() -> list[str]:
    rows = []
    for customer in range(12):
        for month, day in ((1, 5), (2, 5), (3, 5), (4, 5)):
            for code in ("10001", "10002") if customer % 2 else ("20001", "20002"):
                when = f"2011-0{month}-0{day} 10:00:00"
                rows.append(f"{month}{customer},{code},X,1,{when},1,{customer + 1},GB")
    return rows


def test_the_command_reports_the_app_and_its_peers(tmp_path, capsys):
    path = write(tmp_path / "shop.csv", shop_rows())
    call_command(
        "recommendations_evaluate", "--cutoff", "2011-03-01", "--online-retail", str(path), "--json"
    )
    report = json.loads(capsys.readouterr().out)
    assert report["customers_evaluated"] == 12
    assert set(report["quality"]) == {"app", "popularity", "item_item", "als", "als_repeats"}
    assert report["quality"]["app"]["hit_rate_at_10"] == 1.0
    assert report["stock_filter"].startswith("not applied")


def test_the_command_refuses_a_cutoff_outside_the_history(tmp_path):
    path = write(tmp_path / "shop.csv", shop_rows())
    with pytest.raises(CommandError, match="choose a cut-off inside"):
        call_command(
            "recommendations_evaluate", "--cutoff", "2030-01-01", "--online-retail", str(path)
        )


def test_the_command_refuses_a_cutoff_that_is_not_a_date():
    with pytest.raises(CommandError, match="not a date"):
        call_command("recommendations_evaluate", "--cutoff", "soon", "--online-retail", "x.csv")
