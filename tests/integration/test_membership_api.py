"""The membership REST API over HTTP, against a whole in-process node on real servers.

Covers the organisation lifecycle (create, read, revise, tombstone), tokens and roles,
visibility for anonymous callers, refusal of bad input (always a readable 4xx, never a
500), list filters and cursor pagination, clusters, cross-membership look-ups, and the
signed events that leave the node on its JetStream stream.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import nats
import pytest
from httpx import Response
from nats.js.errors import NotFoundError

from shared.contracts.base import Visibility
from shared.envelope import Envelope, KeyRing
from shared.runtime import NatsServer
from shared.subjects import Channel, event_subject, node_stream
from tests.conftest import NodeUnderTest

NODE_SERVICES = ("membership",)  # what the `node` fixture starts (tests/conftest.py)

ORGS = "/api/membership/organizations"
CLUSTERS = "/api/membership/clusters"
PROFILE = "/api/membership/profile"
CROSS = "/api/membership/cross-membership"


def unique(prefix: str = "Org") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def org_payload(**overrides: Any) -> dict[str, Any]:
    """A valid organisation draft with a fresh name, changed by ``overrides``."""
    payload: dict[str, Any] = {
        "legal_name": unique(),
        "country": "RO",
        "nace_codes": ["62.10"],
        "offers": "custom software",
        "visibility": "alliance",
    }
    payload.update(overrides)
    return payload


async def create_org(node: NodeUnderTest, **overrides: Any) -> dict[str, Any]:
    response = await node.client.post(ORGS, json=org_payload(**overrides), headers=node.editor)
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response: Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The error body every 4xx carries: a readable message and the fields concerned."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["message"], str)
    assert body["message"].strip()
    assert isinstance(body["errors"], list)
    if field is not None:
        fields = [error["field"] for error in body["errors"]]
        assert any(f == field or f.startswith(f"{field}.") for f in fields), body
        for error in body["errors"]:
            assert isinstance(error["reason"], str)
            assert error["reason"].strip()
    return body


def assert_same_record(stored: dict[str, Any], returned: dict[str, Any]) -> None:
    """A record read back equals the one a write returned.

    The store keeps BSON datetimes (milliseconds), so ``updated_at`` read back may have
    lost the microseconds the write response carried; everything else is identical.
    """
    assert {k: v for k, v in stored.items() if k != "updated_at"} == {
        k: v for k, v in returned.items() if k != "updated_at"
    }
    stored_at = datetime.fromisoformat(stored["updated_at"])
    returned_at = datetime.fromisoformat(returned["updated_at"])
    assert abs(stored_at - returned_at) < timedelta(milliseconds=1)


# -- organisation lifecycle ------------------------------------------------------------


async def test_create_normalises_fields_and_get_returns_them(node: NodeUnderTest) -> None:
    response = await node.client.post(
        ORGS,
        json={
            "legal_name": "  Acme Robotics S.R.L.  ",
            "vat": "ro 123.456-74",
            "country": " ro ",
            "city": " Cluj-Napoca ",
            "website": "HTTPS://Acme-Robotics.RO/",
            "nace_codes": ["6210", " 62.10 ", "28"],
            "technologies": ["Robotics", " robotics ", "AI"],
            "countries_of_interest": ["de", "DE", "fr"],
            "languages": ["EN", "ro"],
            "cooperation_types": ["subcontracting", "subcontracting"],
            "size_class": "small",
            "offers": "  welding robots  ",
            "visibility": "public",
            "contacts": [{"name": "Ana Pop", "email": "ana@acme-robotics.ro", "consent": True}],
        },
        headers=node.editor,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["id"].startswith(f"{node.identity.node}-")
    assert created["version"] == 1
    assert created["deleted"] is False
    assert created["legal_name"] == "Acme Robotics S.R.L."
    assert created["vat"] == "RO12345674"
    assert created["country"] == "RO"
    assert created["city"] == "Cluj-Napoca"
    assert created["website"] == "https://acme-robotics.ro"
    assert created["nace_codes"] == ["62.10", "28"]
    assert created["technologies"] == ["robotics", "ai"]
    assert created["countries_of_interest"] == ["DE", "FR"]
    assert created["languages"] == ["en", "ro"]
    assert created["cooperation_types"] == ["subcontracting"]
    assert created["offers"] == "welding robots"
    assert created["visibility"] == "public"
    assert created["contacts"][0]["email"] == "ana@acme-robotics.ro"

    fetched = await node.client.get(f"{ORGS}/{created['id']}", headers=node.editor)
    assert fetched.status_code == 200
    assert_same_record(fetched.json(), created)
    anonymous = await node.client.get(f"{ORGS}/{created['id']}")
    assert anonymous.status_code == 200
    assert_same_record(anonymous.json(), created)


async def test_update_then_delete_leaves_a_tombstone(node: NodeUnderTest) -> None:
    created = await create_org(node, legal_name="Tomb Stone SRL", city="Iasi")
    url = f"{ORGS}/{created['id']}"

    updated = await node.client.put(
        url,
        json=org_payload(legal_name="Tomb Stone SRL", city="Brasov", nace_codes=["62"]),
        headers=node.editor,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert updated.json()["city"] == "Brasov"
    assert updated.json()["nace_codes"] == ["62"]
    assert updated.json()["updated_at"] >= created["updated_at"]
    assert (await node.client.get(url, headers=node.editor)).json()["city"] == "Brasov"

    deleted = await node.client.delete(url, headers=node.editor)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted"] is True
    assert deleted.json()["version"] == 3

    # the tombstone is kept (an editor still sees it), but no longer listed
    tombstone = await node.client.get(url, headers=node.editor)
    assert tombstone.status_code == 200
    assert tombstone.json()["deleted"] is True
    assert tombstone.json()["version"] == 3
    listed = (await node.client.get(ORGS, headers=node.editor)).json()["items"]
    assert created["id"] not in [item["id"] for item in listed]

    assert_problem(await node.client.delete(url, headers=node.editor), 410)
    assert_problem(
        await node.client.put(url, json=org_payload(), headers=node.editor),
        410,
    )
    # nothing changed by the refused requests
    assert (await node.client.get(url, headers=node.editor)).json()["version"] == 3


async def test_unknown_organisation_is_404_with_readable_message(node: NodeUnderTest) -> None:
    missing = f"{node.identity.node}-NOPE"
    for headers in ({}, node.editor):
        body = assert_problem(
            await node.client.get(f"{ORGS}/{missing}", headers=headers), 404, "id"
        )
        assert missing in body["message"]
    assert_problem(
        await node.client.put(f"{ORGS}/{missing}", json=org_payload(), headers=node.editor),
        404,
        "id",
    )
    assert_problem(await node.client.delete(f"{ORGS}/{missing}", headers=node.editor), 404, "id")


# -- tokens and roles ------------------------------------------------------------------


async def test_writes_without_a_token_are_401(node: NodeUnderTest) -> None:
    created = await create_org(node)
    url = f"{ORGS}/{created['id']}"
    for response in (
        await node.client.post(ORGS, json=org_payload()),
        await node.client.put(url, json=org_payload()),
        await node.client.delete(url),
        await node.client.post(CLUSTERS, json={"name": "C"}),
        await node.client.post(ORGS, json=org_payload(), headers={"Authorization": "Basic x"}),
    ):
        body = assert_problem(response, 401)
        assert "token" in body["message"].lower()
        assert response.headers["www-authenticate"] == "Bearer"
    # nothing was written by the refused requests
    assert (await node.client.get(url, headers=node.editor)).json()["version"] == 1


async def test_unknown_token_is_401(node: NodeUnderTest) -> None:
    stranger = {"Authorization": "Bearer alt_not-a-real-token"}
    body = assert_problem(await node.client.post(ORGS, json=org_payload(), headers=stranger), 401)
    assert "unknown" in body["message"].lower()
    assert_problem(await node.client.put(PROFILE, json={"name": "X", "country": "RO"}), 401)
    assert_problem(
        await node.client.put(PROFILE, json={"name": "X", "country": "RO"}, headers=stranger),
        401,
    )


async def test_an_unknown_token_is_refused_not_read_as_anonymous(node: NodeUnderTest) -> None:
    """A mistyped or revoked token must not silently show less: it is a 401."""
    public = await create_org(node, visibility="public")
    stranger = {"Authorization": "Bearer alt_not-a-real-token"}
    for path in (f"{ORGS}/{public['id']}", ORGS, CROSS + "?org=acme"):
        answer = await node.client.get(path, headers=stranger)
        assert_problem(answer, 401)
        assert answer.headers["www-authenticate"] == "Bearer"
    assert (await node.client.get(f"{ORGS}/{public['id']}")).status_code == 200


PROFILE_DRAFT = {
    "name": "  Clustero Romania ",
    "country": "ro",
    "website": "https://Clustero.RO/",
    "description": "Romanian cluster association",
    "services_offered": ["matchmaking", "training"],
    "partner_links": [{"name": "BG Clusters", "url": "https://bg.example.org/"}],
}


async def test_profile_is_public_and_only_an_admin_may_revise_it(node: NodeUnderTest) -> None:
    initial = await node.client.get(PROFILE)
    assert initial.status_code == 200
    assert initial.json()["name"] == node.identity.name
    assert initial.json()["country"] == node.identity.country
    assert initial.json()["version"] == 1

    body = assert_problem(
        await node.client.put(PROFILE, json=PROFILE_DRAFT, headers=node.editor), 403
    )
    assert "admin" in body["message"]
    assert_problem(await node.client.put(PROFILE, json=PROFILE_DRAFT), 401)
    assert_problem(
        await node.client.put(PROFILE, json={"name": "X", "country": "XX"}, headers=node.admin),
        422,
        "country",
    )
    assert_problem(
        await node.client.put(PROFILE, json={**PROFILE_DRAFT, "x": 1}, headers=node.admin),
        422,
        "x",
    )
    unchanged = (await node.client.get(PROFILE)).json()
    assert unchanged["name"] == node.identity.name
    assert unchanged["version"] == 1


async def test_admin_revises_the_profile_of_a_fresh_node(
    node: NodeUnderTest, nats_server: NatsServer
) -> None:
    saved = await node.client.put(PROFILE, json=PROFILE_DRAFT, headers=node.admin)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2

    shown = (await node.client.get(PROFILE)).json()
    assert shown["name"] == "Clustero Romania"
    assert shown["country"] == "RO"
    assert shown["website"] == "https://clustero.ro"
    assert shown["services_offered"] == ["matchmaking", "training"]
    assert shown["partner_links"][0]["url"] == "https://bg.example.org"
    assert shown["version"] == 2

    messages = await _stream_messages(nats_server.url, node_stream(node.identity.node), 1)
    assert [subject for subject, _ in messages] == [_subject(node, "network", node.identity.node)]
    envelope = node.keyring.open(messages[0][1], messages[0][0])
    assert envelope.type == _type("network", "revised")
    assert envelope.data["name"] == "Clustero Romania"
    assert envelope.aggregateversion == 2


async def test_admin_may_also_edit_organisations(node: NodeUnderTest) -> None:
    response = await node.client.post(ORGS, json=org_payload(), headers=node.admin)
    assert response.status_code == 201, response.text


# -- visibility -------------------------------------------------------------------------


async def test_anonymous_sees_only_public_records_and_consenting_contacts(
    node: NodeUnderTest,
) -> None:
    contacts = [
        {"name": "Yes Person", "email": "yes@example.com", "consent": True},
        {"name": "No Person", "email": "no@example.com", "consent": False},
        {"name": "Default Person", "email": "default@example.com"},
    ]
    public = await create_org(node, visibility="public", contacts=contacts)
    alliance = await create_org(node, visibility="alliance", contacts=contacts)
    node_only = await create_org(node, visibility="node", contacts=contacts)
    draft = org_payload(contacts=contacts)
    del draft["visibility"]
    response = await node.client.post(ORGS, json=draft, headers=node.editor)
    assert response.status_code == 201, response.text
    default = response.json()

    assert default["visibility"] == "alliance"

    for hidden in (alliance, node_only, default):
        body = assert_problem(await node.client.get(f"{ORGS}/{hidden['id']}"), 404, "id")
        assert hidden["id"] in body["message"]
        assert hidden["legal_name"] not in json.dumps(body)

    shown = await node.client.get(f"{ORGS}/{public['id']}")
    assert shown.status_code == 200
    assert [c["email"] for c in shown.json()["contacts"]] == ["yes@example.com"]

    anonymous_list = (await node.client.get(ORGS)).json()
    assert [item["id"] for item in anonymous_list["items"]] == [public["id"]]
    assert [c["email"] for c in anonymous_list["items"][0]["contacts"]] == ["yes@example.com"]

    everyone = {public["id"], alliance["id"], node_only["id"], default["id"]}
    for record in (public, alliance, node_only, default):
        full = await node.client.get(f"{ORGS}/{record['id']}", headers=node.editor)
        assert full.status_code == 200
        assert len(full.json()["contacts"]) == 3
    editor_list = (await node.client.get(ORGS, headers=node.editor)).json()["items"]
    assert {item["id"] for item in editor_list} == everyone
    assert all(len(item["contacts"]) == 3 for item in editor_list)

    # a deleted public organisation is gone for anonymous callers
    await node.client.delete(f"{ORGS}/{public['id']}", headers=node.editor)
    assert_problem(await node.client.get(f"{ORGS}/{public['id']}"), 404)
    assert (await node.client.get(ORGS)).json()["items"] == []


async def test_hidden_organisation_is_indistinguishable_from_unknown(node: NodeUnderTest) -> None:
    hidden = await create_org(node, visibility="node")
    unknown = f"{node.identity.node}-01UNKNOWN0000000000000000"
    hidden_body = (await node.client.get(f"{ORGS}/{hidden['id']}")).json()
    unknown_body = (await node.client.get(f"{ORGS}/{unknown}")).json()
    assert json.dumps(hidden_body).replace(hidden["id"], "<id>") == json.dumps(
        unknown_body
    ).replace(unknown, "<id>")


async def test_hidden_cluster_is_indistinguishable_from_unknown(node: NodeUnderTest) -> None:
    response = await node.client.post(
        CLUSTERS, json={"name": "Quiet", "visibility": "alliance"}, headers=node.editor
    )
    hidden = response.json()["id"]
    unknown = f"{node.identity.node}-01UNKNOWN0000000000000000"
    hidden_body = (await node.client.get(f"{CLUSTERS}/{hidden}")).json()
    unknown_body = (await node.client.get(f"{CLUSTERS}/{unknown}")).json()
    assert json.dumps(hidden_body).replace(hidden, "<id>") == json.dumps(unknown_body).replace(
        unknown, "<id>"
    )


# -- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"nace_codes": ["99.99"]}, "nace_codes"),
        ({"nace_codes": ["J"]}, "nace_codes"),
        ({"country": "XX"}, "country"),
        ({"country": "ROU"}, "country"),
        ({"country": 40}, "country"),
        ({"legal_name": "A" * 201}, "legal_name"),
        ({"legal_name": "   "}, "legal_name"),
        ({"legal_name": None}, "legal_name"),
        ({"colour": "blue"}, "colour"),
        ({"technologies": "robotics"}, "technologies"),
        ({"nace_codes": "62.10"}, "nace_codes"),
        ({"contacts": {"name": "A", "email": "a@b.co"}}, "contacts"),
        ({"contacts": [{"name": "A", "email": "not-an-email"}]}, "contacts"),
        ({"contacts": [{"name": "A", "email": "a@b.co", "phone": "1"}]}, "contacts"),
        ({"website": "ftp://acme.ro"}, "website"),
        ({"website": "https://user:pw@acme.ro"}, "website"),
        ({"website": "http://acme.ro:99999"}, "website"),
        ({"website": "http://[::1"}, "website"),
        ({"vat": "123"}, "vat"),
        ({"vat": 12345678}, "vat"),
        ({"visibility": "secret"}, "visibility"),
        ({"size_class": "huge"}, "size_class"),
        ({"cooperation_types": ["friendship"]}, "cooperation_types"),
        ({"languages": ["english"]}, "languages"),
        ({"offers": "x" * 4001}, "offers"),
        ({"technologies": ["t"] * 51}, "technologies"),
    ],
)
async def test_bad_organisation_input_is_422_naming_the_field(
    node: NodeUnderTest, overrides: dict[str, Any], field: str
) -> None:
    response = await node.client.post(ORGS, json=org_payload(**overrides), headers=node.editor)
    assert_problem(response, 422, field)


async def test_missing_required_fields_are_named(node: NodeUnderTest) -> None:
    body = assert_problem(await node.client.post(ORGS, json={}, headers=node.editor), 422)
    assert {error["field"] for error in body["errors"]} >= {"legal_name", "country"}


async def test_bad_input_on_update_is_422_and_changes_nothing(node: NodeUnderTest) -> None:
    created = await create_org(node)
    url = f"{ORGS}/{created['id']}"
    bad = org_payload(legal_name=created["legal_name"], country="XX")
    assert_problem(await node.client.put(url, json=bad, headers=node.editor), 422, "country")
    assert (await node.client.get(url, headers=node.editor)).json()["version"] == 1


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"[1, 2]", b'"just a string"', b"\xff\xfe\x00garbage"],
)
async def test_body_that_is_not_an_organisation_object_is_422(
    node: NodeUnderTest, body: bytes
) -> None:
    response = await node.client.post(
        ORGS,
        content=body,
        headers={**node.editor, "content-type": "application/json"},
    )
    assert_problem(response, 422)


async def test_duplicate_vat_is_409(node: NodeUnderTest) -> None:
    first = await create_org(node, vat="RO11112220")
    response = await node.client.post(
        ORGS, json=org_payload(vat="ro 1111 2220"), headers=node.editor
    )
    body = assert_problem(response, 409, "vat")
    assert first["id"] in body["message"]


async def test_duplicate_name_in_same_country_is_409(node: NodeUnderTest) -> None:
    await create_org(node, legal_name="Duplo Industries SRL", country="RO")
    assert_problem(
        await node.client.post(
            ORGS,
            json=org_payload(legal_name="DUPLO industries s.r.l.", country="ro"),
            headers=node.editor,
        ),
        409,
        "legal_name",
    )
    # the same name in another country is another organisation
    await create_org(node, legal_name="Duplo Industries SRL", country="BG")


async def test_update_into_a_duplicate_is_409_but_own_key_is_fine(node: NodeUnderTest) -> None:
    await create_org(node, vat="RO55550001")
    other = await create_org(node, vat="RO55551112")
    url = f"{ORGS}/{other['id']}"
    assert_problem(
        await node.client.put(url, json=org_payload(vat="RO55550001"), headers=node.editor),
        409,
        "vat",
    )
    same_key = await node.client.put(url, json=org_payload(vat="RO55551112"), headers=node.editor)
    assert same_key.status_code == 200, same_key.text
    assert same_key.json()["version"] == 2


async def test_deleted_organisation_frees_its_key(node: NodeUnderTest) -> None:
    first = await create_org(node, vat="RO77778885")
    await node.client.delete(f"{ORGS}/{first['id']}", headers=node.editor)
    again = await create_org(node, vat="RO77778885")
    assert again["id"] != first["id"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10000}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"country": "ROU"}, "country"),
        ({"sector": "x" * 9}, "sector"),
    ],
)
async def test_bad_list_parameters_are_422(
    node: NodeUnderTest, params: dict[str, Any], field: str
) -> None:
    for path in (ORGS, CLUSTERS) if field == "limit" else (ORGS,):
        assert_problem(await node.client.get(path, params=params), 422, field)


# -- lists -----------------------------------------------------------------------------


async def _filter_fixture(node: NodeUnderTest) -> dict[str, str]:
    """Three organisations differing by sector, country, cluster and offer text."""
    software = await create_org(
        node,
        country="RO",
        nace_codes=["62.10"],
        clusters=["Cluj IT"],
        offers="Embedded firmware for drones",
    )
    publishing = await create_org(
        node,
        country="DE",
        nace_codes=["58"],
        clusters=["Cluj IT", "Berlin Media"],
        offers="Printed catalogues",
        technologies=["offset printing"],
    )
    hosting = await create_org(
        node, country="RO", nace_codes=["62.1"], clusters=[], offers="Cloud hosting"
    )
    return {"software": software["id"], "publishing": publishing["id"], "hosting": hosting["id"]}


async def _listed(node: NodeUnderTest, **params: Any) -> set[str]:
    response = await node.client.get(ORGS, params=params, headers=node.editor)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_list_filters_by_country_and_text(node: NodeUnderTest) -> None:
    ids = await _filter_fixture(node)
    assert await _listed(node) == set(ids.values())
    assert await _listed(node, country="DE") == {ids["publishing"]}
    assert await _listed(node, country="ro") == {ids["software"], ids["hosting"]}
    assert await _listed(node, country="FR") == set()
    assert await _listed(node, text="firmware") == {ids["software"]}
    assert await _listed(node, text="catalogues") == {ids["publishing"]}
    assert await _listed(node, text="printing") == {ids["publishing"]}
    assert await _listed(node, text="hosting", country="RO") == {ids["hosting"]}
    assert await _listed(node, text="hosting", country="DE") == set()
    assert await _listed(node, text="nothingmatcheshere") == set()


async def test_list_filter_by_sector_finds_classes_below_a_division(node: NodeUnderTest) -> None:
    ids = await _filter_fixture(node)
    assert await _listed(node, sector="62") == {ids["software"], ids["hosting"]}
    assert await _listed(node, sector="62.1") == {ids["software"], ids["hosting"]}
    assert await _listed(node, sector="62.10") == {ids["software"]}
    assert await _listed(node, sector="58") == {ids["publishing"]}
    assert await _listed(node, sector="01") == set()


async def test_list_filter_by_cluster(node: NodeUnderTest) -> None:
    ids = await _filter_fixture(node)
    assert await _listed(node, cluster="Cluj IT") == {ids["software"], ids["publishing"]}
    assert await _listed(node, cluster="Berlin Media") == {ids["publishing"]}
    assert await _listed(node, cluster="Nowhere") == set()
    assert await _listed(node, sector="62", country="RO", cluster="Cluj IT") == {ids["software"]}


async def test_unknown_sector_or_cluster_filter_finds_nothing(node: NodeUnderTest) -> None:
    await _filter_fixture(node)
    assert await _listed(node, sector="01") == set()
    assert await _listed(node, cluster="Nowhere") == set()


async def test_cursor_pagination_returns_every_organisation_once(node: NodeUnderTest) -> None:
    created = [(await create_org(node))["id"] for _ in range(7)]
    pages: list[list[str]] = []
    after: str | None = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 3}
        if after:
            params["after"] = after
        response = await node.client.get(ORGS, params=params, headers=node.editor)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append([item["id"] for item in page["items"]])
        after = page["next"]
        if after is None:
            break
    assert [len(page) for page in pages] == [3, 3, 1]
    flat = [org_id for page in pages for org_id in page]
    assert len(set(flat)) == 7
    assert set(flat) == set(created)
    assert flat == sorted(flat)


async def test_exact_page_has_no_next(node: NodeUnderTest) -> None:
    for _ in range(3):
        await create_org(node)
    page = (await node.client.get(ORGS, params={"limit": 3}, headers=node.editor)).json()
    assert len(page["items"]) == 3
    assert page["next"] is None


async def test_anonymous_pagination_sees_only_public(node: NodeUnderTest) -> None:
    public = [(await create_org(node, visibility="public"))["id"] for _ in range(3)]
    for _ in range(3):
        await create_org(node, visibility="alliance")
    seen: list[str] = []
    after: str | None = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2, **({"after": after} if after else {})}
        page = (await node.client.get(ORGS, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == public


# -- clusters --------------------------------------------------------------------------


async def test_cluster_lifecycle(node: NodeUnderTest) -> None:
    response = await node.client.post(
        CLUSTERS,
        json={
            "name": "  Cluj IT Cluster ",
            "region": "Nord-Vest",
            "website": "HTTPS://ClujIT.ro/",
            "sectors": ["6210", "62"],
            "members": {"smes": 40, "large_companies": 5},
            "visibility": "public",
        },
        headers=node.editor,
    )
    assert response.status_code == 201, response.text
    cluster = response.json()
    assert cluster["name"] == "Cluj IT Cluster"
    assert cluster["website"] == "https://clujit.ro"
    assert cluster["sectors"] == ["62.10", "62"]
    assert cluster["members"] == {
        "smes": 40,
        "large_companies": 5,
        "research_academia": 0,
        "public_bodies": 0,
    }
    assert cluster["version"] == 1
    url = f"{CLUSTERS}/{cluster['id']}"

    hidden = await node.client.post(
        CLUSTERS, json={"name": "Quiet Cluster", "visibility": "node"}, headers=node.editor
    )
    assert hidden.status_code == 201

    assert_same_record((await node.client.get(url)).json(), cluster)
    assert_problem(await node.client.get(f"{CLUSTERS}/{hidden.json()['id']}"), 404)
    anonymous = (await node.client.get(CLUSTERS)).json()
    assert [item["id"] for item in anonymous["items"]] == [cluster["id"]]
    full = (await node.client.get(CLUSTERS, headers=node.editor)).json()
    assert {item["id"] for item in full["items"]} == {cluster["id"], hidden.json()["id"]}

    updated = await node.client.put(
        url, json={"name": "Cluj IT", "visibility": "public"}, headers=node.editor
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert updated.json()["name"] == "Cluj IT"
    assert updated.json()["sectors"] == []

    deleted = await node.client.delete(url, headers=node.editor)
    assert deleted.status_code == 200
    assert deleted.json()["deleted"] is True
    assert deleted.json()["version"] == 3
    assert_problem(await node.client.delete(url, headers=node.editor), 410)
    assert_problem(await node.client.put(url, json={"name": "X"}, headers=node.editor), 410)
    assert_problem(await node.client.get(url), 404)
    listed = (await node.client.get(CLUSTERS, headers=node.editor)).json()["items"]
    assert [item["id"] for item in listed] == [hidden.json()["id"]]


async def test_cluster_bad_input_and_unknown(node: NodeUnderTest) -> None:
    for draft, field in (
        ({"name": "C", "sectors": ["00"]}, "sectors"),
        ({"name": "C", "members": {"smes": -1}}, "members"),
        ({"name": "C", "members": {"smes": "many"}}, "members"),
        ({"name": "C", "size": 3}, "size"),
        ({"name": ""}, "name"),
        ({"name": "C", "sectors": "62"}, "sectors"),
    ):
        response = await node.client.post(CLUSTERS, json=draft, headers=node.editor)
        assert_problem(response, 422, field)
    missing = f"{CLUSTERS}/{node.identity.node}-NOPE"
    assert_problem(await node.client.get(missing), 404, "id")
    assert_problem(await node.client.put(missing, json={"name": "X"}, headers=node.editor), 404)
    assert_problem(await node.client.delete(missing, headers=node.editor), 404)


async def test_cluster_pagination(node: NodeUnderTest) -> None:
    ids = []
    for index in range(5):
        response = await node.client.post(
            CLUSTERS, json={"name": f"Cluster {index}"}, headers=node.editor
        )
        ids.append(response.json()["id"])
    first = (await node.client.get(CLUSTERS, params={"limit": 3}, headers=node.editor)).json()
    assert [item["id"] for item in first["items"]] == ids[:3]
    assert first["next"] is not None
    params = {"limit": 3, "after": first["next"]}
    second = (await node.client.get(CLUSTERS, params=params, headers=node.editor)).json()
    assert [item["id"] for item in second["items"]] == ids[3:]
    assert second["next"] is None


# -- cross-membership ------------------------------------------------------------------


async def test_cross_membership_finds_by_name_vat_and_website(node: NodeUnderTest) -> None:
    acme = await create_org(
        node,
        legal_name="ACME Robotics S.R.L.",
        vat="RO98765438",
        website="https://www.acme-robotics.ro/about",
        visibility="alliance",
    )

    async def look_up(query: str) -> dict[str, Any]:
        response = await node.client.get(CROSS, params={"org": query})
        assert response.status_code == 200, response.text
        return response.json()

    for query in (
        "acme robotics",
        "ACME Robotics SRL",
        "Acme Robotics s.r.l.",
        "RO98765438",
        "ro 9876 5438",
        "acme-robotics.ro",
        "www.acme-robotics.ro",
        "https://acme-robotics.ro",
    ):
        found = await look_up(query)
        assert found["query"] == query
        assert found["member"] is True, query
        assert found["networks"] == [
            {
                "node": node.identity.node,
                "network": node.identity.name,
                "organization_id": acme["id"],
                "legal_name": "ACME Robotics S.R.L.",
                "country": "RO",
            }
        ], query

    for query in ("Acme", "acme robotics international", "RO00000001", "other.ro"):
        found = await look_up(query)
        assert found == {"query": query, "member": False, "networks": []}, query

    await node.client.delete(f"{ORGS}/{acme['id']}", headers=node.editor)
    assert (await look_up("acme robotics"))["member"] is False


async def test_cross_membership_needs_a_query(node: NodeUnderTest) -> None:
    assert_problem(await node.client.get(CROSS), 422, "org")
    assert_problem(await node.client.get(CROSS, params={"org": "a"}), 422, "org")
    assert_problem(await node.client.get(CROSS, params={"org": "x" * 201}), 422, "org")
    assert_problem(await node.client.get(CROSS, params={"org": "..."}), 422, "org")


@pytest.mark.parametrize("query", ["acme[ro", "http://[::1"])
async def test_cross_membership_never_fails_on_odd_queries(node: NodeUnderTest, query: str) -> None:
    response = await node.client.get(CROSS, params={"org": query})
    assert response.status_code in (200, 422), response.text


# -- events leave the node -------------------------------------------------------------


async def _stream_messages(
    nats_url: str, stream: str, expected: int, wait_seconds: float = 10.0
) -> list[tuple[str, bytes]]:
    """Every message of ``stream`` once it holds ``expected`` (and no more arrive)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        count = 0
        try:
            async with asyncio.timeout(wait_seconds):
                while True:
                    count = (await js.stream_info(stream)).state.messages
                    if count >= expected:
                        break
                    await asyncio.sleep(0.1)
        except TimeoutError:
            pytest.fail(f"only {count} of {expected} events reached {stream}")
        await asyncio.sleep(0.7)  # longer than the relay's idle poll: catch any extra
        info = await js.stream_info(stream)
        messages = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                raw = await js.get_msg(stream, seq)
            except NotFoundError:
                continue
            assert raw.subject is not None and raw.data is not None
            messages.append((raw.subject, raw.data))
        return messages
    finally:
        await nc.close()


