"""The news service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.news.api import news_api
from services.news.store import COLLECTIONS, MIGRATIONS, NewsUnitOfWork
from services.news.subscribers import REPLICAS
from shared.contracts import news as contract
from shared.service import ServiceDeclaration


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
        package="services.news",
    )
