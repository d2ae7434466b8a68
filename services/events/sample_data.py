"""The calendar's demo data for the three founding networks (``alliance demo``).

Each record is a plain dict shaped exactly like a JSON body of ``POST /api/events/events``
(an ``EventDraft``); ``publish`` says whether the demo publishes it afterwards (a draft
stays on its node). Dates are counted from the day the demo is seeded, so the calendar
always shows upcoming events. Everything is fictitious; web hosts are ``*.example.<tld>``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from shared.service import SeedClient

__all__ = ["NODES", "SampleEvent", "events", "held", "seed"]

EVENTS = "/api/events/events"


class SampleEvent(NamedTuple):
    body: dict[str, Any]
    publish: bool = True


def _at(today: date, weeks: int, hour: int, minute: int = 0) -> str:
    """A local date-time ``weeks`` weeks from ``today``, on a Tuesday, at the hour given."""
    day = today + timedelta(weeks=weeks, days=(1 - today.weekday()) % 7)
    return datetime.combine(day, time(hour, minute)).isoformat()


def _fees(standard: int, discount: str = "percent", percent: int = 30) -> dict[str, Any]:
    """A standard ticket in cents, and the Declaration's discount for partner members."""
    return {
        "currency": "EUR",
        "tickets": [{"code": "standard", "name": "Standard", "fee": standard}],
        "partner_discount": discount,
        "discount_percent": percent if discount == "percent" else 0,
    }


def _romania(today: date) -> list[SampleEvent]:
    return [
        SampleEvent(
            {
                "kind": "brokerage",
                "language": "ro",
                "title": {
                    "ro": "Întâlniri B2B: furnizori auto și mecatronică",
                    "en": "B2B meetings: automotive and mechatronics suppliers",
                },
                "description": {
                    "en": "Pre-arranged 30-minute meetings between Romanian suppliers and "
                    "buyers from the alliance's networks.",
                },
                "timezone": "Europe/Bucharest",
                "start": _at(today, 6, 9, 30),
                "end": _at(today, 6, 17, 30),
                "venue": {
                    "address": "Bd. Expoziției 1, Romexpo",
                    "city": "București",
                    "country": "RO",
                },
                "fees": _fees(12000),
                "capacity": 120,
                "registration_closes": _at(today, 5, 18),
                "speakers": [
                    {"name": "Ioana Marinescu", "organisation": "CLUSTERO", "title": "Welcome"}
                ],
                "visibility": "public",
                "nace_sections": ["C"],
                "tags": ["automotive", "mechatronics"],
            }
        ),
        SampleEvent(
            {
                "kind": "conference",
                "language": "ro",
                "title": {"ro": "Forumul clusterelor din Transilvania"},
                "timezone": "Europe/Bucharest",
                "start": _at(today, 10, 10),
                "end": _at(today, 10, 16),
                "venue": {"city": "Cluj-Napoca", "country": "RO"},
                "capacity": 200,
                "visibility": "alliance",
                "nace_sections": ["J", "M"],
                "tags": ["cluster management"],
            }
        ),
        SampleEvent(
            {
                "kind": "trade_mission",
                "language": "ro",
                "title": {"ro": "Misiune economică în Republica Moldova"},
                "timezone": "Europe/Chisinau",
                "start": _at(today, 14, 9),
                "end": _at(today, 14, 18),
                "venue": {"city": "Chișinău", "country": "MD"},
                "visibility": "public",
                "tags": ["export"],
            },
            publish=False,
        ),
    ]


def _france(today: date) -> list[SampleEvent]:
    return [
        SampleEvent(
            {
                "kind": "webinar",
                "language": "fr",
                "title": {
                    "fr": "Webinaire : l'IA dans les PME industrielles",
                    "en": "Webinar: AI in industrial SMEs",
                },
                "description": {
                    "fr": "Retours d'expérience de trois clusters et questions-réponses.",
                },
                "timezone": "Europe/Paris",
                "start": _at(today, 2, 14),
                "end": _at(today, 2, 15, 30),
                "online_url": "https://webinaires.example.fr/ia-pme",
                "visibility": "public",
                "nace_sections": ["J", "C"],
                "tags": ["artificial intelligence"],
            }
        ),
        SampleEvent(
            {
                "kind": "trade_mission",
                "language": "fr",
                "title": {"fr": "Mission d'affaires : l'aéronautique en Roumanie"},
                "timezone": "Europe/Bucharest",
                "start": _at(today, 8, 9),
                "end": _at(today, 8, 18),
                "venue": {"city": "Brașov", "country": "RO"},
                "fees": _fees(45000, "free"),
                "capacity": 25,
                "visibility": "alliance",
                "nace_sections": ["C"],
                "tags": ["aerospace"],
            }
        ),
    ]


