"""What every connector offers the engine: pages of raw records, a mapping, targeted fetches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from frontline.sync.models import Source

if TYPE_CHECKING:
    from frontline.core.upsert import WriteOutcome
    from frontline.sync.engine import Landing
    from frontline.sync.models import Run

Raw = dict[str, Any]
Record = dict[str, Any]


@dataclass
class Page:
    """Raw records as the source sent them, and the cursor to keep once they have landed."""

    records: list[Raw]
    cursor: dict[str, Any]
    # Runs inside the page's transaction (e.g. remember how far into a file we are).
    on_landed: Callable[[], None] | None = None
    # Runs after the page's transaction committed (e.g. move a finished file to the archive).
    after_commit: Callable[[], None] | None = None
    # Lands the page itself instead of the records (a bulk path reading a whole file in SQL).
    land: Callable[[Run], Landing] | None = None


class Connector:
    """One source system. Subclasses implement ``pages`` and the mappings they list."""

    entities: ClassVar[tuple[str, ...]] = ()

    def __init__(self, source: Source) -> None:
        self.source = source

    def pages(self, entity: str, cursor: dict[str, Any]) -> Iterator[Page]:
        raise NotImplementedError

    def fetch(self, entity: str, external_ids: list[str]) -> list[Raw]:
        """The current state of a few records (what a webhook says changed)."""
        raise NotImplementedError(f"{type(self).__name__} cannot fetch single records")

    def map(self, entity: str, raw: Raw) -> Record:
        """Frontline's shape of a raw record; raises MappingError with a reason."""
        mapper = getattr(self, f"map_{entity}", None)
        if mapper is None:
            raise NotImplementedError(f"{type(self).__name__} does not sync {entity}")
        return mapper(raw)

    def write(self, entity: str, records: list[Record]) -> WriteOutcome:
        """Land mapped records: the entity's writer, unless the connector lands them its own way."""
        from frontline.sync.writers import WRITERS

        return WRITERS[entity](self.source, records)

    def external_id(self, entity: str, raw: Raw) -> str:
        value = raw.get("id") or raw.get("external_id") or raw.get("Id") or ""
        return str(value)[:100]
