"""A translation between networks across a real hub and three real nodes (one federation).

ro publishes an item in Romanian and asks for French. fr and es see the open request
with the original; fr claims it and the owner grants it; es's second claim is refused
(409) naming fr and until when. fr submits the French translation: it reaches ro only
(no stream of es or of the hub holds it). ro accepts; the French reader on es gets the
item in French with fr as its translator, and the original is still Romanian. ro's
metrics count the request done and its time to translation.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.test_direct_messages import traces
from tests.federation import Federation, Member, federation_of, metric_value, poll

pytestmark = pytest.mark.e2e
ITEMS = "/api/news/items"
REQUESTS = "/api/news/translation-requests"


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation_of(tmp_path_factory.mktemp("translations"), nodes=("ro", "fr", "es")) as fed:
        yield fed


def listed(member: Member, side: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        member.url + REQUESTS, params={"side": side}, headers=member.headers, timeout=30
    )
    answer.raise_for_status()
    return list(answer.json()["items"])


def one_of(items: list[dict[str, Any]], request_id: str) -> dict[str, Any] | None:
    return next((item for item in items if item["id"] == request_id), None)


def published_in_romanian(ro: Member) -> dict[str, Any]:
    body = {
        "category": "member_news",
        "language": "ro",
        "title": "Clusterul de mobilitate din Cluj deschide un laborator",
        "summary": "Un laborator comun pentru vehicule electrice.",
        "body": "<p>Laboratorul deschide în <strong>martie</strong>.</p>",
        "visibility": "public",
    }
    created = httpx.post(ro.url + ITEMS, json=body, headers=ro.headers, timeout=30)
    assert created.status_code == 201, created.text
    item: dict[str, Any] = created.json()
    published = httpx.post(f"{ro.url}{ITEMS}/{item['id']}/publish", headers=ro.headers)
    assert published.status_code == 200, published.text
    return item


def test_ro_asks_fr_translates_es_reads_it_in_french(federation: Federation) -> None:
    ro, fr, es = (federation.members[name] for name in ("ro", "fr", "es"))
    item = published_in_romanian(ro)
    asked = httpx.post(
        f"{ro.url}{ITEMS}/{item['id']}/translation-requests",
        json={"language": "fr", "note": "Pour la lettre d'information"},
        headers=ro.headers,
        timeout=30,
    )
    assert asked.status_code == 201, asked.text
    request = asked.json()
    same = httpx.post(
        f"{ro.url}{ITEMS}/{item['id']}/translation-requests",
        json={"language": "ro"},
        headers=ro.headers,
        timeout=30,
    )
    assert same.status_code == 422 and same.json()["errors"][0]["field"] == "language"

    def on(member: Member) -> dict[str, Any] | None:
        found = one_of(listed(member, "partners"), request["id"])
        return found if found and found["original"] else None

    seen = poll(lambda: on(fr), 60, "ro's request with its original on fr")
    assert seen["original"]["title"] == item["title"] and seen["original"]["language"] == "ro"
    poll(lambda: on(es), 60, "ro's request on es")

    claimed = httpx.post(
        f"{fr.url}{REQUESTS}/ro/{request['id']}/claim", headers=fr.headers, timeout=30
    )
    assert claimed.status_code == 202, claimed.text
    granted = poll(
        lambda: next(
            (c for c in listed(fr, "mine") if c["request_id"] == request["id"] and c["until"]),
            None,
        ),
        60,
        "ro's grant on fr",
    )
    assert granted["status"] == "granted"

    def claimed_on_es() -> bool:
        state = one_of(listed(es, "partners"), request["id"])
        return bool(state and state["claimer"] == "fr")

    poll(claimed_on_es, 60, "fr's claim on es's replica")
    second = httpx.post(
        f"{es.url}{REQUESTS}/ro/{request['id']}/claim", headers=es.headers, timeout=30
    )
    assert second.status_code == 409, second.text
    (error,) = second.json()["errors"]
    assert error["field"] == "claim" and "fr" in error["reason"]
    assert granted["until"] in error["reason"]  # who holds it, until when

    marker = f"TRAD{uuid.uuid4().hex[:10]}"
    french = {
        "title": f"Le cluster de mobilité de Cluj ouvre un laboratoire {marker}",
        "summary": "Un laboratoire commun pour les véhicules électriques.",
        "body": "<p>Le laboratoire ouvre en <strong>mars</strong>.</p>",
    }
    submitted = httpx.post(
        f"{fr.url}{REQUESTS}/ro/{request['id']}/submission",
        json=french,
        headers=fr.headers,
        timeout=30,
    )
    assert submitted.status_code == 202, submitted.text

    def waiting_on_ro() -> dict[str, Any] | None:
        own = one_of(listed(ro, "own"), request["id"])
        return own if own and own["status"] == "submitted" else None

    waiting = poll(waiting_on_ro, 60, "fr's translation on ro")
    assert waiting["submission"]["translator"] == "fr"
    assert federation.hub is not None
    for elsewhere in (es.nats_url, federation.hub.nats_url):  # only fr's and ro's
        assert traces(elsewhere, marker) == []

    accepted = httpx.post(
        f"{ro.url}{REQUESTS}/{request['id']}/accept", headers=ro.headers, timeout=30
    )
    assert accepted.status_code == 200, accepted.text

    def french_on_es() -> dict[str, Any] | None:
        answer = httpx.get(
            f"{es.url}{ITEMS}/ro/{item['id']}", headers={"Accept-Language": "fr"}, timeout=30
        )
        shown: dict[str, Any] = answer.json()
        return shown if answer.status_code == 200 and shown["reading"]["translator"] else None

    shown = poll(french_on_es, 60, "the French translation on es")
    assert shown["reading"]["language"] == "fr" and shown["reading"]["translator"] == "fr"
    assert shown["reading"]["title"] == french["title"]
    assert shown["title"] == item["title"] and shown["language"] == "ro"  # the original
    romanian = httpx.get(f"{es.url}{ITEMS}/ro/{item['id']}", params={"lang": "ro"}).json()
    assert (
        romanian["reading"]["translator"] is None and romanian["reading"]["title"] == item["title"]
    )

    poll(
        lambda: (one_of(listed(fr, "partners"), request["id"]) or {}).get("status") == "accepted",
        60,
        "the accepted request on fr",
    )
    metrics = httpx.get(f"{ro.url}/metrics", timeout=30).text
    assert metric_value(metrics, "alliance_news_translation_requests", state="done") == 1.0
    assert metric_value(metrics, "alliance_news_time_to_translation_seconds_count") == 1.0
