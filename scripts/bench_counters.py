"""Benchmark: what a counter costs its writers under contention, on the bare driver (asyncpg).

    .venv/bin/python scripts/bench_counters.py                  # a throwaway PostgreSQL cluster
    .venv/bin/python scripts/bench_counters.py --database-url postgresql://u@127.0.0.1:5432/scratch
    .venv/bin/python scripts/bench_counters.py --connections 32 --seconds 8

N connections (default 32) each run transactions back to back for a fixed time, all on ONE counter
(the worst case: one popular article, one tag every writer uses, the global article total), in
each of two designs, one after the other in the same run:

- ``hot row``: ``BEGIN; UPDATE counts SET value = value + 1 WHERE id = 1; COMMIT`` (what every write
  did before migration 0006: the row is locked until COMMIT, so writers queue on it);
- ``delta``: ``BEGIN; INSERT INTO deltas (kind, target_id, delta) VALUES ('c', 1, 1); COMMIT`` (what
  they do now, ``app/db/counts.py``), into a table shaped like ``count_deltas`` with its index;

and, because a request's transaction holds the lock for more than one statement, both again with a
``--hold`` ms pause between the change and COMMIT (the rest of a request's transaction). Printed:
transactions per second and p50/p99 latency of each, and the read's cost with pending deltas
(``base + coalesce(sum(delta))`` against the base column alone, with 0 to 10,000 deltas pending
on the counter read). Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pg_cluster

SCHEMA = [
    "DROP TABLE IF EXISTS counts, deltas",
    "CREATE TABLE counts (id bigint PRIMARY KEY, value bigint NOT NULL CHECK (value >= 0))",
    "INSERT INTO counts VALUES (1, 0)",
    "CREATE TABLE deltas (kind varchar(20) NOT NULL, target_id bigint NOT NULL, delta integer NOT NULL)",
    "CREATE INDEX ix_deltas ON deltas (kind, target_id, delta)",
]
HOT_ROW = "UPDATE counts SET value = value + 1 WHERE id = 1"
DELTA = "INSERT INTO deltas (kind, target_id, delta) VALUES ('c', 1, 1)"
READ_BASE = "SELECT value FROM counts WHERE id = 1"
READ_WITH_DELTAS = (
    "SELECT value + coalesce((SELECT sum(delta) FROM deltas WHERE kind = 'c' AND target_id = 1), 0)"
    " FROM counts WHERE id = 1"
)

Transaction = Callable[[asyncpg.Connection], Awaitable[None]]


def _transaction(statement: str, hold_seconds: float) -> Transaction:
    async def run(connection: asyncpg.Connection) -> None:
        async with connection.transaction():
            await connection.execute(statement)
            if hold_seconds:
                await asyncio.sleep(hold_seconds)

    return run


async def _load(
    pool: asyncpg.Pool, transaction: Transaction, connections: int, seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        async with pool.acquire() as connection:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await transaction(connection)
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "tx_per_s": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
        "transactions": len(ordered),
    }


async def _read_costs(pool: asyncpg.Pool, repeats: int = 3000) -> dict[str, float]:
    """Microseconds per read on one connection with prepared statements (as the app's driver path),
    the base alone and with deltas, interleaved so that the machine's noise hits both alike."""
    async with pool.acquire() as connection:
        base, with_deltas = await connection.prepare(READ_BASE), await connection.prepare(READ_WITH_DELTAS)
        spent = {"base only": 0.0, "base + pending": 0.0}
        for index in range(repeats + 200):
            for name, prepared in (("base only", base), ("base + pending", with_deltas)):
                started = time.perf_counter()
                await prepared.fetchval()
                if index >= 200:  # warmed up: plans settled
                    spent[name] += time.perf_counter() - started
        return {name: round(total / repeats * 1e6, 1) for name, total in spent.items()}


async def _read_with_pending(pool: asyncpg.Pool, pending: int) -> dict[str, float]:
    async with pool.acquire() as connection:
        await connection.execute("DELETE FROM deltas")
        await connection.execute(
            "INSERT INTO deltas SELECT 'c', 1, 1 FROM generate_series(1, $1::int)", pending
        )
        await connection.execute("VACUUM ANALYZE deltas")
        costs = await _read_costs(pool)
        # The server's own time for the read (best of 20), free of the client's and the machine's noise.
        for name, statement in (
            ("server ms, base only", READ_BASE),
            ("server ms, base + pending", READ_WITH_DELTAS),
        ):
            plans = [
                await connection.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}") for _ in range(20)
            ]
            costs[name] = min(json.loads(plan)[0]["Execution Time"] for plan in plans)
    return costs


async def _run(dsn: str, connections: int, seconds: float, hold_ms: float) -> dict[str, object]:
    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)
    try:
        async with pool.acquire() as connection:
            for statement in SCHEMA:
                await connection.execute(statement)
        results: dict[str, object] = {"connections": connections, "seconds": seconds, "hold_ms": hold_ms}
        for hold in (0.0, hold_ms / 1000):
            suffix = f" +{hold_ms:g} ms held" if hold else ""
            for name, statement in (("hot row", HOT_ROW), ("delta", DELTA)):
                results[name + suffix] = await _load(
                    pool, _transaction(statement, hold), connections, seconds
                )
        for pending in (0, 100, 1000, 10000):
            results[f"read us, {pending} pending"] = await _read_with_pending(pool, pending)
        async with pool.acquire() as connection:
            await connection.execute("DROP TABLE counts, deltas")
        return results
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="postgresql://... (default: a throwaway cluster)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--hold", type=float, default=2.0, help="ms between the change and COMMIT")
    options = parser.parse_args()
    directory = None
    dsn = options.database_url
    if dsn is None:
        directory = tempfile.mkdtemp(prefix="bench-counters-", dir="/tmp")
        dsn = pg_cluster.start(directory).replace("postgresql+asyncpg://", "postgresql://")
    try:
        results = asyncio.run(_run(dsn, options.connections, options.seconds, options.hold))
    finally:
        if directory is not None:
            pg_cluster.stop(directory)
    width = max(len(name) for name in results)
    for name, value in results.items():
        print(f"{name:<{width}}  {value}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
