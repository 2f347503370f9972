"""Markdown to safe HTML: markdown-it-py (raw HTML disabled), then nh3 (Ammonia) as a second wall."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark with raw HTML off: `<script>` in a body stays text. Tables and strikethrough on.
_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
_ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> Markup:
    """HTML for ``text`` in which no user input can run script or add attributes beyond the allow-list."""
    html = _parser.render(text)
    clean = nh3.clean(html, url_schemes=_ALLOWED_URL_SCHEMES, link_rel="noopener noreferrer nofollow")
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
