"""The article page (``/article/<slug>``) and its actions, with plain forms and with htmx.

What each person sees (edit and delete only for the author; follow and favorite for everyone else;
the comment form only when signed in, delete only on your own comments), the body rendered from
Markdown with no way to inject markup, deleting articles and comments, adding comments, favorites,
CSRF refusals on every action (403, nothing changed) and signed-out visitors sent to sign in.
Results are checked through the JSON API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from markupsafe import escape

from tests.helpers import auth, create_article
from tests.web.helpers import (
    browser,
    csrf_token,
    htmx_headers,
    register_browserless,
    session_token,
    submit,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SLUG = "how-to-train-your-dragon"
PAGE = f"/article/{SLUG}"


@dataclass
class Scene:
    """jake wrote an article (signed in as ``jake``); ``amy`` is another signed-in browser and
    ``visitor`` a browser that never signed in."""

    jake: httpx.AsyncClient
    amy: httpx.AsyncClient
    visitor: httpx.AsyncClient

    async def article(self) -> dict[str, Any]:
        """The article as amy sees it through the API (her ``favorited``)."""
        response = await self.visitor.get(f"/api/articles/{SLUG}", headers=auth(session_token(self.amy)))
        assert response.status_code == 200, response.text
        article: dict[str, Any] = response.json()["article"]
        return article

    async def comments(self) -> list[dict[str, Any]]:
        response = await self.visitor.get(f"/api/articles/{SLUG}/comments")
        assert response.status_code == 200, response.text
        comments: list[dict[str, Any]] = response.json()["comments"]
        return comments

    async def state(self) -> tuple[int, Any, Any]:
        """Everything an action on the article could change, as the API shows it."""
        response = await self.visitor.get(f"/api/articles/{SLUG}", headers=auth(session_token(self.jake)))
        comments = await self.visitor.get(f"/api/articles/{SLUG}/comments")
        return response.status_code, response.json(), comments.json()


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[Scene]:
    await register_browserless(client, "jake")
    await create_article(
        client,
        session_token(client),
        title="How to train your dragon",
        body="# Training\n\nYou have to *believe*. See [the guide](https://example.com/guide).",
        tags=["dragons", "training"],
    )
    async with browser(app) as amy, browser(app) as visitor:
        await register_browserless(amy, "amy")
        yield Scene(jake=client, amy=amy, visitor=visitor)


async def comment_as(client: httpx.AsyncClient, body: str) -> int:
    """Adds a comment through the API as the person signed in on ``client``; returns its id."""
    response = await client.post(
        f"/api/articles/{SLUG}/comments",
        json={"comment": {"body": body}},
        headers=auth(session_token(client)),
    )
    assert response.status_code == 200, response.text
    comment_id: int = response.json()["comment"]["id"]
    return comment_id


async def page_of(client: httpx.AsyncClient) -> str:
    response = await client.get(PAGE)
    assert response.status_code == 200, response.text
    return response.text


DELETE_FORM = f'action="{PAGE}/delete"'
EDIT_LINK = f'href="/editor/{SLUG}">Edit article</a>'
FOLLOW_FORM = 'action="/profile/jake/follow"'
FAVORITE_FORM = f'action="{PAGE}/favorite"'


# --- what each person sees ----------------------------------------------------------------------


async def test_the_article_page_shows_the_title_author_tags_and_rendered_body(scene: Scene) -> None:
    response = await scene.visitor.get(PAGE)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert "<title>How to train your dragon — Conduit</title>" in page
    assert '<h1 id="article-title">How to train your dragon</h1>' in page
    assert '<a class="author" href="/profile/jake">jake</a>' in page
    assert '<a class="tag" href="/?tag=dragons">dragons</a>' in page
    assert '<a class="tag" href="/?tag=training">training</a>' in page
    assert "<h2>Training</h2>" in page  # Markdown headings sit below the page's own <h1>
    assert page.count("<h1") == 1
    assert "<em>believe</em>" in page
    assert '<a href="https://example.com/guide" rel="noopener noreferrer nofollow">the guide</a>' in page


async def test_html_in_the_body_is_shown_as_text_never_as_markup(scene: Scene) -> None:
    body = '<script>alert("body")</script>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))'
    await create_article(scene.jake, session_token(scene.jake), title="Sneaky", body=body)

    page = (await scene.visitor.get("/article/sneaky")).text

    assert '&lt;script&gt;alert("body")&lt;/script&gt;' in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert '<script>alert("body")' not in page
    assert "<img src=x" not in page
    assert 'href="javascript:' not in page


async def test_visitors_see_follow_and_favorite_buttons_and_an_invitation_to_sign_in(scene: Scene) -> None:
    page = await page_of(scene.visitor)

    assert FOLLOW_FORM in page
    assert FAVORITE_FORM in page
    assert "Favorite article" in page
    assert EDIT_LINK not in page
    assert DELETE_FORM not in page
    assert 'id="comment-form"' not in page
    assert (
        '<a href="/login?next=%2Farticle%2Fhow-to-train-your-dragon%23comments">Sign in</a>'
        ' or <a href="/register">sign up</a> to add comments'
    ) in page


async def test_the_author_sees_edit_and_delete_but_no_follow_or_favorite_button(scene: Scene) -> None:
    page = await page_of(scene.jake)

    assert EDIT_LINK in page
    assert DELETE_FORM in page
    assert "Delete article" in page
    assert FOLLOW_FORM not in page
    assert FAVORITE_FORM not in page
    assert 'id="comment-form"' in page


async def test_other_users_see_follow_favorite_and_the_comment_form_but_no_edit_or_delete(
    scene: Scene,
) -> None:
    page = await page_of(scene.amy)

    assert FOLLOW_FORM in page
    assert FAVORITE_FORM in page
    assert EDIT_LINK not in page
    assert DELETE_FORM not in page
    assert '<label for="comment">Add a comment</label>' in page
    assert '<textarea id="comment" name="body"' in page
    assert "to add comments" not in page


async def test_an_unknown_article_is_the_sites_not_found_page(scene: Scene) -> None:
    response = await scene.visitor.get("/article/no-such-article")

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    assert 'class="site-header"' in response.text


# --- deleting the article -----------------------------------------------------------------------


async def test_the_author_deletes_the_article_and_goes_home(scene: Scene) -> None:
    response = await submit(scene.jake, f"{PAGE}/delete", page=PAGE)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert (await scene.visitor.get(f"/api/articles/{SLUG}")).status_code == 404
    assert (await scene.visitor.get(PAGE)).status_code == 404


async def test_another_user_can_not_delete_the_article(scene: Scene) -> None:
    before = await scene.state()

    response = await submit(scene.amy, f"{PAGE}/delete", page=PAGE)

    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.text
    assert await scene.state() == before


# --- comments -----------------------------------------------------------------------------------


async def test_adding_a_comment_without_js_stores_it_and_goes_back_to_the_comments(scene: Scene) -> None:
    response = await submit(scene.amy, f"{PAGE}/comments", {"body": "Great read!\nThanks."}, page=PAGE)

    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}#comments"
    [comment] = await scene.comments()
    assert comment["body"] == "Great read!\nThanks."
    assert comment["author"]["username"] == "amy"


async def test_comments_show_author_and_date_with_line_breaks_kept_and_markup_escaped(scene: Scene) -> None:
    await comment_as(scene.amy, "First line\r\nSecond <b>bold</b> & <script>alert(1)</script>")

    page = await page_of(scene.visitor)

    assert (
        '<p class="comment-body" id="comment-1-body">First line<br>'
        "Second &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    ) in page
    assert "<script>alert(1)" not in page
    assert '<a class="comment-author" href="/profile/amy">amy</a>' in page
    assert '<time class="date" datetime="' in page


async def test_comments_are_listed_newest_first(scene: Scene) -> None:
    await comment_as(scene.amy, "the older comment")
    await comment_as(scene.jake, "the newer comment")

    page = await page_of(scene.visitor)

    assert page.index("the newer comment") < page.index("the older comment")


async def test_adding_a_comment_with_htmx_returns_only_the_list_and_an_empty_form(scene: Scene) -> None:
    await comment_as(scene.jake, "an earlier comment")
    token = await csrf_token(scene.amy, PAGE)

    response = await scene.amy.post(
        f"{PAGE}/comments", data={"body": "Sent with htmx"}, headers=htmx_headers(token)
    )

    assert response.status_code == 200
    fragment = response.text
    assert fragment.startswith('<div id="comments" class="comment-list">')
    assert "<html" not in fragment
    assert "site-header" not in fragment
    assert fragment.index("Sent with htmx") < fragment.index("an earlier comment")
    # A fresh comment form, swapped in out of band: the text is gone.
    assert 'id="comment-form"' in fragment
    assert 'hx-swap-oob="true"' in fragment
    assert 'placeholder="Write a comment…">\n</textarea>' in fragment
    assert [comment["body"] for comment in await scene.comments()] == ["Sent with htmx", "an earlier comment"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   \n ", "Comment can't be blank."),
        ("x" * 20_001, "Comment is too long (maximum is 20000 characters)."),
    ],
)
async def test_an_invalid_comment_without_js_shows_the_page_with_the_message_and_the_text_kept(
    scene: Scene, body: str, message: str
) -> None:
    response = await submit(scene.amy, f"{PAGE}/comments", {"body": body}, page=PAGE)

    assert response.status_code == 422
    page = response.text
    assert '<h1 id="article-title">How to train your dragon</h1>' in page
    assert f'<p class="field-error" id="comment-error">{escape(message)}</p>' in page
    assert 'aria-invalid="true" aria-describedby="comment-error"' in page
    assert f"\n{body}</textarea>" in page
    assert await scene.comments() == []


async def test_an_invalid_comment_with_htmx_returns_the_form_with_its_message(scene: Scene) -> None:
    token = await csrf_token(scene.amy, PAGE)

    response = await scene.amy.post(f"{PAGE}/comments", data={"body": "  "}, headers=htmx_headers(token))

    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#comment-form"
    assert response.headers["hx-reswap"] == "outerHTML"
    fragment = response.text
    assert fragment.startswith('<form id="comment-form"')
    assert "<html" not in fragment
    assert "hx-swap-oob" not in fragment
    assert '<p class="field-error" id="comment-error">Comment can&#39;t be blank.</p>' in fragment
    assert await scene.comments() == []


async def test_the_delete_button_is_shown_only_on_your_own_comments(scene: Scene) -> None:
    amys = await comment_as(scene.amy, "amy was here")
    jakes = await comment_as(scene.jake, "jake was here")

    amy_sees, jake_sees, visitor_sees = [
        await page_of(client) for client in (scene.amy, scene.jake, scene.visitor)
    ]

    assert f'action="{PAGE}/comments/{amys}/delete"' in amy_sees
    assert f'action="{PAGE}/comments/{jakes}/delete"' not in amy_sees
    assert f'action="{PAGE}/comments/{jakes}/delete"' in jake_sees
    assert f'action="{PAGE}/comments/{amys}/delete"' not in jake_sees
    assert "Delete comment" not in visitor_sees


async def test_deleting_your_comment_without_js_goes_back_to_the_comments(scene: Scene) -> None:
    comment_id = await comment_as(scene.amy, "short-lived")

    response = await submit(scene.amy, f"{PAGE}/comments/{comment_id}/delete", page=PAGE)

    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}#comments"
    assert await scene.comments() == []


async def test_deleting_your_comment_with_htmx_returns_only_the_updated_list(scene: Scene) -> None:
    kept = await comment_as(scene.jake, "this one stays")
    gone = await comment_as(scene.amy, "this one goes")
    token = await csrf_token(scene.amy, PAGE)

    response = await scene.amy.post(f"{PAGE}/comments/{gone}/delete", headers=htmx_headers(token))

    assert response.status_code == 200
    fragment = response.text
    assert fragment.startswith('<div id="comments" class="comment-list">')
    assert "<html" not in fragment
    assert "this one goes" not in fragment
    assert "this one stays" in fragment
    assert 'id="comment-form"' not in fragment
    assert [comment["id"] for comment in await scene.comments()] == [kept]


async def test_deleting_the_last_comment_with_htmx_says_there_are_none(scene: Scene) -> None:
    comment_id = await comment_as(scene.amy, "only one")
    token = await csrf_token(scene.amy, PAGE)

    response = await scene.amy.post(f"{PAGE}/comments/{comment_id}/delete", headers=htmx_headers(token))

    assert response.status_code == 200
    assert '<p class="empty">No comments yet.</p>' in response.text


@pytest.mark.parametrize("htmx", [False, True], ids=["plain form", "htmx"])
async def test_deleting_someone_elses_comment_is_forbidden_and_keeps_it(scene: Scene, htmx: bool) -> None:
    comment_id = await comment_as(scene.jake, "jake's comment")
    token = await csrf_token(scene.amy, PAGE)
    action = f"{PAGE}/comments/{comment_id}/delete"

    if htmx:
        response = await scene.amy.post(action, headers=htmx_headers(token))
    else:
        response = await scene.amy.post(action, data={"csrf_token": token})

    assert response.status_code == 403
    assert "Only the author may delete this comment" in response.text
    assert [comment["id"] for comment in await scene.comments()] == [comment_id]


async def test_deleting_a_comment_of_another_article_is_not_found(scene: Scene) -> None:
    await create_article(scene.amy, session_token(scene.amy), title="Other")
    response = await scene.amy.post(
        "/api/articles/other/comments",
        json={"comment": {"body": "elsewhere"}},
        headers=auth(session_token(scene.amy)),
    )
    comment_id = response.json()["comment"]["id"]

    deleted = await submit(scene.amy, f"{PAGE}/comments/{comment_id}/delete", page=PAGE)

    assert deleted.status_code == 404
    assert len((await scene.visitor.get("/api/articles/other/comments")).json()["comments"]) == 1


# --- favorites ----------------------------------------------------------------------------------


async def test_favoriting_without_js_goes_back_to_the_page_the_button_was_on(scene: Scene) -> None:
    response = await submit(scene.amy, f"{PAGE}/favorite", {"next": "/?tag=dragons", "compact": "yes"})

    assert response.status_code == 303
    assert response.headers["location"] == "/?tag=dragons"
    article = await scene.article()
    assert (article["favorited"], article["favoritesCount"]) == (True, 1)

    response = await submit(scene.amy, f"{PAGE}/unfavorite", {"next": PAGE, "compact": "no"}, page=PAGE)

    assert response.status_code == 303
    assert response.headers["location"] == PAGE
    article = await scene.article()
    assert (article["favorited"], article["favoritesCount"]) == (False, 0)


@pytest.mark.parametrize("target", ["", "https://evil.example/", "//evil.example/", "/\\evil.example/"])
async def test_favoriting_never_goes_on_to_another_site(scene: Scene, target: str) -> None:
    response = await submit(scene.amy, f"{PAGE}/favorite", {"next": target})

    assert response.status_code == 303
    assert response.headers["location"] == PAGE
    assert (await scene.article())["favorited"] is True


async def test_favoriting_with_htmx_returns_the_compact_button_fragment(scene: Scene) -> None:
    token = await csrf_token(scene.amy, "/")

    response = await scene.amy.post(
        f"{PAGE}/favorite", data={"next": "/", "compact": "yes"}, headers=htmx_headers(token)
    )

    assert response.status_code == 200
    fragment = response.text.strip()
    assert fragment.startswith(
        '<form class="inline-form favorite-form" data-favorite-slug="how-to-train-your-dragon" method="post"'
    )
    assert fragment.endswith("</form>")
    assert "<html" not in fragment
    assert f'action="{PAGE}/unfavorite"' in fragment
    assert 'aria-pressed="true"' in fragment
    assert '<span class="count">1</span>' in fragment
    assert '<input type="hidden" name="next" value="/">' in fragment
    assert '<input type="hidden" name="compact" value="yes">' in fragment
    assert (await scene.article())["favorited"] is True


async def test_unfavoriting_with_htmx_returns_the_full_button_fragment(scene: Scene) -> None:
    await submit(scene.amy, f"{PAGE}/favorite", {"next": PAGE})
    token = await csrf_token(scene.amy, PAGE)

    response = await scene.amy.post(
        f"{PAGE}/unfavorite", data={"next": PAGE, "compact": "no"}, headers=htmx_headers(token)
    )

    assert response.status_code == 200
    fragment = response.text
    assert f'action="{PAGE}/favorite"' in fragment
    assert 'aria-pressed="false"' in fragment
    assert 'Favorite article <span class="count">(0)</span>' in fragment
    assert '<input type="hidden" name="compact" value="no">' in fragment
    assert (await scene.article())["favoritesCount"] == 0


async def test_favoriting_an_unknown_article_is_not_found(scene: Scene) -> None:
    response = await submit(scene.amy, "/article/no-such-article/favorite", {"next": "/"})

    assert response.status_code == 404


# --- CSRF and signing in, on every action --------------------------------------------------------


async def _jakes_comment(scene: Scene) -> str:
    comment_id = await comment_as(scene.jake, "jake's comment")
    return f"{PAGE}/comments/{comment_id}/delete"


async def _favorited_by_jake(scene: Scene) -> str:
    response = await scene.jake.post(
        f"/api/articles/{SLUG}/favorite", headers=auth(session_token(scene.jake))
    )
    assert response.status_code == 200
    return f"{PAGE}/unfavorite"


async def _action(scene: Scene, name: str) -> tuple[str, dict[str, str]]:
    """An action jake could take (it would change something), and its form fields."""
    if name == "delete article":
        return f"{PAGE}/delete", {}
    if name == "add comment":
        return f"{PAGE}/comments", {"body": "a comment"}
    if name == "delete comment":
        return await _jakes_comment(scene), {}
    if name == "favorite":
        return f"{PAGE}/favorite", {"next": "/"}
    return await _favorited_by_jake(scene), {"next": "/"}


ACTIONS = ["delete article", "add comment", "delete comment", "favorite", "unfavorite"]


@pytest.mark.parametrize("action_name", ACTIONS)
@pytest.mark.parametrize("token", ["missing", "made-up", "another browser's", "made-up htmx header"])
async def test_every_action_without_this_browsers_csrf_token_is_forbidden_and_changes_nothing(
    scene: Scene, action_name: str, token: str
) -> None:
    action, data = await _action(scene, action_name)
    before = await scene.state()
    headers: dict[str, str] = {}
    if token == "made-up":
        data["csrf_token"] = "made.up.token"
    elif token == "another browser's":
        data["csrf_token"] = await csrf_token(scene.amy, PAGE)
    elif token == "made-up htmx header":
        headers = htmx_headers("made.up.token")

    response = await scene.jake.post(action, data=data, headers=headers)

    assert response.status_code == 403
    assert await scene.state() == before


@pytest.mark.parametrize("action_name", ACTIONS)
async def test_every_action_works_for_jake_with_the_pages_csrf_token(scene: Scene, action_name: str) -> None:
    action, data = await _action(scene, action_name)
    before = await scene.state()

    response = await submit(scene.jake, action, data, page=PAGE)

    assert response.status_code == 303
    assert await scene.state() != before


@pytest.mark.parametrize(
    ("action_name", "next_page"),
    [
        ("delete article", PAGE),
        ("add comment", f"{PAGE}#comments"),
        ("delete comment", f"{PAGE}#comments"),
        ("favorite", "/"),
        ("unfavorite", "/"),
    ],
)
async def test_signed_out_visitors_are_sent_to_sign_in_and_nothing_changes(
    scene: Scene, action_name: str, next_page: str
) -> None:
    action, data = await _action(scene, action_name)
    before = await scene.state()

    response = await submit(scene.visitor, action, data, page=PAGE)

    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={quote(next_page, safe='')}"
    assert await scene.state() == before


async def test_signed_out_htmx_requests_are_told_to_go_to_the_sign_in_page(scene: Scene) -> None:
    token = await csrf_token(scene.visitor, "/")

    response = await scene.visitor.post(
        f"{PAGE}/favorite", data={"next": "/", "compact": "yes"}, headers=htmx_headers(token)
    )

    assert response.headers["hx-redirect"] == "/login?next=%2F"
    assert "location" not in response.headers
    assert (await scene.article())["favoritesCount"] == 0
