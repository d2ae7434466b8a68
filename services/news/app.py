"""The news service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.news import digest_store, papers_handlers, papers_sample, papers_store
from services.news.api import news_api
from services.news.digest_routes import digest_pages, digests_api
from services.news.papers_routes import papers_api, papers_pages
from services.news.promise_routes import promise_api, promise_pages
from services.news.store import COLLECTIONS, MIGRATIONS, NewsUnitOfWork
from services.news.subscribers import REPLICAS
from shared.contracts import news as contract
from shared.contracts import news_papers
from shared.contracts.direct import DirectCatalogue
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
        collections=(*COLLECTIONS, *papers_store.COLLECTIONS, *digest_store.COLLECTIONS),
        migrations=(*MIGRATIONS, papers_store.create_indexes),
        replicas=(*REPLICAS, papers_store.REPLICAS, *digest_store.REPLICAS),
        routers=(news_api, papers_api, digests_api, promise_api),
        pages=(papers_pages, digest_pages, promise_pages),
        navigation=(
            NavLink(N_("Position papers"), "/news/papers", order=32),
            NavLink(N_("Our position papers"), "/console/papers", Area.CONSOLE, order=36),
            NavLink(N_("Papers to co-sign"), "/console/papers-to-sign", Area.CONSOLE, order=37),
            NavLink(N_("Digests"), "/news/digests", order=41),
            NavLink(N_("Digests"), "/console/news/digests", Area.CONSOLE, order=41),
            NavLink(N_("Twice a year"), "/console/news/promise", Area.CONSOLE, order=42),
        ),
        # messages between nodes: invitations to co-sign papers and the answers
        messages=DirectCatalogue(contract.SERVICE, {**news_papers.DIRECT}),
        direct={**papers_handlers.DIRECT_HANDLERS},
        on_refused=papers_handlers.on_message_refused,
        package="services.news",
        # the demo's co-signed position paper (to be joined with the items' sample data)
        sample=SampleData(
            seed=papers_sample.seed,
            held=papers_sample.held,
            with_partners=papers_sample.with_partners,
        ),
    )
