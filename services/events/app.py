"""The events service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.events import registrations_bus, registrations_store, sample_data
from services.events.api import calendar_feeds, events_api
from services.events.pages import events_pages
from services.events.registrations_api import registrations_api
from services.events.registrations_pages import registrations_pages
from services.events.store import COLLECTIONS, MIGRATIONS, EventsUnitOfWork
from services.events.subscribers import REPLICAS
from shared.contracts import events as contract
from shared.contracts import events_register
from shared.contracts.direct import DirectCatalogue
from shared.service import SampleData, ServiceDeclaration
from shared.web.i18n import N_
from shared.web.layer import Area, NavLink


def declare() -> ServiceDeclaration[EventsUnitOfWork]:
    """The alliance calendar: events owned by this node, and those partners share."""
    return ServiceDeclaration(
        name=contract.SERVICE,
        description="the alliance calendar: own events, partners' shared events, iCalendar feeds",
        unit_of_work=EventsUnitOfWork,
        catalogue=contract.CATALOGUE,
        collections=(*COLLECTIONS, *registrations_store.COLLECTIONS),
        migrations=MIGRATIONS,
        replicas=REPLICAS,
        routers=(events_api, calendar_feeds, registrations_api),
        pages=(events_pages, registrations_pages),
        navigation=(
            NavLink(N_("Calendar"), "/events", order=20),
            NavLink(N_("Events"), "/console/events", Area.CONSOLE, order=25),
            NavLink(N_("Registrations"), "/console/registrations", Area.CONSOLE, order=26),
        ),
        package="services.events",
        sample=SampleData(seed=sample_data.seed, held=sample_data.held),
        # registration decided by the owner node (services/events/registrations*.py)
        messages=DirectCatalogue(contract.SERVICE, events_register.KINDS),
        direct=registrations_bus.DIRECT_HANDLERS,
        subscriptions=registrations_bus.SUBSCRIPTIONS,
        tasks=(registrations_bus.expire_offers_every_minute,),
    )
