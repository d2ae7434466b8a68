"""How the HTTP edge words its refusals, against a whole in-process node on real servers."""

from __future__ import annotations

import pytest

from tests.conftest import NodeUnderTest
from tests.integration.test_membership_api import assert_problem

ORGS = "/api/membership/organizations"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"legal_name": "Acme",\n "country": }', "line 2, column 13 (character 35)"),
        (b'{"legal_name": "Acme", "country": "RO",}', "line 1, column 40 (character 39)"),
        (b"{not json", "line 1, column 2 (character 1)"),
    ],
)
async def test_invalid_json_says_so_and_where(node: NodeUnderTest, body: bytes, where: str) -> None:
    headers = {**node.editor, "content-type": "application/json"}
    answer = assert_problem(await node.client.post(ORGS, content=body, headers=headers), 422)
    assert answer["errors"][0]["field"] == "body"
    assert answer["message"].startswith("body: invalid JSON at ")
    assert where in answer["message"]


async def test_field_errors_carry_no_pydantic_prefix(node: NodeUnderTest) -> None:
    draft = {"legal_name": "Acme", "country": "RO", "nace_codes": ["99.99"]}
    answer = assert_problem(await node.client.post(ORGS, json=draft, headers=node.editor), 422)
    assert answer["errors"][0]["field"] == "nace_codes.0"
    assert answer["errors"][0]["reason"].startswith("unknown NACE Rev. 2.1 code '99.99'")
