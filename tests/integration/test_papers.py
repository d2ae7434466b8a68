"""Position papers on a node of the news service (real NATS and nx-27017), on both sides.

As owner: a draft, its invitation (a direct message carrying the exact text and hash),
fr's signature taken by the handler the kit calls for an inbox message, an edit that
voids it and asks fr again, a stale signature refused back to fr, publication through the
outbox into the published replicas with each signature verified by the reader. As
signer: fr's invitation waits with its text and hash; a wrong hash is a 409, the right
one is signed with this node's key and sent to fr. Bad input is a 4xx naming the field;
staff routes need a token, console pages a session.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.news.app import declare
from shared import paper_signatures as ps
from shared.contracts.base import Event
from shared.contracts.direct import MessageRefused
from shared.contracts.news_papers import (
    PaperInvited,
    PaperSignatureRefused,
    PaperSigned,
)
from shared.direct import DirectDelivery, refusal_handler
from shared.envelope import Envelope
from shared.identity import NodeIdentity, create_identity
from shared.runtime import NatsServer
from shared.service import ServiceKit
from tests.conftest import NodeUnderTest, start_node
from tests.integration.test_bus import eventually
from tests.integration.test_events_pages import HTML, csrf_of, signed_in
from tests.integration.test_membership_api import assert_problem

NODE_SERVICES = ("membership", "news")  # what the `node` fixture starts (tests/conftest.py)

OWN = "/api/news/own-papers"
TO_SIGN = "/api/news/papers-to-sign"
DRAFT = {
    "title": "Cluster internationalisation",
    "text": "We recommend joint programmes.\nAnd one desk per country.",
    "language": "en",
}


@pytest.fixture
async def node(
    tmp_path: Path, nats_server: NatsServer, store_url: str
) -> AsyncIterator[NodeUnderTest]:
    """A node running the news service only (the papers live there)."""
    async for running in start_node(
        tmp_path / "node-ro", nats_server.url, store_url, f"ro{uuid.uuid4().hex[:6]}", [declare()]
    ):
        yield running


@pytest.fixture
def fr(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")


def news_kit(node: NodeUnderTest) -> ServiceKit[Any]:
    return node.kit("news")


async def handle(node: NodeUnderTest, message: Event, sender: str) -> None:
    """What the kit does with an inbox message: the declared handler (for a refusal, the
    kit's own, which hands it to each declared one), in a transaction."""
    kit = news_kit(node)
    handler = (
        refusal_handler(kit.declaration.on_refused)
        if isinstance(message, MessageRefused)
        else kit.declaration.direct[type(message)]
    )
    delivery = DirectDelivery(sender, f"env-{uuid.uuid4().hex}", "2026-12-03T16:00:00Z")
    await kit.transaction(lambda uow: handler(kit, message, delivery, uow))


async def sent_to(node: NodeUnderTest, target: str) -> list[Envelope]:
    letters = await news_kit(node).database.direct_outbox.find({"target": target}).to_list()
    return [Envelope.model_validate_json(letter["body"]) for letter in letters]


def signed_by(signer: NodeIdentity, paper_id: str, digest: str) -> PaperSigned:
    return PaperSigned(
        id=paper_id,
        hash=digest,
        name=signer.name,
        public_key=signer.public_key_b64,
        signature=ps.sign(signer, digest),
        signed_at="2026-12-03T16:05:00Z",
    )


async def test_a_paper_is_cosigned_voided_by_an_edit_and_published_verified(
    node: NodeUnderTest, fr: NodeIdentity
) -> None:
    node.keyring.admit("fr", fr.public_key)
    client, ro = node.client, node.identity.node
    assert (await client.post(OWN, json=DRAFT)).status_code == 401
    assert_problem(
        await client.post(OWN, json={**DRAFT, "language": "xx-yy"}, headers=node.editor),
        422,
        "language",
    )
    made = await client.post(OWN, json=DRAFT, headers=node.editor)
    assert made.status_code == 201, made.text
    paper = made.json()
    paper_id, first_hash = paper["id"], paper["hash"]
    assert first_hash == ps.paper_hash(paper_id, ro, "en", DRAFT["title"], DRAFT["text"])

    invite = f"{OWN}/{paper_id}/invitations"
    assert_problem(
        await client.post(invite, json={"cosigners": ["de"]}, headers=node.editor), 422, "cosigners"
    )
    invited = await client.post(invite, json={"cosigners": ["fr"]}, headers=node.editor)
    assert invited.status_code == 200, invited.text
    assert_problem(
        await client.post(invite, json={"cosigners": ["fr"]}, headers=node.editor), 409, "cosigners"
    )
    [letter] = await sent_to(node, "fr")
    assert letter.subject == f"direct.fr.{ro}.news.paper-invited.{paper_id}"
    assert letter.data["hash"] == first_hash and letter.data["text"] == DRAFT["text"]

    # not publishable without a co-signature
    publish = f"{OWN}/{paper_id}/publish"
    assert_problem(await client.post(publish, headers=node.editor), 422, "cosigners")

    await handle(node, signed_by(fr, paper_id, first_hash), "fr")
    shown = (await client.get(f"{OWN}/{paper_id}", headers=node.editor)).json()
    assert [(c["node"], c["status"]) for c in shown["cosigners"]] == [("fr", "signed")]

    edited = await client.put(
        f"{OWN}/{paper_id}", json={**DRAFT, "text": "We recommend more."}, headers=node.editor
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["revision"] == 2 and edited.json()["signatures"] == []
    assert [(c["node"], c["status"]) for c in edited.json()["cosigners"]] == [("fr", "asked")]
    new_hash = edited.json()["hash"]
    again = (await sent_to(node, "fr"))[-1]
    assert again.type.endswith("paper-invited") and again.data["hash"] == new_hash

    # fr's signature of the old text arrives late: refused back to fr, with the reason
    await handle(node, signed_by(fr, paper_id, first_hash), "fr")
    refusal = (await sent_to(node, "fr"))[-1]
    assert refusal.type.endswith("paper-signature-refused")
    assert refusal.data["reason"] == "stale_text" and refusal.data["hash"] == first_hash
    # a signature under fr's name by another key is refused too
    forger = create_identity(Path(str(node.data_dir)) / "forger", "fr", "Forger", "FR")
    await handle(node, signed_by(forger, paper_id, new_hash), "fr")
    assert (await sent_to(node, "fr"))[-1].data["reason"] == "bad_signature"

    await handle(node, signed_by(fr, paper_id, new_hash), "fr")
    published = await client.post(publish, headers=node.editor)
    assert published.status_code == 200, published.text
    assert [s["node"] for s in published.json()["signatures"]] == [ro, "fr"]
    assert_problem(
        await client.put(f"{OWN}/{paper_id}", json=DRAFT, headers=node.editor), 409, "status"
    )

    async def listed() -> bool:
        items = (await client.get("/api/news/papers")).json()["items"]
        return [item["id"] for item in items] == [paper_id]

    await eventually(listed)
    public = (await client.get(f"/api/news/papers/{ro}/{paper_id}")).json()
    assert public["verified"] and public["hash"] == new_hash and public["hash_matches"]
    assert [(s["node"], s["verified"]) for s in public["signatures"]] == [(ro, True), ("fr", True)]
    check = ps.check_paper(
        ps.PaperDocument.model_validate(public),
        {ro: node.identity.public_key_b64, "fr": fr.public_key_b64},
    )
    assert check.verified
    assert_problem(await client.get(f"/api/news/papers/{ro}/nope"), 404, "id")

    page = await client.get(f"/news/papers/{ro}/{paper_id}", headers=HTML)
    assert page.status_code == 200 and new_hash in page.text and "France Clusters" in page.text
    metrics = (await client.get("/metrics")).text
    assert 'alliance_news_paper_signatures_total{direction="in",outcome="collected"} 2.0' in metrics
    assert (
        'alliance_news_paper_signatures_total{direction="in",outcome="stale_text"} 1.0' in metrics
    )


async def test_an_invited_node_signs_only_the_text_it_holds_with_its_own_key(
    node: NodeUnderTest, fr: NodeIdentity
) -> None:
    node.keyring.admit("fr", fr.public_key)
    client, ro = node.client, node.identity.node
    text = "Nous recommandons des programmes communs."
    digest = ps.paper_hash("fr-P1", "fr", "fr", "Internationalisation", text)
    invitation = PaperInvited(
        id="fr-P1",
        owner_name="France Clusters",
        language="fr",
        title="Internationalisation",
        text=text,
        hash=digest,
        revision=1,
        invited_at="2026-12-03T16:00:00Z",
    )
    await handle(node, invitation, "fr")
    assert (await client.get(TO_SIGN)).status_code == 401
    [waiting] = (await client.get(TO_SIGN, headers=node.editor)).json()["items"]
    assert (waiting["origin"], waiting["status"], waiting["hash"]) == ("fr", "asked", digest)

    sign = f"{TO_SIGN}/fr/fr-P1/sign"
    assert_problem(
        await client.post(sign, json={"hash": "sha256:" + "0" * 64}, headers=node.editor),
        409,
        "hash",
    )
    assert_problem(
        await client.post(sign, json={"hash": "md5:x"}, headers=node.editor), 422, "hash"
    )
    assert_problem(
        await client.post(f"{TO_SIGN}/fr/nope/sign", json={"hash": digest}, headers=node.editor),
        404,
        "id",
    )
    done = await client.post(sign, json={"hash": digest}, headers=node.editor)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "signed"
    assert_problem(await client.post(sign, json={"hash": digest}, headers=node.editor), 409, "hash")
    [letter] = await sent_to(node, "fr")
    assert letter.subject == f"direct.fr.{ro}.news.paper-signed.fr-P1"
    assert ps.verifies(node.identity.public_key_b64, digest, letter.data["signature"])
    assert letter.data["public_key"] == node.identity.public_key_b64

    # the owner refuses it (the text changed there meanwhile): the console shows why
    refused = PaperSignatureRefused(id="fr-P1", hash=digest, reason="stale_text", detail="changed")
    await handle(node, refused, "fr")
    [shown] = (await client.get(TO_SIGN, headers=node.editor)).json()["items"]
    assert shown["status"] == "refused" and shown["refusal"]["reason"] == "stale_text"
    # the new text arrives: asked again, the refusal of the old one is gone
    await handle(node, invitation.model_copy(update={"text": "Nouveau.", "revision": 2}), "fr")
    [asked] = (await client.get(TO_SIGN, headers=node.editor)).json()["items"]
    assert asked["status"] == "asked" and asked["hash"] != digest and asked["refusal"] is None

    console = await signed_in(node)
    page = await console.get("/console/papers-to-sign", headers=HTML)
    assert page.status_code == 200 and asked["hash"] in page.text and "Nouveau." in page.text
    csrf = await csrf_of(console, "/console/papers-to-sign")
    stale = await console.post(
        "/console/papers-to-sign/fr/fr-P1/sign", data={"csrf": csrf, "hash": digest}, headers=HTML
    )
    assert stale.status_code == 409 and 'id="e-hash"' not in stale.text
    assert "the text changed" in stale.text
    signed = await console.post(
        "/console/papers-to-sign/fr/fr-P1/sign",
        data={"csrf": csrf, "hash": asked["hash"]},
        headers=HTML,
    )
    assert signed.status_code in (302, 303), signed.text


async def test_the_owners_console_drafts_invites_and_refuses_bad_input_beside_the_field(
    node: NodeUnderTest, fr: NodeIdentity
) -> None:
    node.keyring.admit("fr", fr.public_key)
    client = node.client
    signed_out = await client.get("/console/papers", headers=HTML)
    assert signed_out.status_code in (302, 303, 307)
    assert "/console/sign-in" in signed_out.headers["location"]

    console = await signed_in(node)
    csrf = await csrf_of(console, "/console/papers")
    wrong = await console.post(
        "/console/papers",
        data={"csrf": csrf, "title": "Joint paper", "text": "Our text.", "language": "xx-yy"},
        headers=HTML,
    )
    assert wrong.status_code == 422 and 'id="e-language"' in wrong.text
    assert 'value="Joint paper"' in wrong.text  # what was typed is kept
    forged = await console.post("/console/papers", data={**DRAFT, "csrf": "nope"}, headers=HTML)
    assert forged.status_code == 403

    made = await console.post("/console/papers", data={**DRAFT, "csrf": csrf}, headers=HTML)
    assert made.status_code == 303, made.text
    page_url = made.headers["location"].split("?")[0]
    paper_id = page_url.rsplit("/", 1)[1]
    # a draft is the owner's only: the public neither lists nor reads it
    assert (await client.get("/api/news/papers")).json()["items"] == []
    ro = node.identity.node
    assert_problem(await client.get(f"/api/news/papers/{ro}/{paper_id}"), 404, "id")

    page = await console.get(page_url, headers=HTML)
    digest = ps.paper_hash(paper_id, ro, "en", DRAFT["title"], DRAFT["text"])
    assert page.status_code == 200 and digest in page.text
    stranger = await console.post(
        f"{page_url}/invite", data={"csrf": csrf, "cosigners": "fr, de"}, headers=HTML
    )
    assert stranger.status_code == 422 and 'id="e-cosigners"' in stranger.text
    invited = await console.post(
        f"{page_url}/invite", data={"csrf": csrf, "cosigners": "fr"}, headers=HTML
    )
    assert invited.status_code == 303, invited.text
    alone = await console.post(f"{page_url}/publish", data={"csrf": csrf}, headers=HTML)
    assert alone.status_code == 422 and "at least one co-signature" in alone.text
    assert "fr" in (await console.get(page_url, headers=HTML)).text
    assert [e.type.rsplit(".", 1)[1] for e in await sent_to(node, "fr")] == ["paper-invited"]


async def test_an_answer_the_owners_node_refused_unread_shows_refused_to_the_signer(
    node: NodeUnderTest, fr: NodeIdentity
) -> None:
    node.keyring.admit("fr", fr.public_key)
    digest = ps.paper_hash("fr-P2", "fr", "en", "T", "Text.")
    invitation = PaperInvited(
        id="fr-P2",
        owner_name="France Clusters",
        language="en",
        title="T",
        text="Text.",
        hash=digest,
        revision=1,
        invited_at="2026-12-03T16:00:00Z",
    )
    await handle(node, invitation, "fr")
    signed = await node.client.post(
        f"{TO_SIGN}/fr/fr-P2/sign", json={"hash": digest}, headers=node.editor
    )
    assert signed.status_code == 200, signed.text
    [letter] = await sent_to(node, "fr")
    refusal = MessageRefused(
        id=letter.id, about="fr-P2", kind=letter.type, reason="unknown_message", detail="no papers"
    )
    await handle(node, refusal, "fr")
    [shown] = (await node.client.get(TO_SIGN, headers=node.editor)).json()["items"]
    assert shown["status"] == "refused"
    assert shown["refusal"] == {"reason": "unknown_message", "detail": "no papers", "hash": digest}
