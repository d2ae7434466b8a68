"""The hub's promise matrix, pure parts: its replicas and keys, its JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from services.hub.natsconf import HUB_SERVICE_CONSUMERS
from services.portal.app import declare
from services.portal.promise import digest_keys, pair_json
from shared.contracts.news_digests import DigestIssued
from shared.promise import Mention, MentionKind, count, pairs

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def test_the_portal_keeps_news_items_and_digests_within_the_hubs_consumers() -> None:
    replicas = declare().replicas
    kept = {(r.collection, r.aggregate) for r in replicas}
    assert {("alliance_news", "item"), ("news_digests", "digest")} <= kept
    assert len([r for r in replicas if r.aggregate == "item"]) == 1  # one copy of the news
    assert sum(int(r.own) + int(r.alliance) for r in replicas) <= HUB_SERVICE_CONSUMERS


def test_the_digest_window_key_is_a_compact_utc_instant() -> None:
    """nx-27017 finds nothing by a range on a string that starts like an ISO date-time."""
    issued = DigestIssued(
        id="d",
        network="fr",
        period="week",
        start="2026-11-23",
        end="2026-11-29",
        language="fr",
        featured=[],
        issued_at="2026-11-30T08:00:00Z",
    )
    assert digest_keys(issued) == {"issued": "20261130T080000Z"}


def test_a_pair_as_json_says_both_directions_by_kind_and_whether_it_is_kept() -> None:
    mentions = [
        Mention("ro", "fr", MentionKind.ABOUT, ("ro", "1"), NOW),
        Mention("ro", "fr", MentionKind.DIGEST, ("fr", "2"), NOW),
        Mention("fr", "ro", MentionKind.TRANSLATION, ("ro", "1"), NOW),
    ]
    [pair] = pairs(["ro", "fr"], count(mentions, NOW))
    shown = pair_json(pair)
    assert shown["networks"] == ["ro", "fr"]
    assert shown["forth"]["items"] == 2
    assert shown["forth"]["kinds"] == {"translation": 0, "digest": 1, "about": 1}
    assert shown["back"]["items"] == 1
    assert shown["kept"] is False
