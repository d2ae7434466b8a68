"""Inputs a newcomer sends on a first try, through a whole in-process node on real servers:
member counts past the store's integers, VAT numbers, NACE Rev. 2 codes (converted, and
said so), CSV files as spreadsheets save them, the import template, content types."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response

from tests.conftest import NodeUnderTest
from tests.integration.test_membership_api import assert_problem, org_payload

NODE_SERVICES = ("membership",)  # what the `node` fixture starts (tests/conftest.py)

ORGS = "/api/membership/organizations"
CLUSTERS = "/api/membership/clusters"
IMPORT = f"{ORGS}/import"
TEMPLATE = f"{IMPORT}/template"


async def post_csv(node: NodeUnderTest, body: str, content_type: str = "text/csv") -> Response:
    headers = {**node.editor, "content-type": content_type}
    return await node.client.post(IMPORT, content=body.encode(), headers=headers)


async def names(node: NodeUnderTest) -> set[str]:
    page = await node.client.get(ORGS, params={"limit": 500}, headers=node.editor)
    return {item["legal_name"] for item in page.json()["items"]}


@pytest.mark.parametrize("count", [2**63, 2**64, 10**30])
async def test_member_counts_past_the_stores_integers_are_422(
    node: NodeUnderTest, count: int
) -> None:
    draft = {"name": "Huge Cluster", "members": {"smes": 1, "large_companies": count}}
    answer = assert_problem(
        await node.client.post(CLUSTERS, json=draft, headers=node.editor), 422, "members"
    )
    assert "1000000" in answer["message"]
    assert (await node.client.get(CLUSTERS, headers=node.editor)).json()["items"] == []


async def test_an_invalid_vat_number_is_422_naming_the_countrys_format(
    node: NodeUnderTest,
) -> None:
    response = await node.client.post(ORGS, json=org_payload(vat="RO12345678"), headers=node.editor)
    answer = assert_problem(response, 422, "vat")
    assert "Romania" in answer["message"]
    assert "RO and 2 to 10 digits" in answer["message"]


async def test_rev2_nace_codes_are_stored_as_rev21_and_the_answer_says_so(
    node: NodeUnderTest,
) -> None:
    response = await node.client.post(
        ORGS, json=org_payload(nace_codes=["62.01", "63.11", "28"]), headers=node.editor
    )
    assert response.status_code == 201, response.text
    assert response.json()["nace_codes"] == ["62.10", "63.10", "28"]
    notices = response.headers.get_list("alliance-notice")
    assert notices == [
        "nace_codes: NACE Rev. 2 code 62.01 is 62.10 in NACE Rev. 2.1, stored as such",
        "nace_codes: NACE Rev. 2 code 63.11 is 63.10 in NACE Rev. 2.1, stored as such",
    ]
    org_id = response.json()["id"]
    revised = await node.client.put(
        f"{ORGS}/{org_id}",
        json=org_payload(legal_name=response.json()["legal_name"], nace_codes=["62.09"]),
        headers=node.editor,
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["nace_codes"] == ["62.90"]
    assert len(revised.headers.get_list("alliance-notice")) == 1
    plain = await node.client.post(ORGS, json=org_payload(), headers=node.editor)
    assert plain.status_code == 201
    assert "alliance-notice" not in plain.headers
    cluster = await node.client.post(
        CLUSTERS, json={"name": "IT Cluster", "sectors": ["62.02"]}, headers=node.editor
    )
    assert cluster.json()["sectors"] == ["62.20"]
    assert cluster.headers["alliance-notice"].startswith("sectors: NACE Rev. 2 code 62.02")


async def test_a_rev2_code_split_in_rev21_is_422_naming_the_candidates(
    node: NodeUnderTest,
) -> None:
    response = await node.client.post(
        ORGS, json=org_payload(nace_codes=["74.10"]), headers=node.editor
    )
    answer = assert_problem(response, 422, "nace_codes")
    assert "74.11, 74.12, 74.13, 74.14" in answer["message"]


# -- CSV ---------------------------------------------------------------------------------


async def test_the_template_downloads_and_imports_as_it_is(node: NodeUnderTest) -> None:
    template = await node.client.get(TEMPLATE)  # no token needed to read it
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("text/csv")
    assert "attachment" in template.headers["content-disposition"]
    header, example = template.text.strip().split("\r\n")
    assert header.startswith("legal_name,vat,country,")
    result = await post_csv(node, template.text)
    assert result.status_code == 200, result.text
    assert [entry["row"] for entry in result.json()["created"]] == [2]
    assert result.json()["errors"] == []
    assert await names(node) == {example.split(",")[0]}


async def test_a_semicolon_separated_file_as_spreadsheets_save_it_is_imported(
    node: NodeUnderTest,
) -> None:
    body = (
        "\ufefflegal_name;vat;country;nace_codes;technologies;city\r\n"
        "Acme Robotică SRL;RO18547290;RO;62.01,28;AI, robots;Cluj-Napoca\r\n"
        "Bêta SAS;;FR;62.10;;Lyon\r\n"
    )
    result = await post_csv(node, body, "text/csv; charset=UTF-8")
    assert result.status_code == 200, result.text
    report = result.json()
    assert [entry["row"] for entry in report["created"]] == [2, 3]
    assert report["errors"] == []
    assert report["notices"] == [
        {
            "row": 2,
            "field": "nace_codes",
            "reason": "NACE Rev. 2 code 62.01 is 62.10 in NACE Rev. 2.1, stored as such",
        }
    ]
    acme = await node.client.get(f"{ORGS}/{report['created'][0]['id']}", headers=node.editor)
    assert acme.json()["nace_codes"] == ["62.10", "28"]
    assert acme.json()["technologies"] == ["ai", "robots"]


async def test_notices_are_reported_only_for_rows_that_landed(node: NodeUnderTest) -> None:
    body = "legal_name,country,nace_codes\nAcme SRL,RO,62.01\nAcme S.R.L.,RO,62.02\n"
    report = (await post_csv(node, body)).json()
    assert [entry["row"] for entry in report["created"]] == [2]
    assert [error["row"] for error in report["errors"]] == [3]
    assert [notice["row"] for notice in report["notices"]] == [2]


async def test_an_unknown_column_is_named_in_the_answer(node: NodeUnderTest) -> None:
    answer = assert_problem(await post_csv(node, "legal_name,countri\nAcme,RO\n"), 422)
    assert "unknown column 'countri' (did you mean 'country'?)" in answer["message"]
    assert await names(node) == set()


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_the_import_refuses_other_content_types_with_415_naming_the_accepted_ones(
    node: NodeUnderTest, content_type: str
) -> None:
    answer = assert_problem(
        await post_csv(node, "legal_name,country\nAcme,RO\n", content_type), 415, "content-type"
    )
    assert "text/csv" in answer["message"]
    assert content_type.split(";")[0] in answer["message"]
    assert await names(node) == set()


async def test_the_import_refuses_a_missing_content_type_and_other_charsets(
    node: NodeUnderTest,
) -> None:
    body = b"legal_name,country\nAcme,RO\n"
    missing = await node.client.post(IMPORT, content=body, headers=node.editor)
    assert "got none" in assert_problem(missing, 415, "content-type")["message"]
    latin = await post_csv(node, "legal_name,country\nAcme,RO\n", "text/csv; charset=latin-1")
    assert "UTF-8" in assert_problem(latin, 415, "content-type")["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/vnd.ms-excel"])
async def test_what_browsers_send_for_a_csv_file_is_accepted(
    node: NodeUnderTest, content_type: str
) -> None:
    result: Any = await post_csv(node, "legal_name,country\nAcme SRL,RO\n", content_type)
    assert result.status_code == 200, result.text


@pytest.mark.parametrize(
    "look_alike",
    ["\u0410cme Robotics SRL", "Ac\u200bme Robotics SRL", "Acme Ro\u00adbotics SRL"],
)
async def test_a_look_alike_name_is_a_duplicate(node: NodeUnderTest, look_alike: str) -> None:
    first = await node.client.post(
        ORGS, json=org_payload(legal_name="Acme Robotics SRL"), headers=node.editor
    )
    assert first.status_code == 201, first.text
    again = await node.client.post(
        ORGS, json=org_payload(legal_name=look_alike), headers=node.editor
    )
    assert first.json()["id"] in assert_problem(again, 409, "legal_name")["message"]
    found = await node.client.get(
        "/api/membership/cross-membership", params={"org": look_alike}, headers=node.editor
    )
    assert [n["organization_id"] for n in found.json()["networks"]] == [first.json()["id"]]
    report = (await post_csv(node, f"legal_name,country\n{look_alike},RO\n")).json()
    assert report["created"] == []
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "legal_name")]
