"""Readiness: the database answers within a short timeout and its schema is at the code's head, or
ahead of it.

Ahead: a deploy migrates first and then rolls the app processes (scripts/deploy/README.md), so for a
while the processes of the previous release run on the next release's schema, which is built to suit
them (expand, then contract a release later). They stay ready; only a schema this code's own
migrations have not reached yet (behind, or never migrated) makes a process unready.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from app import migrations

OK = "ok"
READINESS_TIMEOUT_SECONDS = 2.0

logger = logging.getLogger(__name__)

# The head is fixed for the life of the process (the code ships with its migrations); reading the
# migration scripts on every probe would be wasted work.
expected_revision = functools.cache(migrations.head_revision)
own_revisions = functools.cache(migrations.known_revisions)


@dataclass(frozen=True, slots=True)
class Readiness:
    """Each check's outcome: ``"ok"`` or what is wrong."""

    database: str
    migrations: str

    @property
    def ready(self) -> bool:
        return self.database == OK and self.migrations == OK


async def check_readiness(
    engine: AsyncEngine, *, within_seconds: float = READINESS_TIMEOUT_SECONDS
) -> Readiness:
    head = expected_revision()
    try:
        async with asyncio.timeout(within_seconds):
            revision = await migrations.current_revision(engine)
    except TimeoutError:
        logger.warning("not ready: the database did not answer within %g s", within_seconds)
        return Readiness(database=f"no answer within {within_seconds:g} s", migrations="unknown")
    except Exception as error:  # whatever stops a connection or a query: refused, auth, DNS, ...
        logger.warning("not ready: database unreachable (%s)", type(error).__name__)
        return Readiness(database="unreachable", migrations="unknown")
    if revision != head and (revision is None or revision in own_revisions()):
        problem = f"schema at {revision or 'no revision'}, expected {head}"
        logger.warning("not ready: %s", problem)
        return Readiness(database=OK, migrations=problem)
    return Readiness(database=OK, migrations=OK)
