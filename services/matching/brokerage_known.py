"""Joining a brokerage session as an organisation this node knows.

The matching service's projection (``profiles``, ``services/matching/projection.py``)
holds every organisation the node knows. A person joining a session may pick one of
them instead of typing its name, country and NACE codes: the participant then takes its
name, country, NACE codes and network, and its event profile is prefilled (and
published, so recommendations work at once) with its offers, needs, cooperation types
and technologies. The participant may change that profile on their page afterwards.

Who may pick what is decided as partner search decides who finds what
(``handlers.visibilities``): the organiser's staff (an API token, a console session) any
organisation the node holds; anyone else only ``public`` ones. An organisation the
caller may not see answers exactly like an unknown one (404 ``known``). Only the public
fields the projection keeps are copied (never a contact: the projection has none).
"""

from __future__ import annotations

import re

from pymongo import ASCENDING

from services.matching.brokerage import MAX_PROFILE_TEXT, JoinDraft, ProfileDraft
from services.matching.handlers import visibilities
from services.matching.projection import PENDING, READY
from services.matching.store import PROFILES
from shared.errors import NotFound
from shared.store import Document, UnitOfWork

LISTED = 200  # the first organisations by name in the join form's list; a filter narrows it


def _visible(staff: bool) -> Document:
    """The query of the organisations a caller may pick (live, as partner search sees)."""
    return {
        "state": {"$in": [PENDING, READY]},
        "visibility": {"$in": sorted(v.value for v in visibilities(staff))},
    }


async def choices(uow: UnitOfWork, staff: bool, name: str = "") -> list[Document]:
    """Organisations the caller may pick, by name (``name``: a part of it, any case)."""
    query = _visible(staff)
    if name:
        query["profile.legal_name"] = {"$regex": re.escape(name), "$options": "i"}
    found = uow.collection(PROFILES).find(
        query, {"profile": 1, "network": 1}, sort=[("profile.legal_name", ASCENDING)], limit=LISTED
    )
    listed = [
        {
            "key": doc["_id"],
            "legal_name": doc["profile"]["legal_name"],
            "country": doc["profile"]["country"],
            "network": doc["network"],
        }
        async for doc in found
    ]
    return sorted(listed, key=lambda o: (o["legal_name"].casefold(), o["key"]))


async def known_profile(uow: UnitOfWork, key: str, staff: bool) -> Document:
    """The stored public profile of an organisation the caller may pick."""
    found: Document | None = await uow.collection(PROFILES).find_one(
        {"_id": key, **_visible(staff)}, {"profile": 1, "network": 1}, session=uow.session
    )
    if found is None or not found.get("profile"):
        raise NotFound(f"no organisation {key!r} known to this node", "known")
    return found


def as_participant(draft: JoinDraft, known: Document) -> JoinDraft:
    """The join with the known organisation's name, country, NACE codes and network."""
    profile = known["profile"]
    return draft.model_copy(
        update={
            "organisation": profile["legal_name"],
            "country": profile["country"],
            "nace_codes": list(profile.get("nace_codes") or []),
            "network": known["network"],
        }
    )


def event_profile(known: Document) -> ProfileDraft | None:
    """The known organisation's event profile, prefilled; None if it says nothing yet."""
    profile = known["profile"]
    offers, needs = (
        "\n".join(profile.get(side) or [])[:MAX_PROFILE_TEXT] for side in ("offers", "needs")
    )
    if not (offers.strip() or needs.strip()):
        return None
    return ProfileDraft(
        offers=offers,
        needs=needs,
        cooperation_types=list(profile.get("cooperation_types") or [])[:10],
        technologies=list(profile.get("technologies") or [])[:20],
    )
