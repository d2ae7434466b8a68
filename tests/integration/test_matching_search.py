"""Partner search on a whole in-process node (real NATS and nx-27017, the real model).

An organisation registered through the membership API reaches the matching service on
the node's local channel, is embedded in the background and becomes searchable with a
reason naming its offer; ``node``-only organisations are found by staff only; a
withdrawal removes it; a restart rebuilds the index from the stored vectors without
calling the model; bad input is a 4xx naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from httpx import ASGITransport, AsyncClient

from services.matching.handlers import on_organisation
from services.matching.projection import _model_lock
from shared.contracts.base import Visibility
from shared.contracts.membership import OrganizationRegistered
from shared.federation import node_plan
from shared.host import Endpoints, create_app
from shared.identity import load_identity
from shared.runtime import NatsServer
from shared.service import Delivery
from shared.settings import NodeSettings
from tests.conftest import NodeUnderTest, every_service, start_node
from tests.dashboards import every_query, scrape_targets, scraped_series, unanswered
from tests.integration.test_bus import eventually
from tests.integration.test_membership_api import ORGS, assert_problem, create_org

NODE_SERVICES = ("membership", "matching")  # what the `node` fixture starts

SEARCH = "/api/matching/search"
PCB_OFFER = "PCB assembly and soldering of electronic boards for small series."
PCB_NEED = "We are looking for printed circuit board assembly."
EMBEDDED = "alliance_matching_profiles_embedded_total"
DEADLINE = 30.0  # seconds: the model shares 2 cores with other tests
CONTAINER_PORT = 8080  # where prometheus.yml scrapes each service


async def found(
    node: NodeUnderTest, params: dict[str, Any], headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    response = await node.client.get(SEARCH, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def until(
    node: NodeUnderTest,
    params: dict[str, Any],
    wanted: Callable[[list[str]], bool],
    headers: dict[str, str] | None = None,
) -> Callable[[], Awaitable[bool]]:
    """A check for ``eventually``: the ids a search returns satisfy ``wanted``."""

    async def check() -> bool:
        return wanted([result["organisation_id"] for result in await found(node, params, headers)])

    return check


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    assert match, f"{name} not exported"
    return float(match.group(1))


async def test_a_registered_organisation_is_found_by_its_offer_and_forgotten_when_withdrawn(
    node: NodeUnderTest,
) -> None:
    public = await create_org(node, offers=PCB_OFFER, visibility="public", nace_codes=["26.12"])
    hidden = await create_org(node, offers=PCB_OFFER, visibility="node")
    query = {"need": PCB_NEED, "exclude_own_country": "false"}
    await eventually(until(node, query, lambda ids: public["id"] in ids), DEADLINE)

    [result] = [r for r in await found(node, query) if r["organisation_id"] == public["id"]]
    assert result["legal_name"] == public["legal_name"] and result["network"]
    reason = next(r for r in result["reasons"] if r["kind"] == "need_offer")
    assert reason["partner_text"] == PCB_OFFER and reason["seeker_text"] == PCB_NEED
    assert reason["points"] > 0 and 0 < reason["similarity"] <= 1
    assert result["score"] == round(sum(r["points"] for r in result["reasons"]), 1)
    assert result["nace_codes"][0]["title"]
    assert "contacts" not in result

    # node-only: this node's staff find it, the public never does
    await eventually(until(node, query, lambda ids: hidden["id"] in ids, node.editor), DEADLINE)
    assert hidden["id"] not in [r["organisation_id"] for r in await found(node, query)]
    network = result["network"]
    hidden_partners = f"/api/matching/organisations/{network}/{hidden['id']}/partners"
    assert_problem(await node.client.get(hidden_partners), 404, "id")
    staff = await node.client.get(
        hidden_partners, params={"exclude_own_country": "false"}, headers=node.editor
    )
    assert staff.status_code == 200, staff.text
    assert staff.json()["organisation"]["organisation_id"] == hidden["id"]

    # the own country is left out by default: cross-border is the point
    assert public["id"] not in [r["organisation_id"] for r in await found(node, {"need": PCB_NEED})]

    deleted = await node.client.delete(f"{ORGS}/{public['id']}", headers=node.editor)
    assert deleted.status_code == 200, deleted.text
    await eventually(until(node, query, lambda ids: public["id"] not in ids), DEADLINE)
    metrics = (await node.client.get("/metrics")).text
    assert metric(metrics, "alliance_matching_index_profiles") == 1.0
    assert metric(metrics, EMBEDDED) >= 2.0


async def test_bad_search_input_is_refused_naming_the_field(node: NodeUnderTest) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "need"),
        ({"need": "   "}, "need"),
        ({"need": "x" * 2001}, "need"),
        ({"offer": "y" * 20_000}, "offer"),
        ({"need": PCB_NEED, "colour": "blue"}, "colour"),
        ({"need": PCB_NEED, "country": ["FR", "XX"]}, "country"),
        ({"need": PCB_NEED, "sector": "99.99"}, "sector"),
        ({"need": PCB_NEED, "cooperation_type": "friendship"}, "cooperation_type"),
        ({"need": PCB_NEED, "top": 0}, "top"),
        ({"need": PCB_NEED, "top": 51}, "top"),
    ]
    for params, field in cases:
        assert_problem(await node.client.get(SEARCH, params=params), 422, field)
    too_long = await node.client.get(SEARCH, params={"need": "x" * 20_000})
    assert "at most 2000 characters" in too_long.json()["message"]
    unknown = "/api/matching/organisations/nowhere/org-1/partners"
    assert_problem(await node.client.get(unknown), 404, "id")
    assert_problem(await node.client.get(unknown, params={"top": 99}), 422, "top")


async def test_a_restart_rebuilds_the_index_from_stored_vectors_without_the_model(
    tmp_path: Path, nats_server: NatsServer, store_url: str
) -> None:
    data_dir = tmp_path / "node"
    services = [d for d in every_service() if d.name in NODE_SERVICES]
    query = {"need": PCB_NEED, "exclude_own_country": "false"}
    async for first in start_node(data_dir, nats_server.url, store_url, "rsx", services):
        org = await create_org(first, offers=PCB_OFFER, visibility="public")
        await eventually(until(first, query, lambda ids, wanted=org["id"]: wanted in ids), DEADLINE)

    identity = load_identity(data_dir)
    settings = NodeSettings(data_dir=data_dir, consumer_batch=100)
    services = [d for d in every_service() if d.name in NODE_SERVICES]
    app = create_app(
        settings,
        identity,
        Endpoints(nats_server.url, store_url),
        services,
        node_plan(identity, settings),
        keyring=first.keyring,
    )
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://node") as client:
            again = NodeUnderTest(client, identity, "", "", first.keyring, app, data_dir)
            await eventually(until(again, query, lambda ids: org["id"] in ids), DEADLINE)
            metrics = (await client.get("/metrics")).text
            assert metric(metrics, "alliance_matching_index_profiles") == 1.0
            assert metric(metrics, EMBEDDED) == 0.0  # rebuilt from the store, no model call


async def test_the_dashboards_partner_search_row_asks_only_for_exported_series(
    node: NodeUnderTest,
) -> None:
    """Every series is there from the start (a panel has samples before the first search)."""
    text = (await node.client.get("/metrics")).text
    series = scraped_series(scrape_targets({f"matching:{CONTAINER_PORT}": lambda: text}))
    queries = [query for query in every_query() if "alliance_matching_" in query.expr]
    assert len(queries) >= 8
    assert [problem for query in queries for problem in unanswered(query, series)] == []


async def test_a_burst_of_changes_is_embedded_behind_the_consumer_while_search_answers(
    node: NodeUnderTest,
) -> None:
    """The consumer stores every change at bus speed; the model follows in the background,
    its progress in the metrics, and search answers from what is ready meanwhile.

    Deterministic, without timing: the test holds the process's model (the lock every
    engine call takes, as a long search or batch would) while the burst arrives. Every
    change is then stored, pending, with nothing embedded: the consumer never waited for
    the model. Released, the worker embeds each stored version once.
    """
    burst = 60
    kit = node.kit("matching")
    profiles = kit.database.collection("profiles")
    ready = await create_org(node, offers=PCB_OFFER, visibility="public")
    await eventually(until(node, {"need": PCB_NEED, "exclude_own_country": "false"}, bool))

    with _model_lock():  # the worker's next engine call waits here; the consumer must not
        created = [
            await create_org(
                node, offers=f"Precision machining of part family {n}.", visibility="public"
            )
            for n in range(burst)
        ]
        ids = [f"{node.identity.node}/{org['id']}" for org in created]

        async def all_stored() -> bool:
            return await profiles.count_documents({"_id": {"$in": ids}}) == burst

        await eventually(all_stored, DEADLINE)
        assert await profiles.count_documents({"_id": {"$in": ids}, "state": "pending"}) == burst
        metrics = (await node.client.get("/metrics")).text
        assert metric(metrics, EMBEDDED) == 1.0  # only the organisation embedded before
        assert metric(metrics, "alliance_matching_index_profiles") == 1.0
        # search answers from what is ready without the model (an organisation's partners)
        partners = f"/api/matching/organisations/{node.identity.node}/{ready['id']}/partners"
        assert (await node.client.get(partners)).status_code == 200

    async def all_embedded() -> bool:  # the gauges are set after each batch: both, then
        text = (await node.client.get("/metrics")).text
        indexed = metric(text, "alliance_matching_index_profiles") == burst + 1
        return indexed and metric(text, "alliance_matching_pending_profiles") == 0

    await eventually(all_embedded, 120.0)
    metrics = (await node.client.get("/metrics")).text
    stored = [doc async for doc in profiles.find({"_id": {"$in": ids}})]
    assert all(
        doc["state"] == "ready" and doc["embedded_version"] == doc["version"] for doc in stored
    )
    # each stored version embedded once: more only if a newer version had come meanwhile
    versions = sum(int(doc["version"]) for doc in stored)
    assert burst <= metric(metrics, EMBEDDED) - 1 <= versions


async def test_a_partners_organisations_are_forgotten_when_the_hub_removes_it(
    node: NodeUnderTest,
) -> None:
    """A removed node's organisations leave partner search, like its replicas."""
    kit = node.kit("matching")
    event = OrganizationRegistered(
        id="fr-org-1",
        legal_name="Lumière Électronique SAS",
        country="FR",
        offers=PCB_OFFER,
        visibility=Visibility.ALLIANCE,
        updated_at="2027-01-01T00:00:00Z",
    )
    delivery = Delivery("fr", "fr-event-1", 1, "2027-01-01T00:00:00Z")
    await kit.transaction(lambda uow: on_organisation(kit, event, delivery, uow))
    query = {"need": PCB_NEED}
    await eventually(until(node, query, lambda ids: "fr-org-1" in ids, node.editor), DEADLINE)
    await kit.forget_origin("fr")
    await eventually(until(node, query, lambda ids: "fr-org-1" not in ids, node.editor), DEADLINE)
    # the same version delivered again later (another event id) does not bring it back
    late = Delivery("fr", "fr-event-late", 1, "2027-01-01T00:00:00Z")
    await kit.transaction(lambda uow: on_organisation(kit, event, late, uow))
    stored = await kit.database.collection("profiles").find_one({"_id": "fr/fr-org-1"})
    assert stored is not None and stored["state"] in ("removing", "withdrawn")
