"""Joint position papers across a real hub and three nodes (one federation for the module).

ro drafts a paper and invites fr and es; each reads the exact text and hash in its own
papers-to-sign and signs it with its node's key; ro publishes; es shows the paper with
the three signatures verified against its registry, and the JSON downloaded from es passes
``alliance verify-paper`` (the real command) against the hub's node list, while a copy
with its text changed fails. The hub's portal shows the same paper, each signature verified
against the hub's own registry, and its JSON passes ``alliance verify-paper`` too; an
unknown paper is a 404 there. A second paper, signed by fr, is edited by ro: fr's signature
is void, fr is asked again with the new hash, and the paper cannot be published.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.federation import Federation, federation_of, metric_value, poll
from tests.support import run_cli

pytestmark = pytest.mark.e2e
OWN = "/api/news/own-papers"
TO_SIGN = "/api/news/papers-to-sign"
TEXT = (
    "The networks of the European Clusters Alliance ask the public administrations to fund "
    "joint internationalisation programmes for clusters: shared desks abroad, common "
    "missions, and one contact point per country for the SMEs of every member cluster."
)


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("papers"), nodes=("ro", "fr", "es")) as started:
        yield started


def call(federation: Federation, node: str, method: str, path: str, body: Any = None) -> Any:
    member = federation.members[node]
    answer = httpx.request(method, member.url + path, json=body, headers=member.headers, timeout=30)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def drafted_and_invited(federation: Federation, title: str, cosigners: list[str]) -> Any:
    paper = call(federation, "ro", "POST", OWN, {"title": title, "text": TEXT, "language": "en"})
    call(federation, "ro", "POST", f"{OWN}/{paper['id']}/invitations", {"cosigners": cosigners})
    return paper


def invitation_on(federation: Federation, node: str, paper_id: str, digest: str) -> Any:
    """The invitation in ``node``'s papers to co-sign, once it holds this very hash."""
    items = call(federation, node, "GET", TO_SIGN)["items"]
    return next((i for i in items if i["paper_id"] == paper_id and i["hash"] == digest), None)


def sign_on(federation: Federation, node: str, paper: Any) -> None:
    found = poll(
        lambda: invitation_on(federation, node, paper["id"], paper["hash"]),
        60,
        f"ro's invitation on {node}",
    )
    assert found["text"] == TEXT and found["status"] == "asked"
    call(federation, node, "POST", f"{TO_SIGN}/ro/{paper['id']}/sign", {"hash": found["hash"]})


def statuses_on_ro(federation: Federation, paper_id: str) -> dict[str, str]:
    own = call(federation, "ro", "GET", f"{OWN}/{paper_id}")
    return {c["node"]: c["status"] for c in own["cosigners"]}


def test_a_paper_cosigned_by_three_networks_verifies_offline(
    federation: Federation, tmp_path: Path
) -> None:
    paper = drafted_and_invited(federation, "Cluster internationalisation", ["fr", "es"])
    for node in ("fr", "es"):
        sign_on(federation, node, paper)
    poll(
        lambda: statuses_on_ro(federation, paper["id"]) == {"fr": "signed", "es": "signed"},
        60,
        "both signatures on ro",
    )
    call(federation, "ro", "POST", f"{OWN}/{paper['id']}/publish")

    es = federation.members["es"]
    url = f"{es.url}/api/news/papers/ro/{paper['id']}"
    shown = poll(
        lambda: (r := httpx.get(url, timeout=30)).status_code == 200 and r.json(),
        60,
        "ro's published paper on es",
    )
    assert shown["verified"] and shown["hash"] == paper["hash"]
    assert {(s["node"], s["verified"]) for s in shown["signatures"]} == {
        ("ro", True),
        ("fr", True),
        ("es", True),
    }
    page = httpx.get(f"{es.url}/news/papers/ro/{paper['id']}", timeout=30)
    assert page.status_code == 200 and paper["hash"] in page.text and "Net fr" in page.text

    assert federation.hub is not None
    keys = tmp_path / "nodes.json"
    keys.write_text(httpx.get(f"{federation.hub.url}/api/hub/nodes", timeout=30).text)
    download = tmp_path / "paper.json"
    download.write_bytes(httpx.get(url, timeout=30).content)
    verified = run_cli("verify-paper", str(download), "--keys", str(keys))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert sorted(verified.stdout.splitlines()[1:]) == [
        "OK   es (Net es): verified",
        "OK   fr (Net fr): verified",
        "OK   ro (Net ro): verified",
    ]

    on_hub(federation, paper, keys, tmp_path)

    tampered = tmp_path / "tampered.json"
    document = json.loads(download.read_text())
    tampered.write_text(json.dumps({**document, "text": TEXT.replace("fund", "consider")}))
    failed = run_cli("verify-paper", str(tampered), "--keys", str(keys))
    assert failed.returncode == 1 and failed.stdout.count("FAIL") == 3

    metrics = httpx.get(f"{federation.members['ro'].url}/metrics", timeout=30).text
    collected = metric_value(
        metrics, "alliance_news_paper_signatures_total", direction="in", outcome="collected"
    )
    assert collected is not None and collected >= 2


