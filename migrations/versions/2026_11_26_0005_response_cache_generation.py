"""The response cache's generation: a number every committed write raises, read by every process.

An anonymous answer is served from a process's cache only if it was stored under the generation
the database holds now (``app/api/response_cache.py``, ``app/db/generation.py``).

- PostgreSQL: the sequence ``response_cache_generation``. ``nextval`` after each write's COMMIT
  takes no row lock (writers never wait on each other for it) and is visible to every session at
  once. ``CACHE 1`` is required: with a larger cache a session would hand out values it reserved
  earlier without moving the sequence, so other processes would not see the bump. It is set to
  "called" at 1, so that every ``nextval`` moves ``last_value``, which readers read.
- SQLite: the row ``response_cache_generation`` of ``counters``, raised inside each write
  transaction (SQLite has one writer at a time; it becomes visible with the commit, atomically).

Alembic's autogenerate does not compare sequences, and the row is data: ``alembic check`` is
unaffected.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = {
    "postgresql": [
        "CREATE SEQUENCE response_cache_generation AS bigint CACHE 1",
        "SELECT setval('response_cache_generation', 1, true)",
    ],
    "sqlite": ["INSERT INTO counters (name, value) VALUES ('response_cache_generation', 1)"],
}
DOWNGRADE = {
    "postgresql": ["DROP SEQUENCE response_cache_generation"],
    "sqlite": ["DELETE FROM counters WHERE name = 'response_cache_generation'"],
}


def upgrade() -> None:
    for statement in UPGRADE[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE[op.get_bind().dialect.name]:
        op.execute(statement)
