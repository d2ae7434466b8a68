"""The demo's digests step, against a fake node API (the SeedClient protocol)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.news import digests_sample

THIS_MONTH = datetime.now(UTC).strftime("%Y-%m-%dT08:00:00Z")


class FakeNode:
    """What the demo's client reaches: the news items and the digests of one node."""

    def __init__(self, items: list[dict[str, Any]], digests: list[dict[str, Any]]) -> None:
        self.items = items
        self.digests = digests
        self.posted: list[tuple[str, Any]] = []

    def call(self, method: str, path: str, body: Any = None) -> Any:
        if method == "GET":
            return {"items": self.digests}
        self.posted.append((path, body))
        return {"entries": [{}] * (1 + len(body["partners"]))}

    def every(self, path: str) -> list[dict[str, Any]]:
        return self.items


def item(origin: str, item_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "origin": origin,
        "id": item_id,
        "visibility": "public",
        "published_at": THIS_MONTH,
        **fields,
    }


def test_each_network_issues_this_months_digest_in_its_language_with_partners_items() -> None:
    node = FakeNode(
        [
            item("ro-clustero", "own"),
            item("es-fenaeic", "es-1"),
            item("es-fenaeic", "es-2", visibility="alliance"),
            item("fr-franceclusters", "fr-old", published_at="2020-01-01T08:00:00Z"),
        ],
        [],
    )
    said = digests_sample.with_partners(node, "ro-clustero")
    [(path, body)] = node.posted
    assert path == "/api/news/digests"
    assert body["period"] == "month" and body["language"] == "ro"
    assert body["partners"] == [{"origin": "es-fenaeic", "item": "es-1"}]
    assert "2 items" in said


def test_a_node_that_issued_a_digest_issues_no_other() -> None:
    node = FakeNode([item("es-fenaeic", "es-1")], [{"id": "d1"}])
    assert digests_sample.with_partners(node, "fr-franceclusters") == "a digest was issued already"
    assert node.posted == []
