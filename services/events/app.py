"""The events service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.events import (
    erasure,
    inquiries,
    invitations,
    registrations_bus,
    registrations_store,
    sample_data,
    speakers,
)
from services.events.api import calendar_feeds, events_api
from services.events.inquiry_routes import inquiries_api, inquiry_pages
from services.events.invitation_routes import invitation_pages, invitations_api
from services.events.pages import events_pages
from services.events.registrations_api import registrations_api
from services.events.registrations_pages import registrations_pages
from services.events.registrations_public import (
    public_registration_pages,
    public_registrations_api,
)
from services.events.speaker_routes import application_pages, applications_api
from services.events.store import COLLECTIONS, MIGRATIONS, EventsUnitOfWork
from services.events.subscribers import REPLICAS
from shared.contracts import events as contract
from shared.contracts import events_register, events_requests
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
        collections=(
            *COLLECTIONS,
            *inquiries.COLLECTIONS,
            *speakers.COLLECTIONS,
            *invitations.COLLECTIONS,
            *registrations_store.COLLECTIONS,
        ),
        migrations=(
            *MIGRATIONS,
            inquiries.create_indexes,
            speakers.create_indexes,
            invitations.create_indexes,
        ),
        replicas=REPLICAS,
        # a person's name and e-mail (GDPR, services/events/erasure.py): the owners of
        # their events are told first; invitations name no person
        erase=(erasure.tell_owners, erasure.erase_here),
        routers=(
            events_api,
            calendar_feeds,
            inquiries_api,
            applications_api,
            invitations_api,
            public_registrations_api,
            registrations_api,
        ),
        pages=(
            events_pages,
            inquiry_pages,
            application_pages,
            invitation_pages,
            registrations_pages,
            public_registration_pages,
        ),
        navigation=(
            NavLink(N_("Calendar"), "/events", order=20),
            NavLink(N_("Promoted by our network"), "/events/promoted", order=21),
            NavLink(N_("Events"), "/console/events", Area.CONSOLE, order=25),
            NavLink(N_("Registrations"), "/console/registrations", Area.CONSOLE, order=26),
            NavLink(N_("Inquiries"), "/console/inquiries", Area.CONSOLE, order=27),
            NavLink(N_("Applications to speak"), "/console/applications", Area.CONSOLE, order=28),
            NavLink(N_("Invitations"), "/console/invitations", Area.CONSOLE, order=29),
        ),
        # messages between nodes: inquiries, applications, invitations
        # (services/events/{inquiries,speakers,invitations}.py) and registrations decided
        # by the owner node (services/events/registrations*.py)
        messages=DirectCatalogue(
            contract.SERVICE, {**events_requests.DIRECT, **events_register.KINDS}
        ),
        direct={
            **registrations_bus.DIRECT_HANDLERS,
            events_requests.InquiryAsked: inquiries.on_inquiry_asked,
            events_requests.InquiryAnswered: inquiries.on_inquiry_answered,
            events_requests.SpeakerApplied: speakers.on_speaker_applied,
            events_requests.ApplicationDecided: speakers.on_application_decided,
            events_requests.PartnerInvited: invitations.on_partner_invited,
            events_requests.InvitationAnswered: invitations.on_invitation_answered,
            events_requests.PersonErased: erasure.on_person_erased,
        },
        package="services.events",
        sample=SampleData(
            seed=sample_data.seed,
            held=sample_data.held,
            with_partners=sample_data.register_for_partners,
        ),
        on_refused=(registrations_bus.on_message_refused,),
        subscriptions=registrations_bus.SUBSCRIPTIONS,
        tasks=(registrations_bus.expire_offers_every_minute,),
    )
