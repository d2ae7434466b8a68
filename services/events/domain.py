"""The calendar's domain: an event owned by the node that creates it, and its rules.

Pure logic: no I/O, no messaging or storage imports. The owner's staff draft an event,
publish it, revise it, postpone or cancel it; the admin may withdraw it. Every change the
owner publishes raises ``sequence`` (iCalendar's ``SEQUENCE``), so calendars that
subscribed to a feed replace their copy instead of keeping stale times.

Times are local date-times in an IANA zone (what the organiser typed). A series is one
RFC 5545 RRULE, expanded with python-dateutil and bounded (``MAX_OCCURRENCES``); every
date of it has the event's capacity.

Errors a user can cause (``shared.errors``): ``DomainError`` (422) naming the field,
``NotFound`` (404), ``Gone`` (410, a withdrawn event). Malformed input is refused by
``EventDraft`` itself (pydantic's ValidationError, 422 naming the field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    NaiveDatetime,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from services.events.fees import FeeRules
from shared.aggregate import Aggregate, AggregateDeleted
from shared.calendar import series_starts
from shared.contracts import events as contract
from shared.contracts.base import Event as ContractEvent
from shared.contracts.base import Visibility
from shared.errors import DomainError, NotFound, shorten
from shared.fields import CountryCode, Input, Tag, Url, lower, refuse_nul, upper

__all__ = [
    "MAX_OCCURRENCES",
    "AggregateDeleted",
    "CallForSpeakers",
    "DomainError",
    "Event",
    "EventDraft",
    "EventKind",
    "EventStatus",
    "NotFound",
    "Occurrence",
    "Speaker",
    "Venue",
]

MAX_OCCURRENCES = 200  # dates of one series: enough for a weekly event over four years
MAX_LANGUAGES = 24  # the EU's official languages
FIRST_YEAR, LAST_YEAR = 1970, 2199  # far from datetime's limits, which UTC shifts would cross


class EventKind(StrEnum):
    CONFERENCE = "conference"
    BROKERAGE = "brokerage"
    TRAINING = "training"
    TRADE_MISSION = "trade_mission"
    WEBINAR = "webinar"
    OTHER = "other"


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


# what each status may become; a cancellation is final (withdraw to take it off)
TRANSITIONS: dict[EventStatus, frozenset[EventStatus]] = {
    EventStatus.DRAFT: frozenset({EventStatus.PUBLISHED}),
    EventStatus.PUBLISHED: frozenset({EventStatus.POSTPONED, EventStatus.CANCELLED}),
    EventStatus.POSTPONED: frozenset({EventStatus.PUBLISHED, EventStatus.CANCELLED}),
    EventStatus.CANCELLED: frozenset(),
}

NACE_SECTIONS = frozenset("ABCDEFGHIJKLMNOPQRSTU")


# --- field types -------------------------------------------------------------------------


def _zone(value: str) -> str:
    """An IANA time zone that this machine's zone database knows."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {shorten(value, 60)!r}: give an IANA zone such as Europe/Paris"
        ) from None
    return value


def _nace_section(value: str) -> str:
    if value not in NACE_SECTIONS:
        raise ValueError(f"{shorten(value, 20)!r} is not a NACE section (a letter from A to U)")
    return value


Name = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=200),
]
Title = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=300),
]
Text = Annotated[
    str,
    BeforeValidator(refuse_nul),
    StringConstraints(strict=True, strip_whitespace=True, max_length=8000),
]
Language = Annotated[
    str, BeforeValidator(lower), StringConstraints(strict=True, pattern=r"^[a-z]{2}$")
]
Zone = Annotated[
    str, StringConstraints(strict=True, strip_whitespace=True, max_length=64), AfterValidator(_zone)
]
Section = Annotated[str, BeforeValidator(upper), AfterValidator(_nace_section)]
Texts = Annotated[dict[Language, Text], Field(max_length=MAX_LANGUAGES)]
Titles = Annotated[dict[Language, Title], Field(min_length=1, max_length=MAX_LANGUAGES)]


class Venue(Input):
    """Where the event takes place in person."""

    address: Annotated[Text, Field(max_length=400)] = ""
    city: Name
    country: CountryCode


