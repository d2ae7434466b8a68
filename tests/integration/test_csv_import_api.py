"""CSV import over HTTP: good rows land, every bad row is named by line, field and reason.

Runs against a whole in-process node on real servers (nats-server, nx-27017).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import nats
import pytest
from httpx import Response

from shared.runtime import NatsServer
from shared.subjects import Channel, event_subject, node_stream
from tests.conftest import NodeUnderTest

NODE_SERVICES = ("membership",)  # what the `node` fixture starts (tests/conftest.py)

IMPORT = "/api/membership/organizations/import"
ORGS = "/api/membership/organizations"
CSV = {"content-type": "text/csv"}


def tag() -> str:
    return uuid.uuid4().hex[:8]


async def post_csv(
    node: NodeUnderTest, body: str | bytes, headers: dict[str, str] | None = None
) -> Response:
    content = body.encode() if isinstance(body, str) else body
    auth = node.editor if headers is None else headers
    return await node.client.post(IMPORT, content=content, headers={**auth, **CSV})


async def imported(node: NodeUnderTest, body: str | bytes) -> dict[str, Any]:
    response = await post_csv(node, body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) == {"created", "errors", "notices"}
    return result


async def all_orgs(node: NodeUnderTest) -> list[dict[str, Any]]:
    response = await node.client.get(ORGS, params={"limit": 500}, headers=node.editor)
    assert response.status_code == 200, response.text
    assert response.json()["next"] is None
    return response.json()["items"]


def errors_by_row(result: dict[str, Any]) -> list[tuple[int, str]]:
    return [(error["row"], error["field"]) for error in result["errors"]]


def reason(result: dict[str, Any], row: int, field: str) -> str:
    [found] = [e["reason"] for e in result["errors"] if (e["row"], e["field"]) == (row, field)]
    assert found.strip()
    return found


async def test_mixed_rows_good_land_and_bad_are_reported(node: NodeUnderTest) -> None:
    t = tag()
    lines = [
        "legal_name,vat,country,city,nace_codes,technologies,offers,visibility",  # 1
        f"Alpha {t} SRL,ro 100.200-30,ro, Cluj ,6210;58,AI; Robotics ;ai,drones,public",  # 2
        f'"Beta {t}, ""Quoted""',  # 3: a quoted cell spanning two lines
        'and more",,DE,,,,"printing, binding",',  # 4
        f"Gamma {t},,XX,,,,,",  # 5: unknown country
        "",  # 6: blank lines are skipped but still counted
        f"Delta {t},,RO,,00.00,,,",  # 7: unknown NACE code
        f"{'L' * 201},,RO,,,,,",  # 8: name too long
        f"Epsilon {t},,RO,,,,,secret",  # 9: bad visibility
        f"Zeta {t},,RO,,,,,,surplus",  # 10: more cells than columns
        f"Eta {t},,RO,,,,,,,",  # 11: empty surplus cells are fine
        f"ALPHA {t} s.r.l.,,BG,,,,,",  # 12: same name, other country: fine
        f"Theta {t},RO100 200 30,FR,,,,,",  # 13: VAT repeats row 2
        f"Iota {t},,,,,,,",  # 14: country missing
        f"Kappa {t},,RO,,62,,,node",  # 15
    ]
    result = await imported(node, "\n".join(lines) + "\n")

    assert [entry["row"] for entry in result["created"]] == [2, 3, 11, 12, 15]
    assert errors_by_row(result) == [
        (5, "country"),
        (7, "nace_codes"),
        (8, "legal_name"),
        (9, "visibility"),
        (10, "row"),
        (13, "vat"),
        (14, "country"),
    ]
    assert "XX" in reason(result, 5, "country")
    assert "00.00" in reason(result, 7, "nace_codes")
    assert "200" in reason(result, 8, "legal_name")
    assert "9 cells but the header has 8" in reason(result, 10, "row")
    assert "row 2" in reason(result, 13, "vat")

    ids = {entry["row"]: entry["id"] for entry in result["created"]}
    assert len(set(ids.values())) == 5
    listed = {org["id"]: org for org in await all_orgs(node)}
    assert set(listed) == set(ids.values())

    alpha = listed[ids[2]]
    assert alpha["legal_name"] == f"Alpha {t} SRL"
    assert alpha["vat"] == "RO10020030"
    assert alpha["country"] == "RO"
    assert alpha["city"] == "Cluj"
    assert alpha["nace_codes"] == ["62.10", "58"]
    assert alpha["technologies"] == ["ai", "robotics"]
    assert alpha["visibility"] == "public"
    assert alpha["version"] == 1
    beta = listed[ids[3]]
    assert beta["legal_name"] == f'Beta {t}, "Quoted"\nand more'
    assert beta["offers"] == "printing, binding"
    assert beta["visibility"] == "alliance"
    assert listed[ids[15]]["visibility"] == "node"

    # what landed is an ordinary organisation: readable, filterable, searchable
    public = await node.client.get(f"{ORGS}/{ids[2]}")
    assert public.status_code == 200
    by_country = await node.client.get(ORGS, params={"country": "BG"}, headers=node.editor)
    assert [org["id"] for org in by_country.json()["items"]] == [ids[12]]
    by_text = await node.client.get(ORGS, params={"text": "binding"}, headers=node.editor)
    assert [org["id"] for org in by_text.json()["items"]] == [ids[3]]
    anonymous = (await node.client.get(ORGS)).json()["items"]
    assert [org["id"] for org in anonymous] == [ids[2]]


async def test_every_failing_field_of_a_row_is_reported(node: NodeUnderTest) -> None:
    body = "legal_name,country,nace_codes,size_class,languages\n,XX,99.99,huge,english\n"
    result = await imported(node, body)
    assert result["created"] == []
    assert sorted(errors_by_row(result)) == [
        (2, "country"),
        (2, "languages"),
        (2, "legal_name"),
        (2, "nace_codes"),
        (2, "size_class"),
    ]
    assert await all_orgs(node) == []


async def test_bom_crlf_and_accents_are_read(node: NodeUnderTest) -> None:
    t = tag()
    body = (
        f"\ufefflegal_name,country,city\r\nŢesătoria {t} SRL,RO,Brașov\r\nSociété {t},FR,Lyon\r\n"
    )
    result = await imported(node, body.encode("utf-8"))
    assert result["errors"] == []
    assert [entry["row"] for entry in result["created"]] == [2, 3]
    names = {org["legal_name"]: org["city"] for org in await all_orgs(node)}
    assert names == {f"Ţesătoria {t} SRL": "Brașov", f"Société {t}": "Lyon"}


async def test_rows_duplicating_existing_organisations_are_reported(node: NodeUnderTest) -> None:
    t = tag()
    by_vat = await node.client.post(
        ORGS,
        json={"legal_name": f"Vatco {t}", "vat": "RO31313130", "country": "RO"},
        headers=node.editor,
    )
    by_name = await node.client.post(
        ORGS, json={"legal_name": f"Namer {t} SRL", "country": "RO"}, headers=node.editor
    )
    assert by_vat.status_code == by_name.status_code == 201
    body = "\n".join(
        [
            "legal_name,vat,country",
            f"Other Name {t},ro 3131 3130,RO",  # 2: VAT of an existing organisation
            f"NAMER {t} S.R.L.,,ro",  # 3: name+country of an existing one
            f"Namer {t} SRL,,HU",  # 4: same name, other country
            f"Fresh {t},,RO",  # 5
        ]
    )
    result = await imported(node, body)

    assert [entry["row"] for entry in result["created"]] == [4, 5]
    assert errors_by_row(result) == [(2, "vat"), (3, "legal_name")]
    assert by_vat.json()["id"] in reason(result, 2, "vat")
    assert "already registered" in reason(result, 2, "vat")
    assert by_name.json()["id"] in reason(result, 3, "legal_name")

    listed = await all_orgs(node)
    assert len(listed) == 4
    existing = {by_vat.json()["id"], by_name.json()["id"]}
    assert {org["id"] for org in listed} == existing | {e["id"] for e in result["created"]}
    assert all(org["version"] == 1 for org in listed)

    # importing the same file again lands nothing new
    again = await imported(node, body)
    assert again["created"] == []
    assert [row for row, _ in errors_by_row(again)] == [2, 3, 4, 5]
    assert len(await all_orgs(node)) == 4


async def refused(node: NodeUnderTest, body: str | bytes) -> dict[str, Any]:
    """A file whose header is unusable is refused whole: 422 naming every problem."""
    response = await post_csv(node, body)
    assert response.status_code == 422, response.text
    result = response.json()
    assert result["message"].strip()
    return dict(result)


async def test_header_problems_are_reported_and_nothing_lands(node: NodeUnderTest) -> None:
    result = await refused(node, "legal_name,colour,legal_name\nA,red,B\n")
    assert errors_by_row(result) == [(1, "colour"), (1, "legal_name"), (1, "country")]
    assert "unknown column" in reason(result, 1, "colour")
    assert "more than once" in reason(result, 1, "legal_name")
    assert "required" in reason(result, 1, "country")

    no_header = await refused(node, "Acme SRL,RO\nBeta SRL,DE\n")
    assert errors_by_row(no_header) == [(1, "header")]
    assert "legal_name" in no_header["errors"][0]["reason"]
    assert await all_orgs(node) == []


async def test_header_only_file_imports_nothing(node: NodeUnderTest) -> None:
    result = await imported(node, "legal_name,country\n")
    assert result == {"created": [], "errors": [], "notices": []}


@pytest.mark.parametrize("body", [b"", b"\n\n", b"\xef\xbb\xbf"])
async def test_empty_file_imports_nothing_and_says_why(node: NodeUnderTest, body: bytes) -> None:
    response = await post_csv(node, body)
    assert response.status_code < 500
    assert "empty" in response.text
    assert await all_orgs(node) == []


async def test_empty_body_is_refused_with_4xx_and_message(node: NodeUnderTest) -> None:
    response = await post_csv(node, b"")
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert "empty" in body["message"]


@pytest.mark.parametrize(
    "body",
    [
        "legal_name,country\nSociété Tech,FR\n".encode("latin-1"),
        "legal_name,country\nAcme,RO\n".encode("utf-16"),
        b"legal_name,country\nAcme,RO\n\xff\xfe\n",
    ],
)
async def test_non_utf8_file_is_422(node: NodeUnderTest, body: bytes) -> None:
    response = await post_csv(node, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert "UTF-8" in problem["message"]
    assert problem["errors"] == [{"field": "file", "reason": "the file is not UTF-8 text"}]
    assert await all_orgs(node) == []


async def test_file_over_the_size_limit_is_refused(node: NodeUnderTest) -> None:
    row = "Acme SRL,RO\n"
    body = "legal_name,country\n" + row * (5 * 1024 * 1024 // len(row) + 1)
    response = await post_csv(node, body)
    assert response.status_code == 413, response.text
    problem = response.json()
    assert "5 MiB" in problem["message"]
    assert [error["field"] for error in problem["errors"]] == ["body"]
    assert await all_orgs(node) == []


async def test_import_needs_an_editor_token(node: NodeUnderTest) -> None:
    body = "legal_name,country\nTokenless SRL,RO\n"
    for headers in ({}, {"Authorization": "Bearer alt_unknown"}, {"Authorization": "x"}):
        response = await post_csv(node, body, headers=headers)
        assert response.status_code == 401, response.text
        assert "token" in response.json()["message"].lower()
    assert await all_orgs(node) == []
    as_admin = await post_csv(node, body, headers=node.admin)
    assert as_admin.status_code == 200
    assert [entry["row"] for entry in as_admin.json()["created"]] == [2]


async def test_unreadable_row_does_not_swallow_the_rows_after_it(node: NodeUnderTest) -> None:
    t = tag()
    body = (
        f"legal_name,country,offers\nBefore {t},RO,\nHuge {t},RO,{'x' * 140_000}\nAfter {t},RO,\n"
    )
    result = await imported(node, body)
    assert [entry["row"] for entry in result["created"]][:1] == [2]
    assert 3 in [error["row"] for error in result["errors"]]
    accounted = {e["row"] for e in result["created"]} | {e["row"] for e in result["errors"]}
    assert 4 in accounted


async def test_imported_rows_are_announced_like_any_registration(
    node: NodeUnderTest, nats_server: NatsServer
) -> None:
    t = tag()
    body = "\n".join(
        [
            "legal_name,country,visibility",
            f"Shared One {t},RO,public",
            f"Shared Two {t},RO,alliance",
            f"Kept Home {t},RO,node",
            f"Broken {t},XX,public",
        ]
    )
    result = await imported(node, body)
    assert [entry["row"] for entry in result["created"]] == [2, 3, 4]
    ids = {entry["row"]: entry["id"] for entry in result["created"]}

    stream = node_stream(node.identity.node)
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        async with asyncio.timeout(10):
            while True:
                if (await js.stream_info(stream)).state.messages >= 2:
                    break
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.7)  # let any unexpected extra event arrive too
        info = await js.stream_info(stream)
        messages = [
            await js.get_msg(stream, seq)
            for seq in range(info.state.first_seq, info.state.last_seq + 1)
        ]
    finally:
        await nc.close()

    assert [msg.subject for msg in messages] == [
        event_subject(Channel.ALLIANCE, node.identity.node, "membership", "organization", ids[row])
        for row in (2, 3)
    ]
    envelopes = [node.keyring.open(msg.data or b"", msg.subject or "") for msg in messages]
    assert [e.aggregateid for e in envelopes] == [ids[2], ids[3]]
    assert {e.type for e in envelopes} == {"eu.clustersalliance.membership.organization.registered"}
    assert all(ids[4].encode() not in (msg.data or b"") for msg in messages)
    assert all(b"Kept Home" not in (msg.data or b"") for msg in messages)


# -- a long import is a job other writes do not wait behind ------------------------------


def many_rows(count: int, t: str) -> str:
    return "\n".join(
        ["legal_name,country,nace_codes,visibility"]
        + [f"Bulk {t} {i} SRL,RO,62.10,alliance" for i in range(count)]
    )


async def finished(node: NodeUnderTest, location: str) -> dict[str, Any]:
    for _ in range(600):
        job = (await node.client.get(location, headers=node.editor)).json()
        if job["status"] != "running":
            return dict(job)
        await asyncio.sleep(0.1)
    raise AssertionError(f"import {location} still running")


async def test_an_import_can_be_followed_as_a_job(node: NodeUnderTest) -> None:
    t = tag()
    body = many_rows(450, t) + f"\nBroken {t},XX,,public\nBulk {t} 3 SRL,RO,,"
    accepted = await node.client.post(
        IMPORT,
        content=body.encode(),
        headers={**node.editor, **CSV, "Prefer": "respond-async"},
    )
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["location"]
    assert location == f"/api/membership/imports/{accepted.json()['id']}"
    # every row of the file counts: the two refused on reading are done from the start
    assert accepted.json()["total"] == 452 and accepted.json()["status"] == "running"
    assert accepted.json()["done"] >= 2
    job = await finished(node, location)
    assert (job["status"], job["done"], job["total"]) == ("done", 452, 452)
    report = job["result"]
    assert set(report) == {"created", "errors", "notices"} and len(report["created"]) == 450
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (452, "country"),
        (453, "legal_name"),
    ]
    assert "row 5" in report["errors"][1]["reason"]  # the duplicate names its first line


async def test_other_writes_go_on_while_an_import_runs(node: NodeUnderTest) -> None:
    """Chunks commit one by one, so a single registration lands between two of them."""
    t = tag()
    accepted = await node.client.post(
        IMPORT,
        content=many_rows(5000, t).encode(),
        headers={**node.editor, **CSV, "Prefer": "respond-async"},
    )
    assert accepted.status_code == 202
    location = accepted.headers["location"]
    for _ in range(300):  # until the first chunk is in
        if (await node.client.get(location, headers=node.editor)).json()["done"]:
            break
        await asyncio.sleep(0.01)
    single = await node.client.post(
        ORGS, json={"legal_name": f"Single {t} SRL", "country": "RO"}, headers=node.editor
    )
    assert single.status_code == 201
    job = await finished(node, location)
    imported_ids = sorted(entry["id"] for entry in job["result"]["created"])
    assert len(imported_ids) == 5000
    assert imported_ids[0] < single.json()["id"] < imported_ids[-1]  # ids sort by time


async def test_import_jobs_are_for_editors_and_unknown_ones_are_404(node: NodeUnderTest) -> None:
    accepted = await node.client.post(
        IMPORT,
        content=many_rows(3, tag()).encode(),
        headers={**node.editor, **CSV, "Prefer": "respond-async"},
    )
    location = accepted.headers["location"]
    assert (await node.client.get(location)).status_code == 401
    assert (await node.client.get(location, headers=node.editor)).status_code == 200
    missing = await node.client.get("/api/membership/imports/nope", headers=node.editor)
    assert missing.status_code == 404 and missing.json()["message"]
