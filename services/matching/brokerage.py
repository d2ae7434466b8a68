"""Brokerage events: the rules of a matchmaking session, pure (no I/O).

A brokerage event (an event of the events service whose kind is ``brokerage``) gets a
matchmaking session on the node that owns it. The session cuts its day(s) into slots of
a fixed length from a start time; slot ``i`` is slot ``i % slots_per_day`` of day
``i // slots_per_day``, numbered ``0..slots-1`` as the scheduler numbers them
(``services/matching/scheduling.py``). Participants join with a secret key, publish a
cooperation profile, say which slots they cannot attend and ask each other for meetings;
a request is ``pending`` until its addressee accepts or declines it, and its sender may
withdraw it. What may be seen and changed by whom is in ``brokerage_api.py``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from shared.contracts.membership import CooperationType
from shared.errors import DomainError, Duplicate
from shared.fields import CountryCode, Input, NaceCode, refuse_nul

MAX_DAYS = 5
MAX_SLOTS_PER_DAY = 32
MAX_TABLES = 200  # the benchmark's largest instance: more is no real venue
MIN_SLOT_MINUTES, MAX_SLOT_MINUTES = 5, 240
MAX_PROFILE_TEXT = 2000

Text = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, max_length=MAX_PROFILE_TEXT),
]
Name = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=200),
]


def cooperation_type(value: str) -> str:
    """One of the Enterprise Europe Network's cooperation types, as partner search and
    the membership form name them (kept as its plain value)."""
    known = [kind.value for kind in CooperationType]
    if value not in known:
        raise ValueError(f"unknown cooperation type {value!r}: one of {', '.join(known)}")
    return value


CooperationName = Annotated[str, StringConstraints(strict=True), AfterValidator(cooperation_type)]
Email = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(
        strict=True, strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
    ),
]


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = (RequestStatus.PENDING.value, RequestStatus.ACCEPTED.value)


class SessionDraft(Input):
    """What the organiser's staff set for a session; the bounds keep a board readable
    and the scheduler's instance within what it is measured on."""

    event_id: Name
    days: list[date] = Field(min_length=1, max_length=MAX_DAYS)
    start: time  # local, in the event's zone, on each day
    slot_minutes: int = Field(ge=MIN_SLOT_MINUTES, le=MAX_SLOT_MINUTES)
    slots_per_day: int = Field(ge=1, le=MAX_SLOTS_PER_DAY)
    tables: int = Field(ge=1, le=MAX_TABLES)
    request_deadline: datetime  # local, in the event's zone

    @field_validator("days")
    @classmethod
    def _distinct_days(cls, days: list[date]) -> list[date]:
        if len(set(days)) != len(days):
            raise ValueError("each day once")
        return sorted(days)

    @field_validator("slots_per_day")
    @classmethod
    def _fits_in_a_day(cls, slots: int, info: ValidationInfo) -> int:
        start, minutes = info.data.get("start"), info.data.get("slot_minutes")
        if start is None or minutes is None:
            return slots  # their own errors are reported
        first = datetime.combine(date(2000, 1, 1), start)
        end = first + timedelta(minutes=minutes * slots)
        if end > datetime.combine(date(2000, 1, 2), time(0)):
            raise ValueError("the slots run past midnight: fewer or shorter slots")
        return slots

    @field_validator("request_deadline")
    @classmethod
    def _local(cls, deadline: datetime) -> datetime:
        if deadline.tzinfo is not None:
            raise ValueError("a local date-time in the event's zone, without an offset")
        return deadline


KnownKey = Annotated[
    str, StringConstraints(strict=True, max_length=120, pattern=r"^([a-z0-9-]+/[A-Za-z0-9_.:-]+)?$")
]


