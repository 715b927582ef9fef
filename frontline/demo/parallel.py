"""Generating customer chunks in worker processes, written by the parent with binary COPY.

Generation is pure Python and the busiest part of a large seed, so on PostgreSQL it runs in
worker processes (forked: they inherit the catalogue and never touch the parent's database
connection). Each worker encodes its rows in PostgreSQL's binary COPY format with psycopg's own
encoder (a ``Copy`` that writes to memory), and the parent only streams those bytes into the
one transaction. Chunks own fixed id blocks (``generate.ID_BLOCKS``), so the data does not
depend on which worker made which chunk, nor on how many workers there are.
"""

from __future__ import annotations

import io
import multiprocessing
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
from typing import Any

import psycopg
from psycopg.copy import Copy, FileWriter

from frontline.demo.generate import CHUNK_SIZE, CustomerContext, chunk_count, customer_chunks
from frontline.demo.tables import CUSTOMER_TABLES

# The framing of a binary COPY stream (PostgreSQL manual, "COPY", binary format): a signature
# with flags and header extension length, and a trailer. Workers' pieces are sent between one
# signature and one trailer.
SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
TRAILER = b"\xff\xff"


@dataclass
class EncodedBatch:
    customers: int
    # Per table of CUSTOMER_TABLES, in order: rows and their binary COPY tuples.
    tables: list[tuple[int, bytes]]


@dataclass
class WorkerState:
    context: CustomerContext
    connection: psycopg.Connection[Any]
    column_types: dict[str, list[int]]


_state: WorkerState | None = None


def start_worker(
    context: CustomerContext, connect_kwargs: dict[str, Any], column_types: dict[str, list[int]]
) -> None:
    """Per worker: a connection of its own, used only as psycopg's encoding context."""
    global _state
    connection = psycopg.connect(**connect_kwargs, autocommit=True)
    _state = WorkerState(context, connection, column_types)


def encode_chunks(first_chunk: int, last_chunk: int) -> EncodedBatch:
    assert _state is not None, "start_worker did not run"
    rows: dict[Any, list[tuple[object, ...]]] = {table: [] for table in CUSTOMER_TABLES}
    customers = 0
    for chunk in customer_chunks(_state.context, range(first_chunk, last_chunk)):
        customers += chunk.customers
        for table, chunk_rows in chunk.rows.items():
            rows[table].extend(chunk_rows)
    encoded = []
    with _state.connection.cursor() as cursor:
        for table in CUSTOMER_TABLES:
            buffer = io.BytesIO()
            with Copy(cursor, binary=True, writer=FileWriter(buffer)) as copy:
                copy.set_types(_state.column_types[table.name])
                for row in rows[table]:
                    copy.write_row(row)
            data = buffer.getvalue()
            if rows[table]:
                assert data.startswith(SIGNATURE) and data.endswith(TRAILER)
                encoded.append((len(rows[table]), data[len(SIGNATURE) : -len(TRAILER)]))
            else:
                encoded.append((0, b""))
    return EncodedBatch(customers, encoded)


def write_customers_in_parallel(
    *,
    context: CustomerContext,
    batch_size: int,
    workers: int,
    connect_kwargs: dict[str, Any],
    column_types: dict[str, list[int]],
    write_batch: Callable[[EncodedBatch], None],
) -> float:
    """Workers generate batches ahead (a bounded window); the parent writes them in order.

    Returns the seconds the parent spent waiting for the workers: when it is small, the
    database is what bounds the load; when it is large, generation is.
    """
    chunks_per_batch = max(1, batch_size // CHUNK_SIZE)
    total_chunks = chunk_count(context.total_customers)
    batches = [
        (first, min(first + chunks_per_batch, total_chunks))
        for first in range(0, total_chunks, chunks_per_batch)
    ]
    pool_context = multiprocessing.get_context("fork")
    with pool_context.Pool(
        workers, initializer=start_worker, initargs=(context, connect_kwargs, column_types)
    ) as pool:
        pending: deque[AsyncResult[EncodedBatch]] = deque()
        waited = 0.0

        def write_oldest() -> None:
            nonlocal waited
            started = time.perf_counter()
            batch = pending.popleft().get()
            waited += time.perf_counter() - started
            write_batch(batch)

        for first, last in batches:
            pending.append(pool.apply_async(encode_chunks, (first, last)))
            # At most one batch per worker waits to be written: memory stays bounded.
            if len(pending) > workers:
                write_oldest()
        while pending:
            write_oldest()
    return waited
