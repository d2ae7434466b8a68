"""``alliance erase-contact``: a GDPR erasure of a person, asked of every service of a node.

Every service that keeps a person's name or e-mail declares what it erases
(``ServiceDeclaration.erase``, ``shared/erasure.py``) and serves
``POST /api/<service>/erasures`` for editor and admin tokens. The erasure must go
through each service's own unit of work (membership announces the revised organisations
so that every stream and replica loses the person), and on nx-27017 only one process may
write a database at a time, so the command asks the running services over HTTP instead
of writing their databases itself.

Where they listen: ``alliance up`` hosts every service behind one port, named with the
services in the run file of ``--data-dir``; in docker-compose each service is a
container of its own, given with ``--url NAME=URL``. Every installed service that
declares an erasure must be reached (a service the process does not host and no
``--url`` names is a failure, not a silent gap); the services are asked one after the
other, and an erasure asked again erases nothing more, so a failure halfway is mended by
running the command again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from alliance.status import http_url_of
from shared.runtime import RuntimeFailure, read_run_info
from shared.service import installed_services

TIMEOUT_SECONDS = 60.0
Erased = dict[str, dict[str, list[str]]]  # by service, by kind of record: the record ids


def erasing_services() -> list[str]:
    """The installed services that keep a person's name or e-mail (they declare it)."""
    return sorted(name for name, declare in installed_services().items() if declare().erase)


def service_urls(data_dir: Path, urls: Sequence[str], services: Sequence[str]) -> dict[str, str]:
    """Where each of ``services`` listens: ``--url NAME=URL`` first, else the process
    running in ``data_dir`` when its run file says it hosts that service."""
    given = _named_urls(urls, services)
    missing = [name for name in services if name not in given]
    if missing:
        hosted = _hosted(data_dir, missing)
        absent = [name for name in missing if name not in hosted]
        if absent:
            names = ", ".join(absent)
            raise RuntimeFailure(
                f"the node in {data_dir} does not run {names}: give --url NAME=URL for each "
                "(docker-compose: one URL per service container)"
            )
        given.update(hosted)
    return {name: given[name] for name in services}


def erase_contact(
    data_dir: Path, email: str, token: str | None, urls: Sequence[str] = ()
) -> Erased:
    """Ask every service of the node to erase the person; returns what each erased."""
    if not token:
        raise RuntimeFailure(
            "erase-contact needs an editor or admin token: --token or ALLIANCE_TOKEN "
            "(create one with 'alliance token create --role editor')"
        )
    erased: Erased = {}
    for service, url in service_urls(data_dir, urls, erasing_services()).items():
        try:
            erased[service] = _erase_at(service, url, email, token)
        except RuntimeFailure as exc:
            done = f"; {', '.join(erased)} erased already: run it again" if erased else ""
            raise RuntimeFailure(f"{exc}{done}") from exc
    return erased


def summary(email: str, erased: Erased) -> str:
    """One line: how many records of each kind each service erased."""
    parts = [
        f"{service} " + ", ".join(f"{len(ids)} {kind}" for kind, ids in kinds.items())
        for service, kinds in erased.items()
    ]
    return f"erased {email}: " + "; ".join(parts)


def _erase_at(service: str, url: str, email: str, token: str) -> dict[str, list[str]]:
    """One service's erasure: the record ids it changed, by kind."""
    try:
        answer = httpx.post(
            f"{url}/api/{service}/erasures",
            json={"email": email},
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise RuntimeFailure(
            f"cannot reach the {service} service at {url}: {exc or type(exc).__name__}"
        ) from exc
    if answer.status_code != 200:
        raise RuntimeFailure(
            f"the {service} service refused the erasure ({answer.status_code}): {_why(answer)}"
        )
    body = answer.json()
    return {kind: list(ids) for kind, ids in body.items() if kind != "email"}


def _named_urls(urls: Sequence[str], services: Sequence[str]) -> dict[str, str]:
    """``NAME=URL`` options by service name; a malformed one or an unknown name fails."""
    named: dict[str, str] = {}
    for option in urls:
        name, _, url = option.partition("=")
        if not url.startswith(("http://", "https://")):
            raise RuntimeFailure(
                f"--url {option!r}: give NAME=URL, e.g. events=http://127.0.0.1:8082"
            )
        if name not in services:
            raise RuntimeFailure(
                f"--url {option!r}: {name!r} keeps no personal data; "
                f"the services that do: {', '.join(services)}"
            )
        named[name] = url.rstrip("/")
    return named


def _hosted(data_dir: Path, services: Sequence[str]) -> dict[str, str]:
    """The services of ``services`` the process running in ``data_dir`` hosts, at its URL
    (a run file without the list predates it: that process is ``alliance up``, all)."""
    url = http_url_of(data_dir)
    listed: Any = read_run_info(data_dir).get("services", list(services))
    return {name: url for name in services if name in listed}


def _why(answer: httpx.Response) -> str:
    """The message of the project's error body, or the start of whatever came instead."""
    try:
        return str(answer.json()["message"])
    except (ValueError, KeyError, TypeError):
        return answer.text[:200]
