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