def _spain(today: date) -> list[SampleEvent]:
    return [
        SampleEvent(
            {
                "kind": "training",
                "language": "es",
                "title": {
                    "es": "Formación mensual: gestión de clústeres",
                    "en": "Monthly training: cluster management",
                },
                "timezone": "Europe/Madrid",
                "start": _at(today, 3, 9),
                "end": _at(today, 3, 13),
                "venue": {
                    "address": "Calle de Serrano 21",
                    "city": "Madrid",
                    "country": "ES",
                },
                "fees": _fees(8000, "percent", 50),
                "capacity": 20,
                "recurrence": "FREQ=MONTHLY;COUNT=6",
                "visibility": "public",
                "nace_sections": ["M", "P"],
                "tags": ["cluster management", "training"],
            }
        ),
        SampleEvent(
            {
                "kind": "conference",
                "language": "es",
                "title": {"es": "Congreso de innovación agroalimentaria"},
                "timezone": "Europe/Madrid",
                "start": _at(today, 12, 9, 30),
                "end": _at(today, 12, 18),
                "venue": {"city": "Valencia", "country": "ES"},
                "capacity": 300,
                "visibility": "public",
                "nace_sections": ["A", "C"],
                "tags": ["agrifood"],
            }
        ),
    ]


_BY_NODE = {"ro-clustero": _romania, "fr-franceclusters": _france, "es-fenaeic": _spain}
NODES: tuple[str, ...] = tuple(_BY_NODE)


def events(node: str, today: date) -> list[SampleEvent]:
    """The demo events a founding network owns, dated from ``today`` (none for others)."""
    make = _BY_NODE.get(node)
    return make(today) if make else []


def seed(client: SeedClient, node: str) -> int:
    """Create (and publish) a node's demo events unless it holds events already.

    Returns how many of them leave the node (published, not ``node``-only).
    """
    own = [e for e in client.every(EVENTS) if e["origin"] == node]
    if not own:
        for sample in events(node, date.today()):
            created = client.call("POST", EVENTS, sample.body)
            if sample.publish:
                created = client.call("POST", f"{EVENTS}/{created['id']}/publish")
            own.append(created)
    return sum(1 for e in own if e["status"] != "draft" and e.get("visibility") != "node")


def held(client: SeedClient) -> dict[str, int]:
    """Per origin, how many events the node's calendar holds (its own included)."""
    counts: dict[str, int] = {}
    for item in client.every(EVENTS):
        counts[item["origin"]] = counts.get(item["origin"], 0) + 1
    return counts


REGISTRATIONS = "/api/events/registrations"


def register_for_partners(client: SeedClient, node: str) -> str:
    """One person of this network registers for each partner network's first event open
    for registration, through this node: the owner decides (Declaration, section 1: open
    our events to each other's members). Kept if the node registered anyone already."""
    if client.call("GET", REGISTRATIONS):  # not paged: this node's latest 1,000
        return "registrations for partners' events already made"
    chosen: dict[str, dict[str, Any]] = {}
    for event in client.every(f"{EVENTS}?open=true"):
        if event["origin"] != node and event["origin"] not in chosen:
            chosen[event["origin"]] = event
    for origin, event in sorted(chosen.items()):
        client.call(
            "POST",
            REGISTRATIONS,
            {
                "origin": origin,
                "event_id": event["id"],
                "contact_name": f"Demo participant from {node}",
                "contact_email": f"participant@{node}.example.org",
            },
        )
    return f"registered a member for the events of {', '.join(sorted(chosen)) or 'no partner'}"
