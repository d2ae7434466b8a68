"""The events service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.events import inquiries, invitations, sample_data, speakers
from services.events.api import calendar_feeds, events_api
from services.events.inquiry_routes import inquiries_api, inquiry_pages
from services.events.invitation_routes import invitation_pages, invitations_api
from services.events.pages import events_pages
from services.events.speaker_routes import application_pages, applications_api
from services.events.store import COLLECTIONS, MIGRATIONS, EventsUnitOfWork
from services.events.subscribers import REPLICAS
from shared.contracts import events as contract
from shared.contracts import events_requests
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
        ),
        migrations=(
            *MIGRATIONS,
            inquiries.create_indexes,
            speakers.create_indexes,
            invitations.create_indexes,
        ),
        replicas=REPLICAS,
        routers=(events_api, calendar_feeds, inquiries_api, applications_api, invitations_api),
        pages=(events_pages, inquiry_pages, application_pages, invitation_pages),
        navigation=(
            NavLink(N_("Calendar"), "/events", order=20),
            NavLink(N_("Promoted by our network"), "/events/promoted", order=21),
            NavLink(N_("Events"), "/console/events", Area.CONSOLE, order=25),
            NavLink(N_("Inquiries"), "/console/inquiries", Area.CONSOLE, order=26),
            NavLink(N_("Applications to speak"), "/console/applications", Area.CONSOLE, order=27),
            NavLink(N_("Invitations"), "/console/invitations", Area.CONSOLE, order=28),
        ),
        messages=DirectCatalogue(contract.SERVICE, {**events_requests.DIRECT}),
        direct={
            events_requests.InquiryAsked: inquiries.on_inquiry_asked,
            events_requests.InquiryAnswered: inquiries.on_inquiry_answered,
            events_requests.SpeakerApplied: speakers.on_speaker_applied,
            events_requests.ApplicationDecided: speakers.on_application_decided,
            events_requests.PartnerInvited: invitations.on_partner_invited,
            events_requests.InvitationAnswered: invitations.on_invitation_answered,
        },
        package="services.events",
        sample=SampleData(seed=sample_data.seed, held=sample_data.held),
    )
