"""Brokerage sessions' part of the matching service's declaration.

``with_brokerage`` adds to whatever the rest of the service declares (its collections,
migrations, replicas, routers, pages, navigation, demo data and tasks) rather than setting
them, so the service's own parts and this one are declared side by side.

Migrations are recorded by how many of the service's steps ran, so steps may only ever
be appended: brokerage's (settled) come first, the rest of the service appends its own
after them. A new brokerage index would be a new step at the end of the service's list.
"""

from __future__ import annotations

from dataclasses import replace

from services.matching import brokerage_sample
from services.matching import brokerage_store as store
from services.matching.brokerage_api import brokerage_api
from services.matching.brokerage_ops import recount_every_minute
from services.matching.brokerage_pages import brokerage_pages
from services.matching.store import MatchingUnitOfWork
from shared.erasure import erasing
from shared.service import SampleData, ServiceDeclaration
from shared.web.i18n import N_
from shared.web.layer import Area, NavLink

NAVIGATION = (NavLink(N_("Brokerage sessions"), "/console/brokerage", Area.CONSOLE, order=35),)


def with_brokerage(
    declaration: ServiceDeclaration[MatchingUnitOfWork],
) -> ServiceDeclaration[MatchingUnitOfWork]:
    """The declaration with brokerage sessions added to it."""
    sample = brokerage_sample.SAMPLE
    if declaration.sample is not None:
        sample = SampleData.joined(declaration.sample, sample)
    return replace(
        declaration,
        collections=(*declaration.collections, *store.COLLECTIONS),
        migrations=(*store.MIGRATIONS, *declaration.migrations),
        replicas=(*declaration.replicas, store.EVENTS_REPLICA),
        routers=(*declaration.routers, brokerage_api),
        pages=(*declaration.pages, brokerage_pages),
        navigation=(*declaration.navigation, *NAVIGATION),
        sample=sample,
        tasks=(*declaration.tasks, recount_every_minute),
        erase=(*declaration.erase, erasing(*store.PERSONS)),
    )
