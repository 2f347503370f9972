"""The benchmark's table heads every column it prints, the CPU-per-request and data-ceiling ones
included, and lists the write ceiling and the ceiling below the endpoints."""

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
        "data ceiling",
        "of data ceiling",
        "app CPU ms/req",
        "PG CPU ms/req",
    ]


def test_each_row_shows_its_data_ceiling_and_the_ceilings_come_last() -> None:
    meta: dict[str, object] = {
        "engine": "PostgreSQL",
        "scale": "tiny",
        "server_details": "uvicorn",
        "workers": 1,
        "threads": 1,
        "connections": 32,
        "duration_seconds": 1.0,
    }
    read = Row("list", 500.0, 12.0, 40.0, 0, 500, 1, 120.0, 0.02, data_ceiling=1250.0, data_ceiling_ratio=0.4)
    write_ceiling = Row("write ceiling", 3000.0, 7.0, 30.0, 0, 3000, 1, 0.0, None)
    ceiling = Row("ceiling", 25000.0, 1.0, 2.0, 0, 25000, None, 50.0, None)
    report = Report(meta=meta, rows=[read], write_ceiling=write_ceiling, ceiling=ceiling)

    lines = report.markdown().splitlines()[2:]

    assert [line.split(" | ")[0] for line in lines] == ["| list", "| write ceiling", "| ceiling"]
    assert "| 1,250 | 40.0% |" in lines[0]
