"""The news service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.news import sample_data
from services.news.api import news_api
from services.news.pages import news_pages
from services.news.store import COLLECTIONS, MIGRATIONS, NewsUnitOfWork
from services.news.subscribers import REPLICAS
from shared.contracts import news as contract
from shared.service import SampleData, ServiceDeclaration
from shared.web.i18n import N_
from shared.web.layer import Area, NavLink


def declare() -> ServiceDeclaration[NewsUnitOfWork]:
    """The alliance's news: own items, partners' shared items, their translations."""
    return ServiceDeclaration(
        name=contract.SERVICE,
        description="the alliance's news: own items, partners' items, translations, feeds",
        unit_of_work=NewsUnitOfWork,
        catalogue=contract.CATALOGUE,
        collections=COLLECTIONS,
        migrations=MIGRATIONS,
        replicas=REPLICAS,
        routers=(news_api,),
        # news_pages last: its /news/{origin}/{id} matches any two segments under /news
        pages=(news_pages,),
        navigation=(
            NavLink(N_("News"), "/news", order=30),
            NavLink(N_("Funding"), "/news/funding", order=31),
            NavLink(N_("News"), "/console/news", Area.CONSOLE, order=30),
        ),
        package="services.news",
        sample=SampleData(seed=sample_data.seed, held=sample_data.held),
    )
