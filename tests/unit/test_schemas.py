"""Request and response schemas: tag normalisation on articles, and the timestamp format of every response."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from app.schemas.articles import ArticleUpdate, NewArticle
from app.schemas.base import Timestamp, format_timestamp


def tag_list(tags: list[str]) -> list[str]:
    article = NewArticle.model_validate({"title": "t", "description": "d", "body": "b", "tagList": tags})
    return article.tag_list


def tag_errors(tags: list[str]) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        tag_list(tags)
    return [str(error["msg"]) for error in refused.value.errors()]


# --- tags ---------------------------------------------------------------------------------------


# DECISIONS: tags are trimmed, lower-cased, de-duplicated; `tagList` is always sorted.
@pytest.mark.parametrize(
    ("tags", "normalised"),
    [
        (["dragons", "training"], ["dragons", "training"]),
        (["  Dragons  ", "\ttraining\n"], ["dragons", "training"]),
        (["training", "Dragons", "angular"], ["angular", "dragons", "training"]),
        (["dragons", "DRAGONS", " Dragons "], ["dragons"]),
        (["ÉCOLE", "c++", "two words"], ["c++", "two words", "école"]),
        ([], []),
    ],
)
def test_tags_are_trimmed_lower_cased_deduplicated_and_sorted(tags: list[str], normalised: list[str]) -> None:
    assert tag_list(tags) == normalised


def test_the_tag_list_defaults_to_empty() -> None:
    assert NewArticle.model_validate({"title": "t", "description": "d", "body": "b"}).tag_list == []


# DECISIONS: tags are 1 to 40 characters each.
@pytest.mark.parametrize("tag", ["a", "t" * 40, f"  {'t' * 40}  "])
def test_tags_of_1_to_40_characters_are_accepted(tag: str) -> None:
    assert tag_list([tag]) == [tag.strip()]


@pytest.mark.parametrize(("tag", "message"), [("", "tags can't be blank"), ("   ", "tags can't be blank")])
def test_a_blank_tag_is_refused(tag: str, message: str) -> None:
    assert tag_errors(["dragons", tag]) == [f"Value error, {message}"]


def test_a_tag_over_40_characters_is_refused() -> None:
    assert tag_errors(["t" * 41]) == ["Value error, tags are at most 40 characters"]


@pytest.mark.parametrize("tag", ["new\nline", "tab\tinside", "bell\x07", "zero\u200bwidth"])
def test_a_tag_with_control_characters_is_refused(tag: str) -> None:
    assert tag_errors([tag]) == ["Value error, tags can't contain control characters"]


# DECISIONS: at most 10 tags per article.
def test_ten_tags_are_accepted() -> None:
    assert len(tag_list([f"tag{n}" for n in range(10)])) == 10


def test_eleven_tags_are_refused() -> None:
    assert tag_errors([f"tag{n}" for n in range(11)]) == ["Value error, at most 10 tags per article"]


def test_the_tag_limit_counts_tags_after_deduplication() -> None:
    tags = [f"tag{n}" for n in range(10)] + ["TAG0", " tag1 "]

    assert len(tag_list(tags)) == 10


def test_an_update_normalises_tags_the_same_way() -> None:
    update = ArticleUpdate.model_validate({"tagList": [" B ", "a", "b"]})

    assert update.tag_list == ["a", "b"]


# --- timestamps ---------------------------------------------------------------------------------


# DECISIONS: timestamps are UTC, always with milliseconds: `2026-11-26T12:00:00.000Z`.
@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC), "2026-11-26T12:00:00.000Z"),
        (datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC), "2026-11-26T12:00:00.123Z"),
        (datetime(2026, 11, 26, 12, 0, 0, 999999, tzinfo=UTC), "2026-11-26T12:00:00.999Z"),
        (datetime(2026, 11, 26, 12, 0, 0, 1000, tzinfo=UTC), "2026-11-26T12:00:00.001Z"),
        (datetime(2026, 11, 26, 12, 0, 0, 1, tzinfo=UTC), "2026-11-26T12:00:00.000Z"),
        (
            datetime(2026, 11, 26, 13, 30, 5, 50000, tzinfo=timezone(timedelta(hours=1, minutes=30))),
            "2026-11-26T12:00:05.050Z",
        ),
        (datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), "2026-12-31T23:30:00.000Z"),
    ],
)
def test_timestamps_are_utc_with_milliseconds(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text


def test_timestamp_fields_serialise_in_that_format() -> None:
    class Stamped(BaseModel):
        created_at: Timestamp

    stamped = Stamped(created_at=datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC))

    assert stamped.model_dump(mode="json") == {"created_at": "2026-11-26T12:00:00.123Z"}
    assert stamped.model_dump_json() == '{"created_at":"2026-11-26T12:00:00.123Z"}'
