"""What each reader is shown of a brokerage session: views, recommendations, agendas.

- Other participants see a participant's event profile (organisation, country, network,
  NACE codes, offers and needs) but never their name's e-mail, key or unavailability.
- A participant sees their own record, requests in and out, and their agenda.
- The organiser's staff see everything (e-mails included): the board.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from services.matching.brokerage import slot_end, slot_start
from services.matching.brokerage_store import OPEN_PAIR
from services.matching.embedding import DIMENSIONS, load_model
from services.matching.profiles import PartnerProfile, ProfileVectors, embed_profiles
from services.matching.ranking import PartnerIndex
from shared.calendar import UID_DOMAIN, Appointment
from shared.calendar import agenda as calendar_agenda
from shared.store import Document

SECRET = ("_id", "key", "vectors")
RECOMMENDED = 10


def public_participant(participant: Document) -> Document:
    """A participant as the others see them: the organisation and its event profile."""
    return {
        "id": participant["_id"],
        "organisation": participant["organisation"],
        "country": participant["country"],
        "network": participant["network"],
        "nace_codes": participant["nace_codes"],
        "profile": participant.get("profile"),
    }


def own_participant(participant: Document) -> Document:
    """A participant as they (or the organiser's staff) see their record: never the key."""
    return {"id": participant["_id"], **{k: v for k, v in participant.items() if k not in SECRET}}


def public_request(request: Document) -> Document:
    """A request as its two participants and the staff see it (not its store key)."""
    hidden = ("_id", OPEN_PAIR)
    return {"id": request["_id"], **{k: v for k, v in request.items() if k not in hidden}}


def session_view(session: Document) -> Document:
    """A session as anyone sees it, with the times of its slots."""
    slots = [
        {
            "slot": slot,
            "start": slot_start(session, slot).isoformat(),
            "end": slot_end(session, slot).isoformat(),
        }
        for slot in range(len(session["days"]) * session["slots_per_day"])
    ]
    return {
        "id": session["_id"],
        **{k: v for k, v in session.items() if k != "_id"},
        "slots": slots,
    }


async def embed(profile: PartnerProfile) -> Document:
    """A profile's vectors, as stored; the model runs in a thread (it releases the GIL),
    never on the event loop."""
    vectors = await asyncio.to_thread(lambda: embed_profiles(load_model(), [profile])[0])
    return vectors.to_document()


def recommendations(
    seeker: Document, seeker_profile: PartnerProfile, others: list[tuple[Document, PartnerProfile]]
) -> list[Document]:
    """The session's participants best matched to the seeker's event profile, with the
    reasons partner search gives (two-way complementarity of offers and needs)."""
    if seeker.get("vectors") is None:
        return []
    index = PartnerIndex(DIMENSIONS)
    by_id = {}
    for participant, profile in others:
        if participant.get("vectors") is not None:
            index.upsert(profile, ProfileVectors.from_document(participant["vectors"]))
            by_id[participant["_id"]] = participant
    if not len(index):
        return []
    found = index.search(
        seeker_profile, ProfileVectors.from_document(seeker["vectors"]), top=RECOMMENDED
    )
    return [
        {
            "participant": public_participant(by_id[match.id]),
            "score": match.score,
            "reasons": [reason.model_dump(mode="json") for reason in match.reasons],
        }
        for match in found
        if match.id in by_id
    ]


def agenda(
    session: Document, schedule: Document | None, participant_id: str, names: dict[str, Document]
) -> list[Document]:
    """A participant's meetings in time order: when, where, with whom."""
    if schedule is None:
        return []
    mine = [m for m in schedule["meetings"] if participant_id in (m["a"], m["b"])]
    return [
        {
            "slot": meeting["slot"],
            "start": slot_start(session, meeting["slot"]).isoformat(),
            "end": slot_end(session, meeting["slot"]).isoformat(),
            "table": meeting["table"],
            "with": public_participant(names[other_side(meeting, participant_id)]),
            "request": meeting["request"],
        }
        for meeting in sorted(mine, key=lambda m: m["slot"])
    ]


def other_side(meeting: Document, participant_id: str) -> str:
    return str(meeting["b"] if meeting["a"] == participant_id else meeting["a"])


def table_sheet(
    session: Document, schedule: Document | None, table: int, names: dict[str, Document]
) -> list[Document]:
    """One table's meetings in slot order: when, and the two organisations."""
    if schedule is None:
        return []
    here = sorted((m for m in schedule["meetings"] if m["table"] == table), key=lambda m: m["slot"])
    return [
        {
            "slot": m["slot"],
            "start": slot_start(session, m["slot"]).isoformat(),
            "end": slot_end(session, m["slot"]).isoformat(),
            "a": public_participant(names[m["a"]]),
            "b": public_participant(names[m["b"]]),
            "locked": bool(m.get("locked")),
        }
        for m in here
    ]


def board(session: Document, schedule: Document | None) -> list[list[Document | None]]:
    """The organiser's grid: one row per slot, one cell per table (None: free)."""
    slots = len(session["days"]) * session["slots_per_day"]
    grid: list[list[Document | None]] = [[None] * session["tables"] for _ in range(slots)]
    for meeting in (schedule or {}).get("meetings", []):
        grid[meeting["slot"]][meeting["table"] - 1] = meeting
    return grid


def agenda_ics(
    session: Document, items: list[Document], node: str, who: str, stamp: datetime | None = None
) -> bytes:
    """A participant's agenda as iCalendar: one VEVENT per meeting, with a stable UID per
    meeting request (a re-run that moves a meeting replaces it in a subscribed calendar)."""
    appointments = [
        Appointment(
            uid=f"{item['request']}@{node}.brokerage.{UID_DOMAIN}",
            summary=f"{item['with']['organisation']} ({item['with']['country']})",
            start=slot_start(session, item["slot"]),  # in the event's zone, with its TZID
            end=slot_end(session, item["slot"]),
            location=f"{session['title']}, table {item['table']}",
        )
        for item in items
    ]
    name = f"{session['title']}: {who}"
    return calendar_agenda(name, appointments, stamp or datetime.now(UTC))


def as_names(participants: list[Document]) -> dict[str, Document]:
    return {participant["_id"]: participant for participant in participants}


def requests_by_side(
    requests: list[Document], participant_id: str, names: dict[str, Document]
) -> dict[str, Any]:
    """A participant's requests: received (``in``) and sent (``out``), with who."""

    def shown(request: Document, other: str) -> Document:
        return {**public_request(request), "other": public_participant(names[request[other]])}

    return {
        "in": [shown(r, "from") for r in requests if r["to"] == participant_id],
        "out": [shown(r, "to") for r in requests if r["from"] == participant_id],
    }
