"""Translation requests on a whole in-process node (real NATS and nx-27017).

As owner: staff request a translation of an own published item (bad input a 4xx naming
the field); partners' claims, handed to the handlers the kit calls for inbox messages,
are decided first come first served (granted back, a second refused naming the holder
and until when); the submission is accepted through the API and published beside the
original, with the translator, which readers get in their language; the gauge and the
histogram count it. A submission sent back and a claim that lapses. As partner: a
partner's request arrives from the feed with the original to translate, is claimed and
translated from the API and from the console; a claim another network holds is a 409
naming it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import Response
from nats.js import JetStreamContext

from services.news import translations_bus as bus
from services.news.store import NewsUnitOfWork
from shared.contracts import news as news_contract
from shared.contracts.direct import MessageRefused
from shared.contracts.news_translations import (
    ClaimGranted,
    ClaimRefused,
    TranslationClaimed,
    TranslationRequested,
    TranslationSubmitted,
)
from shared.identity import NodeIdentity
from shared.service import ServiceKit
from shared.subjects import Channel
from tests.conftest import NodeUnderTest
from tests.federation import metric_value
from tests.integration.test_bus import eventually, federate_fr, publish
from tests.integration.test_event_inquiries import delivery
from tests.integration.test_events_api import fr, js
from tests.integration.test_events_pages import HTML, csrf_of, signed_in
from tests.integration.test_membership_api import assert_problem
from tests.integration.test_news_api import ITEMS, item_payload, write

NODE_SERVICES = ("membership", "news")  # what the `node` fixture starts (tests/conftest.py)

__all__ = ["fr", "js"]  # fixtures
REQUESTS = "/api/news/translation-requests"
Kit = ServiceKit[NewsUnitOfWork]


async def ask(node: NodeUnderTest, item_id: str, **body: Any) -> Response:
    return await node.client.post(
        f"{ITEMS}/{item_id}/translation-requests",
        json={"language": "fr", **body},
        headers=node.editor,
    )


async def letters(kit: Kit, target: str) -> list[dict[str, Any]]:
    """The direct messages this node committed for ``target``: type and payload."""
    found = await kit.database.direct_outbox.find({"target": target}).to_list()
    return [
        {"type": body["type"].rsplit(".", 1)[-1], **body["data"]}
        for body in (json.loads(doc["body"]) for doc in found)
    ]


async def handle(kit: Kit, handler: Any, message: Any, sender: str) -> None:
    await kit.transaction(lambda uow: handler(kit, message, delivery(sender), uow))


async def own_request(node: NodeUnderTest, request_id: str) -> dict[str, Any]:
    path = f"{REQUESTS}/{node.identity.node}/{request_id}"
    answer = await node.client.get(path, headers=node.editor)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def claim_of(request: dict[str, Any], language: str) -> TranslationClaimed:
    return TranslationClaimed(
        id=request["id"], item_id=request["item_id"], language=language, claimed_at="x"
    )


def french(request_id: str, **fields: Any) -> TranslationSubmitted:
    texts = {
        "title": "Les clusters roumains à Hanovre",
        "summary": "Dix clusters ont exposé à la Hannover Messe.",
        "body": "<p>Dix clusters <strong>roumains</strong>.<script>x()</script></p>",
    }
    texts.update(fields)
    return TranslationSubmitted(id=request_id, language="fr", submitted_at="x", **texts)


async def gauge(node: NodeUnderTest, state: str) -> float | None:
    text = (await node.client.get("/metrics")).text
    return metric_value(text, "alliance_news_translation_requests", state=state)


async def test_a_partners_translation_is_claimed_submitted_accepted_and_read_in_french(
    node: NodeUnderTest,
) -> None:
    kit: Kit = node.kit("news")
    item = await write(node)
    asked = await ask(node, item["id"], note="For our French newsletter")
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["status"] == "open" and request["original_language"] == "ro"
    assert await gauge(node, "open") == 1.0

    claimed = claim_of(request, "fr")
    await handle(kit, bus.on_translation_claimed, claimed, "fr")
    await handle(kit, bus.on_translation_claimed, claimed, "es")  # second: refused
    (granted,) = await letters(kit, "fr")
    assert granted["type"] == "claim-granted" and granted["id"] == request["id"]
    (refused,) = await letters(kit, "es")
    assert refused["type"] == "claim-refused" and refused["holder"] == "fr"
    assert refused["until"] == granted["until"] and granted["until"] in refused["reason"]

    await handle(kit, bus.on_translation_submitted, french(request["id"]), "es")  # not its
    assert (await letters(kit, "es"))[-1]["type"] == "claim-refused"
    await handle(kit, bus.on_translation_submitted, french(request["id"]), "fr")
    waiting = await own_request(node, request["id"])
    assert waiting["status"] == "submitted" and waiting["submission"]["translator"] == "fr"
    assert waiting["original"]["title"] == item["title"]

    accepted = await node.client.post(f"{REQUESTS}/{request['id']}/accept", headers=node.editor)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and "<script>" in accepted.json()["removed"]
    one = f"{ITEMS}/{node.identity.node}/{item['id']}"
    seen = (await node.client.get(one, headers={"Accept-Language": "fr"})).json()
    assert seen["reading"]["language"] == "fr" and seen["reading"]["translator"] == "fr"
    assert seen["reading"]["title"] == "Les clusters roumains à Hanovre"
    assert seen["title"] == item["title"] and seen["language"] == "ro"  # the original stays
    assert "<script" not in seen["reading"]["body"]
    assert await gauge(node, "done") == 1.0 and await gauge(node, "open") == 0.0
    text = (await node.client.get("/metrics")).text
    assert metric_value(text, "alliance_news_time_to_translation_seconds_count") == 1.0
    assert_problem(
        await node.client.post(f"{REQUESTS}/{request['id']}/accept", headers=node.editor),
        409,
        "status",
    )
    # accepted, the language is free again: a newer translation may be asked for
    assert (await ask(node, item["id"])).status_code == 201


async def test_bad_requests_are_a_4xx_naming_the_field(node: NodeUnderTest) -> None:
    item = await write(node)
    assert_problem(await ask(node, item["id"], language="ro"), 422, "language")
    assert_problem(await ask(node, item["id"], language="ro-RO"), 422, "language")
    assert_problem(await ask(node, item["id"], language="klingon-xx"), 422, "language")
    assert_problem(await ask(node, item["id"], colour="red"), 422, "colour")
    assert (await ask(node, item["id"])).status_code == 201
    assert_problem(await ask(node, item["id"]), 409, "language")  # one live per language
    draft = await write(node, publish=False)
    assert_problem(await ask(node, draft["id"]), 422, "status")
    hidden = await write(node, visibility="node")
    assert_problem(await ask(node, hidden["id"]), 422, "status")
    assert_problem(await ask(node, "ro-nothing"), 404, "id")
    anonymous = await node.client.post(f"{ITEMS}/{item['id']}/translation-requests", json={})
    assert anonymous.status_code == 401
    assert (await node.client.get(REQUESTS)).status_code == 401  # staff work, not news
    for action in ("accept", "close"):
        unknown = await node.client.post(f"{REQUESTS}/ro-nothing/{action}", headers=node.editor)
        assert_problem(unknown, 404, "id")
    listed = await node.client.get(REQUESTS, params={"side": "x"}, headers=node.editor)
    assert_problem(listed, 422, "side")


async def test_a_submission_sent_back_and_a_claim_that_lapses(node: NodeUnderTest) -> None:
    kit: Kit = node.kit("news")
    item = await write(node)
    request = (await ask(node, item["id"], language="es")).json()
    claimed = claim_of(request, "es")
    await handle(kit, bus.on_translation_claimed, claimed, "fr")
    spanish = french(request["id"], title="Los clústeres rumanos").model_copy(
        update={"language": "es"}
    )
    await handle(kit, bus.on_translation_submitted, spanish, "fr")
    back = f"{REQUESTS}/{request['id']}/return"
    assert_problem(
        await node.client.post(back, json={"reason": ""}, headers=node.editor), 422, "reason"
    )
    returned = await node.client.post(
        back, json={"reason": "the summary is missing"}, headers=node.editor
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["returned_reason"] == "the summary is missing"
    assert await gauge(node, "claimed") == 1.0

    later = datetime.now(UTC) + timedelta(days=kit.settings.translation_claim_days, minutes=1)
    assert await kit.transaction(lambda uow: bus.lapse_all(uow, later)) == 1
    reopened = await own_request(node, request["id"])
    assert reopened["status"] == "open" and reopened["claimer"] is None
    closed = await node.client.post(f"{REQUESTS}/{request['id']}/close", headers=node.editor)
    assert closed.json()["status"] == "closed"


async def test_withdrawing_keeping_on_the_node_or_rewriting_an_item_closes_its_requests(
    node: NodeUnderTest,
) -> None:
    withdrawn, restricted, rewritten = await write(node), await write(node), await write(node)
    first = (await ask(node, withdrawn["id"])).json()
    second = (await ask(node, restricted["id"], language="es")).json()
    into_french = (await ask(node, rewritten["id"])).json()
    into_spanish = (await ask(node, rewritten["id"], language="es")).json()
    gone = await node.client.delete(f"{ITEMS}/{withdrawn['id']}", headers=node.admin)
    assert gone.status_code == 200, gone.text
    kept_home = await node.client.put(
        f"{ITEMS}/{restricted['id']}", json=item_payload(visibility="node"), headers=node.editor
    )
    assert kept_home.status_code == 200, kept_home.text
    in_french = await node.client.put(
        f"{ITEMS}/{rewritten['id']}", json=item_payload(language="fr"), headers=node.editor
    )
    assert in_french.status_code == 200, in_french.text

    async def closed() -> bool:
        asked = (first, second, into_french, into_spanish)
        states = [(await own_request(node, r["id"]))["status"] for r in asked]
        return states == ["closed", "closed", "closed", "open"]  # Spanish is still wanted

    await eventually(closed)


def partner_item(fr: NodeIdentity) -> Any:
    state = {
        "id": "fr-I1",
        "category": "policy_update",
        "language": "fr",
        "title": "La politique des pôles de compétitivité",
        "summary": "Phase V des pôles.",
        "body": "<p>La phase V <em>commence</em>.<script>steal()</script></p>",
        "country": "FR",
        "visibility": "alliance",
        "status": "published",
        "published_at": "2026-12-01T00:00:00Z",
        "updated_at": "2026-12-01T00:00:00Z",
    }
    event = news_contract.NewsItemPublished.model_validate(state)
    return news_contract.CATALOGUE.seal(fr, Channel.ALLIANCE, event, 2)


def partner_request(fr: NodeIdentity, request_id: str, version: int = 1, **fields: Any) -> Any:
    state: dict[str, Any] = {
        "id": request_id,
        "item_id": "fr-I1",
        "language": "ro",
        "original_language": "fr",
        "status": "open",
        "requested_at": "2026-12-02T00:00:00Z",
        "updated_at": "2026-12-02T00:00:00Z",
        **fields,
    }
    event = TranslationRequested.model_validate(state)
    return news_contract.CATALOGUE.seal(fr, Channel.ALLIANCE, event, version)


async def partners(node: NodeUnderTest) -> list[dict[str, Any]]:
    answer = await node.client.get(REQUESTS, params={"side": "partners"}, headers=node.editor)
    return list(answer.json()["items"])


async def test_a_partners_request_is_claimed_and_translated_from_this_node(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    kit: Kit = node.kit("news")
    await federate_fr(node, js, fr)
    until = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    await publish(js, partner_item(fr))
    await publish(js, partner_request(fr, "fr-R1"))
    held = partner_request(fr, "fr-R2", 2, status="claimed", claimer="es", claimed_until=until)
    await publish(js, held)

    async def arrived() -> bool:
        found = {r["id"]: r for r in await partners(node)}
        return "fr-R2" in found and bool((found.get("fr-R1") or {}).get("original"))

    await eventually(arrived)
    (open_one,) = [r for r in await partners(node) if r["id"] == "fr-R1"]
    assert open_one["origin"] == "fr" and open_one["original"]["language"] == "fr"
    assert "<script" not in open_one["original"]["body"]  # another node's HTML, cleaned
    one = await node.client.get(f"{REQUESTS}/fr/fr-R1", headers=node.editor)
    assert one.json()["original"]["title"] == "La politique des pôles de compétitivité"
    assert_problem(await node.client.get(f"{REQUESTS}/fr/fr-R9", headers=node.editor), 404)
    wrong = await node.client.get(REQUESTS, params={"status": "x"}, headers=node.editor)
    assert_problem(wrong, 422, "status")

    taken = await node.client.post(f"{REQUESTS}/fr/fr-R2/claim", headers=node.editor)
    assert_problem(taken, 409, "claim")
    assert "es" in taken.text and until in taken.text  # who holds it, until when
    assert_problem(await node.client.post(f"{REQUESTS}/fr/fr-R9/claim", headers=node.editor), 404)

    claimed = await node.client.post(f"{REQUESTS}/fr/fr-R1/claim", headers=node.editor)
    assert claimed.status_code == 202, claimed.text
    assert claimed.json()["status"] == "pending"
    assert [m["type"] for m in await letters(kit, "fr")] == ["translation-claimed"]
    assert_problem(await node.client.post(f"{REQUESTS}/fr/fr-R1/claim", headers=node.editor), 409)
    body = {"title": "Politica polilor de competitivitate", "body": "<p>Faza V.</p>"}
    early = await node.client.post(
        f"{REQUESTS}/fr/fr-R1/submission", json=body, headers=node.editor
    )
    assert_problem(early, 409, "claim")  # no answer from the owner yet

    await handle(kit, bus.on_claim_granted, ClaimGranted(id="fr-R1", until=until), "fr")
    sent = await node.client.post(f"{REQUESTS}/fr/fr-R1/submission", json=body, headers=node.editor)
    assert sent.status_code == 202, sent.text
    submitted = (await letters(kit, "fr"))[-1]
    assert submitted["type"] == "translation-submitted" and submitted["language"] == "ro"
    assert submitted["title"] == body["title"]
    mine = await node.client.get(REQUESTS, params={"side": "mine"}, headers=node.editor)
    (record,) = mine.json()["items"]
    assert record["status"] == "submitted" and record["request"]["status"] == "open"

    refusal = ClaimRefused(id="fr-R1", reason="the claim lapsed")
    await handle(kit, bus.on_claim_refused, refusal, "fr")
    mine = await node.client.get(REQUESTS, params={"side": "mine"}, headers=node.editor)
    assert mine.json()["items"][0]["reason"] == "the claim lapsed"
    # refused, it may be claimed again; a claim the owner could not read says why
    again = await node.client.post(f"{REQUESTS}/fr/fr-R1/claim", headers=node.editor)
    assert again.status_code == 202, again.text
    unread = MessageRefused(
        id="env-1",
        about="fr-R1",
        kind="eu.clustersalliance.news.direct.translation-claimed",
        reason="invalid_payload",
        detail="bad",
    )
    await handle(kit, bus.on_message_refused, unread, "fr")
    mine = await node.client.get(REQUESTS, params={"side": "mine"}, headers=node.editor)
    (record,) = mine.json()["items"]
    assert record["status"] == "refused" and "invalid_payload" in record["reason"]


async def test_the_console_claims_a_partners_request_beside_its_original_and_translates_it(
    node: NodeUnderTest, js: JetStreamContext, fr: NodeIdentity
) -> None:
    kit: Kit = node.kit("news")
    await federate_fr(node, js, fr)
    await publish(js, partner_item(fr))
    await publish(js, partner_request(fr, "fr-R1", note="Pour la newsletter"))
    await eventually(lambda: _listed(node, "fr-R1"))

    client = await signed_in(node)
    listing = await client.get("/console/translations", headers=HTML)
    assert listing.status_code == 200
    assert "La politique des pôles de compétitivité" in listing.text
    assert 'href="/console/translations/fr/fr-R1"' in listing.text
    assert "Pour la newsletter" in listing.text
    page = await client.get("/console/translations/fr/fr-R1", headers=HTML)
    assert "<em>commence</em>" in page.text and "steal()" not in page.text  # cleaned
    assert "/console/translations/fr/fr-R1/claim" in page.text
    assert "/submission" not in page.text  # nothing to submit before the owner grants

    csrf = await csrf_of(client, "/console/translations/fr/fr-R1")
    claimed = await client.post(
        "/console/translations/fr/fr-R1/claim", data={"csrf": csrf}, headers=HTML
    )
    assert claimed.status_code == 303, claimed.text
    assert [m["type"] for m in await letters(kit, "fr")] == ["translation-claimed"]
    forged = await client.post("/console/translations/fr/fr-R1/claim", data={}, headers=HTML)
    assert forged.status_code == 403
    twice = await client.post(
        "/console/translations/fr/fr-R1/claim", data={"csrf": csrf}, headers=HTML
    )
    assert twice.status_code == 409 and "waits for the owner" in twice.text

    await handle(
        kit, bus.on_claim_granted, ClaimGranted(id="fr-R1", until="2099-01-01T00:00:00Z"), "fr"
    )
    page = await client.get("/console/translations/fr/fr-R1?lang=fr", headers=HTML)
    assert "Demande de traduction" in page.text and "/submission" in page.text
    empty = await client.post(
        "/console/translations/fr/fr-R1/submission",
        data={"csrf": csrf, "title": "", "body": "<p>Faza V.</p>"},
        headers=HTML,
    )
    assert empty.status_code == 422 and 'id="e-title"' in empty.text
    sent = await client.post(
        "/console/translations/fr/fr-R1/submission",
        data={"csrf": csrf, "title": "Politica polilor", "body": "<p>Faza V.</p>"},
        headers=HTML,
    )
    assert sent.status_code == 303, sent.text
    assert (await letters(kit, "fr"))[-1]["title"] == "Politica polilor"


async def test_the_owners_console_asks_and_accepts_beside_the_original(
    node: NodeUnderTest,
) -> None:
    kit: Kit = node.kit("news")
    own = await write(node)
    client = await signed_in(node)
    listing = await client.get(f"/console/translations?item={own['id']}", headers=HTML)
    assert f'<option value="{own["id"]}" selected>' in listing.text  # asked from the item
    csrf = await csrf_of(client, "/console/translations")
    wrong = await client.post(
        "/console/translations",
        data={"item": own["id"], "language": "ro", "csrf": csrf},
        headers=HTML,
    )
    assert wrong.status_code == 422 and 'id="e-language"' in wrong.text
    asked = await client.post(
        "/console/translations",
        data={"item": own["id"], "language": "fr", "csrf": csrf},
        headers=HTML,
    )
    assert asked.status_code == 303, asked.text
    page_path = asked.headers["location"].split("?")[0]
    request_id = page_path.rsplit("/", 1)[1]
    await handle(
        kit,
        bus.on_translation_claimed,
        claim_of({"id": request_id, "item_id": own["id"]}, "fr"),
        "fr",
    )
    await handle(kit, bus.on_translation_submitted, french(request_id), "fr")

    page = await client.get(page_path, headers=HTML)
    assert own["title"] in page.text and "Les clusters roumains à Hanovre" in page.text
    assert "<script" not in page.text.split("</header>")[-1].split("<footer")[0]
    no_reason = await client.post(
        f"/console/translations/{request_id}/return", data={"csrf": csrf}, headers=HTML
    )
    assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
    accepted = await client.post(
        f"/console/translations/{request_id}/accept", data={"csrf": csrf}, headers=HTML
    )
    assert accepted.status_code == 303, accepted.text
    again = await client.post(
        f"/console/translations/{request_id}/accept", data={"csrf": csrf}, headers=HTML
    )
    assert again.status_code == 409
    item = (await node.client.get(f"{ITEMS}/{node.identity.node}/{own['id']}")).json()
    assert [t["translator"] for t in item["translations"]] == ["fr"]


async def _listed(node: NodeUnderTest, request_id: str) -> bool:
    return any(r["id"] == request_id and r["original"] for r in await partners(node))
