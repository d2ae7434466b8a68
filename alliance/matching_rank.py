"""What ``alliance matching rank`` reads: organisations and seeker ids as JSON files.

Every mistake in the files is one ``RuntimeFailure`` naming the file or the element and
the field (``organisations[12]: 'country' is missing``): the CLI prints it on one line
and exits with code 2, like every other command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alliance.matching import _where
from alliance.verify_paper import read_json
from services.matching.profiles import PartnerProfile
from shared.runtime import RuntimeFailure

REQUIRED = ("id", "country")


def read_organisations(path: Path) -> list[PartnerProfile]:
    """The organisations of a batch file, checked: a list of objects, each with its own id
    and a country; unknown fields are ignored and optional ones may be missing."""
    content = read_json(path, "organisations")
    if not isinstance(content, list):
        raise RuntimeFailure(f"organisations {path}: expected a JSON list of organisations")
    profiles: list[PartnerProfile] = []
    first: dict[str, int] = {}
    for number, item in enumerate(content):
        profile = _profile(f"organisations[{number}]", item)
        if profile.id in first:
            raise RuntimeFailure(
                f"organisations[{number}]: id {profile.id!r} is repeated "
                f"(first at organisations[{first[profile.id]}])"
            )
        first[profile.id] = number
        profiles.append(profile)
    return profiles


def _profile(where: str, item: Any) -> PartnerProfile:
    if not isinstance(item, dict):
        raise RuntimeFailure(f"{where}: expected a JSON object, got {type(item).__name__}")
    for field in REQUIRED:
        if item.get(field) in (None, ""):
            raise RuntimeFailure(f"{where}: {field!r} is missing")
    try:
        return PartnerProfile.model_validate(item)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise RuntimeFailure(f"{where}.{_where(error['loc'])}: {error['msg']}") from exc


def read_seekers(path: Path, known: set[str]) -> list[str]:
    """The seeker ids of a batch file: a JSON list of ids, each among the organisations."""
    content = read_json(path, "seekers")
    if not isinstance(content, list):
        raise RuntimeFailure(f"seekers {path}: expected a JSON list of organisation ids")
    for number, id in enumerate(content):
        if not isinstance(id, (str, int)) or isinstance(id, bool):
            raise RuntimeFailure(f"seekers[{number}]: expected an organisation id, got {id!r}")
        if str(id) not in known:
            raise RuntimeFailure(f"seekers[{number}]: {str(id)!r} is not among the organisations")
    return [str(id) for id in content]
