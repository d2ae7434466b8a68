"""The twice-a-year promise, counted: each kind of mention, the window, no double count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.contracts.news import Translation
from shared.contracts.news_digests import DigestIssued, FeaturedItem
from shared.promise import (
    LATELY,
    WINDOW,
    Mention,
    MentionKind,
    between,
    count,
    digest_mentions,
    item_mentions,
    pairs,
    row,
)
from tests.unit.test_digests import item

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def translation(by: str, at: str, language: str = "fr") -> Translation:
    return Translation(
        language=language, translator=by, title="T", summary="S", body="<p>B</p>", published_at=at
    )


def issued(
    network: str, *featured: tuple[str, str], at: str = "2026-11-30T08:00:00Z"
) -> DigestIssued:
    return DigestIssued(
        id=f"d-{network}-{at}",
        network=network,
        period="week",
        start="2026-11-23",
        end="2026-11-29",
        language="fr",
        featured=[FeaturedItem(origin=o, item=i) for o, i in featured],
        issued_at=at,
    )


def mention(at: datetime, item_id: str = "x", kind: MentionKind = MentionKind.ABOUT) -> Mention:
    return Mention("fr", "ro", kind, ("fr", item_id), at)


def test_each_kind_counts_for_the_right_direction() -> None:
    about = item_mentions("ro", item("a", about_networks=["fr", "ro"]))
    assert [(m.by, m.about, m.kind) for m in about] == [("ro", "fr", MentionKind.ABOUT)]
    translated = item_mentions(
        "ro", item("b", translations=[translation("fr", "2026-11-25T08:00:00Z")])
    )
    assert [(m.by, m.about, m.kind, m.item) for m in translated] == [
        ("fr", "ro", MentionKind.TRANSLATION, ("ro", "b"))
    ]
    featured = digest_mentions(issued("es", ("ro", "a"), ("es", "own"), ("fr", "f1")))
    assert [(m.by, m.about, m.item) for m in featured] == [
        ("es", "ro", ("ro", "a")),
        ("es", "fr", ("fr", "f1")),
    ]


def test_drafts_and_node_only_items_say_nothing() -> None:
    tagged: dict[str, Any] = {"about_networks": ["fr"]}
    assert item_mentions("ro", item("a", status="draft", published_at=None, **tagged)) == []
    assert item_mentions("ro", item("a", visibility="node", **tagged)) == []
    assert item_mentions("ro", item("a", visibility="alliance", **tagged)) != []


def test_the_window_is_the_365_days_up_to_now_both_ends_included() -> None:
    counts = count(
        [
            mention(NOW - WINDOW, "edge"),
            mention(NOW, "now"),
            mention(NOW - WINDOW - timedelta(seconds=1), "too-old"),
            mention(NOW + timedelta(seconds=1), "future"),
        ],
        NOW,
    )
    assert between(counts, "fr", "ro").items == {("fr", "edge"), ("fr", "now")}


def test_one_item_counts_once_however_many_ways_it_was_communicated() -> None:
    state = item(
        "b",
        translations=[
            translation("fr", "2026-11-25T08:00:00Z"),
            translation("fr", "2026-11-26T08:00:00Z", "en"),
        ],
    )
    mentions = [
        *item_mentions("ro", state),
        *digest_mentions(issued("fr", ("ro", "b"))),
        *digest_mentions(issued("fr", ("ro", "b"), at="2026-12-01T08:00:00Z")),
    ]
    fr_about_ro = between(count(mentions, NOW), "fr", "ro")
    assert fr_about_ro.count == 1
    assert fr_about_ro.of_kind(MentionKind.TRANSLATION) == 1
    assert fr_about_ro.of_kind(MentionKind.DIGEST) == 1
    assert fr_about_ro.last == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_a_pair_keeps_the_promise_when_both_directions_reach_two() -> None:
    mentions = [
        *item_mentions("ro", item("r1", about_networks=["fr"])),
        *item_mentions("ro", item("r2", about_networks=["fr", "es"])),
        *item_mentions("fr", item("f1", about_networks=["ro"])),
        *digest_mentions(issued("fr", ("ro", "r1"))),
    ]
    counts = count(mentions, NOW)
    ro_fr, ro_es, fr_es = pairs(["ro", "fr", "es"], counts)
    assert (ro_fr.first, ro_fr.second, ro_fr.forth.count, ro_fr.back.count) == ("ro", "fr", 2, 2)
    assert ro_fr.kept
    assert (ro_es.forth.count, ro_es.back.count, ro_es.kept) == (1, 0, False)
    assert (fr_es.forth.count, fr_es.back.count, fr_es.kept) == (0, 0, False)


def test_a_row_lists_every_partner_least_featured_first_and_who_was_not_lately() -> None:
    old = NOW - LATELY - timedelta(days=1)
    mentions = [
        Mention("ro", "fr", MentionKind.ABOUT, ("ro", "1"), NOW - timedelta(days=3)),
        Mention("ro", "fr", MentionKind.ABOUT, ("ro", "2"), NOW - timedelta(days=40)),
        Mention("ro", "es", MentionKind.DIGEST, ("es", "e"), old),
    ]
    entries = row("ro", ["ro", "fr", "es", "pl"], count(mentions, NOW))
    assert [(e.partner, e.featured.count, e.lately(NOW), e.kept) for e in entries] == [
        ("pl", 0, False, False),
        ("es", 1, False, False),
        ("fr", 2, True, False),  # fr never featured ro
    ]
    assert entries[-1].featured.summary() == {
        "items": 2,
        "kinds": {"translation": 0, "digest": 0, "about": 2},
        "last": (NOW - timedelta(days=3)).isoformat(),
    }
