"""The hub's count of the promise on the real store (nx-27017): the portal's replicas of
news items and digests, as the kit applies them, read back through their window keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.portal.app import declare
from services.portal.news import ALLIANCE_NEWS
from services.portal.promise import DIGESTS, mentions
from services.portal.store import PortalUnitOfWork
from shared.contracts import news
from shared.contracts.base import Event
from shared.contracts.news_digests import DigestIssued, FeaturedItem
from shared.identity import NodeIdentity
from shared.promise import MentionKind, between, count
from shared.replicas import apply_replica_changes
from shared.store import ServiceDatabase
from shared.subjects import Channel
from tests.conftest import make_identity
from tests.unit.test_digests import item

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(days: int) -> str:
    return (NOW - timedelta(days=days)).isoformat()


class Nodes:
    """Node identities made once each, to seal events as their origin would."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.made: dict[str, NodeIdentity] = {}

    def __call__(self, node: str) -> NodeIdentity:
        if node not in self.made:
            self.made[node] = make_identity(self.directory / node, node=node)
        return self.made[node]


async def replicate(database: ServiceDatabase, nodes: Nodes, origin: str, event: Event) -> None:
    """Seal ``event`` as ``origin`` would and apply it as the portal's consumer does."""
    identity = nodes(origin)
    envelope = news.CATALOGUE.seal(identity, Channel.ALLIANCE, event, 1)
    aggregate = news.CATALOGUE.entry(type(event)).aggregate
    [replicas] = [r for r in declare().replicas if r.aggregate == aggregate]
    await apply_replica_changes(database, [replicas.change(envelope)])


def digest(digest_id: str, network: str, at: str, *featured: tuple[str, str]) -> DigestIssued:
    return DigestIssued(
        id=digest_id,
        network=network,
        period="custom",
        start=at[:10],
        end=at[:10],
        language="fr",
        featured=[FeaturedItem(origin=o, item=i) for o, i in featured],
        issued_at=at,
    )


async def test_the_hub_counts_what_its_replicas_hold_within_the_window(
    database: ServiceDatabase, tmp_path: Path
) -> None:
    await database.prepare(ALLIANCE_NEWS, DIGESTS)
    nodes = Nodes(tmp_path)
    dated: dict[str, Any] = {"published_at": ago(10), "updated_at": ago(10)}
    await replicate(database, nodes, "ro", item("r1", about_networks=["fr"], **dated))
    old = {"published_at": ago(400), "updated_at": ago(400)}
    await replicate(database, nodes, "ro", item("r-old", about_networks=["fr"], **old))
    translated = item(
        "r2",
        published_at=ago(400),
        updated_at=ago(5),  # the translation, this week, revised it
        translations=[
            news.Translation(
                language="fr",
                translator="fr",
                title="T",
                summary="S",
                body="<p>B</p>",
                published_at=ago(5),
            )
        ],
    )
    await replicate(database, nodes, "ro", translated)
    await replicate(database, nodes, "fr", digest("d1", "fr", ago(3), ("ro", "r2"), ("ro", "r1")))
    await replicate(database, nodes, "es", digest("d2", "fr", ago(3), ("ro", "forged")))

    counts = count(await mentions(PortalUnitOfWork(database), NOW), NOW)
    ro_about_fr = between(counts, "ro", "fr")
    assert ro_about_fr.items == {("ro", "r1")}  # r-old is out of the window
    fr_about_ro = between(counts, "fr", "ro")
    assert fr_about_ro.items == {("ro", "r1"), ("ro", "r2")}  # not the digest es claims
    assert fr_about_ro.of_kind(MentionKind.TRANSLATION) == 1
    assert fr_about_ro.of_kind(MentionKind.DIGEST) == 2
