"""News use cases: one function per command, a few lines each.

Each runs inside a unit of work (``kit.transaction``): the item records what its change
announces (in full for this node's services, and what the alliance may see), the
repository saves it, and the commit writes state and events together. Commands that
take rich text return what sanitising removed, so the answer can say it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.news.domain import NewsItem, NewsItemDraft, NotFound, TranslationDraft
from services.news.store import NewsUnitOfWork
from shared.identity import NodeIdentity
from shared.ids import new_id

Written = tuple[NewsItem, list[str]]  # the item, and what sanitising removed


def _now() -> datetime:
    return datetime.now(UTC)


def not_found(item_id: str) -> NotFound:
    """One answer for unknown items, also for ones hidden from the caller."""
    return NotFound(f"no news item {item_id!r} on this node", "id")


async def existing_item(item_id: str, uow: NewsUnitOfWork) -> NewsItem:
    item = await uow.items.get(item_id)
    if item is None:
        raise not_found(item_id)
    return item


async def write_item(draft: NewsItemDraft, uow: NewsUnitOfWork, identity: NodeIdentity) -> Written:
    """A new draft: it stays on this node until it is published."""
    item, removed = NewsItem.draft(new_id(identity.node), identity.country, draft, _now())
    uow.items.add(item)
    return item, removed


async def revise_item(item_id: str, draft: NewsItemDraft, uow: NewsUnitOfWork) -> Written:
    """Replace what the staff edit; replicas everywhere get the new text."""
    item = await existing_item(item_id, uow)
    removed = item.revise(draft, _now())
    await uow.items.save(item)
    return item, removed


async def publish_item(item_id: str, uow: NewsUnitOfWork) -> NewsItem:
    """On every node its visibility reaches, and on the feeds if public."""
    item = await existing_item(item_id, uow)
    item.publish(_now())
    await uow.items.save(item)
    return item


async def withdraw_item(item_id: str, uow: NewsUnitOfWork) -> NewsItem:
    """Taken down everywhere: other nodes' replicas obey the withdrawal."""
    item = await existing_item(item_id, uow)
    item.withdraw(_now())
    await uow.items.save(item)
    return item


async def publish_translation(
    item_id: str, draft: TranslationDraft, translator: str, uow: NewsUnitOfWork
) -> Written:
    """A partner's translation, accepted by the owner's staff, published beside the
    original (services/news/translations.py decides when)."""
    item = await existing_item(item_id, uow)
    removed = item.add_translation(draft, translator, _now())
    await uow.items.save(item)
    return item, removed
