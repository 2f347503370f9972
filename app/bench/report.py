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


@dataclass(slots=True)
class Report:
    meta: dict[str, object]
    ceiling: Row | None = None
    rows: list[Row] = field(default_factory=list)

    def to_json(self) -> str:
        document = {
            "meta": self.meta,
            "ceiling": asdict(self.ceiling) if self.ceiling else None,
            "endpoints": [asdict(row) for row in self.rows],
        }
        return json.dumps(document, indent=2)

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n")

    def table(self) -> Table:
        meta = self.meta
        title = (
            f"Conduit on {meta['engine']} at {meta['scale']}: {meta['workers']} worker(s), "
            f"wrk -t{meta['threads']} -c{meta['connections']} -d{meta['duration_seconds']}s"
        )
        table = Table(title=title)
        for heading in (
            "endpoint",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "SQL/req",
            "RSS MiB",
            "of ceiling",
        ):
            table.add_column(heading, justify="left" if heading == "endpoint" else "right")
        rows = [*self.rows, *([self.ceiling] if self.ceiling else [])]
        for row in rows:
            table.add_row(
                row.endpoint,
                f"{row.requests_per_second:,.0f}",
                f"{row.p50_ms:.1f}",
                f"{row.p99_ms:.1f}",
                str(row.errors),
                "-" if row.statements is None else str(row.statements),
                f"{row.rss_mib:.0f}",
                "-" if row.ceiling_ratio is None else f"{row.ceiling_ratio:.1%}",
            )
        return table

    def markdown(self) -> str:
        lines = [
            "| endpoint | req/s | p50 ms | p99 ms | errors | SQL/req | RSS MiB | of ceiling |",
            "|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for row in [*self.rows, *([self.ceiling] if self.ceiling else [])]:
            statements = "-" if row.statements is None else str(row.statements)
            ratio = "-" if row.ceiling_ratio is None else f"{row.ceiling_ratio:.1%}"
            lines.append(
                f"| {row.endpoint} | {row.requests_per_second:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | "
                f"{row.errors} | {statements} | {row.rss_mib:.0f} | {ratio} |"
            )
        return "\n".join(lines)

    def print(self, console: Console) -> None:
        console.print(self.table())
