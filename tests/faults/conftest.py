"""A PostgreSQL cluster of this package's own for the tests that restart it (the shared test
cluster is never disturbed), a live server on a fresh database in it, and the measured figures in
the terminal summary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app import migrations
from tests.databases import PostgresCluster, PostgresDatabases, postgres_cluster
from tests.faults.support import REPORTS, SERVER_SETTINGS, Restartable
from tests.servers import running_servers


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORTS:
        terminalreporter.section("faults and overload")
        for line in REPORTS:
            terminalreporter.write_line(line)


@pytest.fixture(scope="package")
def own_cluster() -> Iterator[PostgresCluster]:
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def restartable(
    own_cluster: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Restartable]:
    """One server per module (starting one is slow): each test registers users of its own."""
    databases = PostgresDatabases(own_cluster.url)
    name = databases.create_empty()
    url = databases.url_for(name)
    migrations.upgrade(url)
    with running_servers(url, tmp_path_factory.mktemp("restartable"), **SERVER_SETTINGS) as [server]:
        yield Restartable(cluster=own_cluster, database_url=url, server=server)
    databases.drop(name)