def _subject(node: NodeUnderTest, aggregate: str, aggregate_id: str) -> str:
    return event_subject(
        Channel.ALLIANCE, node.identity.node, "membership", aggregate, aggregate_id
    )


def _type(aggregate: str, event: str) -> str:
    return f"eu.clustersalliance.membership.{aggregate}.{event}"


async def test_only_shareable_changes_leave_the_node_signed(
    node: NodeUnderTest, nats_server: NatsServer
) -> None:
    public = await create_org(
        node,
        legal_name="Open Gears SRL",
        visibility="public",
        contacts=[
            {"name": "Public Person", "email": "public@gears.ro", "consent": True},
            {"name": "Secret Person", "email": "secret@gears.ro", "consent": False},
        ],
    )
    hidden = await create_org(
        node,
        legal_name="Hidden Works SRL",
        visibility="node",
        contacts=[{"name": "Hidden Person", "email": "hidden@works.ro", "consent": True}],
    )
    # changes to a node-only organisation never leave the node either
    put = await node.client.put(
        f"{ORGS}/{hidden['id']}",
        json=org_payload(legal_name="Hidden Works SRL", visibility="node"),
        headers=node.editor,
    )
    assert put.status_code == 200
    assert (await node.client.delete(f"{ORGS}/{hidden['id']}", headers=node.editor)).is_success

    stream = node_stream(node.identity.node)
    messages = await _stream_messages(nats_server.url, stream, expected=1)
    assert [subject for subject, _ in messages] == [_subject(node, "organization", public["id"])]

    ring = KeyRing({node.identity.node: node.identity.public_key})
    subject, data = messages[0]
    envelope = ring.open(data, subject)
    assert envelope.type == _type("organization", "registered")
    assert envelope.origin == node.identity.node
    assert envelope.aggregateid == public["id"]
    assert envelope.aggregateversion == 1
    assert envelope.data["id"] == public["id"]
    assert envelope.data["legal_name"] == "Open Gears SRL"
    assert envelope.data["visibility"] == "public"
    assert [c["email"] for c in envelope.data["contacts"]] == ["public@gears.ro"]
    for raw in (data for _, data in messages):
        assert b"secret@gears.ro" not in raw
        assert b"Secret Person" not in raw
        assert hidden["id"].encode() not in raw
        assert b"Hidden Works" not in raw
        assert b"hidden@works.ro" not in raw

    # a tampered copy does not verify
    forged = json.loads(data)
    forged["data"]["legal_name"] = "Forged SRL"
    with pytest.raises(Exception, match="bad_signature"):
        ring.open(json.dumps(forged).encode(), subject)


