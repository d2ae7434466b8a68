"""``alliance erase-contact``: a GDPR erasure of a person, asked of the running node.

The erasure must go through the node's own unit of work and outbox (so that it is
announced and every stream and replica loses the person), and on nx-27017 only one
process may write a database at a time, so the command asks the node's HTTP API
(``POST /api/membership/erasures``) with an editor or admin token, where the node's run
file says it listens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from alliance.status import http_url_of
from shared.runtime import RuntimeFailure

TIMEOUT_SECONDS = 60.0


def erase_contact(data_dir: Path, email: str, token: str | None) -> dict[str, Any]:
    """Ask the node running in ``data_dir`` to erase the person; returns what changed."""
    if not token:
        raise RuntimeFailure(
            "erase-contact needs an editor or admin token: --token or ALLIANCE_TOKEN "
            "(create one with 'alliance token create --role editor')"
        )
    url = http_url_of(data_dir)
    try:
        answer = httpx.post(
            f"{url}/api/membership/erasures",
            json={"email": email},
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise RuntimeFailure(
            f"cannot reach the node at {url}: {exc or type(exc).__name__}"
        ) from exc
    if answer.status_code != 200:
        raise RuntimeFailure(f"the node refused the erasure ({answer.status_code}): {_why(answer)}")
    return dict(answer.json())


def _why(answer: httpx.Response) -> str:
    """The message of the project's error body, or the start of whatever came instead."""
    try:
        return str(answer.json()["message"])
    except (ValueError, KeyError, TypeError):
        return answer.text[:200]