class JoinDraft(Input):
    """A person joining a session for their organisation: one the node knows (``known``,
    ``<network>/<organisation id>`` as partner search names it: its name, country, NACE
    codes, network and event profile are taken from it), or one typed by hand."""

    name: Name
    email: Email
    known: KnownKey = ""
    organisation: Name | None = Field(None, validate_default=True)
    country: CountryCode | None = Field(None, validate_default=True)
    nace_codes: list[NaceCode] = Field(default=[], max_length=10)
    network: Annotated[str, StringConstraints(max_length=40, pattern=r"^[a-z0-9-]*$")] = ""

    @field_validator("organisation", "country")
    @classmethod
    def _typed_unless_known(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and not info.data.get("known"):
            raise ValueError("required, unless you pick an organisation this node knows")
        return value


class ProfileDraft(Input):
    """A participant's cooperation profile for the event: what they offer and look for."""

    offers: Text = ""
    needs: Text = Field("", validate_default=True)
    cooperation_types: list[CooperationName] = Field(default=[], max_length=10)
    technologies: list[Name] = Field(default=[], max_length=20)

    @field_validator("needs")
    @classmethod
    def _says_something(cls, needs: str, info: ValidationInfo) -> str:
        if not (needs or info.data.get("offers")):
            raise ValueError("say what you offer or what you look for")
        return needs


class UnavailableDraft(Input):
    slots: list[int] = Field(default=[], max_length=MAX_DAYS * MAX_SLOTS_PER_DAY)


class RequestDraft(Input):
    """A meeting request to another participant of the same session, with a message."""

    to: Name
    message: Text = ""


class MoveDraft(Input):
    slot: int = Field(ge=0)
    table: int = Field(ge=1)


class LockDraft(Input):
    locked: bool = True


def slot_count(session: dict[str, Any]) -> int:
    """How many slots a session has over all its days."""
    return len(session["days"]) * int(session["slots_per_day"])


def slot_start(session: dict[str, Any], slot: int) -> datetime:
    """When slot ``slot`` starts, aware, in the session's zone."""
    day = date.fromisoformat(session["days"][slot // session["slots_per_day"]])
    first = datetime.combine(
        day, time.fromisoformat(session["start"]), ZoneInfo(session["timezone"])
    )
    return first + timedelta(minutes=session["slot_minutes"] * (slot % session["slots_per_day"]))


def slot_end(session: dict[str, Any], slot: int) -> datetime:
    return slot_start(session, slot) + timedelta(minutes=session["slot_minutes"])


def check_slots(session: dict[str, Any], slots: list[int], field: str) -> list[int]:
    """Slots of this session, each once, sorted; a slot out of range names ``field``."""
    count = slot_count(session)
    wrong = [slot for slot in slots if not 0 <= slot < count]
    if wrong:
        raise DomainError(f"slot {wrong[0]} does not exist: slots are 0 to {count - 1}", field)
    return sorted(set(slots))


def check_table(session: dict[str, Any], table: int) -> None:
    if not 1 <= table <= session["tables"]:
        raise DomainError(
            f"table {table} does not exist: tables are 1 to {session['tables']}", "table"
        )


def requests_open(session: dict[str, Any], now: datetime) -> bool:
    """Meeting requests are taken until the deadline (local, in the session's zone)."""
    deadline = datetime.fromisoformat(session["request_deadline"]).replace(
        tzinfo=ZoneInfo(session["timezone"])
    )
    return now < deadline


def check_request(sender: dict[str, Any], addressee: dict[str, Any]) -> None:
    """A request goes to another participant of the same session."""
    if sender["_id"] == addressee["_id"]:
        raise DomainError("a meeting request goes to another participant, not to oneself", "to")
    if sender["session_id"] != addressee["session_id"]:
        raise DomainError(f"no participant {addressee['_id']!r} in this session", "to")


def check_decision(request: dict[str, Any], participant_id: str, verb: str) -> None:
    """Only the addressee accepts or declines, once; only the sender withdraws."""
    who = "to" if verb in ("accept", "decline") else "from"
    if request[who] != participant_id:
        raise DomainError(
            f"only the {'addressee' if who == 'to' else 'sender'} may {verb} it", "id"
        )
    allowed = (RequestStatus.PENDING.value,) if who == "to" else OPEN_STATUSES
    if request["status"] not in allowed:
        raise Duplicate(f"this request is {request['status']} already", "status")
