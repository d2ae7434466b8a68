"""Digests and the twice-a-year promise across a real hub and three nodes.

ro publishes an item in Romanian about es; France Clusters (fr) translates it into French
(ro asks, fr claims and submits, ro accepts) and features it in its French digest, where
it reads in French, credited to fr; fr also publishes an item about ro. The hub's matrix
counts fr about ro twice (ro's item, translated and featured, is one item; fr's own item
about ro the other), ro about es once, and no pair keeps the promise yet; ro's console
row counts the same from its own replicas (fr's item, fr's digest, fr's translation in
ro's item). fr's digest is read as JSON, .eml and page by anyone on fr, by nobody on es:
the announcement on the hub's ALLIANCE stream carries the featured pairs and no text.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.federation import Federation, federation_of, metric_value, poll

pytestmark = pytest.mark.e2e
ITEMS = "/api/news/items"
DIGESTS = "/api/news/digests"


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("promise"), nodes=("ro", "fr", "es")) as started:
        yield started


def publish(federation: Federation, node: str, **fields: Any) -> dict[str, Any]:
    """A public item of ``node``, published."""
    member = federation.members[node]
    body = {"category": "network_news", "summary": "", "body": "<p>…</p>", "visibility": "public"}
    written = httpx.post(
        member.url + ITEMS, json={**body, **fields}, headers=member.headers, timeout=30
    )
    assert written.status_code == 201, written.text
    item_id = written.json()["id"]
    published = httpx.post(
        f"{member.url}{ITEMS}/{item_id}/publish", headers=member.headers, timeout=30
    )
    assert published.status_code == 200, published.text
    return dict(published.json())


REQUESTS = "/api/news/translation-requests"


def translated_by_fr(federation: Federation, item: dict[str, Any]) -> None:
    """ro asks for French, fr claims and translates, ro accepts: the owner's own path."""
    ro, fr = federation.members["ro"], federation.members["fr"]
    asked = httpx.post(
        f"{ro.url}{ITEMS}/{item['id']}/translation-requests",
        json={"language": "fr"},
        headers=ro.headers,
        timeout=30,
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]

    def claimed() -> bool:
        answer = httpx.post(
            f"{fr.url}{REQUESTS}/ro/{request_id}/claim", headers=fr.headers, timeout=30
        )
        return answer.status_code == 202

    poll(claimed, 60, "fr's claim of ro's request")

    def submitted() -> bool:
        french = {"title": "Les clusters de Cluj", "summary": "Résumé", "body": "<p>Texte</p>"}
        answer = httpx.post(
            f"{fr.url}{REQUESTS}/ro/{request_id}/submission",
            json=french,
            headers=fr.headers,
            timeout=30,
        )
        return answer.status_code == 202

    poll(submitted, 60, "fr's translation submitted once its claim is granted")

    def accepted() -> bool:
        answer = httpx.post(
            f"{ro.url}{REQUESTS}/{request_id}/accept", headers=ro.headers, timeout=30
        )
        return answer.status_code == 200

    poll(accepted, 60, "ro accepting fr's translation")


def pair(matrix: dict[str, Any], first: str, second: str) -> dict[str, Any]:
    """The pair's counts as ``first`` about ``second`` (forth) and back."""
    for entry in matrix["pairs"]:
        if entry["networks"] == [first, second]:
            return dict(entry)
        if entry["networks"] == [second, first]:
            return {**entry, "forth": entry["back"], "back": entry["forth"]}
    raise AssertionError(f"no pair {first}-{second} in {matrix}")


