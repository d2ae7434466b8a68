"""The membership service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.membership import sample_data
from services.membership.api import membership_api
from services.membership.store import COLLECTIONS, MIGRATIONS, MembershipUnitOfWork
from services.membership.subscribers import REPLICAS
from shared.contracts import membership as contract
from shared.service import SampleData, ServiceDeclaration


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
        sample=SampleData(seed=sample_data.seed, held=sample_data.held),
    )
