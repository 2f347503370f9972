"""Slugs: lower-case ASCII words of the title, a fallback when no word survives, a length cap, and the
suffixed candidates tried when the plain slug is taken."""

from __future__ import annotations

import re

import pytest

from app.services.slugs import BASE_MAX, SUFFIX_LENGTH, base_slug, candidates

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


# DECISIONS: the slug is the lower-case ASCII words of the title.
@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("How to train your dragon", "how-to-train-your-dragon"),
        ("How to Train Your DRAGON!", "how-to-train-your-dragon"),
        ("  spaced   out\ttitle\n", "spaced-out-title"),
        ("C++ & Rust: 2024 edition", "c-rust-2024-edition"),
        ("snake_case and kebab-case", "snake-case-and-kebab-case"),
    ],
)
def test_a_slug_is_the_lower_case_words_of_the_title(title: str, slug: str) -> None:
    assert base_slug(title) == slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Ça va? Déjà vu", "ca-va-deja-vu"),
        ("Über Straße", "uber-strasse"),
        ("Привет мир", "privet-mir"),
        ("日本語", "ri-ben-yu"),
    ],
)
def test_a_non_ascii_title_is_transliterated(title: str, slug: str) -> None:
    assert base_slug(title) == slug


@pytest.mark.parametrize("title", ["!!!", "🐉🐉", "   ", "---", ""])
def test_a_title_without_any_word_falls_back_to_article(title: str) -> None:
    assert base_slug(title) == "article"


def test_a_long_title_is_cut_at_a_word_boundary() -> None:
    slug = base_slug(" ".join(["dragon"] * 100))

    assert len(slug) <= BASE_MAX
    assert SLUG.fullmatch(slug)
    assert slug.split("-") == ["dragon"] * len(slug.split("-"))
    assert len(slug) > BASE_MAX - len("-dragon")


def test_a_single_word_longer_than_the_cap_is_cut_at_the_cap() -> None:
    assert base_slug("a" * (BASE_MAX + 50)) == "a" * BASE_MAX


def test_the_plain_slug_is_the_first_candidate() -> None:
    assert candidates("How to train your dragon")[0] == "how-to-train-your-dragon"


def test_the_other_candidates_are_distinct_suffixed_slugs() -> None:
    suffixed = candidates("How to train your dragon", attempts=8)[1:]

    assert len(suffixed) == 8
    assert len(set(suffixed)) == 8
    for slug in suffixed:
        base, suffix = slug.rsplit("-", 1)
        assert base == "how-to-train-your-dragon"
        assert re.fullmatch(rf"[a-z0-9]{{{SUFFIX_LENGTH}}}", suffix)


def test_candidates_of_the_same_title_differ_between_calls() -> None:
    # Two writers racing for one title must not try the same suffixes in the same order.
    assert candidates("Dragons")[1:] != candidates("Dragons")[1:]


# /api/articles/feed is the feed: an article slugged "feed" could never be read there.
@pytest.mark.parametrize("title", ["Feed", "FEED!", " feed "])
def test_a_title_whose_slug_is_reserved_only_gets_suffixed_candidates(title: str) -> None:
    slugs = candidates(title, attempts=3)

    assert len(slugs) == 3
    assert all(re.fullmatch(rf"feed-[a-z0-9]{{{SUFFIX_LENGTH}}}", slug) for slug in slugs)
