"""The matching service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.matching import brokerage_app, interest, sample_data
from services.matching.api import interests_api, search_api
from services.matching.pages import matching_pages
from services.matching.projection import Projection
from services.matching.store import COLLECTIONS, MIGRATIONS, MatchingUnitOfWork
from services.matching.subscribers import ORGANISATIONS
from shared.contracts import matching as contract
from shared.erasure import erasing
from shared.service import SampleData, ServiceDeclaration
from shared.web.i18n import N_
from shared.web.layer import Area, NavLink


def declare() -> ServiceDeclaration[MatchingUnitOfWork]:
    """Partner search over every organisation this node knows, and brokerage meetings."""
    projection = Projection()  # the index and its worker, shared by routes and task
    declaration = ServiceDeclaration(
        name=contract.SERVICE,
        description="partner search across the alliance, brokerage-event meetings",
        unit_of_work=MatchingUnitOfWork,
        collections=COLLECTIONS,
        migrations=MIGRATIONS,
        subscriptions=(ORGANISATIONS,),
        routers=(search_api(projection), interests_api(projection)),
        # expressions of interest travel to the partner's network and back
        messages=contract.direct_catalogue(),
        direct={
            contract.InterestExpressed: interest.on_interest_expressed,
            contract.InterestAnswered: interest.on_interest_answered,
        },
        on_refused=(interest.on_message_refused,),
        tasks=(projection.run,),
        forget=(projection.forget,),
        erase=(erasing(*interest.PERSONS),),  # a person's name and e-mail (GDPR)
        pages=(matching_pages(projection),),
        navigation=(
            NavLink(N_("Partner search"), "/partners", order=50),
            NavLink(N_("Expressions of interest"), "/console/interests", Area.CONSOLE, order=50),
        ),
        package="services.matching",
        sample=SampleData(
            seed=sample_data.seed,
            held=sample_data.held,
            with_partners=sample_data.express_interest,
        ),
    )
    return brokerage_app.with_brokerage(declaration)  # services/matching/brokerage*.py
