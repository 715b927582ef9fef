from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from frontline.sync.connectors.file_drop import archive_of, inbox_of
from frontline.sync.models import Source


@pytest.fixture(autouse=True)
def sync_root(settings, tmp_path: Path) -> Path:
    settings.SYNC_ROOT = tmp_path / "sync"
    settings.SYNC_HTTP_BACKOFF = 0.01
    settings.SYNC_HTTP_BACKOFF_CAP = 1
    settings.SYNC_HTTP_TIMEOUT = 2
    return settings.SYNC_ROOT


@pytest.fixture
def erp(db) -> Source:
    return Source.objects.create(name="erp-files", kind="file_drop", record_source="erp")


@pytest.fixture
def drop(erp: Source) -> Callable[..., Path]:
    """Drop a file into the ERP's inbox: rows as dicts (CSV) or a list of objects (JSON Lines)."""

    def drop_file(name: str, rows: list[dict[str, object]] | str) -> Path:
        inbox = inbox_of(erp.name)
        inbox.mkdir(parents=True, exist_ok=True)
        path = inbox / name
        if isinstance(rows, str):
            path.write_text(rows)
        elif name.endswith(".jsonl"):
            path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        else:
            header = list(rows[0])
            lines = [",".join(header)] + [",".join(str(row[h]) for h in header) for row in rows]
            path.write_text("\n".join(lines) + "\n")
        return path

    return drop_file


@pytest.fixture
def archived(erp: Source) -> Callable[[], list[str]]:
    return lambda: sorted(p.name.split("-", 1)[1] for p in archive_of(erp.name).glob("*"))


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """IPv4 loopback: "localhost" would make every client try ::1 first."""
    return ("127.0.0.1", 0)


@pytest.fixture
def first_loads(monkeypatch) -> list[tuple[str, bool]]:
    """(table, answer) of each fast-path upsert's "may this insert without ON CONFLICT?", as
    the real check answered it."""
    from frontline.core import bulk_load

    answers: list[tuple[str, bool]] = []
    real = bulk_load.first_load

    def recorded(spec, rebuilt):  # type: ignore[no-untyped-def]
        answers.append((spec.table, real(spec, rebuilt)))
        return answers[-1][1]

    monkeypatch.setattr(bulk_load, "first_load", recorded)
    return answers