class _Published:
    """Every message published on some subjects from now on, in order.

    A stream keeps only the latest event of each aggregate, so the whole sequence of an
    aggregate's events is seen as the relay publishes them.
    """

    def __init__(self, client: nats.aio.client.Client) -> None:
        self.client = client
        self.seen: list[tuple[str, bytes]] = []
        self.arrived = asyncio.Event()

    @classmethod
    async def on(cls, nats_url: str, subjects_filter: str) -> _Published:
        watch = cls(await nats.connect(nats_url))

        async def keep(message: nats.aio.msg.Msg) -> None:
            watch.seen.append((message.subject, message.data))
            watch.arrived.set()

        await watch.client.subscribe(subjects_filter, cb=keep)
        await watch.client.flush()
        return watch

    async def messages(self, expected: int) -> list[tuple[str, bytes]]:
        """What was published once ``expected`` were (and no more arrive)."""
        async with asyncio.timeout(10):
            while len(self.seen) < expected:
                self.arrived.clear()
                await self.arrived.wait()
        await asyncio.sleep(0.7)  # longer than the relay's idle poll: catch any extra
        await self.client.close()
        return self.seen


async def test_every_shared_change_is_one_event_in_order(
    node: NodeUnderTest, nats_server: NatsServer
) -> None:
    published = await _Published.on(nats_server.url, f"alliance.{node.identity.node}.>")
    public = await create_org(node, visibility="public")
    url = f"{ORGS}/{public['id']}"
    revised = org_payload(legal_name=public["legal_name"], visibility="alliance", city="Arad")
    assert (await node.client.put(url, json=revised, headers=node.editor)).status_code == 200
    withdrawn = org_payload(legal_name=public["legal_name"], visibility="node")
    assert (await node.client.put(url, json=withdrawn, headers=node.editor)).status_code == 200
    back = org_payload(legal_name=public["legal_name"], visibility="public")
    assert (await node.client.put(url, json=back, headers=node.editor)).status_code == 200
    assert (await node.client.delete(url, headers=node.editor)).status_code == 200

    cluster = await node.client.post(
        CLUSTERS, json={"name": "Shared Cluster", "visibility": "alliance"}, headers=node.editor
    )
    await node.client.post(
        CLUSTERS, json={"name": "Own Cluster", "visibility": "node"}, headers=node.editor
    )

    expected = [
        ("organization", "registered", 1),
        ("organization", "revised", 2),
        ("organization", "withdrawn", 3),  # made node-only
        ("organization", "revised", 4),  # shared again
        ("organization", "withdrawn", 5),  # deleted
        ("cluster", "registered", 1),
    ]
    messages = await published.messages(expected=len(expected))
    ring = KeyRing({node.identity.node: node.identity.public_key})
    envelopes: list[Envelope] = [ring.open(data, subject) for subject, data in messages]
    assert [(e.type, e.aggregateversion) for e in envelopes] == [
        (_type(aggregate, event), version) for aggregate, event, version in expected
    ]
    ids = [public["id"]] * 5 + [cluster.json()["id"]]
    aggregates = [aggregate for aggregate, _, _ in expected]
    assert [e.subject for e in envelopes] == [
        _subject(node, aggregate, aggregate_id)
        for aggregate, aggregate_id in zip(aggregates, ids, strict=True)
    ]
    assert len({e.id for e in envelopes}) == len(envelopes)

    withdrawal = envelopes[2]
    assert withdrawal.aggregateid == public["id"]
    assert withdrawal.data["id"] == public["id"]
    assert withdrawal.data["reason"] == "restricted"
    assert "legal_name" not in withdrawal.data
    deletion = envelopes[4]
    assert deletion.data == {"id": public["id"], "reason": "deleted"}
    assert deletion.schemaversion == "1.0"
    assert envelopes[1].data["visibility"] == Visibility.ALLIANCE.value
    assert envelopes[1].data["city"] == "Arad"
    assert envelopes[5].aggregateid == cluster.json()["id"]
    assert envelopes[5].data["name"] == "Shared Cluster"
