"""The matching service's part of ``alliance demo``: a member asks to meet a partner.

Partner search has no records of its own (it projects the membership service's demo
organisations, whose needs and offers complement each other across countries). Once
every node holds its partners' organisations, each network takes its first member with
a need, looks up its possible partners abroad and expresses interest in the best one,
so every console shows an expression of interest to answer.
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


def seed(client: SeedClient, node: str) -> int:
    """Nothing to create: the service projects the membership service's organisations."""
    return 0


def held(client: SeedClient) -> dict[str, int]:
    """Nothing of its own for the demo to wait for."""
    return {}


def _partners(client: SeedClient, node: str, organisation: str) -> list[dict[str, Any]]:
    """The organisation's possible partners abroad, once partner search has them."""
    path = f"/api/matching/organisations/{node}/{organisation}/partners"
    deadline = time.monotonic() + READY_SECONDS
    while True:
        try:
            results: list[dict[str, Any]] = client.call("GET", path)["results"]
        except RuntimeFailure:  # not embedded yet (404)
            results = []
        if any(r["network"] != node for r in results) or time.monotonic() > deadline:
            return [r for r in results if r["network"] != node]
        time.sleep(POLL_SECONDS)


def express_interest(client: SeedClient, node: str) -> str:
    """The network's first member with a need asks to meet its best partner abroad
    (once: kept if this node sent any expression of interest already)."""
    if client.call("GET", f"{INTERESTS}?side=sent")["items"]:
        return "an expression of interest was sent already"
    members = [  # a node-only member is not named to another network
        org
        for org in client.every(ORGANISATIONS)
        if org.get("needs") and org.get("visibility") != "node"
    ]
    for member in members[:3]:
        partners = _partners(client, node, member["id"])
        if not partners:
            continue
        best = partners[0]
        client.call(
            "POST",
            INTERESTS,
            {
                "partner": best["id"],
                "organisation_id": member["id"],
                "name": f"Demo member of {node}",
                "email": f"member@{node}.example.org",
                "message": "We would like to be introduced to discuss a cooperation.",
            },
        )
        return (
            f"{member['legal_name']} asked to meet {best['legal_name']} "
            f"({best['network']}, score {best['score']})"
        )
    return "no partner found for an expression of interest"
