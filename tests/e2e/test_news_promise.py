"""Digests and the twice-a-year promise across a real hub and three nodes.

ro publishes an item in Romanian about es; fr publishes one about ro, and fr's French
digest features ro's item. The hub's matrix counts fr about ro twice (an item about it,
its item in a digest), ro about es once, and no pair keeps the promise yet; ro's console
row sees fr's two from its own replicas (fr's item, fr's digest); fr's digest is read as
JSON, .eml and page by anyone on fr, and by nobody on es: the announcement on the hub's
ALLIANCE stream carries the featured pairs and no text. (A translation counted is proved
on a node by tests/integration/test_digests_api.py: no translation API between nodes yet.)
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


def held(federation: Federation, node: str, origin: str, item_id: str) -> bool:
    member = federation.members[node]
    found = httpx.get(f"{member.url}{ITEMS}/{origin}/{item_id}", timeout=30)
    return found.status_code == 200


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
    poll(lambda: held(federation, "fr", "ro", about_es["id"]), 60, "ro's item on fr")

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
    assert theirs["language"] == "ro" and theirs["marked"]  # no French translation: marked
    again = httpx.post(fr.url + DIGESTS, json={**request, "partners": []}, headers=fr.headers)
    assert again.status_code == 201  # fr's own item alone is news too

    hub = federation.hub
    assert hub is not None

    def counted() -> dict[str, Any] | None:
        matrix: dict[str, Any] = httpx.get(f"{hub.url}/api/promise", timeout=30).json()
        fr_ro = pair(matrix, "fr", "ro")
        if fr_ro["forth"]["items"] != 2 or pair(matrix, "ro", "es")["forth"]["items"] != 1:
            return None
        return matrix

    matrix = poll(counted, 60, "the hub's matrix counting fr about ro and ro about es")
    fr_ro = pair(matrix, "fr", "ro")
    assert fr_ro["forth"]["kinds"] == {"translation": 0, "digest": 1, "about": 1}
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
    assert shown.status_code == 200 and "Clusterele din Cluj" in shown.text
    es = federation.members["es"]
    assert httpx.get(f"{es.url}{DIGESTS}/{digest['id']}", timeout=30).status_code == 404
    [announced] = [
        e for e in federation.alliance_events() if e.subject.endswith(f".digest.{digest['id']}")
    ]
    assert set(announced.body["data"]) == {
        *("id", "network", "period", "start", "end", "language", "featured", "issued_at")
    }