class Speaker(Input):
    """A speaker as the public may know them: no contact data here."""

    name: Name
    organisation: Annotated[Text, Field(max_length=200)] = ""
    title: Annotated[Text, Field(max_length=300)] = ""


# --- call for speakers (applications: services/events/speakers.py) ----------------------
# stored as written (text): a BSON date would be read back as UTC, not the event's zone
LocalTime = Annotated[NaiveDatetime, PlainSerializer(lambda moment: moment.isoformat())]


class CallForSpeakers(Input):
    """An open call: until ``deadline`` (local, in the event's zone) anyone of the
    alliance may propose a talk on ``topics``, answering ``questions``. Part of the
    event, so it travels (and replicates) with it."""

    deadline: LocalTime
    topics: Annotated[list[Tag], Field(max_length=30)] = []
    questions: Annotated[list[Title], Field(max_length=10)] = []

    @field_validator("deadline")
    @classmethod
    def _in_range(cls, moment: datetime) -> datetime:
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValueError(f"give a date between {FIRST_YEAR} and {LAST_YEAR}")
        return moment


@dataclass(frozen=True)
class Occurrence:
    """One date of an event (the only one, or one of a series), with its seats."""

    start: datetime  # aware, in the event's zone
    end: datetime
    capacity: int | None


class EventDraft(Input):
    """What the owner's staff submit to create or revise an event.

    Fields are validated in order, so the rules that compare two of them (end after
    start, registration closing before the end, the RRULE from the start) name the later
    field and are skipped when the earlier one was itself refused.
    """

    kind: EventKind
    language: Language
    title: Titles
    description: Texts = {}
    timezone: Zone
    start: NaiveDatetime
    end: NaiveDatetime
    online_url: Url | None = None
    venue: Venue | None = Field(None, validate_default=True)
    fees: FeeRules = FeeRules()
    capacity: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] | None = None
    registration_opens: NaiveDatetime | None = None
    registration_closes: NaiveDatetime | None = None
    speakers: Annotated[list[Speaker], Field(max_length=100)] = []
    visibility: Visibility = Visibility.ALLIANCE
    nace_sections: Annotated[list[Section], Field(max_length=21)] = []
    tags: Annotated[list[Tag], Field(max_length=30)] = []
    recurrence: Annotated[str, StringConstraints(max_length=500)] | None = None
    call_for_speakers: CallForSpeakers | None = None

    @field_validator("title")
    @classmethod
    def _original_titled(cls, title: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        language = info.data.get("language")
        if language and language not in title:
            raise ValueError(f"needs a title in the original language ({language!r})")
        return title

    @field_validator("start", "end", "registration_opens", "registration_closes")
    @classmethod
    def _in_range(cls, moment: datetime | None) -> datetime | None:
        if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValueError(f"give a date between {FIRST_YEAR} and {LAST_YEAR}")
        return moment

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"the end ({end:%Y-%m-%d %H:%M}) must be after the start")
        return end

    @field_validator("venue")
    @classmethod
    def _somewhere(cls, venue: Venue | None, info: ValidationInfo) -> Venue | None:
        if venue is None and "online_url" in info.data and info.data["online_url"] is None:
            raise ValueError("an event needs a venue, an online_url, or both")
        return venue

    @field_validator("registration_closes")
    @classmethod
    def _closes_in_time(cls, closes: datetime | None, info: ValidationInfo) -> datetime | None:
        opens, end = info.data.get("registration_opens"), info.data.get("end")
        if closes is None:
            return closes
        if opens is not None and closes <= opens:
            raise ValueError("registration must close after it opens")
        if end is not None and closes >= end:
            raise ValueError("registration must close before the event ends")
        return closes

    @field_validator("recurrence")
    @classmethod
    def _bounded_series(cls, rule: str | None, info: ValidationInfo) -> str | None:
        if rule is None:
            return None
        rule = rule.strip().removeprefix("RRULE:")
        start, zone = info.data.get("start"), info.data.get("timezone")
        if start is not None and zone is not None:
            series_dates(rule, start.replace(tzinfo=ZoneInfo(zone)))
        return rule

    @field_validator("call_for_speakers")
    @classmethod
    def _call_in_time(
        cls, call: CallForSpeakers | None, info: ValidationInfo
    ) -> CallForSpeakers | None:
        end = info.data.get("end")
        if call is not None and end is not None and call.deadline >= end:
            raise ValueError("the call for speakers' deadline must be before the event ends")
        return call

    def unique_lists(self) -> Self:
        """The same draft with repeated sections and tags dropped (first kept)."""
        return self.model_copy(
            update={
                "nace_sections": list(dict.fromkeys(self.nace_sections)),
                "tags": list(dict.fromkeys(self.tags)),
            }
        )


