"""The editor: ``/editor`` writes a new article, ``/editor/<slug>`` changes one of your own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from app import domain
from app.api.deps import Context
from app.api.errors import validation_fields
from app.exceptions import Forbidden
from app.schemas.articles import ArticleUpdate, NewArticle
from app.services import articles
from app.web import forms
from app.web.deps import SignedIn, Visitor, page_context
from app.web.pages.article import article_path
from app.web.templating import render

router = APIRouter()

Text = Annotated[str, Form()]
FIELDS = ("title", "description", "article_body", "tags")
# Schema field → the form's error key. The article's body is "article_body" because ``errors["body"]``
# is the list at the top of the form; the tags arrive as one comma-separated input.
_ERROR_KEYS = {"body": "article_body", "tagList": "tags", "tag_list": "tags"}


def split_tags(text: str) -> list[str]:
    """Tags are separated by commas (a tag may contain spaces); empty pieces are ignored."""
    return [piece for piece in text.split(",") if piece.strip()]


def _tag_problem(problem: str) -> str:
    """Reads after the field's name: "Tags are at most 40 characters", not "Tags tags are ..."."""
    if problem.startswith("tags "):
        return problem.removeprefix("tags ")
    if problem.startswith("at most "):
        return f"are too many: {problem}"
    return problem


def _errors(error: ValidationError) -> forms.FormErrors:
    fields: dict[str, list[str]] = {}
    for name, problems in validation_fields(error.errors()).items():
        key = _ERROR_KEYS.get(name, name)
        fields.setdefault(key, []).extend(_tag_problem(p) if key == "tags" else p for p in problems)
    return forms.by_field(fields, FIELDS)


def _values(title: str, description: str, body: str, tags: str) -> dict[str, str]:
    return {"title": title, "description": description, "body": body, "tags": tags}


def _editor(
    request: Request,
    visitor: Visitor,
    values: dict[str, str],
    *,
    slug: str | None = None,
    errors: forms.FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    context = page_context(
        request,
        visitor,
        active="editor" if slug is None else None,
        values=values,
        slug=slug,
        errors=errors or {},
    )
    return render(request, "editor.html", context, status_code=status_code)


async def _own_article(ctx: Context, visitor: Visitor, slug: str) -> domain.Article:
    """The article, if the visitor wrote it (the service checks again when saving)."""
    article = await articles.get(ctx, visitor.claims, slug)
    if article.author.username != visitor.account.username:
        raise Forbidden("only the author may change this article")
    return article


@router.get("/editor", name="pages:new-article")
async def new_article(request: Request, visitor: SignedIn) -> Response:
    return _editor(request, visitor, _values("", "", "", ""))


@router.post("/editor", name="pages:create-article")
async def create_article(
    request: Request,
    ctx: Context,
    visitor: SignedIn,
    title: Text = "",
    description: Text = "",
    body: Text = "",
    tags: Text = "",
) -> Response:
    try:
        data = NewArticle(title=title, description=description, body=body, tag_list=split_tags(tags))
    except ValidationError as error:
        values = _values(title, description, body, tags)
        return _editor(request, visitor, values, errors=_errors(error), status_code=422)
    article = await articles.create(ctx, visitor.claims, data)
    return RedirectResponse(article_path(article.slug), status_code=303)


@router.get("/editor/{slug}", name="pages:edit-article")
async def edit_article(request: Request, ctx: Context, visitor: SignedIn, slug: str) -> Response:
    article = await _own_article(ctx, visitor, slug)
    values = _values(article.title, article.description, article.body, ", ".join(article.tag_list))
    return _editor(request, visitor, values, slug=article.slug)


@router.post("/editor/{slug}", name="pages:update-article")
async def update_article(
    request: Request,
    ctx: Context,
    visitor: SignedIn,
    slug: str,
    title: Text = "",
    description: Text = "",
    body: Text = "",
    tags: Text = "",
) -> Response:
    article = await _own_article(ctx, visitor, slug)
    try:
        data = ArticleUpdate(title=title, description=description, body=body, tag_list=split_tags(tags))
    except ValidationError as error:
        values = _values(title, description, body, tags)
        return _editor(request, visitor, values, slug=article.slug, errors=_errors(error), status_code=422)
    article = await articles.update(ctx, visitor.claims, article.slug, data)
    return RedirectResponse(article_path(article.slug), status_code=303)