def on_hub(federation: Federation, paper: Any, keys: Path, tmp_path: Path) -> None:
    """The hub's portal shows the published paper, verified by the hub, downloadable."""
    assert federation.hub is not None
    hub, paper_id = federation.hub.url, paper["id"]
    url = f"{hub}/api/papers/ro/{paper_id}"
    shown = poll(
        lambda: (r := httpx.get(url, timeout=30)).status_code == 200 and r.json(),
        60,
        "ro's published paper on the hub",
    )
    assert shown["verified"] and shown["hash"] == paper["hash"]
    assert sorted((s["node"], s["verified"]) for s in shown["signatures"]) == [
        ("es", True),
        ("fr", True),
        ("ro", True),
    ]
    listed = httpx.get(f"{hub}/papers", timeout=30).text
    assert f'href="/papers/ro/{paper_id}"' in listed and "Cluster internationalisation" in listed
    page = httpx.get(f"{hub}/papers/ro/{paper_id}", timeout=30)
    assert page.status_code == 200 and paper["hash"] in page.text
    assert "Net fr" in page.text and "Net es" in page.text and "not verified" not in page.text
    download = tmp_path / "from-hub.json"
    download.write_bytes(httpx.get(url, timeout=30).content)
    verified = run_cli("verify-paper", str(download), "--keys", str(keys))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    unknown = httpx.get(f"{hub}/api/papers/ro/no-such-paper", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "id"
    assert httpx.get(f"{hub}/papers/ro/no-such-paper", timeout=30).status_code == 404


def test_an_edit_voids_the_signatures_and_asks_the_networks_again(
    federation: Federation,
) -> None:
    paper = drafted_and_invited(federation, "Cluster policy after 2027", ["fr"])
    sign_on(federation, "fr", paper)
    poll(
        lambda: statuses_on_ro(federation, paper["id"]) == {"fr": "signed"},
        60,
        "fr's signature on ro",
    )
    edited = call(
        federation,
        "ro",
        "PUT",
        f"{OWN}/{paper['id']}",
        {"title": "Cluster policy after 2027", "text": TEXT + " Amended.", "language": "en"},
    )
    assert edited["signatures"] == [] and edited["revision"] == 2
    assert statuses_on_ro(federation, paper["id"]) == {"fr": "asked"}
    asked_again = poll(
        lambda: invitation_on(federation, "fr", paper["id"], edited["hash"]),
        60,
        "the new text on fr",
    )
    assert asked_again["status"] == "asked" and asked_again["text"].endswith("Amended.")

    ro = federation.members["ro"]
    refused = httpx.post(f"{ro.url}{OWN}/{paper['id']}/publish", headers=ro.headers, timeout=30)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "cosigners"
    # fr's staff answering for the old text now are told the text changed
    stale = httpx.post(
        f"{federation.members['fr'].url}{TO_SIGN}/ro/{paper['id']}/sign",
        json={"hash": paper["hash"]},
        headers=federation.members["fr"].headers,
        timeout=30,
    )
    assert stale.status_code == 409 and stale.json()["errors"][0]["field"] == "hash"
