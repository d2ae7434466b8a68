"""The news service, declared: the kit builds everything else from this."""

from __future__ import annotations

from services.news import translations_bus, translations_store
from services.news.api import news_api
from services.news.store import COLLECTIONS, MIGRATIONS, NewsUnitOfWork
from services.news.subscribers import REPLICAS
from services.news.translation_routes import translation_pages, translations_api
from shared.contracts import news as contract
from shared.contracts import news_translations
from shared.contracts.direct import DirectCatalogue
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
        collections=(*COLLECTIONS, *translations_store.COLLECTIONS),
        migrations=(*MIGRATIONS, *translations_store.MIGRATIONS),
        replicas=(*REPLICAS, translations_store.REQUEST_REPLICAS),
        routers=(news_api, translations_api),
        pages=(translation_pages,),
        navigation=(
            NavLink(N_("Translation requests"), "/console/translations", Area.CONSOLE, order=36),
        ),
        # messages between nodes: claims on translation requests, submissions, answers
        messages=DirectCatalogue(contract.SERVICE, {**news_translations.DIRECT}),
        direct={**translations_bus.DIRECT_HANDLERS},
        on_refused=translations_bus.on_message_refused,
        tasks=(translations_bus.lapse_claims_every_minute,),
        subscriptions=(*translations_bus.SUBSCRIPTIONS,),
        package="services.news",
    )
