"""The demo's brokerage session: CLUSTERO's "Întâlniri B2B" gets one, with participants
from the three founding networks, meeting requests (most accepted) and a schedule.

It runs once the nodes hold each other's records (``with_partners``): by then the
matching service has heard of the organiser's brokerage event from the events service.
Everything goes through the node's HTTP API, like any organiser and participant would.
Participants of partner networks join on the organiser's node, as in real life; their
organisations are typed in (the demo networks' kinds of members, in their languages).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.service import SampleData, SeedClient

EVENTS = "/api/events/events"
BROKERAGE = "/api/matching/brokerage"

# (name, organisation, country, network, NACE, offers, needs, unavailable slots)
PEOPLE: tuple[tuple[str, str, str, str, list[str], str, str, list[int]], ...] = (
    ("Ioana Dobre", "Carpați Mecatronic S.R.L.", "RO", "ro-clustero", ["28.41"],
     "Oferim prelucrare CNC de precizie și asamblare de subansamble mecatronice.",
     "Căutăm furnizori de cablaje auto și software embedded.", []),
    ("Mihai Ionescu", "Banat Cablaje S.R.L.", "RO", "ro-clustero", ["27.32"],
     "Oferim cablaje electrice pentru industria auto.",
     "Căutăm integratori de roboți pentru linia de producție.", [0, 1]),
    ("Andrei Stan", "Danubius Software S.R.L.", "RO", "ro-clustero", ["62.10"],
     "Oferim dezvoltare de software embedded și testare.",
     "Căutăm parteneri pentru certificare aerospațială.", []),
    ("Claire Dubois", "Composites Alsace SAS", "FR", "fr-franceclusters", ["22.21"],
     "Nous proposons des matériaux composites thermoplastiques.",
     "Nous cherchons de l'usinage CNC et des revêtements céramiques.", [10, 11]),
    ("Julien Moreau", "Robotique Lyon SAS", "FR", "fr-franceclusters", ["28.99"],
     "Nous proposons l'intégration de robots industriels et la vision artificielle.",
     "Nous cherchons des faisceaux de câbles pour nos cellules robotisées.", []),
    ("Lucía García", "Levante Automoción S.L.", "ES", "es-fenaeic", ["29.32"],
     "Ofrecemos estampación en caliente y mecanizado CNC.",
     "Buscamos integración de robótica y software embebido.", [4]),
    ("Pablo Navarro", "Cerámica Castellón S.A.", "ES", "es-fenaeic", ["23.31"],
     "Ofrecemos recubrimientos cerámicos técnicos.",
     "Buscamos visión artificial para el control de calidad.", []),
)  # fmt: skip
# (sender, addressee, answer) by index into PEOPLE
REQUESTS = (
    (0, 1, "accept"), (0, 5, "accept"), (3, 0, "accept"), (4, 1, "accept"), (5, 4, "accept"),
    (6, 4, "accept"), (2, 5, "accept"), (3, 6, "accept"), (1, 6, "decline"), (2, 3, "pending"),
)  # fmt: skip


def seed(client: SeedClient, node: str) -> int:
    """Nothing before the partners' records are there: the session comes with them."""
    return 0


def held(client: SeedClient) -> dict[str, int]:
    """Sessions never leave their node: nothing of other nodes' to count."""
    return {}


def session_body(event: dict[str, Any]) -> dict[str, Any]:
    """Twelve 30-minute slots at six tables from the event's start; requests until the
    evening before."""
    start = datetime.fromisoformat(event["start"])
    return {
        "event_id": event["id"],
        "days": [start.date().isoformat()],
        "start": start.time().isoformat(timespec="minutes"),
        "slot_minutes": 30,
        "slots_per_day": 12,
        "tables": 6,
        "request_deadline": (start - timedelta(hours=15)).isoformat(timespec="minutes"),
    }


def join_all(client: SeedClient, session_id: str) -> list[dict[str, Any]]:
    """Each demo person joins, publishes a profile and marks when they are away."""
    joined = []
    for name, organisation, country, network, nace, offers, needs, away in PEOPLE:
        email = f"{name.split()[0].lower()}@{network}.example.org"
        body = {"name": name, "email": email, "organisation": organisation, "country": country}
        who = client.call(
            "POST",
            f"{BROKERAGE}/sessions/{session_id}/participants",
            {**body, "nace_codes": nace, "network": network},
        )
        mine = f"{BROKERAGE}/participants/{who['id']}"
        client.call("PUT", f"{mine}/profile?key={who['key']}", {"offers": offers, "needs": needs})
        client.call("PUT", f"{mine}/unavailable?key={who['key']}", {"slots": away})
        joined.append(who)
    return joined


def request_all(client: SeedClient, people: list[dict[str, Any]]) -> None:
    for sender, addressee, answer in REQUESTS:
        mine, theirs = people[sender], people[addressee]
        path = f"{BROKERAGE}/participants/{mine['id']}/requests?key={mine['key']}"
        sent = client.call("POST", path, {"to": theirs["id"], "message": "Let us meet."})
        if answer != "pending":
            decision = f"{BROKERAGE}/participants/{theirs['id']}/requests/{sent['id']}/{answer}"
            client.call("POST", f"{decision}?key={theirs['key']}")


def with_partners(client: SeedClient, node: str) -> str:
    """A node's first published brokerage event (in the demo, CLUSTERO's) gets its
    session, participants, requests and schedule. Run again, it finishes what a failed
    run left (a session made before the matching service saw the event published takes
    no participant yet) and keeps a session that has its participants."""
    sessions = client.call("GET", f"{BROKERAGE}/sessions")["items"]
    if not sessions:
        events = [
            e
            for e in client.every(EVENTS)
            if e["origin"] == node and e["kind"] == "brokerage" and e["status"] == "published"
        ]
        if not events:
            return "no brokerage event of its own"
        sessions = [client.call("POST", f"{BROKERAGE}/sessions", session_body(events[0]))]
    session_id = sessions[0]["id"]
    if client.call("GET", f"{BROKERAGE}/sessions/{session_id}/board")["participants"]:
        return "brokerage session kept"
    request_all(client, join_all(client, session_id))
    done = client.call("POST", f"{BROKERAGE}/sessions/{session_id}/schedule")
    return (
        f"brokerage session: {len(PEOPLE)} participants, "
        f"{done['placed']} of {done['accepted']} accepted meetings scheduled"
    )


SAMPLE = SampleData(seed=seed, held=held, with_partners=with_partners)