_RULE_PART = re.compile(r"^[A-Z]+=[A-Za-z0-9,+\-:]+$")


def series_dates(rule: str, start: datetime) -> list[datetime]:
    """Every start of a series, from an RRULE value; refuses endless or huge ones.

    Only one RRULE (no EXDATE, RDATE or DTSTART lines): what iCalendar's ``RRULE``
    property carries. ``start`` is aware; RFC 5545 then wants ``UNTIL`` in UTC (``Z``).
    """
    parts = rule.split(";")
    if "\n" in rule or not all(_RULE_PART.match(part) for part in parts):
        raise ValueError("give one RRULE value such as FREQ=MONTHLY;COUNT=6")
    names = [part.split("=", 1)[0] for part in parts]
    if len(set(names)) != len(names):
        raise ValueError("each RRULE part may be given once")
    if not {"COUNT", "UNTIL"} & set(names):
        raise ValueError("a series needs an end: COUNT=n or UNTIL=<date>")
    if {"COUNT", "UNTIL"} <= set(names):
        raise ValueError("a series ends by COUNT or by UNTIL, not both (RFC 5545)")
    dates = series_starts(rule, start, MAX_OCCURRENCES)
    if len(set(dates)) != len(dates):
        raise ValueError("the rule repeats the same date (INTERVAL must be 1 or more)")
    if dates[-1].year > LAST_YEAR:
        raise ValueError(f"a series must end before {LAST_YEAR + 1}")
    return dates


# --- the aggregate -----------------------------------------------------------------------


