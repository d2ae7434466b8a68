"""The demo's translations between networks (``alliance demo``): FENAEIC publishes a news
item in Spanish and asks for French and Romanian; France Clusters and CLUSTERO each claim
one on their own node and translate it; FENAEIC, last, accepts both, so every node shows
the item in three languages, each translation marked with its translator.

The steps follow the demo's order (``alliance/demo.py``): ``seed`` on every node as it
starts (the owner writes, publishes and asks); ``with_partners`` node after node, ro,
fr, then es: the translators claim and submit, the owner accepts. Every step keeps what
a node holds already, so a demo started again changes nothing.
"""

from __future__ import annotations

from typing import Any

from services.news.papers_sample import waiting
from shared.service import SeedClient

OWNER = "es-fenaeic"
TRANSLATORS = {"fr-franceclusters": "fr", "ro-clustero": "ro"}
ITEMS = "/api/news/items"
REQUESTS = "/api/news/translation-requests"
ITEM = {
    "category": "network_news",
    "language": "es",
    "title": "Los clústeres españoles lanzan un programa conjunto de internacionalización",
    "summary": "Veinte clústeres de FENAEIC comparten oficinas en tres mercados.",
    "body": (
        "<p>Veinte clústeres de <strong>FENAEIC</strong> abren oficinas compartidas en "
        "México, Marruecos y Vietnam para sus pymes.</p>"
    ),
    "tags": ["internationalisation"],
    "visibility": "public",
}
TEXTS = {
    "fr": {
        "title": "Les clusters espagnols lancent un programme commun d'internationalisation",
        "summary": "Vingt clusters de FENAEIC partagent des bureaux sur trois marchés.",
        "body": (
            "<p>Vingt clusters de <strong>FENAEIC</strong> ouvrent des bureaux partagés au "
            "Mexique, au Maroc et au Vietnam pour leurs PME.</p>"
        ),
    },
    "ro": {
        "title": "Clusterele spaniole lansează un program comun de internaționalizare",
        "summary": "Douăzeci de clustere FENAEIC împart birouri pe trei piețe.",
        "body": (
            "<p>Douăzeci de clustere <strong>FENAEIC</strong> deschid birouri comune în "
            "Mexic, Maroc și Vietnam pentru IMM-urile lor.</p>"
        ),
    },
}


def _own_item(client: SeedClient) -> dict[str, Any] | None:
    items = client.every(f"{ITEMS}?network={OWNER}")
    return next((item for item in items if item["title"] == ITEM["title"]), None)


def seed(client: SeedClient, node: str) -> int:
    """The owner writes and publishes the item, and asks for French and Romanian. Its
    news and requests are no replicas the demo waits for (``with_partners`` does)."""
    if node != OWNER:
        return 0
    item = _own_item(client)
    if item is None:
        item = client.call("POST", ITEMS, ITEM)
        client.call("POST", f"{ITEMS}/{item['id']}/publish")
    asked = {r["language"] for r in client.call("GET", REQUESTS)["items"]}
    for language in TRANSLATORS.values():
        if language not in asked:
            path = f"{ITEMS}/{item['id']}/translation-requests"
            client.call("POST", path, {"language": language, "note": "Para el boletín"})
    return 0


def held(client: SeedClient) -> dict[str, int]:
    """Nothing the demo waits for before ``with_partners``."""
    return {}


def with_partners(client: SeedClient, node: str) -> str:
    """Translators claim and translate; the owner, last, accepts."""
    if node in TRANSLATORS:
        return _translate(client, TRANSLATORS[node])
    if node == OWNER:
        return _accept(client)
    return "no translation to make"


def _translate(client: SeedClient, language: str) -> str:
    def request() -> dict[str, Any] | None:
        found = client.call("GET", f"{REQUESTS}?side=partners")["items"]
        return next((r for r in found if r["origin"] == OWNER and r["language"] == language), None)

    wanted = waiting(request, f"{OWNER}'s request for a translation into {language}")
    path = f"{REQUESTS}/{OWNER}/{wanted['id']}"
    if wanted["status"] == "open":
        client.call("POST", f"{path}/claim")

    def granted() -> dict[str, Any] | None:
        mine = client.call("GET", f"{REQUESTS}?side=mine")["items"]
        return next((c for c in mine if c["request_id"] == wanted["id"] and c["until"]), None)

    claim = waiting(granted, f"{OWNER}'s answer to our claim")
    if claim["status"] == "granted":
        client.call("POST", f"{path}/submission", TEXTS[language])
    return f"translated {OWNER}'s news into {language}"


def _accept(client: SeedClient) -> str:
    def submitted() -> list[dict[str, Any]] | None:
        own = client.call("GET", REQUESTS)["items"]
        decided = [r for r in own if r["status"] in ("submitted", "accepted")]
        return decided if len(decided) >= len(TRANSLATORS) else None

    for request in waiting(submitted, "both translations"):
        if request["status"] == "submitted":
            client.call("POST", f"{REQUESTS}/{request['id']}/accept")
    return "published the French and Romanian translations of its news, by their networks"
