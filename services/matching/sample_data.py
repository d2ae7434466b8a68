"""The matching service's part of ``alliance demo``: a member asks to meet a partner.

Partner search has no records of its own (it projects the membership service's demo
organisations, whose needs and offers, in each company's own language, complement each
other across countries). Once every node holds its partners' organisations, each network
looks up its members' possible partners abroad and the member with the strongest match
expresses interest in that partner, so every console shows an expression of interest.
"""

from __future__ import annotations

import time
from typing import Any

from shared.runtime import RuntimeFailure
from shared.service import SeedClient

ORGANISATIONS = "/api/membership/organizations"
INTERESTS = "/api/matching/interests"
READY_SECONDS = 60.0  # the partners' organisations are embedded in the background
POLL_SECONDS = 0.5
CANDIDATES = 40  # members whose best partner abroad is compared


def seed(client: SeedClient, node: str) -> int:
    """Nothing to create: the service projects the membership service's organisations."""
    return 0


def held(client: SeedClient) -> dict[str, int]:
    """Nothing of its own for the demo to wait for."""
    return {}


def _partners(client: SeedClient, node: str, organisation: str) -> list[dict[str, Any]]:
    """The organisation's possible partners abroad, once partner search has them (the
    partners' organisations are embedded in the background)."""
    deadline = time.monotonic() + READY_SECONDS
    while not (found := _found(client, node, {"id": organisation})):
        if time.monotonic() > deadline:
            return []
        time.sleep(POLL_SECONDS)
    return found


def express_interest(client: SeedClient, node: str) -> str:
    """The network's member with the strongest match abroad asks to meet that partner
    (once: kept if this node sent any expression of interest already)."""
    if client.call("GET", f"{INTERESTS}?side=sent")["items"]:
        return "an expression of interest was sent already"
    members = [  # a node-only member is not named to another network
        org
        for org in client.every(ORGANISATIONS)
        if org.get("needs") and org.get("visibility") != "node"
    ][:CANDIDATES]
    if not members or not _partners(client, node, members[0]["id"]):
        return "no partner found for an expression of interest"
    best = max(
        ((member, found[0]) for member in members if (found := _found(client, node, member))),
        key=lambda pair: float(pair[1]["score"]),
    )
    member, partner = best
    client.call(
        "POST",
        INTERESTS,
        {
            "partner": partner["id"],
            "organisation_id": member["id"],
            "name": f"Demo member of {node}",
            "email": f"member@{node}.example.org",
            "message": "We would like to be introduced to discuss a cooperation.",
        },
    )
    return (
        f"{member['legal_name']} asked to meet {partner['legal_name']} "
        f"({partner['network']}, score {partner['score']})"
    )


def _found(client: SeedClient, node: str, member: dict[str, Any]) -> list[dict[str, Any]]:
    """A member's possible partners abroad as partner search has them now (none yet: [])."""
    path = f"/api/matching/organisations/{node}/{member['id']}/partners"
    try:
        results: list[dict[str, Any]] = client.call("GET", path)["results"]
    except RuntimeFailure:  # not embedded yet
        return []
    return [r for r in results if r["network"] != node]
