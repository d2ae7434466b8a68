"""The membership service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.membership import handlers, sample_data
from services.membership.api import membership_api
from services.membership.pages import membership_pages
from services.membership.store import COLLECTIONS, MIGRATIONS, MembershipUnitOfWork
from services.membership.subscribers import REPLICAS
from shared.auth import Role
from shared.contracts import membership as contract
from shared.service import SampleData, ServiceDeclaration
from shared.web.i18n import N_
from shared.web.layer import Area, NavLink


def declare() -> ServiceDeclaration[MembershipUnitOfWork]:
    """Member clusters and organisations, the network profile, cross-membership."""
    return ServiceDeclaration(
        name=contract.SERVICE,
        description="member clusters and organisations, network profile, cross-membership",
        unit_of_work=MembershipUnitOfWork,
        catalogue=contract.CATALOGUE,
        collections=COLLECTIONS,
        migrations=MIGRATIONS,
        replicas=REPLICAS,
        routers=(membership_api,),
        erase=(handlers.erase_person,),  # a person's contacts (GDPR): shared/erasure.py
        pages=(membership_pages,),
        navigation=(
            NavLink(N_("Members"), "/organizations", order=10),
            NavLink(N_("Organisations"), "/console/organizations", Area.CONSOLE, order=10),
            NavLink(N_("Clusters"), "/console/clusters", Area.CONSOLE, order=20),
            NavLink(N_("CSV import"), "/console/import", Area.CONSOLE, order=30),
            NavLink(N_("Network profile"), "/console/profile", Area.CONSOLE, Role.ADMIN, 40),
        ),
        package="services.membership",
        sample=SampleData(seed=sample_data.seed, held=sample_data.held),
    )
