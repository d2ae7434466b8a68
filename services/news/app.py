"""The news service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.news import (
    digest_store,
    digests_sample,
    papers_handlers,
    papers_sample,
    papers_store,
    sample_data,
    translations_bus,
    translations_sample,
    translations_store,
)
from services.news.api import news_api
from services.news.console_pages import news_console
from services.news.digest_routes import digest_pages, digests_api
from services.news.feed_routes import NETWORKS_REPLICA, news_feeds
from services.news.pages import news_pages
from services.news.papers_routes import papers_api, papers_pages
from services.news.promise_routes import promise_api, promise_pages
from services.news.store import COLLECTIONS, MIGRATIONS, NewsUnitOfWork
from services.news.subscribers import REPLICAS
from services.news.translation_routes import translation_pages, translations_api
from shared.contracts import news as contract
from shared.contracts import news_papers, news_translations
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
        collections=(
            *COLLECTIONS,
            *papers_store.COLLECTIONS,
            *translations_store.COLLECTIONS,
            *digest_store.COLLECTIONS,
        ),
        # steps run once each, in this order: append, never reorder
        migrations=(*MIGRATIONS, papers_store.create_indexes, *translations_store.MIGRATIONS),
        replicas=(
            *REPLICAS,
            papers_store.REPLICAS,
            translations_store.REQUEST_REPLICAS,
            NETWORKS_REPLICA,  # the networks' profiles: feed authors
            *digest_store.REPLICAS,  # the partners' digests: the promise's own row
        ),
        routers=(news_api, papers_api, translations_api, news_feeds, digests_api, promise_api),
        # the items' pages last: /news/{origin}/{id} and /console/news/{id} match any segment
        # (/news/digests/{id}, /console/news/digests and /console/news/promise among them)
        pages=(
            papers_pages,
            translation_pages,
            digest_pages,
            promise_pages,
            news_pages,
            news_console,
        ),
        navigation=(
            NavLink(N_("News"), "/news", order=30),
            NavLink(N_("Funding"), "/news/funding", order=31),
            NavLink(N_("News"), "/console/news", Area.CONSOLE, order=30),
            NavLink(N_("Position papers"), "/news/papers", order=32),
            NavLink(N_("Our position papers"), "/console/papers", Area.CONSOLE, order=36),
            NavLink(N_("Papers to co-sign"), "/console/papers-to-sign", Area.CONSOLE, order=37),
            NavLink(N_("Translation requests"), "/console/translations", Area.CONSOLE, order=38),
            NavLink(N_("Digests"), "/news/digests", order=41),
            NavLink(N_("Digests"), "/console/news/digests", Area.CONSOLE, order=41),
            NavLink(N_("Twice a year"), "/console/news/promise", Area.CONSOLE, order=42),
        ),
        # messages between nodes: invitations to co-sign papers and the answers; claims on
        # translation requests, submissions, and the owner's answers
        messages=DirectCatalogue(
            contract.SERVICE, {**news_papers.DIRECT, **news_translations.DIRECT}
        ),
        direct={**papers_handlers.DIRECT_HANDLERS, **translations_bus.DIRECT_HANDLERS},
        on_refused=(papers_handlers.on_message_refused, translations_bus.on_message_refused),
        tasks=(translations_bus.lapse_claims_every_minute,),
        subscriptions=(*translations_bus.SUBSCRIPTIONS,),
        package="services.news",
        # the demo: the networks' items, the co-signed position paper, a translated item
        sample=SampleData.joined(
            SampleData(sample_data.seed, sample_data.held),
            SampleData(papers_sample.seed, papers_sample.held, papers_sample.with_partners),
            SampleData(
                translations_sample.seed,
                translations_sample.held,
                translations_sample.with_partners,
            ),
            SampleData(digests_sample.seed, digests_sample.held, digests_sample.with_partners),
        ),
    )
