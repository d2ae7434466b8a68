"""The public directory page against the JSON API, on a node holding 10,000 organisations.

Prints one JSON line. A node runs in its own process (``alliance up``, as an operator
starts it; ``http_writes.Node``); this process imports N realistic public member
organisations through the CSV import API (``csv_import.member_row``), then asks the same
queries of the public directory page (``GET /organizations?...``, server-rendered HTML)
and of the JSON API (``GET /api/membership/organizations?...&limit=25``, anonymous, the
same page size), one request at a time, page and API interleaved so that both meet the
same machine. Queries: the first page, a text search, a sector, a country with a
cluster, and the second page of the first.

Figures: p50 and p95 latency of each side; ratio = page p95 ÷ API p95 (target ≤ 2), and
the page's p95 itself (target ≤ 100 ms). Usage:
    python bench/web_directory.py [--organisations 10000] [--rounds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from csv_import import CLUSTER_NAMES, member_row
from http_writes import Node

from services.membership.csv_import import COLUMNS

PAGE_SIZE = 25
IMPORT_TIMEOUT_SECONDS = 600.0


def directory_csv(count: int, seed: int) -> bytes:
    """``count`` public member organisations in the importer's columns."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for index in range(count):
        row = {**member_row(rng, index), "visibility": "public"}
        writer.writerow([row[column] for column in COLUMNS])
    return out.getvalue().encode()


async def fill(node: Node, count: int, seed: int) -> float:
    """Import the organisations; returns seconds."""
    headers = {"Authorization": f"Bearer {node.token}", "content-type": "text/csv"}
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=node.url, timeout=IMPORT_TIMEOUT_SECONDS) as client:
        answer = await client.post(
            "/api/membership/organizations/import",
            content=directory_csv(count, seed),
            headers=headers,
        )
    answer.raise_for_status()
    report = answer.json()
    assert not report["errors"], report["errors"][:3]
    assert len(report["created"]) == count, len(report["created"])
    return time.perf_counter() - started


async def queries(client: httpx.AsyncClient) -> list[dict[str, str]]:
    """The filters asked of both sides; the second page's cursor comes from the API."""
    first = (await client.get("/api/membership/organizations", params={"limit": PAGE_SIZE})).json()
    return [
        {},
        {"q": "robotics"},
        {"sector": "62"},
        {"country": "FR", "cluster": CLUSTER_NAMES[0]},
        {"after": first["next"]},
    ]


def api_params(page_params: dict[str, str]) -> dict[str, Any]:
    """The same query in the API's words (its text search is ``text``, the page's ``q``)."""
    renamed = {"text" if name == "q" else name: value for name, value in page_params.items()}
    return {**renamed, "limit": PAGE_SIZE}


async def timed(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> float:
    started = time.perf_counter()
    answer = await client.get(path, params=params)
    seconds = time.perf_counter() - started
    assert answer.status_code == 200, (path, params, answer.status_code, answer.text[:200])
    return seconds


def figures(seconds: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles([s * 1000 for s in seconds], n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "max_ms": round(max(seconds) * 1000, 2),
    }


async def measure(node: Node, count: int, rounds: int, seed: int) -> dict[str, Any]:
    fill_seconds = await fill(node, count, seed)
    page: list[float] = []
    api: list[float] = []
    async with httpx.AsyncClient(base_url=node.url, timeout=30) as client:
        asked = await queries(client)
        for params in asked:  # warm: each query once on each side, not timed
            await timed(client, "/organizations", params)
            await timed(client, "/api/membership/organizations", api_params(params))
        by_query: dict[str, list[float]] = {query_name(params): [] for params in asked}
        page_by_query: dict[str, list[float]] = {query_name(params): [] for params in asked}
        for _ in range(rounds):
            for params in asked:
                page.append(await timed(client, "/organizations", params))
                api.append(await timed(client, "/api/membership/organizations", api_params(params)))
                by_query[query_name(params)].append(api[-1])
                page_by_query[query_name(params)].append(page[-1])
        listed = (await client.get("/organizations")).text.count(
            '<li>\n    <h2><a href="/organizations/'
        )
    page_figures, api_figures = figures(page), figures(api)
    return {
        "bench": "web_directory",
        "organisations": count,
        "requests_per_side": len(page),
        "page": page_figures,
        "api": api_figures,
        "page_p95_ms": page_figures["p95_ms"],
        "target_page_p95_ms": 100,
        "ratio_p95": round(page_figures["p95_ms"] / api_figures["p95_ms"], 3),
        "target_ratio_p95": 2,
        "first_page_rows": listed,
        "fill_seconds": round(fill_seconds, 1),
        # where the time goes: the API's p95 per query (the page pays the same store query)
        "api_p95_ms_by_query": {name: figures(times)["p95_ms"] for name, times in by_query.items()},
        "page_p95_ms_by_query": {
            name: figures(times)["p95_ms"] for name, times in page_by_query.items()
        },
    }


def query_name(params: dict[str, str]) -> str:
    """``sector=62`` for a query, ``first`` for none; a cursor is named, not shown."""
    return ",".join(f"{k}" if k == "after" else f"{k}={v}" for k, v in params.items()) or "first"


def main(count: int, rounds: int, seed: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    node = Node(work / "node")
    node.data_dir.mkdir(parents=True)
    try:
        node.start()
        return asyncio.run(measure(node, count, rounds, seed))
    finally:
        with contextlib.suppress(Exception):
            node.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--organisations", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()
    print(json.dumps(main(args.organisations, args.rounds, args.seed)))
