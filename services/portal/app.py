"""The portal, declared: the hub hosts it (``alliance hub``), nodes do not."""

from __future__ import annotations

from services.portal.calendar_pages import calendar_pages
from services.portal.news import portal_news_feeds
from services.portal.news_pages import news_pages
from services.portal.pages import portal_pages
from services.portal.papers import papers_api, papers_pages
from services.portal.promise import REPLICAS as PROMISE_REPLICAS
from services.portal.promise import promise_api, promise_pages
from services.portal.store import PortalUnitOfWork
from services.portal.subscribers import REPLICAS
from shared.service import ServiceDeclaration
from shared.web.i18n import N_
from shared.web.layer import NavLink


def declare() -> ServiceDeclaration[PortalUnitOfWork]:
    """The alliance's public portal: networks, organisations, clusters and calendar."""
    return ServiceDeclaration(
        name="portal",
        description="the alliance's public portal: networks, organisations, clusters, calendar",
        unit_of_work=PortalUnitOfWork,
        replicas=(*REPLICAS, *PROMISE_REPLICAS),  # the promise: the networks' digests
        routers=(portal_news_feeds, promise_api, papers_api),  # news feeds, promise, papers
        pages=(portal_pages, calendar_pages, news_pages, promise_pages, papers_pages),
        navigation=(
            NavLink(N_("Networks"), "/", order=5),
            NavLink(N_("Organisations"), "/organizations", order=10),
            NavLink(N_("Clusters"), "/clusters", order=20),
            NavLink(N_("Calendar"), "/calendar", order=30),
            NavLink(N_("News"), "/news", order=35),
            NavLink(N_("Position papers"), "/papers", order=37),
            NavLink(N_("Twice a year"), "/promise", order=40),
        ),
        package="services.portal",
    )
