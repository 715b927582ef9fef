"""Text typed, pasted or forged into the app, made safe to query with and to store.

PostgreSQL refuses NUL in text, and other control characters (a pasted tab, a form feed from a
scanner) are never meant: each input is cleaned where it is read, through this helper, rather
than by a blanket middleware, so that what the person typed around them is kept.
"""

from __future__ import annotations

import unicodedata


def without_control_characters(raw: str | None) -> str:
    """``raw`` with every control (and other non-printing "C" category) character as a space."""
    return "".join(
        " " if unicodedata.category(char).startswith("C") else char for char in raw or ""
    )


def one_line(raw: str | None) -> str:
    """``raw`` without control characters, its runs of spaces collapsed, trimmed."""
    return " ".join(without_control_characters(raw).split())


def without_nul(raw: str | None) -> str:
    """``raw`` without NUL characters, everything else (line breaks, tabs) as sent: for text
    kept as written, such as a message's body."""
    return (raw or "").replace("\x00", "")
