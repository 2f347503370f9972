"""Markdown to safe HTML: markdown-it-py (raw HTML disabled), then nh3 (Ammonia) as a second wall.

An article's body is rendered once, when it is written (``services.articles``), and the HTML is
stored beside it (``articles.body_html``): pages read it and never render. Rendering is linear in
the body's length but pure Python (up to ~1.5 s of CPU for 100,000 characters of dense syntax such
as ``![`` repeated or a 25,000-row table), so it runs in a worker thread, before the write's
transaction, at most ``CONCURRENT_RENDERS`` bodies at a time per process: the event loop keeps
serving, a burst of such writes cannot take every worker thread (password hashing needs them) or
starve the loop of the GIL, and an ordinary body still finds a free slot beside one slow render.
"""

from __future__ import annotations

import anyio
import anyio.to_thread
import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

# CommonMark with raw HTML off: `<script>` in a body stays text. Tables and strikethrough on.
# maxNesting (the preset's 20) bounds how deep blocks and inline constructs nest, so nested
# `>`, lists or brackets cost no more than a flat run of the same length.
_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
_ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
CONCURRENT_RENDERS = 2
_renders = anyio.CapacityLimiter(CONCURRENT_RENDERS)


def _demote_headings(tokens: list[Token]) -> None:
    """``# Heading`` in a body becomes ``<h2>``: the page's own title is its only ``<h1>``."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"


def render_markdown(text: str) -> str:
    """HTML for ``text`` in which no user input can run script or add attributes beyond the
    allow-list. Synchronous and CPU-bound: from async code, use ``render_off_loop``."""
    tokens = _parser.parse(text)
    _demote_headings(tokens)
    html = _parser.renderer.render(tokens, _parser.options, {})
    return nh3.clean(html, url_schemes=_ALLOWED_URL_SCHEMES, link_rel="noopener noreferrer nofollow")


async def render_off_loop(text: str) -> str:
    """``render_markdown`` in a worker thread (at most ``CONCURRENT_RENDERS`` at once)."""
    return await anyio.to_thread.run_sync(render_markdown, text, limiter=_renders)
