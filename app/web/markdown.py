"""Markdown to safe HTML: markdown-it-py (raw HTML disabled), then nh3 (Ammonia) as a second wall."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

# CommonMark with raw HTML off: `<script>` in a body stays text. Tables and strikethrough on.
_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
_ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def _demote_headings(tokens: list[Token]) -> None:
    """``# Heading`` in a body becomes ``<h2>``: the page's own title is its only ``<h1>``."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"


def render_markdown(text: str) -> Markup:
    """HTML for ``text`` in which no user input can run script or add attributes beyond the allow-list."""
    tokens = _parser.parse(text)
    _demote_headings(tokens)
    html = _parser.renderer.render(tokens, _parser.options, {})
    clean = nh3.clean(html, url_schemes=_ALLOWED_URL_SCHEMES, link_rel="noopener noreferrer nofollow")
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
