"""Sessions, and ids that are never reused.

- ``sessions``: one row per sign-in; a token names its session and works only while the row
  exists (``app/db/repositories/sessions.py``). No rows are made for tokens issued before: those
  carry no session id and are refused, so everyone signs in again once.
- ``users.token_version`` goes: ending sessions (a password change ends the others, deactivation
  and deletion all of them) is what revokes tokens now. The downgrade brings it back at 0; tokens
  issued meanwhile (with a session id, no version) are then refused, and everyone signs in again.
- SQLite: ``users``, ``articles`` and ``comments`` become AUTOINCREMENT, so a deleted row's id is
  never handed out again (without it SQLite reuses the highest freed id: the next account to register
  took over a deleted account's tokens). PostgreSQL's identity columns never go back: nothing to do.
  SQLite changes a table by copying it (batch mode, ``recreate="always"``); the copy is made with
  foreign keys off (``migrations/env.py``), every id kept, and the indexes batch mode cannot
  reflect (the expression index on ``lower(username)``, the partial indexes of visible articles) and
  the full-text search triggers on ``articles`` (migration 0004) are re-created from their own SQL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import warnings
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER_REUSED = ("users", "articles", "comments")
TIMESTAMP = sa.DateTime(timezone=True)
TOKEN_VERSION_CHECK = "ck_users_token_version_non_negative"  # noqa: S105 - a constraint name


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _rebuild(
    table: str, *, autoincrement: bool, change: Callable[[BatchOperations], None] = lambda _batch: None
) -> None:
    """Copy a SQLite table into a new definition (with or without AUTOINCREMENT), keeping every row
    with its id, and its indexes and triggers exactly as they were written."""
    bind = op.get_bind()
    own = bind.execute(
        sa.text(
            "SELECT type, name, sql FROM sqlite_master"
            " WHERE tbl_name = :table AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        ),
        {"table": table},
    ).all()
    for type_, name, _sql in own:  # batch mode would copy some indexes wrongly and drop the rest
        op.execute(f'DROP {type_.upper()} "{name}"')
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ) as batch:
            change(batch)
    for _type, _name, sql in own:
        op.execute(sql)


def _drop_token_version(batch: BatchOperations) -> None:
    batch.drop_constraint(op.f(TOKEN_VERSION_CHECK), type_="check")
    batch.drop_column("token_version")


def _add_token_version(batch: BatchOperations) -> None:
    batch.add_column(sa.Column("token_version", sa.Integer(), server_default="0", nullable=False))
    batch.create_check_constraint(op.f(TOKEN_VERSION_CHECK), "token_version >= 0")


def upgrade() -> None:
    if _sqlite():
        for table in NEVER_REUSED:
            _rebuild(table, autoincrement=True, change=_drop_token_version if table == "users" else _keep)
    else:
        op.drop_constraint(op.f(TOKEN_VERSION_CHECK), "users", type_="check")
        op.drop_column("users", "token_version")
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_used_at", TIMESTAMP, nullable=False),
        sa.Column("user_agent", sa.String(length=400), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index("ix_sessions_user_id_created_at", "sessions", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_sessions_user_id_created_at", table_name="sessions")
    op.drop_table("sessions")
    if _sqlite():
        for table in NEVER_REUSED:
            _rebuild(table, autoincrement=False, change=_add_token_version if table == "users" else _keep)
    else:
        op.add_column("users", sa.Column("token_version", sa.Integer(), server_default="0", nullable=False))
        op.create_check_constraint(op.f(TOKEN_VERSION_CHECK), "users", "token_version >= 0")


def _keep(_batch: BatchOperations) -> None:
    """No change but the table's own definition (AUTOINCREMENT or not)."""
