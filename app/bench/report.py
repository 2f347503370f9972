"""The benchmark's result: a table for people, JSON for machines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True, slots=True)
class Row:
    endpoint: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    statements: int | None
    rss_mib: float
    ceiling_ratio: float | None
    # CPU per request: of the server (all workers) and of PostgreSQL (the kept cluster only).
    server_cpu_ms: float | None = None
    database_cpu_ms: float | None = None
    # The limit the data sets (app.bench.data_ceiling for a read, app.bench.write_ceiling for a
    # write): its req/s, and this row's share of it.
    data_ceiling: float | None = None
    data_ceiling_ratio: float | None = None


HEADINGS = (
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
)


def _optional(value: float | None, template: str) -> str:
    return "-" if value is None else template.format(value)


def _cells(row: Row) -> list[str]:
    return [
        row.endpoint,
        f"{row.requests_per_second:,.0f}",
        f"{row.p50_ms:.1f}",
        f"{row.p99_ms:.1f}",
        str(row.errors),
        _optional(row.statements, "{}"),
        f"{row.rss_mib:.0f}",
        _optional(row.ceiling_ratio, "{:.1%}"),
        _optional(row.data_ceiling, "{:,.0f}"),
        _optional(row.data_ceiling_ratio, "{:.1%}"),
        _optional(row.server_cpu_ms, "{:.2f}"),
        _optional(row.database_cpu_ms, "{:.2f}"),
    ]


@dataclass(slots=True)
class Report:
    meta: dict[str, object]
    ceiling: Row | None = None
    rows: list[Row] = field(default_factory=list)
    write_ceiling: Row | None = None
    data_ceilings: list[Row] = field(default_factory=list)  # per read, named as the read

    def to_json(self) -> str:
        document = {
            "meta": self.meta,
            "ceiling": asdict(self.ceiling) if self.ceiling else None,
            "write_ceiling": asdict(self.write_ceiling) if self.write_ceiling else None,
            "data_ceilings": [asdict(row) for row in self.data_ceilings],
            "endpoints": [asdict(row) for row in self.rows],
        }
        return json.dumps(document, indent=2)

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n")

    def table(self) -> Table:
        meta = self.meta
        title = (
            f"Conduit on {meta['engine']} at {meta['scale']}, served by {meta['server_details']}: "
            f"{meta['workers']} worker(s), "
            f"wrk -t{meta['threads']} -c{meta['connections']} -d{meta['duration_seconds']}s"
        )
        table = Table(title=title)
        for heading in HEADINGS:
            table.add_column(heading, justify="left" if heading == "endpoint" else "right")
        for row in self._all_rows():
            table.add_row(*_cells(row))
        return table

    def markdown(self) -> str:
        lines = [
            "| " + " | ".join(HEADINGS) + " |",
            "|---|" + "--:|" * (len(HEADINGS) - 1),
        ]
        lines += ["| " + " | ".join(_cells(row)) + " |" for row in self._all_rows()]
        return "\n".join(lines)

    def _all_rows(self) -> list[Row]:
        ceilings = [ceiling for ceiling in (self.write_ceiling, self.ceiling) if ceiling is not None]
        return [*self.rows, *ceilings]

    def print(self, console: Console) -> None:
        console.print(self.table())
