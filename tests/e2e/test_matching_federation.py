"""Partner search and expressions of interest across a real hub and two nodes.

An organisation registered on ro, its offer written in Spanish, appears in fr's partner
search for a need written in French, with the reason naming its matching offer. A member
of fr expresses interest in it: the expression reaches ro's staff without the person's
name or e-mail, ro's staff answer, and the answer comes back to fr, where the member reads
it with the key and fr's staff see it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.federation import Federation, federation_of, poll
from tests.support import ALLIANCE, spare_port

pytestmark = pytest.mark.e2e
SEARCH = "/api/matching/search"
INTERESTS = "/api/matching/interests"
OFFER = "Montaje de placas de circuito impreso y soldadura de componentes electrónicos."
NEED = "Nous cherchons un sous-traitant pour l'assemblage de cartes électroniques."
PERSON = {"name": "Camille Martin", "email": "camille@lumiere.example.fr"}


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("matching"), nodes=("ro", "fr")) as started:
        yield started


def registered(federation: Federation, node: str, **fields: Any) -> dict[str, Any]:
    answer = federation.create_org(node, **fields)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def result_for(federation: Federation, node: str, organisation: str) -> dict[str, Any] | None:
    """The organisation among ``node``'s public search results for the French need."""
    member = federation.members[node]
    answer = httpx.get(member.url + SEARCH, params={"need": NEED}, timeout=30)
    assert answer.status_code == 200, answer.text
    found = [r for r in answer.json()["results"] if r["organisation_id"] == organisation]
    return found[0] if found else None


def test_a_spanish_offer_on_ro_answers_a_french_need_on_fr_and_an_interest_travels(
    federation: Federation,
) -> None:
    ro, fr = federation.members["ro"], federation.members["fr"]
    partner = registered(federation, "ro", offers=OFFER, visibility="public", nace_codes=["26.12"])
    seeker = registered(federation, "fr", needs=NEED, visibility="alliance")
    poll(lambda: result_for(federation, "fr", partner["id"]) is not None, 60, "found on fr")

    result = result_for(federation, "fr", partner["id"])
    assert result is not None and result["network"] == "ro" and result["country"] == "RO"
    reason = next(r for r in result["reasons"] if r["kind"] == "need_offer")
    assert reason["partner_text"] == OFFER and reason["seeker_text"] == NEED

    # fr's own organisation is searchable on fr too before it can send
    def own_indexed() -> bool:
        path = f"{fr.url}/api/matching/organisations/fr/{seeker['id']}/partners"
        return httpx.get(path, headers=fr.headers, timeout=30).status_code == 200

    poll(own_indexed, 60, "fr's member indexed on fr")
    draft = {
        **PERSON,
        "partner": result["id"],
        "organisation_id": seeker["id"],
        "message": "Nous aimerions vous rencontrer.",
    }
    sent = httpx.post(fr.url + INTERESTS, json=draft, timeout=30)
    assert sent.status_code == 201, sent.text
    interest = sent.json()

    def received_on_ro() -> dict[str, Any] | None:
        items = httpx.get(ro.url + INTERESTS, headers=ro.headers, timeout=30).json()["items"]
        return next((i for i in items if i["id"] == interest["id"]), None)

    poll(lambda: received_on_ro() is not None, 60, "the interest in ro's console")
    on_ro = received_on_ro()
    assert on_ro is not None and on_ro["sender_node"] == "fr" and on_ro["status"] == "open"
    assert on_ro["sender"]["legal_name"] == seeker["legal_name"] and on_ro["reasons"]
    assert PERSON["email"] not in str(on_ro) and PERSON["name"] not in str(on_ro)

    note = {"outcome": "introduce", "note": "Nous écrivons à vos deux réseaux."}
    answered = httpx.post(
        f"{ro.url}{INTERESTS}/{interest['id']}/answer", json=note, headers=ro.headers, timeout=30
    )
    assert answered.status_code == 200, answered.text

    def status_on_fr() -> str:
        mine = httpx.get(
            f"{fr.url}{INTERESTS}/{interest['id']}", params={"key": interest["key"]}, timeout=30
        )
        return str(mine.json()["status"])

    poll(lambda: status_on_fr() == "introduce", 60, "the answer back on fr")
    sent_list = httpx.get(
        fr.url + INTERESTS, params={"side": "sent"}, headers=fr.headers, timeout=30
    ).json()["items"]
    [mine] = [item for item in sent_list if item["id"] == interest["id"]]
    assert mine["note"] == note["note"] and mine["person"] == PERSON


def test_a_model_that_cannot_load_stops_the_node_in_one_line(tmp_path: Path) -> None:
    """Bad model settings at start: one line naming them, exit code 2, nothing left running."""
    env = {**os.environ, "ALLIANCE_MATCHING_THREADS": "many"}
    answer = subprocess.run(
        [ALLIANCE, "up", "--data-dir", str(tmp_path / "node"), "--port", str(spare_port())],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    assert answer.returncode == 2, answer.stderr
    assert "Traceback" not in answer.stderr
    last = answer.stderr.strip().splitlines()[-1]
    assert last.startswith("alliance: ALLIANCE_MATCHING_THREADS must be a whole number"), last
