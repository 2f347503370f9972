"""The counters the list totals read and the writes keep, shared by ``queries`` and ``repositories``."""

from __future__ import annotations

ARTICLES_COUNTER = "articles"  # counters.name of the global list's total (visible articles)
