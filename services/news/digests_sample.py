"""The demo's newsletter digests (``alliance demo``): each network issues this month's
digest in its own language, featuring its public items and every public item its
partners published this month, so the hub's ``/promise`` counts digests too.

It runs in ``with_partners`` (node after node, once the replicas are there), after the
translations, and keeps what a node holds: a node that issued a digest issues no other
when the demo starts again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.service import SeedClient

DIGESTS = "/api/news/digests"
ITEMS = "/api/news/items"
LANGUAGES = {"ro-clustero": "ro", "fr-franceclusters": "fr", "es-fenaeic": "es"}


def seed(client: SeedClient, node: str) -> int:
    """Nothing before the partners' news is there."""
    return 0


def held(client: SeedClient) -> dict[str, int]:
    """Nothing the demo waits for."""
    return {}


def with_partners(client: SeedClient, node: str) -> str:
    """This month's digest, with every partner's public item of the month ticked."""
    if client.call("GET", DIGESTS)["items"]:
        return "a digest was issued already"
    today = datetime.now(UTC).date()
    month = today.strftime("%Y-%m")
    picks = [
        {"origin": item["origin"], "item": item["id"]}
        for item in client.every(ITEMS)
        if item["origin"] != node
        and item["visibility"] == "public"
        and (item.get("published_at") or "").startswith(month)
    ]
    body = {
        "period": "month",
        "start": today.isoformat(),
        "language": LANGUAGES.get(node, "en"),
        "partners": picks[:50],
    }
    digest = client.call("POST", DIGESTS, body)
    return f"issued this month's digest ({len(digest['entries'])} items, {len(picks)} partners')"
