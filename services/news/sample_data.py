"""The news's demo data for the three founding networks (``alliance demo``).

Each record is a plain dict shaped exactly like a JSON body of ``POST /api/news/items``
(a ``NewsItemDraft``), written in its network's own language (Romanian, French, Spanish)
or in English; ``publish`` says whether the demo publishes it afterwards (a draft stays
on its node). Funding deadlines are counted from the day the demo is seeded: one call is
open, one is closed. Some items are about a partner network (``about_networks``).
Everything is fictitious; web hosts are ``*.example.<tld>``.

Translations are not seeded here: publishing one needs the translations' API
(docs/news-translations.md), whose demo step has partners translate these items.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple

from shared.service import SeedClient

__all__ = ["NODES", "SampleItem", "held", "items", "seed"]

ITEMS = "/api/news/items"


class SampleItem(NamedTuple):
    body: dict[str, Any]
    publish: bool = True


def _romania(today: date) -> list[SampleItem]:
    return [
        SampleItem(
            {
                "category": "network_news",
                "language": "ro",
                "title": "CLUSTERO lansează un program de mentorat pentru managerii de clustere",
                "summary": "Zece manageri de clustere cu experiență îi însoțesc, timp de "
                "șase luni, pe colegii din clusterele înființate recent.",
                "body": "<p>Programul reunește <strong>zece mentori</strong> și douăzeci "
                "de clustere tinere din toate regiunile de dezvoltare.</p>"
                "<ul><li>întâlniri lunare, online și la fața locului;</li>"
                "<li>un plan de dezvoltare pentru fiecare cluster;</li>"
                "<li>vizite de studiu la clusterele partenere din alianță.</li></ul>",
                "tags": ["cluster management", "mentoring"],
                "visibility": "public",
            }
        ),
        SampleItem(
            {
                "category": "funding_opportunity",
                "language": "ro",
                "title": "Apel deschis: vouchere de inovare pentru IMM-urile din clustere",
                "summary": "Până la 50.000 de euro pentru servicii de cercetare și testare "
                "cumpărate de la organizații de cercetare.",
                "body": "<p>Apelul finanțează proiecte de inovare ale IMM-urilor membre "
                "ale unui cluster acreditat. Depunerea se face online.</p>",
                "funding": {
                    "deadline": (today + timedelta(days=75)).isoformat(),
                    "programme": "Programul Regional Centru 2021-2027",
                    "url": "https://fonduri.example.ro/vouchere-inovare",
                },
                "tags": ["innovation", "smes"],
                "visibility": "public",
            }
        ),
        SampleItem(
            {
                "category": "best_practice",
                "language": "en",
                "title": "What we learned from France Clusters' academy for cluster managers",
                "summary": "Three ideas from our French partners that Romanian clusters "
                "are now trying out.",
                "body": "<p>Peer reviews between clusters, a shared training catalogue "
                "and a yearly cluster-manager day: our notes from the academy in Lyon.</p>",
                "about_networks": ["fr-franceclusters"],
                "tags": ["cluster management", "training"],
                "visibility": "public",
            }
        ),
        SampleItem(
            {
                "category": "policy_update",
                "language": "ro",
                "title": "Consultare publică: noua metodologie de acreditare a clusterelor",
                "body": "<p>Observațiile noastre asupra proiectului de ordin.</p>",
                "tags": ["policy"],
                "visibility": "public",
            },
            publish=False,
        ),
    ]


def _france(today: date) -> list[SampleItem]:
    return [
        SampleItem(
            {
                "category": "policy_update",
                "language": "fr",
                "title": "Stratégie nationale des clusters : ce qui change en 2027",
                "summary": "Un label unique, une évaluation tous les trois ans et un "
                "guichet pour l'international.",
                "body": "<p>La nouvelle stratégie simplifie le paysage : un <em>label "
                "unique</em> remplace les trois dispositifs actuels.</p>"
                "<p>France Clusters a porté la voix des réseaux régionaux lors de la "
                "concertation.</p>",
                "tags": ["policy"],
                "visibility": "public",
            }
        ),
        SampleItem(
            {
                "category": "member_news",
                "language": "fr",
                "title": "Le cluster Lumière & Optique s'associe à un cluster roumain",
                "summary": "Un accord pour monter ensemble des projets européens en photonique.",
                "body": "<p>Les deux clusters prépareront deux projets communs et "
                "échangeront des stagiaires dès le printemps.</p>",
                "about_networks": ["ro-clustero"],
                "tags": ["photonics", "cooperation"],
                "visibility": "public",
            }
        ),
        SampleItem(
            {
                "category": "funding_opportunity",
                "language": "fr",
                "title": "Interreg Europe : projets de coopération entre clusters",
                "summary": "Le quatrième appel finançait des échanges d'expérience entre "
                "régions ; il est clos.",
                "body": "<p>Les résultats seront publiés au prochain trimestre.</p>",
                "funding": {
                    "deadline": (today - timedelta(days=20)).isoformat(),
                    "programme": "Interreg Europe",
                    "url": "https://interreg.example.eu/appels/4",
                },
                "tags": ["interreg"],
                "visibility": "public",
            }
        ),
        SampleItem(
            {
                "category": "event_report",
                "language": "fr",
                "title": "Retour sur les Rencontres France Clusters",
                "summary": "Quatre cents participants et douze délégations étrangères.",
                "body": "<p>Les ateliers sur l'intelligence artificielle ont fait salle "
                "comble.</p>",
                "tags": ["events"],
                "visibility": "alliance",
            }
        ),
    ]


def _spain(today: date) -> list[SampleItem]:
    return [
        SampleItem(
            {
                "category": "best_practice",
                "language": "es",
                "title": "Buenas prácticas: cómo miden su impacto los clústeres",
                "summary": "Un cuadro de indicadores común para veinte clústeres españoles.",
                "body": "<p>Empleo, proyectos colaborativos y exportaciones: los tres "
                "ejes del cuadro de mando que proponemos a toda la alianza.</p>",
                "tags": ["impact", "cluster management"],
                "visibility": "public",
            }
        ),
        SampleItem(
            {
                "category": "network_news",
                "language": "es",
                "title": "FENAEIC y CLUSTERO firman un acuerdo de colaboración",
                "summary": "Misiones conjuntas y un intercambio de gestores de clúster.",
                "body": "<p>El acuerdo, firmado en Madrid, prevé dos misiones "
                "empresariales al año.</p>",
                "about_networks": ["ro-clustero"],
                "tags": ["cooperation"],
                "visibility": "public",
            }
        ),
        SampleItem(
            {
                "category": "event_report",
                "language": "en",
                "title": "European Cluster Conference: our take-aways",
                "summary": "Internationalisation, skills and the green transition topped "
                "the agenda.",
                "body": "<p>Our delegation of eight clusters met partners from fifteen "
                "countries.</p>",
                "tags": ["internationalisation"],
                "visibility": "public",
            }
        ),
    ]


_BY_NODE = {"ro-clustero": _romania, "fr-franceclusters": _france, "es-fenaeic": _spain}
NODES: tuple[str, ...] = tuple(_BY_NODE)


def items(node: str, today: date) -> list[SampleItem]:
    """The demo items a founding network owns, funding deadlines from ``today`` (none
    for other networks)."""
    make = _BY_NODE.get(node)
    return make(today) if make else []


def seed(client: SeedClient, node: str) -> int:
    """Write (and publish) each of a node's demo items it does not hold yet (by title:
    other parts of the demo write items too, and a demo started again adds nothing).

    Returns how many of them leave the node (published, not ``node``-only).
    """
    own = {i["title"]: i for i in client.every(f"{ITEMS}?network={node}") if i["origin"] == node}
    mine = []
    for sample in items(node, date.today()):
        written = own.get(sample.body["title"])
        if written is None:
            written = client.call("POST", ITEMS, sample.body)
            if sample.publish:
                written = client.call("POST", f"{ITEMS}/{written['id']}/publish")
        mine.append(written)
    return sum(1 for i in mine if i["status"] != "draft" and i.get("visibility") != "node")


def held(client: SeedClient) -> dict[str, int]:
    """Per origin, how many of the demo's items the node's news holds (its own included;
    items other parts of the demo write are theirs to count)."""
    titles = {sample.body["title"] for node in NODES for sample in items(node, date.today())}
    counts: dict[str, int] = {}
    for item in client.every(ITEMS):
        if item["title"] in titles:
            counts[item["origin"]] = counts.get(item["origin"], 0) + 1
    return counts
