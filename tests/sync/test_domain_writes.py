"""Sync reads and maps; each domain writes its own tables (issue 21, point 8).

Sync once landed customers and orders itself, with SQL of its own beside the domains'. These
read the source of ``frontline/sync`` so that such writes cannot come back unnoticed.
"""

from __future__ import annotations

import re
from pathlib import Path

import frontline

FRONTLINE = Path(frontline.__file__).parent
DOMAIN_TABLES = r"(?:customers|orders|catalog)_\w+"
# A statement that writes a domain's table, however it is spelt: INSERT INTO customers_customer,
# update "orders_order", COPY public.catalog_variant …
WRITE = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|MERGE\s+INTO|COPY)\s+"
    rf"(?:ONLY\s+)?(?:\"?\w+\"?\.)?\"?{DOMAIN_TABLES}",
    re.IGNORECASE,
)
# SQL a domain builds for its own writes (customer_figures_sql, replace_staged_lines_sql …),
# and the bulk-load machinery the domains land with: run from sync, either would be sync
# writing a domain's tables again, only less visibly.
BORROWED = re.compile(
    r"from frontline\.(?:customers|orders|catalog)\.\w+ import [^\n]*\w+_sql\b"
    r"|from frontline\.core(?:\.bulk_load import| import [^\n]*\bbulk_load\b)"
)


def sources(folder: str) -> dict[str, str]:
    return {
        str(path.relative_to(FRONTLINE)): path.read_text()
        for path in sorted((FRONTLINE / folder).rglob("*.py"))
    }


def test_sync_writes_no_customers_orders_or_catalog_table():
    found = [
        f"{name}: {' '.join(match.group(0).split())}"
        for name, text in sources("sync").items()
        for match in WRITE.finditer(text)
    ]

    assert found == []


def test_sync_runs_no_write_sql_a_domain_built_nor_its_bulk_loading():
    found = [
        f"{name}: {match.group(0)}"
        for name, text in sources("sync").items()
        for match in BORROWED.finditer(text)
    ]

    assert found == []


def test_the_checks_recognise_the_writes_the_domains_make():
    # The same patterns find the domains' own bulk writes: the checks above can fail.
    writes = {
        " ".join(match.group(0).split())
        for folder in ("customers", "orders")
        for text in sources(folder).values()
        for match in WRITE.finditer(text)
    }
    borrowed = BORROWED.findall(
        "from frontline.customers.loading import CUSTOMER_FIELDS, customer_figures_sql\n"
        "from frontline.core import bulk_load\n"
        "from frontline.core.bulk_load import first_load\n"
        "from frontline.core.upsert import WriteOutcome\n"
    )

    assert {
        "INSERT INTO customers_customer",
        "INSERT INTO customers_customeridentity",
        "INSERT INTO orders_order",
        "INSERT INTO orders_orderline",
        "UPDATE customers_customer",
        "DELETE FROM orders_orderline",
    } <= writes
    assert len(borrowed) == 3
