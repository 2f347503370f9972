"""How a search becomes an FTS5 query on SQLite: every term quoted, so no input is FTS5 syntax;
words, phrases, exclusions and ``or`` as ``websearch_to_tsquery`` reads them on PostgreSQL."""

from __future__ import annotations

import pytest

from app.db.queries.search import fts5_query


@pytest.mark.parametrize(
    ("search", "query"),
    [
        pytest.param("dragon", '("dragon")', id="a word"),
        pytest.param("train  your\tdragon", '("train" "your" "dragon")', id="words, all required"),
        pytest.param('"train your dragon"', '("train your dragon")', id="a phrase"),
        pytest.param('dragon "fire', '("dragon" "fire")', id="an unclosed phrase runs to the end"),
        pytest.param("dragon -fire -ice", '("dragon" NOT "fire" NOT "ice")', id="exclusions"),
        pytest.param('dragon -"breathing fire"', '("dragon" NOT "breathing fire")', id="an excluded phrase"),
        pytest.param("dragon or griffin", '("dragon") OR ("griffin")', id="or"),
        pytest.param("a b OR c -d", '("a" "b") OR ("c" NOT "d")', id="and binds tighter than or"),
        pytest.param("or dragon or", '("dragon")', id="or without two sides"),
        pytest.param("dragon or or griffin", '("dragon") OR ("griffin")', id="or repeated"),
        pytest.param("-fire or dragon", '("dragon")', id="an alternative of exclusions only"),
        pytest.param("dragon -or", '("dragon" NOT "or")', id="an excluded or is a word"),
        pytest.param("dragon*", '("dragon*")', id="star"),
        pytest.param("NEAR(a b)", '("NEAR(a" "b)")', id="near"),
        pytest.param("a:b & c|d", '("a:b" "c|d")', id="operators of tsquery"),
        pytest.param("drágón 龍", '("drágón" "龍")', id="unicode"),
        pytest.param("dragon * - ! _ ()", '("dragon")', id="terms without a letter or digit"),
    ],
)
def test_a_search_becomes_quoted_fts5_terms(search: str, query: str) -> None:
    assert fts5_query(search) == query


@pytest.mark.parametrize("search", ["", "   ", "!!!", "- * _", '""', "or", "or or", "-dragon", "-a -b"])
def test_a_search_without_a_term_to_find_has_no_query(search: str) -> None:
    assert fts5_query(search) is None
