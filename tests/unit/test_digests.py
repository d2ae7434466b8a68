"""Digests, pure parts: the period, which items a digest features, their language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.news.digests import (
    Candidate,
    Digest,
    DigestEntry,
    DigestRequest,
    ItemRef,
    NothingNew,
    Period,
    build,
    choose,
)
from shared.contracts.news import NewsItemPublished, Translation
from shared.contracts.news_digests import FeaturedItem, PeriodKind
from shared.errors import DomainError

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
WEEK = Period.of(PeriodKind.WEEK, date(2026, 11, 25))  # Monday 23 to Sunday 29 November


def item(item_id: str, **overrides: Any) -> NewsItemPublished:
    fields: dict[str, Any] = {
        "id": item_id,
        "category": "network_news",
        "language": "ro",
        "title": f"Titlu {item_id}",
        "summary": "Rezumat",
        "body": "<p>Text</p>",
        "visibility": "public",
        "country": "RO",  # the owner's, on the wire since the core's contract
        "status": "published",
        "published_at": "2026-11-24T10:00:00+00:00",
        "updated_at": "2026-11-24T10:00:00+00:00",
        **overrides,
    }
    return NewsItemPublished.model_validate(fields)


def request(**overrides: Any) -> DigestRequest:
    fields: dict[str, Any] = {"period": "week", "start": "2026-11-25", "language": "fr"}
    return DigestRequest.model_validate({**fields, **overrides})


def test_a_week_runs_monday_to_sunday_and_a_month_its_days() -> None:
    assert (WEEK.start, WEEK.end) == (date(2026, 11, 23), date(2026, 11, 29))
    february = Period.of(PeriodKind.MONTH, date(2028, 2, 14))
    assert (february.start, february.end) == (date(2028, 2, 1), date(2028, 2, 29))


@pytest.mark.parametrize(
    ("kind", "start", "end", "field"),
    [
        (PeriodKind.CUSTOM, date(2026, 11, 2), None, "end"),
        (PeriodKind.CUSTOM, date(2026, 11, 2), date(2026, 11, 1), "end"),
        (PeriodKind.CUSTOM, date(2026, 1, 1), date(2026, 6, 1), "end"),
        (PeriodKind.WEEK, date(2026, 11, 2), date(2026, 11, 8), "end"),
    ],
)
def test_a_period_that_cannot_be_is_refused_naming_end(
    kind: PeriodKind, start: date, end: date | None, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        Period.of(kind, start, end)
    assert refused.value.field == field


def test_the_period_holds_its_last_day_whole_and_not_the_next() -> None:
    assert WEEK.contains("2026-11-23T00:00:00Z")
    assert WEEK.contains("2026-11-29T23:59:59+00:00")
    assert not WEEK.contains("2026-11-30T00:00:00Z")
    assert not WEEK.contains("2026-11-22T23:59:59Z")
    assert WEEK.contains("2026-11-30T00:30:00+02:00")  # still the 29th in UTC
    assert WEEK.bounds() == ("2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z")


def test_by_default_own_items_of_the_period_and_the_ticked_partner_items() -> None:
    held = [
        Candidate("ro", item("a")),
        Candidate("ro", item("old", published_at="2026-11-01T10:00:00Z")),
        Candidate("ro", item("draft", status="draft")),
        Candidate("ro", item("members", visibility="alliance")),
        Candidate("fr", item("f1", published_at="2026-11-26T09:00:00Z")),
        Candidate("fr", item("f2")),
    ]
    ticked = request(partners=[{"origin": "fr", "item": "f1"}])
    chosen = choose("ro", WEEK, held, ticked)
    assert [(c.origin, c.state.id) for c in chosen] == [("ro", "a"), ("fr", "f1")]


def test_staff_may_leave_an_own_item_out() -> None:
    held = [Candidate("ro", item("a")), Candidate("ro", item("b"))]
    chosen = choose("ro", WEEK, held, request(exclude=[{"origin": "ro", "item": "a"}]))
    assert [c.state.id for c in chosen] == ["b"]


@pytest.mark.parametrize(
    ("picks", "field"),
    [
        ({"partners": [{"origin": "fr", "item": "hidden"}]}, "partners[0]"),  # alliance only
        ({"partners": [{"origin": "fr", "item": "nope"}]}, "partners[0]"),  # not held
        ({"partners": [{"origin": "ro", "item": "a"}]}, "partners[0]"),  # own, not partner
        ({"exclude": [{"origin": "fr", "item": "f1"}]}, "exclude[0]"),  # not own
    ],
)
def test_a_pick_that_is_not_a_public_item_of_the_period_is_named(
    picks: dict[str, Any], field: str
) -> None:
    held = [
        Candidate("ro", item("a")),
        Candidate("fr", item("f1")),
        Candidate("fr", item("hidden", visibility="alliance")),
    ]
    with pytest.raises(DomainError) as refused:
        choose("ro", WEEK, held, request(**picks))
    assert refused.value.field == field
    assert refused.value.status == 422


def test_nothing_new_issues_no_digest() -> None:
    held = [Candidate("ro", item("a")), Candidate("fr", item("f1"))]
    with pytest.raises(NothingNew) as refused:
        choose("ro", WEEK, held, request(exclude=[{"origin": "ro", "item": "a"}]))
    assert refused.value.field == "period"
    assert "nothing new" in refused.value.reason
    with pytest.raises(NothingNew):
        choose("ro", WEEK, [], request())


def test_an_item_is_shown_in_its_translation_else_its_original_marked() -> None:
    translated = item(
        "a",
        translations=[
            Translation(
                language="fr",
                translator="fr",
                title="Titre",
                summary="Résumé",
                body="<p>Texte</p>",
                published_at="2026-11-25T08:00:00Z",
            )
        ],
    )
    shown = DigestEntry.of(Candidate("ro", translated), "fr-BE")
    assert (shown.title, shown.language, shown.translated_by) == ("Titre", "fr", "fr")
    assert not shown.marked
    original = DigestEntry.of(Candidate("ro", translated), "es")
    assert (original.title, original.language, original.translated_by) == ("Titlu a", "ro", None)
    assert original.marked
    assert not DigestEntry.of(Candidate("ro", translated), "ro").marked


def test_an_issued_digest_announces_only_the_featured_pairs() -> None:
    held = [Candidate("ro", item("a")), Candidate("fr", item("f1"))]
    digest = build("d1", "ro", request(partners=[{"origin": "fr", "item": "f1"}]), held, NOW)
    [recorded] = digest.collect_events()
    assert recorded.event == recorded.shared
    issued = recorded.event
    assert issued.model_dump() == {
        "id": "d1",
        "network": "ro",
        "period": "week",
        "start": "2026-11-23",
        "end": "2026-11-29",
        "language": "fr",
        "featured": [{"origin": "ro", "item": "a"}, {"origin": "fr", "item": "f1"}],
        "issued_at": "2026-12-03T15:00:00Z",
    }
    assert issued.featured[1] == FeaturedItem(origin="fr", item="f1")
    assert Digest.model_validate(digest.model_dump()).entries == digest.entries


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "xx-nonsense"}, "language"),
        ({"period": "year"}, "period"),
        ({"partners": [{"origin": "fr"}]}, "partners"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_request_names_its_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        request(**body)
    assert refused.value.errors()[0]["loc"][0] == field


def test_item_refs_are_values() -> None:
    assert ItemRef(origin="fr", item="x") == ItemRef(origin="fr", item="x")
