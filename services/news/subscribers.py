"""Bus in: the news a node shows, kept by the kit's idempotent projection.

One collection holds this node's own items (in full, drafts included, from its local
channel) and the items other nodes share with it (from its feed), each with the keys
the news filters read (``news_keys``).
"""

from __future__ import annotations

from services.news.store import NEWS, NEWS_INDEXES
from shared.contracts import news as contract
from shared.news import news_keys
from shared.replicas import Replicas

REPLICAS = (
    Replicas(
        NEWS,
        contract.CATALOGUE,
        "item",
        keys=news_keys,
        own=True,
        alliance=True,
        indexes=NEWS_INDEXES,
    ),
)
