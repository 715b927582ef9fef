"""URL converters every domain shares."""

from __future__ import annotations

from django.urls.converters import IntConverter

# The largest id a bigint primary key holds: a larger number would overflow the database
# driver (a 500) instead of simply matching nothing.
LARGEST_ID = 2**63 - 1


class IdConverter(IntConverter):
    """A database id in a URL (``<id:hold_id>``): a number past the largest id is no route (a
    404), where ``<int:…>`` would hand it to the database and overflow."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= LARGEST_ID:
            raise ValueError(f"{value} is not an id")
        return number


def id_from_text(raw: str | None) -> int | None:
    """An id typed into a query string or form, or None when it is not one. ``isdecimal``, not
    ``isdigit``: "²" is a digit that ``int()`` refuses (a 500)."""
    if not raw or not raw.isdecimal():
        return None
    number = int(raw)
    return number if 0 < number <= LARGEST_ID else None
