"""The benchmark's table heads every column it prints, the CPU-per-request ones included."""

from __future__ import annotations

from app.bench.report import Report, Row


def test_the_table_heads_every_column_it_prints() -> None:
    meta: dict[str, object] = {
        "engine": "PostgreSQL",
        "scale": "small",
        "server_details": "granian 2.8.9 (ASGI, uvloop, HTTP/1)",
        "workers": 1,
        "threads": 1,
        "connections": 32,
        "duration_seconds": 5.0,
    }
    row = Row("list", 2500.0, 12.0, 40.0, 0, 12500, 1, 120.0, 0.2, 0.4, 0.3)
    report = Report(meta=meta, rows=[row])

    headings = [str(column.header) for column in report.table().columns]

    assert headings == [
        "endpoint",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "SQL/req",
        "RSS MiB",
        "of ceiling",
        "app CPU ms/req",
        "PG CPU ms/req",
    ]
