"""Rendering Markdown (``app/markdown.py``): what ordinary Markdown becomes, and the cost of the
worst bodies at the size limit.

Rendering is linear in the body's length; these bodies are the slowest found per character (see
docs/architecture.md, "Article bodies", for the figures). The bound below is deliberately generous:
it is CPU time of the rendering thread (so a busy machine does not fail it), and a guard against a
change that makes some input super-linear (such input takes minutes at this size, not seconds).
"""

from __future__ import annotations

import time

import pytest

from app.markdown import render_markdown
from app.schemas.articles import BODY_MAX

CPU_SECONDS_MAX = 5.0


def _repeat(unit: str) -> str:
    return (unit * (BODY_MAX // len(unit) + 1))[:BODY_MAX]


WORST_BODIES = {
    "image openers": _repeat("!["),
    "link openers": _repeat("["),
    "nested links and images": _repeat("[!["),
    "brackets nested 50,000 deep": "[" * (BODY_MAX // 2) + "]" * (BODY_MAX // 2),
    "unclosed link destinations": _repeat("[a]("),
    "emphasis delimiters": _repeat("**_"),
    "strikethrough delimiters": _repeat("~~a"),
    "table rows": "a|b\n-|-\n" + _repeat("a|b\n")[: BODY_MAX - 8],
    "headings": _repeat("# a\n"),
    "quotes nested 50,000 deep": _repeat("> "),
    "lists nested 400 deep": "".join("  " * depth + "- x\n" for depth in range(400))[:BODY_MAX],
    "backtick runs": _repeat("`` a "),
    "angle brackets": _repeat("<"),
    "link reference definitions": "".join(f"[r{n}]: /u{n}\n[r{n}]" for n in range(10_000))[:BODY_MAX],
}


@pytest.mark.parametrize("body", WORST_BODIES.values(), ids=WORST_BODIES.keys())
def test_the_worst_bodies_at_the_size_limit_render_in_bounded_time(body: str) -> None:
    assert len(body) == BODY_MAX or body.startswith("  ")  # the nested list is shorter
    started = time.thread_time()

    html = render_markdown(body)

    assert time.thread_time() - started < CPU_SECONDS_MAX
    assert "<script" not in html


def test_ordinary_markdown_renders_as_before() -> None:
    body = (
        "# Title\n\nSome *emphasis*, **strong**, ~~struck~~ and `code`.\n\n"
        "> quoted\n\n- one\n- two\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n"
        "[link](https://example.com/) <script>alert(1)</script> [bad](javascript:alert(1))\n"
    )

    assert render_markdown(body) == (
        "<h2>Title</h2>\n<p>Some <em>emphasis</em>, <strong>strong</strong>, <s>struck</s> and "
        "<code>code</code>.</p>\n<blockquote>\n<p>quoted</p>\n</blockquote>\n<ul>\n<li>one</li>\n"
        "<li>two</li>\n</ul>\n<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n"
        '<p><a href="https://example.com/" rel="noopener noreferrer nofollow">link</a> '
        "&lt;script&gt;alert(1)&lt;/script&gt; [bad](javascript:alert(1))</p>\n"
    )
