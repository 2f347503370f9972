"""Slugs: lower-case ASCII words of the title, with a short random suffix when the plain one is taken."""

from __future__ import annotations

import secrets
import string

from slugify import slugify

BASE_MAX = 200
SUFFIX_LENGTH = 6
_ALPHABET = string.ascii_lowercase + string.digits
# Words the API gives another meaning at /api/articles/<word>: an article there could never be read.
RESERVED = frozenset({"feed"})


def base_slug(title: str) -> str:
    """``"How to Train Your Dragon!"`` → ``"how-to-train-your-dragon"``; ``"article"`` if no word survives."""
    return slugify(title, max_length=BASE_MAX, word_boundary=True, lowercase=True) or "article"


def candidates(title: str, *, attempts: int = 8) -> list[str]:
    """The plain slug first (unless reserved), then suffixed ones, unique with overwhelming probability."""
    base = base_slug(title)
    suffixed = [
        f"{base}-{''.join(secrets.choice(_ALPHABET) for _ in range(SUFFIX_LENGTH))}" for _ in range(attempts)
    ]
    return suffixed if base in RESERVED else [base, *suffixed]
