"""The news service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.news import digest_store
from services.news.api import news_api
from services.news.digest_routes import digest_pages, digests_api
from services.news.promise_routes import promise_api, promise_pages
from services.news.store import COLLECTIONS, MIGRATIONS, NewsUnitOfWork
from services.news.subscribers import REPLICAS
from shared.contracts import news as contract
from shared.service import ServiceDeclaration
from shared.web.i18n import N_
from shared.web.layer import Area, NavLink


def declare() -> ServiceDeclaration[NewsUnitOfWork]:
    """The alliance's news: own items, partners' shared items, their translations."""
    return ServiceDeclaration(
        name=contract.SERVICE,
        description="the alliance's news: own items, partners' items, translations, feeds",
        unit_of_work=NewsUnitOfWork,
        catalogue=contract.CATALOGUE,
        collections=(*COLLECTIONS, *digest_store.COLLECTIONS),
        migrations=MIGRATIONS,
        replicas=(*REPLICAS, *digest_store.REPLICAS),
        routers=(news_api, digests_api, promise_api),
        pages=(digest_pages, promise_pages),
        navigation=(
            NavLink(N_("Digests"), "/news/digests", order=41),
            NavLink(N_("Digests"), "/console/news/digests", Area.CONSOLE, order=41),
            NavLink(N_("Twice a year"), "/console/news/promise", Area.CONSOLE, order=42),
        ),
        package="services.news",
    )
