"""Which index each probe of the customer search reads, on the benchmark's data.

``python -m tests.bench.explain_customer_search`` (with the ``DATABASE_URL`` of a database the
``customer_search`` benchmark prepared)

The probes of ``frontline.customers.search`` for one query of each kind of the benchmark's mix,
as associate1 (brand-wide lookup), each with ``EXPLAIN (ANALYZE, BUFFERS)`` and the indexes its
plan names. It writes no benchmark file: the proof that the search uses the brand-wide indexes
and no other, at the scale they were designed for (docs/performance.md quotes it).
"""

from __future__ import annotations

import re

from tests.bench.__main__ import prepare_django

INDEX = re.compile(r"(?:Index(?: Only)? Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)")


def main() -> None:
    prepare_django()
    from frontline.customers import search
    from frontline.customers.selectors import customers_findable_by
    from tests.bench.customer_data import associate

    staff = associate()
    findable = customers_findable_by(staff)
    sample = findable.exclude(email="").exclude(phone="").order_by("pk")[12345]
    last, first = sample.last_name.lower(), sample.first_name.lower()
    typo = last[0] + last[2] + last[1] + last[3:]
    queries = {
        "name prefix": (search._prefix, last[:3]),
        "full name": (search._prefix, f"{first} {last}"),
        "e-mail prefix": (search._prefix, sample.email[:6]),
        "whole e-mail": (search._exact, sample.email),
        "phone fragment": (search._prefix, sample.phone[-6:]),
        "customer number": (search._exact, sample.number),
        "typo, same initial": (search._similar, f"{first} {typo}"),
        "typo, first letter": (search._similar, f"{first} x{last[1:]}"),
    }
    for kind, (probes, text) in queries.items():
        print(f"== {kind}: {text!r}")
        for number, probe in enumerate(probes(findable, text), start=1):
            plan = probe[:20].explain(analyze=True, buffers=True)
            names = sorted(set(INDEX.findall(plan)))
            took = re.search(r"Execution Time: ([\d.]+) ms", plan)
            print(f"  probe {number}: {', '.join(names) or 'no index'}; {took and took[1]} ms")
            if kind.startswith("typo") or number == 1:
                print("    " + plan.replace("\n", "\n    "))


if __name__ == "__main__":
    main()
