"""The hub portal's position papers in this process, on real servers: a partner network's
published paper (a signed envelope on a real NATS, as ALLIANCE delivers it) reaches the
portal's replicas; the hub verifies every signature against its own registry of keys and
says which do not verify (a tampered replica is a page, never a 500); an unknown paper
is a 404 with the project's error body.

The e2e module (tests/e2e/test_news_papers.py) shows a paper co-signed across real nodes
on a real hub; this one sends what no honest node publishes (a forged co-signature).
"""

from __future__ import annotations

from datetime import UTC, datetime

from nats.js import JetStreamContext

from shared import paper_signatures as ps
from shared.contracts import news
from shared.contracts.base import Event
from shared.contracts.news_papers import PositionPaperPublished, Signature
from shared.envelope import Envelope
from shared.identity import NodeIdentity
from shared.subjects import Channel
from tests.conftest import NodeUnderTest
from tests.integration.test_bus import eventually, federate_fr, publish
from tests.integration.test_membership_api import assert_problem
from tests.integration.test_portal_news import fr, hub, js, shown

__all__ = ["fr", "hub", "js"]  # the portal module's fixtures, reused
TEXT = "Les pôles de l'alliance demandent des guichets communs à l'étranger."
SIGNED_AT = "2026-11-30T10:00:00Z"


def signature(identity: NodeIdentity, digest: str) -> Signature:
    """``identity``'s true signature of ``digest``, as the owner collects it."""
    return Signature(
        node=identity.node,
        name=identity.name,
        public_key=identity.public_key_b64,
        signature=ps.sign(identity, digest),
        signed_at=SIGNED_AT,
    )


def published_paper(fr: NodeIdentity, paper_id: str, forged: bool = False) -> Envelope:
    """fr's paper, signed by fr; ``forged``: a second signature that does not verify."""
    digest = ps.paper_hash(paper_id, "fr", "fr", "Guichets communs", TEXT)
    signatures = [signature(fr, digest)]
    if forged:  # fr's key claiming to have signed another text
        other = signature(fr, ps.paper_hash(paper_id, "fr", "fr", "Autre", TEXT))
        signatures.append(other.model_copy(update={"signed_at": "2026-12-01T10:00:00Z"}))
    event: Event = PositionPaperPublished(
        id=paper_id,
        owner="fr",
        owner_name=fr.name,
        language="fr",
        title="Guichets communs",
        text=TEXT,
        hash=digest,
        revision=1,
        signatures=signatures,
        published_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC).isoformat().replace("+00:00", "Z"),
    )
    return news.CATALOGUE.seal(fr, Channel.ALLIANCE, event, 1)


async def test_a_published_paper_shows_on_the_hub_with_its_signature_verified(
    hub: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(hub, js, fr)
    await publish(js, published_paper(fr, "paper-1"))
    await eventually(lambda: shown(hub, "/api/papers/fr/paper-1"))

    paper = (await hub.client.get("/api/papers/fr/paper-1")).json()
    assert paper["verified"] and paper["hash_matches"] and paper["origin"] == "fr"
    assert [(s["node"], s["verified"]) for s in paper["signatures"]] == [("fr", True)]
    check = ps.check_paper(ps.PaperDocument.model_validate(paper), {"fr": fr.public_key_b64})
    assert check.verified  # the download checks offline as a node's does

    listed = (await hub.client.get("/papers")).text
    assert 'href="/papers/fr/paper-1"' in listed and "Guichets communs" in listed
    assert "France Clusters" in listed and "2026-12-01" in listed
    page = (await hub.client.get("/papers/fr/paper-1")).text
    assert paper["hash"] in page and "not verified" not in page and ">verified<" in page
    assert 'href="/api/papers/fr/paper-1"' in page
    assert 'href="/papers"' in (await hub.client.get("/")).text  # the navigation entry


async def test_a_signature_that_does_not_verify_shows_as_not_verified(
    hub: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    await federate_fr(hub, js, fr)
    await publish(js, published_paper(fr, "paper-2", forged=True))
    await eventually(lambda: shown(hub, "/api/papers/fr/paper-2"))

    paper = (await hub.client.get("/api/papers/fr/paper-2")).json()
    assert paper["hash_matches"] and not paper["verified"]
    assert [(s["verified"], s["verification"]) for s in paper["signatures"]] == [
        (True, "verified"),
        (False, "signature does not verify"),
    ]
    page = await hub.client.get("/papers/fr/paper-2")
    assert page.status_code == 200
    assert "not verified" in page.text and "signature does not verify" in page.text


async def test_an_unknown_paper_is_a_404(hub: NodeUnderTest) -> None:
    answer = await hub.client.get("/api/papers/fr/no-such-paper")
    assert_problem(answer, 404, "id")
    page = await hub.client.get("/papers/fr/no-such-paper")
    assert page.status_code == 404
