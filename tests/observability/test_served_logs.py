"""Logs of a real ``conduit serve`` process (uvicorn applies our logging configuration itself): with
``LOG_FORMAT=json`` every line of output is one JSON object with a request id, uvicorn's own lines
included; the access line is ours, written inside the request (it has the request's id); uvicorn's
access log is off; nothing that grants access is logged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.servers import running_servers

FOREIGN_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


def _records(log: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert all(isinstance(record, dict) for record in records)
    return records


def test_a_served_process_writes_only_json_lines_with_request_ids(sqlite_url: str, tmp_path: Path) -> None:
    with running_servers(sqlite_url, tmp_path, LOG_FORMAT="json", LOG_LEVEL="INFO") as [server]:
        response = httpx.get(
            f"{server.url}/api/user",
            headers={"X-Request-ID": "served-1", "Authorization": f"Token {FOREIGN_TOKEN}"},
            timeout=10,
        )
        server.stop()  # every line is written before the process exits

    records = _records(server.log)
    assert response.status_code == 401
    assert all(set(record) >= {"timestamp", "level", "logger", "message", "request_id"} for record in records)
    assert "Application startup complete." in [
        r["message"] for r in records if r["logger"] == "uvicorn.error"
    ]
    [access] = [r for r in records if r["logger"] == "app.access" and r["path"] == "/api/user"]
    assert access["request_id"] == "served-1"
    assert {key: access[key] for key in ("method", "route", "status", "client")} == {
        "method": "GET",
        "route": "/api/user",
        "status": 401,
        "client": "127.0.0.1",
    }
    assert not [record for record in records if record["logger"] == "uvicorn.access"]
    assert FOREIGN_TOKEN not in server.log.read_text()
