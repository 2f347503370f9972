"""``/article/<slug>``: the article, its author's card, favorite and follow buttons, and its comments.

Every action is a plain form (303 back to a page); with htmx the comment forms swap just the list
(``#comments``) and the favorite button swaps itself.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from markupsafe import Markup
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from app import domain
from app.api.deps import Context
from app.api.errors import validation_fields
from app.markdown import render_off_loop
from app.schemas.articles import NewComment
from app.services import articles, comments
from app.web import forms
from app.web.deps import MaybeVisitor, Visitor, claims_of, is_htmx, page_context, safe_next
from app.web.errors import sign_in_redirect
from app.web.templating import render

router = APIRouter()

Text = Annotated[str, Form()]
NextField = Annotated[str, Form(alias="next")]


def article_path(slug: str) -> str:
    return f"/article/{quote(slug, safe='')}"


async def _body_html(article: domain.Article) -> Markup:
    """The body as stored, sanitised, when it was written. Empty only for an article that a process
    of the release before migration 0008 wrote while the release rolled: rendered here then, as
    before, but off the event loop."""
    html = article.body_html or await render_off_loop(article.body)
    return Markup(html)  # noqa: S704 - sanitised by app.markdown (nh3) when rendered


async def _article_page(
    request: Request,
    ctx: Context,
    visitor: Visitor | None,
    slug: str,
    *,
    comment_text: str = "",
    comment_errors: forms.FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    claims = claims_of(visitor)
    article = await articles.get(ctx, claims, slug)
    listing = await comments.list_comments(ctx, claims, slug)
    context = page_context(
        request,
        visitor,
        article=article,
        body_html=await _body_html(article),
        slug=article.slug,
        here=article_path(article.slug),
        sign_in_url=f"/login?next={quote(article_path(article.slug) + '#comments', safe='')}",
        is_author=visitor is not None and visitor.account.username == article.author.username,
        comments=listing,
        comment_text=comment_text,
        comment_errors=comment_errors or {},
    )
    return render(request, "article.html", context, status_code=status_code)


async def _comments_or_back(
    request: Request, ctx: Context, visitor: Visitor, slug: str, *, fresh_comment_form: bool = False
) -> Response:
    """htmx gets the re-rendered list; a plain form goes back to the article's comments."""
    if is_htmx(request):
        listing = await comments.list_comments(ctx, visitor.claims, slug)
        context = page_context(
            request, visitor, slug=slug, comments=listing, fresh_comment_form=fresh_comment_form
        )
        return render(request, "partials/comments.html", context)
    return RedirectResponse(f"{article_path(slug)}#comments", status_code=303)


@router.get("/article/{slug}", name="pages:article")
async def show_article(request: Request, ctx: Context, visitor: MaybeVisitor, slug: str) -> Response:
    return await _article_page(request, ctx, visitor, slug)


@router.post("/article/{slug}/delete", name="pages:delete-article")
async def delete_article(request: Request, ctx: Context, visitor: MaybeVisitor, slug: str) -> Response:
    if visitor is None:
        return sign_in_redirect(request, article_path(slug))
    await articles.delete(ctx, visitor.claims, slug)
    return RedirectResponse("/", status_code=303)


async def _comment_refused(
    request: Request, ctx: Context, visitor: Visitor, slug: str, text: str, error: ValidationError
) -> Response:
    """The comment form again, with its message and the text kept: in the whole page, or alone for htmx."""
    # The schema's only field is "body", which in form errors is the list at the top: the problems
    # go next to the comment's field instead.
    problems = validation_fields(error.errors()).values()
    errors: forms.FormErrors = {"comment": [problem for found in problems for problem in found]}
    if not is_htmx(request):
        return await _article_page(
            request, ctx, visitor, slug, comment_text=text, comment_errors=errors, status_code=422
        )
    await articles.get(ctx, visitor.claims, slug)  # an unknown article is a 404, as without htmx
    context = page_context(request, visitor, slug=slug, comment_text=text, comment_errors=errors)
    response = render(request, "partials/comment_form.html", context, status_code=422)
    # The list stays as it is: the answer replaces the form instead.
    response.headers["HX-Retarget"] = "#comment-form"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@router.get("/article/{slug}/comments", name="pages:comments")
async def comments_fragment(request: Request, ctx: Context, visitor: MaybeVisitor, slug: str) -> Response:
    """The comments list alone: what live updates reload when someone comments."""
    listing = await comments.list_comments(ctx, claims_of(visitor), slug)
    return render(
        request, "partials/comments.html", page_context(request, visitor, slug=slug, comments=listing)
    )


@router.post("/article/{slug}/comments", name="pages:add-comment")
async def add_comment(
    request: Request, ctx: Context, visitor: MaybeVisitor, slug: str, body: Text = ""
) -> Response:
    if visitor is None:
        return sign_in_redirect(request, f"{article_path(slug)}#comments")
    try:
        data = NewComment(body=body)
    except ValidationError as error:
        return await _comment_refused(request, ctx, visitor, slug, body, error)
    await comments.add(ctx, visitor.claims, slug, data)
    return await _comments_or_back(request, ctx, visitor, slug, fresh_comment_form=True)


@router.post("/article/{slug}/comments/{comment_id}/delete", name="pages:delete-comment")
async def delete_comment(
    request: Request, ctx: Context, visitor: MaybeVisitor, slug: str, comment_id: int
) -> Response:
    if visitor is None:
        return sign_in_redirect(request, f"{article_path(slug)}#comments")
    await comments.delete(ctx, visitor.claims, slug, comment_id)
    return await _comments_or_back(request, ctx, visitor, slug)


async def _toggle_favorite(
    request: Request,
    ctx: Context,
    visitor: Visitor | None,
    slug: str,
    next_target: str,
    compact: str,
    *,
    favorite: bool,
) -> Response:
    back = safe_next(next_target, article_path(slug))
    if visitor is None:
        # Back to the page the button was on after signing in, not to this POST-only address.
        return sign_in_redirect(request, back)
    if favorite:
        article = await articles.favorite(ctx, visitor.claims, slug)
    else:
        article = await articles.unfavorite(ctx, visitor.claims, slug)
    if is_htmx(request):
        context = page_context(request, visitor, article=article, next=back, compact=compact != "no")
        return render(request, "partials/favorite_button.html", context)
    return RedirectResponse(back, status_code=303)


@router.post("/article/{slug}/favorite", name="pages:favorite")
async def favorite(
    request: Request,
    ctx: Context,
    visitor: MaybeVisitor,
    slug: str,
    next_target: NextField = "",
    compact: Text = "yes",
) -> Response:
    return await _toggle_favorite(request, ctx, visitor, slug, next_target, compact, favorite=True)


@router.post("/article/{slug}/unfavorite", name="pages:unfavorite")
async def unfavorite(
    request: Request,
    ctx: Context,
    visitor: MaybeVisitor,
    slug: str,
    next_target: NextField = "",
    compact: Text = "yes",
) -> Response:
    return await _toggle_favorite(request, ctx, visitor, slug, next_target, compact, favorite=False)