class Event(EventDraft, Aggregate):
    """A calendar event, owned by the node that created it.

    Each change records its full event (for this node's services) and what the alliance
    may see of it: the state once published and shared, a withdrawal when it stops being
    shared, nothing while it is a draft or ``node``-only.
    """

    status: EventStatus = EventStatus.DRAFT
    sequence: int = 0
    co_organisers: list[str] = []  # accepted ones only (proposing: invitations.py)

    _kinds: ClassVar[dict[EventStatus, type[contract.EventState]]] = {
        EventStatus.DRAFT: contract.EventPublished,
        EventStatus.PUBLISHED: contract.EventRevised,
        EventStatus.POSTPONED: contract.EventRevised,
        EventStatus.CANCELLED: contract.EventCancelled,
    }

    @classmethod
    def draft(cls, id: str, draft: EventDraft, now: datetime) -> Self:
        """A new event at version 1, a draft: it stays on this node until published."""
        event = cls.model_validate(
            {**_fields(draft.unique_lists()), "id": id, "version": 1, "updated_at": now}
        )
        event._announce(was_shared=False, first_shown=False)
        return event

    def revise(self, draft: EventDraft, now: datetime) -> None:
        """Replace what the staff edit; a cancelled event is final."""
        self._live()
        if self.status is EventStatus.CANCELLED:
            raise DomainError("a cancelled event cannot be changed", "status")
        was_shared = self.is_shared
        self._change(now)
        for name, value in _fields(draft.unique_lists()).items():
            setattr(self, name, value)
        self._announce(was_shared, first_shown=False)

    def publish(self, now: datetime) -> None:
        """Draft → published (or a postponed event back on); from now on it may leave."""
        self._move(EventStatus.PUBLISHED, now)

    def postpone(self, now: datetime) -> None:
        self._move(EventStatus.POSTPONED, now)

    def cancel(self, now: datetime) -> None:
        self._move(EventStatus.CANCELLED, now)

    def withdraw(self, now: datetime) -> None:
        """Take it off every calendar (a tombstone): replicas forget it; final."""
        was_shared = self.is_shared
        self.bump(now)
        self.deleted = True
        self._announce(was_shared, first_shown=False)

    def add_co_organiser(self, node: str, now: datetime) -> bool:
        """A network accepted to co-organise (services/events/invitations.py): shown
        with the event from now on; False when it already was (nothing changes)."""
        self._live()
        if node in self.co_organisers:
            return False
        was_shared = self.is_shared
        self._change(now)
        self.co_organisers = [*self.co_organisers, node]
        self._announce(was_shared, first_shown=False)
        return True

    # -- reads ---------------------------------------------------------------------------
    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_shared(self) -> bool:
        """Does the alliance hold this event (published once, shared, not withdrawn)?"""
        return (
            not self.deleted
            and self.status is not EventStatus.DRAFT
            and (self.visibility.leaves_node)
        )

    def occurrences(self) -> list[Occurrence]:
        """Each date of the event with its seats: one, or every date of the series."""
        return occurrences(self.start, self.end, self.zone, self.recurrence, self.capacity)

    # -- internals -----------------------------------------------------------------------
    def _live(self) -> None:
        """A withdrawn event is gone (410), whatever its last status."""
        if self.deleted:
            raise AggregateDeleted(f"event {self.id!r} was withdrawn")

    def _move(self, status: EventStatus, now: datetime) -> None:
        self._live()
        if status not in TRANSITIONS[self.status]:
            raise DomainError(f"a {self.status.value} event cannot become {status.value}", "status")
        was_shared, first_shown = self.is_shared, self.status is EventStatus.DRAFT
        self._change(now)
        self.status = status
        self._announce(was_shared, first_shown)

    def _change(self, now: datetime) -> None:
        """Count the change; once published, every change raises the iCalendar sequence."""
        self.bump(now)
        if self.status is not EventStatus.DRAFT:
            self.sequence += 1

    def _announce(self, was_shared: bool, first_shown: bool) -> None:
        event = self._event(first_shown)
        if self.is_shared:
            shared: ContractEvent | None = event
        elif was_shared:
            reason = (
                contract.WithdrawalReason.WITHDRAWN
                if self.deleted
                else contract.WithdrawalReason.RESTRICTED
            )
            shared = contract.EventWithdrawn(id=self.id, reason=reason.value)
        else:
            shared = None
        self.record(event, shared)

    def _event(self, first_shown: bool) -> ContractEvent:
        if self.deleted:
            return contract.EventWithdrawn(
                id=self.id, reason=contract.WithdrawalReason.WITHDRAWN.value
            )
        kind = contract.EventPublished if first_shown else self._kinds[self.status]
        return kind.model_validate(self.model_dump(mode="json"))


def occurrences(
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    recurrence: str | None,
    capacity: int | None,
) -> list[Occurrence]:
    """The dates of an event, each as long as the first and with the event's capacity."""
    first = start.replace(tzinfo=zone)
    length = end - start
    starts = series_dates(recurrence, first) if recurrence else [first]
    # aware arithmetic in one zone is wall-clock: 09:00 + 3 h is 12:00 whatever DST did
    return [Occurrence(s, s + length, capacity) for s in starts]


def state_occurrences(event: contract.EventState) -> list[Occurrence]:
    """The dates of an event as the calendar holds it (the wire state, own or a partner's),
    by the same rule as an own event's; ValueError (or ZoneInfoNotFoundError) for a state
    this node cannot read."""
    return occurrences(
        datetime.fromisoformat(event.start),
        datetime.fromisoformat(event.end),
        ZoneInfo(event.timezone),
        event.recurrence,
        event.capacity,
    )


def utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A local date-time of the event's zone as UTC, for comparing across zones."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def last_end(event: Event) -> datetime:
    """When the event (its last date, for a series) ends, in UTC."""
    return event.occurrences()[-1].end.astimezone(UTC)


def registration_open(event: Event, now: datetime) -> bool:
    """Published, and now within the registration window (by default until the end)."""
    if event.status is not EventStatus.PUBLISHED or event.deleted:
        return False
    opens = utc(event.registration_opens, event.zone) if event.registration_opens else None
    closes = (
        utc(event.registration_closes, event.zone) if event.registration_closes else last_end(event)
    )
    return (opens is None or opens <= now) and now < closes


def _fields(draft: BaseModel) -> dict[str, Any]:
    """The draft's field values as they are (already validated, nested models kept)."""
    return {name: getattr(draft, name) for name in EventDraft.model_fields}
