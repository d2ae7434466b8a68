"""Calendar use cases: one function per command, a few lines each.

Each runs inside a unit of work (``kit.transaction``): the event records what its change
announces (in full for this node's services, and what the alliance may see), the
repository saves it, and the commit writes state and events together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from services.events import registrations
from services.events.domain import Event, EventDraft, NotFound
from services.events.store import EventsUnitOfWork
from shared.identity import NodeIdentity
from shared.ids import new_id


def _now() -> datetime:
    return datetime.now(UTC)


def not_found(event_id: str) -> NotFound:
    """One answer for unknown events, also for ones hidden from the caller."""
    return NotFound(f"no event {event_id!r} on this node", "id")


async def create_event(draft: EventDraft, uow: EventsUnitOfWork, identity: NodeIdentity) -> Event:
    """A new draft: it stays on this node until it is published."""
    event = Event.draft(new_id(identity.node), draft, _now())
    uow.events.add(event)
    return event


async def existing_event(event_id: str, uow: EventsUnitOfWork) -> Event:
    event = await uow.events.get(event_id)
    if event is None:
        raise not_found(event_id)
    return event


async def revise_event(event_id: str, draft: EventDraft, uow: EventsUnitOfWork) -> Event:
    """Replace what the staff edit; once published, calendars see a higher sequence."""
    event = await existing_event(event_id, uow)
    event.revise(draft, _now())
    await registrations.check_capacity(uow, event)  # never below the seats held
    await uow.events.save(event)
    return event


async def _changed(
    event_id: str, uow: EventsUnitOfWork, change: Callable[[Event], Callable[[datetime], None]]
) -> Event:
    event = await existing_event(event_id, uow)
    change(event)(_now())
    await uow.events.save(event)
    return event


async def publish_event(event_id: str, uow: EventsUnitOfWork) -> Event:
    """On the calendars it may reach (a draft, or a postponed event back on)."""
    return await _changed(event_id, uow, lambda event: event.publish)


async def postpone_event(event_id: str, uow: EventsUnitOfWork) -> Event:
    return await _changed(event_id, uow, lambda event: event.postpone)


async def cancel_event(event_id: str, uow: EventsUnitOfWork) -> Event:
    """Stays on calendars, marked cancelled (iCalendar STATUS:CANCELLED); final."""
    return await _changed(event_id, uow, lambda event: event.cancel)


async def withdraw_event(event_id: str, uow: EventsUnitOfWork) -> Event:
    """Off every calendar: other nodes' replicas obey the withdrawal."""
    return await _changed(event_id, uow, lambda event: event.withdraw)


StatusChange = Callable[[str, EventsUnitOfWork], Awaitable[Event]]
# the status moves staff make by name (API routes and console buttons alike)
STATUS_CHANGES: dict[str, StatusChange] = {
    "publish": publish_event,
    "postpone": postpone_event,
    "cancel": cancel_event,
}
