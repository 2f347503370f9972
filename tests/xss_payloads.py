"""Payloads for the XSS tests: one for every user field, each trying to run script or add markup.

Every script payload sets ``window.__xss`` (or opens a dialog), so a browser test can tell whether one
ran; the page tests check the same strings come out escaped in the HTML source.
"""

from __future__ import annotations

SCRIPT = "<script>window.__xss=1</script>"
IMG = "<img src=x onerror=window.__xss=1>"
ATTRIBUTE_BREAK = "\"'><svg onload=window.__xss=1>"
TEXTAREA_BREAK = f"</textarea>{SCRIPT}"

TITLE = f"Title {SCRIPT} {IMG} {ATTRIBUTE_BREAK}"
DESCRIPTION = f"Description </p>{SCRIPT} {IMG} {ATTRIBUTE_BREAK}"
BODY = "\n\n".join(
    [
        f"Raw {SCRIPT}",
        IMG,
        TEXTAREA_BREAK,
        "[x](javascript:window.__xss=1) [y](JaVaScRiPt:alert(1))",
        "[z](data:text/html,<script>alert(1)</script>)",
        "![pic](javascript:window.__xss=1)",
        '[t](https://ok.example/ "a\\" onmouseover=\\"window.__xss=1")',
        '<a href="javascript:window.__xss=1">raw link</a> <iframe src="javascript:window.__xss=1"></iframe>',
        "[ref]\n\n[ref]: javascript:window.__xss=1",
        "<style>body { display: none }</style>",
        f"```html\n{SCRIPT}\n```",
    ]
)
TAGS = [IMG, ATTRIBUTE_BREAK.lower()]
BIO = f"Bio {SCRIPT} {IMG} {TEXTAREA_BREAK}"
IMAGE_BREAKING_OUT = f'https://x.example/a.png">{SCRIPT}'
IMAGE_WITH_HANDLER = 'https://x.example/b.png"onerror="window.__xss=1'  # URLs can't hold spaces
COMMENT = f"Comment {SCRIPT}\n{IMG}\n</p>{SCRIPT} {ATTRIBUTE_BREAK}"
BAD_USERNAMES = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "a b", "<b>bold</b>"]