def test_the_hubs_matrix_counts_items_about_partners_and_digests(federation: Federation) -> None:
    ro, fr = federation.members["ro"], federation.members["fr"]
    about_es = publish(
        federation, "ro", language="ro", title="Clusterele din Cluj", about_networks=["es"]
    )
    about_ro = publish(
        federation, "fr", language="fr", title="Mission en Roumanie", about_networks=["ro"]
    )
    translated_by_fr(federation, about_es)

    def french_on_fr() -> bool:
        found = httpx.get(f"{fr.url}{ITEMS}/ro/{about_es['id']}", params={"lang": "fr"})
        return found.status_code == 200 and found.json()["reading"]["translator"] == "fr"

    poll(french_on_fr, 60, "ro's item with fr's French translation on fr")

    today = datetime.now(UTC).date().isoformat()
    request = {
        "period": "week",
        "start": today,
        "language": "fr",
        "partners": [{"origin": "ro", "item": about_es["id"]}],
    }
    issued = httpx.post(fr.url + DIGESTS, json=request, headers=fr.headers, timeout=30)
    assert issued.status_code == 201, issued.text
    digest = issued.json()
    assert {(f["origin"], f["item"]) for f in digest["featured"]} == {
        ("fr", about_ro["id"]),
        ("ro", about_es["id"]),
    }
    [theirs] = [e for e in digest["entries"] if e["origin"] == "ro"]
    assert (theirs["language"], theirs["translated_by"], theirs["marked"]) == ("fr", "fr", False)
    assert theirs["title"] == "Les clusters de Cluj"
    again = httpx.post(fr.url + DIGESTS, json={**request, "partners": []}, headers=fr.headers)
    assert again.status_code == 201  # fr's own item alone is news too

    hub = federation.hub
    assert hub is not None

    def counted() -> dict[str, Any] | None:
        matrix: dict[str, Any] = httpx.get(f"{hub.url}/api/promise", timeout=30).json()
        fr_ro = pair(matrix, "fr", "ro")
        if fr_ro["forth"]["items"] != 2 or pair(matrix, "ro", "es")["forth"]["items"] != 1:
            return None
        if fr_ro["forth"]["kinds"]["digest"] != 1:  # the digest's announcement may come last
            return None
        return matrix

    matrix = poll(counted, 60, "the hub's matrix counting fr about ro and ro about es")
    fr_ro = pair(matrix, "fr", "ro")
    # ro's item, translated by fr and in fr's digest, is one item; fr's own about ro another
    assert fr_ro["forth"]["kinds"] == {"translation": 1, "digest": 1, "about": 1}
    assert fr_ro["back"]["items"] == 0 and not fr_ro["kept"]
    assert pair(matrix, "es", "fr")["forth"]["items"] == 0
    assert {n["node"] for n in matrix["networks"]} == {"ro", "fr", "es"}
    page = httpx.get(f"{hub.url}/promise", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200
    assert '<th scope="col">Net ro</th>' in page.text and "<caption>" in page.text

    def ro_sees_fr() -> dict[str, Any] | None:
        row = httpx.get(f"{ro.url}/api/news/promise", headers=ro.headers, timeout=30).json()
        entry = next(e for e in row["partners"] if e["partner"] == "fr")
        return row if entry["featured_by"]["items"] == 2 else None

    row = poll(ro_sees_fr, 60, "ro's row counting fr's item and digest")
    by_partner = {e["partner"]: e for e in row["partners"]}
    assert by_partner["es"]["featured"]["items"] == 1 and by_partner["es"]["lately"]
    assert by_partner["fr"]["featured"]["items"] == 0 and not by_partner["fr"]["lately"]

    eml = httpx.get(f"{fr.url}{DIGESTS}/{digest['id']}.eml", timeout=30)  # anyone
    message = email.message_from_bytes(eml.content, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert (
        metric_value(federation.metrics("fr"), "alliance_news_digests_issued_total", language="fr")
        == 2.0
    )
    shown = httpx.get(f"{fr.url}/news/digests/{digest['id']}", headers={"Accept": "text/html"})
    assert shown.status_code == 200 and "Les clusters de Cluj" in shown.text
    es = federation.members["es"]
    assert httpx.get(f"{es.url}{DIGESTS}/{digest['id']}", timeout=30).status_code == 404
    [announced] = [
        e for e in federation.alliance_events() if e.subject.endswith(f".digest.{digest['id']}")
    ]
    assert set(announced.body["data"]) == {
        *("id", "network", "period", "start", "end", "language", "featured", "issued_at")
    }
