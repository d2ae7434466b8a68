"""Digests and the node's own promise row over HTTP, on a whole in-process node (real
NATS and store): issue a digest of own and partner items, read it as JSON, HTML, text and
.eml, nothing new refused, bad input named, who may do what, the console pages, the row.

A partner's item reaches the node's news as the kit's projection puts it there (sealed
by the partner's key, applied through the news service's own replica declaration).
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from typing import Any

from services.news import handlers
from services.news.domain import TranslationDraft
from services.news.subscribers import REPLICAS
from shared.contracts import news
from shared.identity import NodeIdentity
from shared.replicas import apply_replica_changes
from shared.subjects import Channel
from tests.conftest import NodeUnderTest, make_identity
from tests.integration.test_bus import eventually
from tests.integration.test_events_pages import HTML, csrf_of, signed_in
from tests.integration.test_membership_api import assert_problem
from tests.integration.test_news_api import shown, write
from tests.unit.test_digests import item

NODE_SERVICES = ("membership", "news")  # what the `node` fixture starts (tests/conftest.py)

DIGESTS = "/api/news/digests"
TODAY = datetime.now(UTC).date().isoformat()


async def partner_item(node: NodeUnderTest, partner: NodeIdentity, **fields: Any) -> str:
    """A partner's published item in this node's news, as its feed would bring it."""
    now = datetime.now(UTC).isoformat()
    state = item(f"{partner.node}-1", published_at=now, updated_at=now, **fields)
    envelope = news.CATALOGUE.seal(partner, Channel.ALLIANCE, state, 1)
    [replicas] = [r for r in REPLICAS if r.aggregate == "item"]
    await apply_replica_changes(node.kit("news").database, [replicas.change(envelope)])
    return state.id


def week(**fields: Any) -> dict[str, Any]:
    return {"period": "week", "start": TODAY, "language": "fr", **fields}


async def test_a_digest_of_own_and_ticked_partner_items_in_every_form(
    node: NodeUnderTest, tmp_path: Any
) -> None:
    partner = make_identity(tmp_path / "fr", node="fr")
    own = await write(node, about_networks=["fr"])
    hidden = await write(node, visibility="alliance")
    await shown(node, lambda ids: {own["id"], hidden["id"]} <= ids)
    theirs = await partner_item(node, partner, language="fr", title="Les clusters français")

    issued = await node.client.post(
        DIGESTS, json=week(partners=[{"origin": "fr", "item": theirs}]), headers=node.editor
    )
    assert issued.status_code == 201, issued.text
    digest = issued.json()
    assert digest["featured"] == [
        {"origin": node.identity.node, "item": own["id"]},
        {"origin": "fr", "item": theirs},
    ]
    assert digest["entries"][0]["marked"] and digest["entries"][0]["language"] == "ro"
    assert not digest["entries"][1]["marked"]

    one = f"{DIGESTS}/{digest['id']}"
    assert (await node.client.get(one)).json()["id"] == digest["id"]  # anyone reads it
    html = await node.client.get(f"{one}.html")
    assert html.headers["content-type"].startswith("text/html")
    assert 'style="' in html.text and "<style" not in html.text and "<script" not in html.text
    assert "Les clusters français" in html.text
    text = await node.client.get(f"{one}.txt")
    assert text.headers["content-type"].startswith("text/plain")
    assert f"/news/fr/{theirs}" in text.text
    message = email.message_from_bytes(
        (await node.client.get(f"{one}.eml")).content, policy=email.policy.default
    )
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    listed = (await node.client.get(DIGESTS)).json()["items"]
    assert [d["id"] for d in listed] == [digest["id"]]

    page = await node.client.get(f"/news/digests/{digest['id']}", headers=HTML)
    assert page.status_code == 200 and "Les clusters français" in page.text
    linked = await node.client.get(f"/news/{node.identity.node}/{own['id']}", headers=HTML)
    assert linked.status_code == 200  # a digest's link leads to the item's page
    metrics = (await node.client.get("/metrics")).text
    assert 'alliance_news_digests_issued_total{language="fr"} 1.0' in metrics


async def test_nothing_new_and_bad_input_are_4xx_naming_the_field(
    node: NodeUnderTest, tmp_path: Any
) -> None:
    partner = make_identity(tmp_path / "fr", node="fr")
    restricted = await partner_item(node, partner, visibility="alliance")
    assert_problem(await node.client.post(DIGESTS, json=week(), headers=node.editor), 422, "period")
    preview = await node.client.post(f"{DIGESTS}/preview", json=week(), headers=node.editor)
    assert_problem(preview, 422, "period")
    bad = [
        (week(language="zz-9"), "language"),
        (week(period="year"), "period"),
        (week(colour="red"), "colour"),
        (week(period="custom", end="2020-01-01"), "end"),
        (week(partners=[{"origin": "fr", "item": restricted}]), "partners[0]"),
    ]
    for body, field in bad:
        answer = await node.client.post(DIGESTS, json=body, headers=node.editor)
        assert_problem(answer, 422, field)
    assert_problem(await node.client.post(DIGESTS, json=week()), 401)
    assert_problem(await node.client.get(f"{DIGESTS}/nope"), 404)
    assert_problem(await node.client.get(f"{DIGESTS}/nope.eml"), 404)
    assert_problem(await node.client.get(f"{DIGESTS}/no%00pe"), 422, "path")
    nul = week(partners=[{"origin": "fr", "item": "x\x00y"}])
    assert_problem(await node.client.post(DIGESTS, json=nul, headers=node.editor), 422)
    assert (await node.client.get(DIGESTS)).json()["items"] == []


async def test_the_console_builds_a_digest_with_own_items_ticked(node: NodeUnderTest) -> None:
    own = await write(node)
    left_out = await write(node, title="Not this one")
    await shown(node, lambda ids: {own["id"], left_out["id"]} <= ids)
    client = await signed_in(node)
    path = f"/console/news/digests?period=week&start={TODAY}&language=fr"
    page = await client.get(path, headers=HTML)
    assert page.status_code == 200 and "Not this one" in page.text
    csrf = await csrf_of(client, path)
    key = f"{node.identity.node}/{own['id']}"
    other = f"{node.identity.node}/{left_out['id']}"
    form = {
        "csrf": csrf,
        "period": "week",
        "start": TODAY,
        "end": "",
        "language": "fr",
        "listed": [key, other],
        "own": [key],
    }
    preview = await client.post(
        "/console/news/digests", data={**form, "action": "preview"}, headers=HTML
    )
    assert preview.status_code == 200, preview.text
    previewed = preview.text.split('id="preview-heading"', 1)[1]
    assert own["title"] in previewed and "Not this one" not in previewed  # unticked
    assert (await client.get(DIGESTS)).json()["items"] == []  # a preview issues nothing
    answer = await client.post(
        "/console/news/digests", data={**form, "action": "issue"}, headers=HTML
    )
    assert answer.status_code == 303, answer.text
    digest_id = answer.headers["location"].split("?")[0].rsplit("/", 1)[1]
    digest = (await client.get(f"{DIGESTS}/{digest_id}")).json()
    assert [e["item"] for e in digest["entries"]] == [own["id"]]
    mangled = await client.post(
        "/console/news/digests", data={**form, "partners": ["no-slash"]}, headers=HTML
    )
    assert mangled.status_code == 422 and "Please correct the following" in mangled.text
    nothing = {**form, "own": []}
    refused = await client.post("/console/news/digests", data=nothing, headers=HTML)
    assert refused.status_code == 422 and "nothing new" in refused.text


async def test_the_row_counts_each_partner_both_ways(node: NodeUnderTest, tmp_path: Any) -> None:
    partners = [make_identity(tmp_path / n, node=n) for n in ("fr", "es")]
    for partner in partners:
        node.keyring.admit(partner.node, partner.public_key)
    about = await write(node, about_networks=["fr"])
    mine = await write(node)
    kit = node.kit("news")
    french = TranslationDraft(language="fr", title="Traduit par France Clusters")
    await kit.transaction(lambda uow: handlers.publish_translation(mine["id"], french, "fr", uow))
    theirs = await partner_item(node, partners[0])
    await shown(node, lambda ids: {about["id"], mine["id"], theirs} <= ids)

    async def translated() -> bool:
        row = (await node.client.get("/api/news/promise", headers=node.editor)).json()
        return row["partners"][-1]["featured_by"]["items"] == 1

    await eventually(translated)
    issued = await node.client.post(
        DIGESTS, json=week(partners=[{"origin": "fr", "item": theirs}]), headers=node.editor
    )
    assert issued.status_code == 201, issued.text
    row = (await node.client.get("/api/news/promise", headers=node.editor)).json()
    by_partner = {entry["partner"]: entry for entry in row["partners"]}
    assert [entry["partner"] for entry in row["partners"]] == ["es", "fr"]  # least first
    fr = by_partner["fr"]
    assert fr["featured"]["items"] == 2  # the item about fr, fr's item in the digest
    assert fr["featured"]["kinds"] == {"translation": 0, "digest": 1, "about": 1}
    assert fr["featured_by"]["kinds"]["translation"] == 1 and fr["lately"]
    assert by_partner["es"]["featured"]["items"] == 0 and not by_partner["es"]["lately"]
    assert_problem(await node.client.get("/api/news/promise"), 401)
    for console in ("/console/news/promise", "/console/news/digests"):
        anonymous = await node.client.get(console, headers=HTML)
        assert anonymous.status_code == 303 and "/console/sign-in" in anonymous.headers["location"]
    client = await signed_in(node)
    page = await client.get("/console/news/promise", headers=HTML)
    assert page.status_code == 200 and "Not featured lately" in page.text
