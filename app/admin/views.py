"""What the console shows: read-only lists with search and filters, and the moderation actions.

No view creates, edits or deletes rows itself. Every change is a custom action that calls a service
in ``app.services.moderation`` (one transaction with its audit entry); the view only reads.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqladmin import ModelView, action
from sqladmin.filters import BooleanFilter, StaticValuesFilter
from starlette.requests import Request
from starlette.responses import Response

from app.admin.actions import moderate
from app.admin.filters import ConditionFilter, hidden_filter
from app.db.models import Article, AuditEntry, Comment, Tag, User
from app.services import moderation

BODY_PREVIEW = 80


def _preview(text: str) -> str:
    return text if len(text) <= BODY_PREVIEW else f"{text[:BODY_PREVIEW]}…"


def _detail(entry: AuditEntry, _attribute: Any) -> str:
    return "; ".join(f"{name}: {value}" for name, value in entry.detail.items())


class ReadOnlyView(ModelView):
    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    page_size = 50


class UserAdmin(ReadOnlyView, model=User):
    icon = "fa-solid fa-user"
    column_list: ClassVar[Any] = [
        User.id,
        User.username,
        User.email,
        User.is_staff,
        User.is_active,
        User.created_at,
    ]
    column_labels: ClassVar[Any] = {User.is_staff: "Staff", User.is_active: "Active"}
    column_details_exclude_list: ClassVar[Any] = [User.password_hash]
    column_searchable_list: ClassVar[Any] = [User.username, User.email]
    column_sortable_list: ClassVar[Any] = [User.id, User.username, User.created_at]
    column_default_sort: ClassVar[Any] = [(User.id, True)]
    column_filters: ClassVar[Any] = [
        BooleanFilter(User.is_active, title="Active"),
        BooleanFilter(User.is_staff, title="Staff"),
    ]

    @action(
        "deactivate",
        label="Deactivate",
        confirmation_message="Deactivate? They are signed out everywhere and cannot sign in.",
    )
    async def deactivate(self, request: Request) -> Response:
        return await moderate(self, request, moderation.deactivate_users)

    @action("reactivate", label="Reactivate", confirmation_message="Let them sign in again?")
    async def reactivate(self, request: Request) -> Response:
        return await moderate(self, request, moderation.reactivate_users)


class ArticleAdmin(ReadOnlyView, model=Article):
    icon = "fa-solid fa-newspaper"
    column_list: ClassVar[Any] = [
        Article.id,
        Article.title,
        Article.author,
        Article.favorites_count,
        Article.hidden_at,
        Article.created_at,
    ]
    column_details_list: ClassVar[Any] = [
        Article.id,
        Article.slug,
        Article.title,
        Article.description,
        Article.body,
        Article.author,
        Article.favorites_count,
        Article.hidden_at,
        Article.created_at,
        Article.updated_at,
    ]
    column_searchable_list: ClassVar[Any] = [Article.title, Article.slug, "author.username"]
    column_sortable_list: ClassVar[Any] = [Article.id, Article.title, Article.created_at]
    column_default_sort: ClassVar[Any] = [(Article.id, True)]
    column_labels: ClassVar[Any] = {Article.favorites_count: "Favorites", Article.hidden_at: "Hidden"}
    column_filters: ClassVar[Any] = [hidden_filter(Article.hidden_at)]

    @action("hide", label="Hide", confirmation_message="Hide? Only their authors will still see them.")
    async def hide(self, request: Request) -> Response:
        return await moderate(self, request, moderation.hide_articles)

    @action("unhide", label="Unhide", confirmation_message="Show them to everyone again?")
    async def unhide(self, request: Request) -> Response:
        return await moderate(self, request, moderation.unhide_articles)

    @action("delete", label="Delete", confirmation_message="Delete for good, with their comments?")
    async def delete(self, request: Request) -> Response:
        return await moderate(self, request, moderation.delete_articles, back_to_list=True)


class CommentAdmin(ReadOnlyView, model=Comment):
    icon = "fa-solid fa-comment"
    column_list: ClassVar[Any] = [
        Comment.id,
        Comment.body,
        Comment.author,
        Comment.article,
        Comment.hidden_at,
        Comment.created_at,
    ]
    column_formatters: ClassVar[Any] = {Comment.body: lambda comment, _: _preview(comment.body)}
    column_searchable_list: ClassVar[Any] = [Comment.body, "author.username"]
    column_sortable_list: ClassVar[Any] = [Comment.id, Comment.created_at]
    column_default_sort: ClassVar[Any] = [(Comment.id, True)]
    column_labels: ClassVar[Any] = {Comment.hidden_at: "Hidden"}
    column_filters: ClassVar[Any] = [hidden_filter(Comment.hidden_at)]

    @action("hide", label="Hide", confirmation_message="Hide from every comment list?")
    async def hide(self, request: Request) -> Response:
        return await moderate(self, request, moderation.hide_comments)

    @action("unhide", label="Unhide", confirmation_message="Show them again?")
    async def unhide(self, request: Request) -> Response:
        return await moderate(self, request, moderation.unhide_comments)

    @action("delete", label="Delete", confirmation_message="Delete for good?")
    async def delete(self, request: Request) -> Response:
        return await moderate(self, request, moderation.delete_comments, back_to_list=True)


class TagAdmin(ReadOnlyView, model=Tag):
    icon = "fa-solid fa-tag"
    column_list: ClassVar[Any] = [Tag.id, Tag.name, Tag.articles_count]
    column_searchable_list: ClassVar[Any] = [Tag.name]
    column_sortable_list: ClassVar[Any] = [Tag.name, Tag.articles_count]
    column_default_sort: ClassVar[Any] = [(Tag.articles_count, True), (Tag.name, False)]
    column_labels: ClassVar[Any] = {Tag.articles_count: "Visible articles"}
    column_filters: ClassVar[Any] = [
        ConditionFilter(
            "Use",
            "used",
            {"yes": ("On an article", Tag.articles_count > 0), "no": ("Unused", Tag.articles_count == 0)},
        )
    ]


class AuditEntryAdmin(ReadOnlyView, model=AuditEntry):
    name = "Audit entry"
    name_plural = "Audit log"
    icon = "fa-solid fa-clipboard-list"
    column_list: ClassVar[Any] = [
        AuditEntry.created_at,
        AuditEntry.actor_username,
        AuditEntry.action,
        AuditEntry.target_type,
        AuditEntry.target_id,
        AuditEntry.detail,
    ]
    column_labels: ClassVar[Any] = {
        AuditEntry.created_at: "When",
        AuditEntry.actor_username: "Staff member",
        AuditEntry.target_type: "On",
        AuditEntry.target_id: "Id",
    }
    column_formatters: ClassVar[Any] = {AuditEntry.detail: _detail}
    column_formatters_detail: ClassVar[Any] = {AuditEntry.detail: _detail}
    column_searchable_list: ClassVar[Any] = [AuditEntry.actor_username, AuditEntry.action]
    column_sortable_list: ClassVar[Any] = [AuditEntry.created_at]
    # Newest first; the id breaks ties between entries of one action.
    column_default_sort: ClassVar[Any] = [(AuditEntry.created_at, True), (AuditEntry.id, True)]
    column_filters: ClassVar[Any] = [
        StaticValuesFilter(
            AuditEntry.target_type,
            [("user", "Users"), ("article", "Articles"), ("comment", "Comments")],
            title="On",
        ),
        StaticValuesFilter(
            AuditEntry.action,
            [(name, name.capitalize()) for name in ("deactivate", "reactivate", "hide", "unhide", "delete")],
            title="Action",
        ),
    ]


VIEWS = (UserAdmin, ArticleAdmin, CommentAdmin, TagAdmin, AuditEntryAdmin)
