"""The schema, as typed SQLAlchemy models. Alembic migrations are generated from and checked against it.

Index notes name the query each index serves (see ``app/db/repositories``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.db.types import Identifier, UTCDateTime, utc_now

# Stable constraint names, so migrations can refer to them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

USERNAME_MAX = 32
EMAIL_MAX = 320
IMAGE_URL_MAX = 2000
TITLE_MAX = 250
SLUG_MAX = 300
TAG_MAX = 40
SESSION_ID_MAX = 64
USER_AGENT_MAX = 400
CLIENT_ADDRESS_MAX = 64


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# SQLite reuses the highest freed rowid unless the key is declared AUTOINCREMENT (PostgreSQL's
# identities never go back). Users, articles and comments are named by id outside their row: sessions
# and the audit log (users), live-update events, the audit log and clients' DELETE requests (articles,
# comments). A reused id would hand those to a newcomer's row: a deleted account's session to the next
# account to register (migration 0007). Tags and audit entries are never deleted, so never freed.
NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("articles_count >= 0", name="articles_count_non_negative"),
        CheckConstraint("favorites_count >= 0", name="favorites_count_non_negative"),
        # Ids are never reused (see NEVER_REUSED).
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    # Stored lower-cased; the unique index serves login and the "email taken" check.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(IMAGE_URL_MAX))
    # Staff may use the admin console (`conduit create-admin`).
    is_staff: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A deactivated user cannot sign in; deactivating also ends every session they have.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # Exact totals for `?author=` and `?favorited=` (and, summed over followees, the feed): the
    # base, to which reads add the pending ``count_deltas`` (see app/db/counts.py).
    articles_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    favorites_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __str__(self) -> str:  # how the admin console names a user
        return self.username


class UserSession(Base):
    """One sign-in (API or page): the token issued for it names it, and works only while it exists.
    Signing out, a password change (for the other sessions), deactivation and deletion delete rows."""

    __tablename__ = "sessions"
    __table_args__ = (
        # The caller's sessions (list, sign out everywhere else) and cascades when a user is deleted.
        Index("ix_sessions_user_id_created_at", "user_id", "created_at"),
    )

    # Random (``secrets``), never a counter: unguessable, and never the id of an ended session.
    id: Mapped[str] = mapped_column(String(SESSION_ID_MAX), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # Written at most once a minute per session, off the request's path (services/sessions.py).
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # As the client said (cut to length) and as the server saw it (behind trusted proxies: uvicorn's
    # --forwarded-allow-ips); shown to the user, never trusted for anything.
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX))
    client_address: Mapped[str] = mapped_column(String(CLIENT_ADDRESS_MAX))


class Counter(Base):
    """Named totals: ``articles`` is the base of the global list's ``articlesCount`` (reads add the
    pending ``count_deltas``), so no request counts a whole table."""

    __tablename__ = "counters"
    __table_args__ = (CheckConstraint("value >= 0", name="value_non_negative"),)

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (
        CheckConstraint("follower_id <> followee_id", name="not_self"),
        # The primary key (follower, followee) serves the feed and "following" flags;
        # this one serves cascades when a followed user is deleted.
        Index("ix_follows_followee_id", "followee_id"),
    )

    follower_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    followee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


# The condition of partial indexes over the articles lists can show (migration 0003).
VISIBLE: dict[str, Any] = {
    "postgresql_where": text("hidden_at IS NULL"),
    "sqlite_where": text("hidden_at IS NULL"),
}


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        CheckConstraint("favorites_count >= 0", name="favorites_count_non_negative"),
        # Lists show visible articles only, so their indexes hold only those (partial): the global
        # list reads ORDER BY created_at DESC, id DESC from the first, the author filter and each
        # followed author's part of the feed (LATERAL ... LIMIT) from the second, in order, with no
        # filter to apply on the way.
        Index("ix_articles_visible_created_at_id", "created_at", "id", **VISIBLE),
        Index("ix_articles_visible_author_id_created_at_id", "author_id", "created_at", "id", **VISIBLE),
        # Every article of an author, hidden ones too: the author's own view, account deletion and
        # cascades when a user is deleted.
        Index("ix_articles_author_id_created_at_id", "author_id", "created_at", "id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # ``body`` rendered to sanitised HTML when it is written (app/markdown.py), so that showing an
    # article never renders Markdown (migration 0008 rendered the rows written before). Up to ~8
    # times the body's size (a table of one-letter cells): deferred, so that loading an article to
    # change it (a favorite, a comment) does not fetch it; only the page's read selects it.
    body_html: Mapped[str] = mapped_column(Text, default="", server_default=text("''"), deferred=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The base of the favorites total (reads add the pending ``count_deltas``), so lists never count rows.
    favorites_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set by a moderator: the article is then 404 to everyone but its author and left out of every
    # list, feed and tag count (``queries.article_lists``).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The article's tag names, space-separated, kept in step with article_tags by the tag writes,
    # so full-text search finds tags on the article row. The search index itself (a generated
    # tsvector on PostgreSQL, an FTS5 table on SQLite) lives outside the models: migration 0004.
    tag_names: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    # For the admin console only; lazy="raise" keeps the app's queries explicit (no lazy loads).
    author: Mapped[User] = relationship(lazy="raise")

    def __str__(self) -> str:
        return self.slug


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (
        CheckConstraint("articles_count >= 0", name="articles_count_non_negative"),
        # GET /tags: WHERE articles_count > 0 ORDER BY articles_count DESC, name.
        Index("ix_tags_articles_count_name", "articles_count", "name"),
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_MAX), unique=True)
    # The base of how many visible articles carry the tag (reads add the pending ``count_deltas``).
    articles_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ArticleTag(Base):
    __tablename__ = "article_tags"
    __table_args__ = (
        # Tag filter: one tag's newest articles straight from the index, without sorting them all.
        # The primary key serves tagList look-ups by article.
        Index("ix_article_tags_tag_id_article_created_at", "tag_id", "article_created_at", "article_id"),
    )

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    # The article's created_at (which never changes), copied so the tag filter is ordered by its index.
    article_created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Favorite(Base):
    __tablename__ = "favorites"
    __table_args__ = (
        # The primary key (user, article) serves "favorited" flags; this one serves cascades when
        # an article is deleted.
        Index("ix_favorites_article_id", "article_id"),
        # The favorited filter: one user's favorites, newest article first, straight from the index.
        Index("ix_favorites_user_id_article_created_at", "user_id", "article_created_at", "article_id"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # The article's created_at, copied (it never changes) so the favorited filter is ordered by its index.
    article_created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        # Comments of an article, newest first.
        Index("ix_comments_article_id_created_at_id", "article_id", "created_at", "id"),
        # Cascades when a user is deleted.
        Index("ix_comments_author_id", "author_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    # Set by a moderator: the comment is then left out of every comment list.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    # For the admin console only (see Article.author).
    author: Mapped[User] = relationship(lazy="raise")
    article: Mapped[Article] = relationship(lazy="raise")

    def __str__(self) -> str:
        return f"comment {self.id}"


class AuditEntry(Base):
    """One moderation action: who did what to which row, and when. Never updated or deleted."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        # The admin console's audit log, newest first.
        Index("ix_audit_entries_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    # The moderator; the entry outlives their account, so their name is copied too.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    # No foreign key: a deleted article or comment keeps its history.
    target_id: Mapped[int] = mapped_column(BigInteger)
    # What the target was at the time (username, slug, title, ...), so the entry reads on its own.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    def __str__(self) -> str:
        return f"{self.actor_username} {self.action} {self.target_type} {self.target_id}"


# Changes to the counters above, one row per change, inserted in the writer's transaction: inserts
# never wait on each other, where an UPDATE of the counted row queued every writer of it until
# COMMIT. Reads add a counter's pending rows to its base column in the same statement; a folder in
# each serving process moves them into the bases (app/db/counts.py, app/db/folding.py). No primary
# key: rows are never addressed one by one, and each insert then maintains one index only, the one
# that serves the reads' ``SUM(delta) WHERE kind = ? AND target_id = ?`` (covering: ``delta`` in it).
count_deltas = Table(
    "count_deltas",
    Base.metadata,
    # Which counter: see app/db/counts.Count.
    Column("kind", String(20), nullable=False),
    # The counted row's id (users, tags, articles); 0 for the global total.
    Column("target_id", BigInteger, nullable=False),
    Column("delta", Integer, nullable=False),
    Index("ix_count_deltas_kind_target_id_delta", "kind", "target_id", "delta"),
)


# Usernames are unique case-insensitively; profile, author and favorited look-ups use it too.
Index("uq_users_username_lower", func.lower(User.username), unique=True)
