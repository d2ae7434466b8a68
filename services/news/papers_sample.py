"""The demo's joint position paper (``alliance demo``): FENAEIC drafts a paper on cluster
internationalisation and invites CLUSTERO and France Clusters; each signs it on its own
node with its own key; FENAEIC publishes it with the three signatures.

The steps follow the demo's order (``alliance/demo.py``): ``seed`` runs on every node
as it starts (the owner drafts and invites, once the hub's registry has told its node
who the partners are); ``with_partners`` runs node after node, ro, fr, then es, once the
replicas are there: the co-signers sign, then the owner, last, publishes. Every step keeps
what a node holds already, so a demo started again changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from shared.runtime import RuntimeFailure
from shared.service import SeedClient

OWNER = "es-fenaeic"
CO_SIGNERS = ("ro-clustero", "fr-franceclusters")
OWN = "/api/news/own-papers"
TO_SIGN = "/api/news/papers-to-sign"
WAIT_SECONDS = 60.0
TITLE = "Cluster internationalisation: a joint recommendation to public administrations"
TEXT = """\
The national cluster associations of the European Clusters Alliance, meeting under the \
Bucharest Declaration, make the following joint recommendation.

1. Fund internationalisation programmes that several countries' clusters run together: \
shared desks abroad, joint missions and matchmaking open to the members of every \
participating cluster.
2. Give each country one contact point for clusters and their SMEs that look for partners \
in another member state, and let these contact points work as one network.
3. Recognise the cluster organisations' own work in international cooperation in the \
calls of Interreg, the Single Market Programme and Horizon Europe, with budgets that \
small clusters can use.
4. Measure what these programmes achieve with the clusters: new partnerships, exports, \
joint projects, and publish the results every year."""


def waiting(check: Callable[[], Any], what: str) -> Any:
    """What ``check`` returns once it is something, or RuntimeFailure (the demo goes on)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            found = check()
        except RuntimeFailure:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise RuntimeFailure(f"{what} did not happen within {WAIT_SECONDS:.0f}s")
        time.sleep(0.5)


def _demo_paper(client: SeedClient) -> dict[str, Any] | None:
    items: list[dict[str, Any]] = client.call("GET", OWN)["items"]
    return next((p for p in items if p["title"] == TITLE), None)


def seed(client: SeedClient, node: str) -> int:
    """The owner drafts the paper and invites the co-signers; nothing is replicated yet
    (a draft stays on its node), so no record is counted."""
    if node != OWNER or _demo_paper(client) is not None:
        return 0
    paper = client.call("POST", OWN, {"title": TITLE, "text": TEXT, "language": "en"})
    invite = f"{OWN}/{paper['id']}/invitations"
    waiting(
        lambda: client.call("POST", invite, {"cosigners": list(CO_SIGNERS)}),
        "inviting the co-signers (the hub's registry reaching this node)",
    )
    return 0


def held(client: SeedClient) -> dict[str, int]:
    """The paper is no replica the demo waits for."""
    return {}


def with_partners(client: SeedClient, node: str) -> str:
    """Co-signers sign the owner's paper; the owner, last, publishes it."""
    if node in CO_SIGNERS:
        return _cosign(client)
    if node == OWNER:
        return _publish(client)
    return "no position paper to co-sign"


def _cosign(client: SeedClient) -> str:
    def invitation() -> dict[str, Any] | None:
        items: list[dict[str, Any]] = client.call("GET", TO_SIGN)["items"]
        return next((i for i in items if i["origin"] == OWNER and i["title"] == TITLE), None)

    found = waiting(invitation, f"{OWNER}'s invitation to co-sign")
    if found["status"] == "asked":
        path = f"{TO_SIGN}/{OWNER}/{found['paper_id']}/sign"
        client.call("POST", path, {"hash": found["hash"]})
    return f"co-signed {OWNER}'s position paper on cluster internationalisation"


def _publish(client: SeedClient) -> str:
    paper = _demo_paper(client)
    if paper is None:
        return "no position paper drafted"
    if paper["status"] != "published":

        def signed() -> dict[str, Any] | None:
            now = _demo_paper(client)
            done = now and all(c["status"] == "signed" for c in now["cosigners"])
            return now if done else None

        waiting(signed, "every co-signature")
        paper = client.call("POST", f"{OWN}/{paper['id']}/publish")
    names = ", ".join(s["name"] for s in paper["signatures"])
    return f"published the joint position paper on cluster internationalisation ({names})"
