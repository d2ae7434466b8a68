"""CSV import of organisations into a real node, against raw bulk inserts of the same rows.

Prints one JSON line; progress goes to stderr. The node runs in its own process
(``alliance up``, which starts its own nats-server and nx-27017), as an operator starts
it (``http_writes.Node``); this process drives it:

- import: a seeded CSV of N realistic member organisations in the importer's columns,
  about 1 % of them bad (one bad cell each, of every kind the importer reports: malformed
  values, a missing name, a row with a cell too many, a VAT repeated from an earlier row,
  a VAT the node already holds), is sent to POST /api/membership/organizations/import
  with ``Prefer: respond-async``; the job its ``Location`` names is polled every 100 ms.
  import seconds = from sending the POST to the first poll that sees the job done. The
  progress seen while it runs (distinct ``done`` values) and the per-row report are
  checked: every bad row reported once, with its column and a reason; every good row
  created; the API's organisation list holds every good row and no bad one.
- probes: meanwhile one client sends single POST /api/membership/organizations, one at a
  time, one every 100 ms (the next as soon as the last answered when it took longer),
  and records each latency; target: max ≤ 1 s (no other write waits more than 1 s behind
  an import). A few probes before the import give the idle latency.
- exactly once: when the outbox relay has gone quiet, the version-1 event of every
  imported and every probe organisation must be in NODE_<ID> exactly once.
- raw: the same good rows as the node stored them (its organisation documents, read back
  from its store) and their outbox entries (each with the local and the alliance message
  the node published, read back from LOCAL_<ID> and NODE_<ID>), bulk-inserted through
  PyMongo's AsyncMongoClient into the node's own nx-27017, in a scratch database with the
  membership service's collections and indexes (its migrations): insert_many of a chunk's
  documents and of its entries, one transaction per chunk of the importer's chunk size.

Both rates count the rows stored (the good ones), so ratio = import rows/s ÷ raw rows/s
= raw seconds ÷ import seconds (target ≥ 0.3). CPU per row of each process is over the
import (from the POST to the job's end; the relay's publishing meanwhile included).
Usage:
    python bench/csv_import.py [--rows 10000] [--seed 2019]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pymongo import AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.membership.api import IMPORT_CHUNK_ROWS
from services.membership.csv_import import COLUMNS, HEADER_LINE, LIST_COLUMNS
from services.membership.domain import CooperationType, SizeClass
from services.membership.store import COLLECTIONS, MIGRATIONS, ORGANIZATIONS
from shared import subjects
from shared.contracts.base import Visibility
from shared.http import MAX_CSV_BYTES
from shared.store import Document, ServiceDatabase, database_name, message

sys.path.insert(0, str(Path(__file__).resolve().parent))
from federation_catchup import say
from http_writes import (
    ORGANIZATIONS_PATH,
    SECTORS,
    Call,
    Message,
    Node,
    Outcome,
    check_exactly_once,
    cpu_seconds,
    envelope_of,
    expected_events,
    latency_figures,
    organisation_body,
    read_stream,
    send,
    valid_vat,
    wait_drained,
)

IMPORT_PATH = f"{ORGANIZATIONS_PATH}/import"
BAD_SHARE = 0.01
PROBE_INTERVAL_SECONDS = 0.1
POLL_INTERVAL_SECONDS = 0.1
IDLE_PROBES = 20
PROBE_BASE = 900_000  # probes are http_writes' organisations from here on (VAT RO000900000…)
TARGET_RATIO = 0.3
TARGET_PROBE_MAX_MS = 1000
# country: (cities, legal form, language); the networks of the alliance
NETWORKS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "RO": (("Cluj-Napoca", "Timisoara", "Iasi", "Brasov"), "SRL", "ro"),
    "FR": (("Lyon", "Grenoble", "Toulouse", "Nantes"), "SAS", "fr"),
    "ES": (("Bilbao", "Valencia", "Zaragoza", "Sevilla"), "SL", "es"),
    "PL": (("Wroclaw", "Poznan", "Gdansk", "Lodz"), "Sp. z o.o.", "pl"),
    "CZ": (("Brno", "Ostrava", "Plzen"), "s.r.o.", "cs"),
    "SK": (("Kosice", "Zilina", "Nitra"), "s.r.o.", "sk"),
    "HU": (("Gyor", "Debrecen", "Szeged"), "Kft.", "hu"),
    "BG": (("Plovdiv", "Varna", "Ruse"), "EOOD", "bg"),
    "LV": (("Riga", "Daugavpils", "Liepaja"), "SIA", "lv"),
    "LT": (("Kaunas", "Klaipeda", "Siauliai"), "UAB", "lt"),
}
STEMS = ("Mecatronica", "Nordtech", "Vitalis", "Agrinova", "Datasoft", "Termoplast", "Aerolab")
TRADES = ("Industrial Solutions", "Systems", "Engineering", "Labs", "Components", "Digital")
TECHNOLOGIES = (
    "cnc machining",
    "robotics integration",
    "composite materials",
    "machine vision",
    "digital twin",
    "additive manufacturing",
    "industrial iot",
    "embedded software",
)
OFFERS = (
    "5-axis CNC machining of aluminium and titanium parts in small series",
    "Robotics integration: cobot cells, vision picking and line retrofits",
    "Embedded software and PCB design for industrial controllers",
    "Testing laboratory for composite structures, accredited ISO 17025",
)
NEEDS = (
    "Partners in additive manufacturing and aerospace certification",
    "Distributors for our controllers in Central and Eastern Europe",
    "Research partners for a Horizon Europe proposal on digital twins",
    "Subcontractors for surface treatment and precision assembly",
)
CLUSTER_NAMES = ("Mechatronics Transilvania", "Cluj IT Cluster", "Aerospace Valley", "Digital Hub")
VISIBILITIES = (Visibility.ALLIANCE.value, Visibility.PUBLIC.value)  # both reach NODE_<ID>
# the ways a row goes bad: (column spoiled, the cell written, the column the report names)
DUPLICATE_IN_FILE, REGISTERED, EXTRA_CELL = "<earlier row's vat>", "<a probe's vat>", "<extra>"
BAD_CELLS: tuple[tuple[str, str, str], ...] = (
    ("country", "XX", "country"),
    ("nace_codes", "62.10;99.99", "nace_codes"),
    ("vat", "12", "vat"),
    ("website", "www example com", "website"),
    ("cooperation_types", "networking", "cooperation_types"),
    ("languages", "english", "languages"),
    ("legal_name", "", "legal_name"),
    ("size_class", "huge", "size_class"),
    ("vat", DUPLICATE_IN_FILE, "vat"),  # refused while parsing: duplicate of row N
    ("vat", REGISTERED, "vat"),  # refused at import: the node holds that VAT already
    ("", EXTRA_CELL, "row"),  # one cell more than the header names
)


# -- the file ----------------------------------------------------------------------------


def member_row(rng: random.Random, index: int) -> dict[str, str]:
    """One realistic member organisation as the importer's cells (lists joined by ';')."""
    country = rng.choice(list(NETWORKS))
    cities, legal_form, language = NETWORKS[country]
    name = f"{rng.choice(STEMS)} {rng.choice(TRADES)} {index:05d} {legal_form}"
    slug = f"{name.split()[0].lower()}-{index:05d}"
    values: dict[str, str | list[str]] = {
        "legal_name": name,
        "vat": valid_vat(5 * 10**8 + index),  # distinct per row, and from the probes' VATs
        "country": country,
        "city": rng.choice(cities),
        "website": f"https://www.{slug}.example.{country.lower()}",
        "nace_codes": rng.sample(SECTORS, rng.randint(1, 3)),
        "technologies": rng.sample(TECHNOLOGIES, rng.randint(1, 3)),
        "offers": rng.choice(OFFERS),
        "needs": rng.choice(NEEDS),
        "cooperation_types": rng.sample([c.value for c in CooperationType], rng.randint(1, 2)),
        "countries_of_interest": rng.sample([c for c in NETWORKS if c != country], 2),
        "languages": [language, "en"],
        "size_class": rng.choice([s.value for s in SizeClass]),
        "clusters": [rng.choice(CLUSTER_NAMES)],
        "visibility": rng.choice(VISIBILITIES),
    }
    assert set(values) == set(COLUMNS)
    return {
        column: ";".join(value) if column in LIST_COLUMNS else str(value)
        for column, value in values.items()
    }


@dataclass(frozen=True)
class CsvFile:
    body: bytes
    rows: int
    good: dict[int, str]  # line → legal name, of the rows that must be imported
    bad: dict[int, tuple[str, str]]  # line → (column the report must name, legal name)


def line_of(index: int) -> int:
    """The file line of data row ``index`` (no cell holds a line break)."""
    return HEADER_LINE + 1 + index


def build_csv(rows: int, seed: int, registered_vat: str) -> CsvFile:
    """``rows`` member organisations, every hundredth-or-so spoiled one way or another."""
    rng = random.Random(seed)
    records = [member_row(rng, index) for index in range(rows)]
    spoiled = sorted(rng.sample(range(1, rows), max(1, round(rows * BAD_SHARE))))
    bad: dict[int, tuple[str, str]] = {}
    cells: list[list[str]] = [[record[column] for column in COLUMNS] for record in records]
    for n, index in enumerate(spoiled):
        column, cell, reported = BAD_CELLS[n % len(BAD_CELLS)]
        record = records[index]
        if cell == DUPLICATE_IN_FILE:
            earlier = max(i for i in range(index) if line_of(i) not in bad)
            cell = records[earlier]["vat"]
        elif cell == REGISTERED:
            cell = registered_vat
        if cell == EXTRA_CELL:
            cells[index].append("one cell too many")
        else:
            cells[index][COLUMNS.index(column)] = cell
        bad[line_of(index)] = (reported, record["legal_name"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(cells)
    good = {
        line_of(index): record["legal_name"]
        for index, record in enumerate(records)
        if line_of(index) not in bad
    }
    return CsvFile(out.getvalue().encode(), rows, good, bad)


# -- the import, with probes -------------------------------------------------------------


def probe_call(index: int) -> Call:
    return Call("POST", ORGANIZATIONS_PATH, organisation_body(index, 1), index)


async def probe(client: httpx.AsyncClient, first: int, stop: asyncio.Event) -> list[Outcome]:
    """Single writes, one at a time, one every PROBE_INTERVAL_SECONDS, until ``stop``."""
    outcomes: list[Outcome] = []
    index = first
    while not stop.is_set():
        started = time.perf_counter()
        outcomes.append(await send(client, probe_call(index)))
        index += 1
        pause = PROBE_INTERVAL_SECONDS - (time.perf_counter() - started)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(pause, 0))
    return outcomes


@dataclass
class Followed:
    """What polling the job showed: its last view, and its progress while it ran."""

    view: Document
    done_seen: list[int]
    poll_seconds: list[float]


async def follow(client: httpx.AsyncClient, location: str) -> Followed:
    """Poll the job every POLL_INTERVAL_SECONDS until it is no longer running."""
    done_seen: list[int] = []
    poll_seconds: list[float] = []
    while True:
        started = time.perf_counter()
        response = await client.get(location)
        poll_seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET {location}: {response.status_code} {response.text[:500]}")
        view: Document = response.json()
        if view["status"] != "running":
            return Followed(view, done_seen, poll_seconds)
        if not done_seen or view["done"] != done_seen[-1]:
            done_seen.append(int(view["done"]))
            say(f"import: {view['done']} of {view['total']} rows done")
        await asyncio.sleep(POLL_INTERVAL_SECONDS)


@dataclass
class ImportRun:
    accepted_seconds: float  # POST until 202
    seconds: float  # POST until a poll saw the job done
    followed: Followed
    probes: list[Outcome]
    probe_seconds: float
    cpu: dict[str, float]


async def import_leg(node: Node, body: bytes, first_probe: int) -> ImportRun:
    """POST the file (respond-async), follow the job to its end, probing meanwhile."""
    headers = {"Authorization": f"Bearer {node.token}"}
    async with contextlib.AsyncExitStack() as stack:
        importer, prober, poller = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=node.url, headers=headers, timeout=300)
            )
            for _ in range(3)
        ]
        pids = node.pids()
        stop = asyncio.Event()
        cpu_before = cpu_seconds(pids)
        started = time.perf_counter()
        probing = asyncio.create_task(probe(prober, first_probe, stop))
        try:
            response = await importer.post(
                IMPORT_PATH,
                content=body,
                headers={"content-type": "text/csv", "Prefer": "respond-async"},
            )
            accepted = time.perf_counter() - started
            if response.status_code != 202 or "location" not in response.headers:
                raise RuntimeError(f"import: {response.status_code} {response.text[:500]}")
            say(f"import accepted after {accepted:.2f}s: {response.headers['location']}")
            followed = await follow(poller, response.headers["location"])
            seconds = time.perf_counter() - started
            cpu_after = cpu_seconds(pids)
        finally:
            stop.set()
            probes = await probing
        probe_seconds = time.perf_counter() - started
    cpu = {role: cpu_after[role] - cpu_before[role] for role in cpu_after if role in cpu_before}
    return ImportRun(accepted, seconds, followed, probes, probe_seconds, cpu)


# -- checks ------------------------------------------------------------------------------


def check_report(view: Document, file: CsvFile) -> Document:
    """Every good row created once; every bad row reported once, with its column."""
    result = view.get("result") or {}
    created = Counter(int(c["row"]) for c in result.get("created", []))
    errors: dict[int, list[Document]] = {}
    for error in result.get("errors", []):
        errors.setdefault(int(error["row"]), []).append(error)
    wrong_column = [
        line
        for line, (column, _) in file.bad.items()
        if [e["field"] for e in errors.get(line, [])] != [column]
        or not all(str(e["reason"]).strip() for e in errors.get(line, []))
    ]
    counts = {
        "created": sum(created.values()),
        "errors": sum(len(found) for found in errors.values()),
        "good_rows_not_created": sum(1 for line in file.good if created[line] != 1),
        "bad_rows_misreported": len(wrong_column),
        "created_bad_rows": sum(1 for line in file.bad if created[line]),
        "errors_on_good_rows": sum(1 for line in errors if line in file.good),
    }
    wrong = sum(count for name, count in counts.items() if name not in ("created", "errors"))
    ok = view.get("status") == "done" and wrong == 0
    ok = ok and (counts["created"], counts["errors"]) == (len(file.good), len(file.bad))
    example = errors[min(file.bad)][0] if file.bad and min(file.bad) in errors else None
    by_field = Counter(str(e["field"]) for found in errors.values() for e in found)
    return {"ok": ok, "counts": counts, "by_field": dict(by_field), "example_error": example}


async def listed_names(node: Node) -> set[str]:
    """Legal names of every live organisation the node's API lists (an editor sees all)."""
    names: set[str] = set()
    after: str | None = None
    headers = {"Authorization": f"Bearer {node.token}"}
    async with httpx.AsyncClient(base_url=node.url, headers=headers, timeout=120) as client:
        while True:
            params: dict[str, str | int] = {"limit": 500, **({"after": after} if after else {})}
            response = await client.get(ORGANIZATIONS_PATH, params=params)
            response.raise_for_status()
            page = response.json()
            names.update(str(item["legal_name"]) for item in page["items"])
            after = page.get("next")
            if not after:
                return names


def check_listing(names: set[str], file: CsvFile) -> Document:
    good = set(file.good.values())
    bad = {name for _, name in file.bad.values()}
    counts = {"good_listed": len(good & names), "bad_listed": len(bad & names)}
    return {"ok": counts["good_listed"] == len(good) and not counts["bad_listed"], **counts}


# -- raw leg -----------------------------------------------------------------------------


def version_one(messages: list[Message], ids: set[str]) -> dict[str, Document]:
    """Each organisation's version-1 message, as the outbox entry held it, by aggregate."""
    found: dict[str, Document] = {}
    for subject, data in messages:
        envelope = envelope_of(data)
        if envelope.get("aggregateid") in ids and envelope.get("aggregateversion") == 1:
            found[envelope["aggregateid"]] = message(subject, str(envelope["id"]), data)
    return found


async def stored_documents(mongodb_url: str, node_id: str, ids: set[str]) -> dict[str, Document]:
    """The node's own organisation documents with these ids, as it stored them."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_url, tz_aware=True)
    try:
        collection = client[database_name(node_id, "membership")][ORGANIZATIONS]
        return {doc["_id"]: doc async for doc in collection.find({}) if doc["_id"] in ids}
    finally:
        await client.close()


async def raw_work(node: Node, ids: list[str], stream: list[Message]) -> list[Document]:
    """Per good row, in import order: its stored document and its outbox entry."""
    wanted = set(ids)
    local = await read_stream(node.nats_url, subjects.local_stream(node.node_id))
    local_messages, alliance_messages = version_one(local, wanted), version_one(stream, wanted)
    documents = await stored_documents(node.run_info["mongodb_url"], node.node_id, wanted)
    found = (len(documents), len(local_messages), len(alliance_messages))
    if found != (len(wanted),) * 3:
        raise RuntimeError(f"raw leg: of {len(wanted)} found (documents, local, alliance) {found}")
    now = datetime.now(UTC)
    return [
        {
            "document": documents[org_id],
            "entry": {
                "_id": local_messages[org_id]["id"],
                "messages": [local_messages[org_id], alliance_messages[org_id]],
                "created": now,
            },
        }
        for org_id in ids
    ]


async def raw_bulk(mongodb_url: str, rows: list[Document], chunk: int) -> float:
    """Seconds to insert the documents and outbox entries, one transaction per chunk."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_url, tz_aware=True)
    scratch = ServiceDatabase(client, f"bench_raw_import_{os.getpid()}")
    try:
        await scratch.prepare(*COLLECTIONS)  # nx-27017: collections exist before use
        await scratch.migrate("membership", MIGRATIONS)
        organizations = scratch.collection(ORGANIZATIONS)
        started = time.perf_counter()
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            async with scratch.session() as session:
                await organizations.insert_many(
                    [row["document"] for row in part], ordered=True, session=session
                )
                await scratch.outbox.insert_many([row["entry"] for row in part], session=session)
                await session.commit_transaction()
        seconds = time.perf_counter() - started
        stored = await organizations.count_documents({}), await scratch.outbox.count_documents({})
        if stored != (len(rows), len(rows)):
            raise RuntimeError(f"raw leg stored {stored} of {len(rows)} documents and entries")
        return seconds
    finally:
        with contextlib.suppress(Exception):
            await client.drop_database(scratch.name)
        await client.close()


# -- the whole run -----------------------------------------------------------------------


async def measure(node: Node, rows: int, seed: int) -> Document:
    registered = probe_call(PROBE_BASE)
    file = build_csv(rows, seed, str(registered.body["vat"]))
    if len(file.body) > MAX_CSV_BYTES:
        raise RuntimeError(f"the file is {len(file.body)} bytes, over the node's limit")
    say(f"{rows} rows ({len(file.bad)} bad), {len(file.body)} bytes; idle probes")
    headers = {"Authorization": f"Bearer {node.token}"}
    async with httpx.AsyncClient(base_url=node.url, headers=headers, timeout=60) as client:
        started = time.perf_counter()
        idle = [await send(client, probe_call(PROBE_BASE + i)) for i in range(IDLE_PROBES)]
        idle_seconds = time.perf_counter() - started
    if idle[0].status != 201:
        raise RuntimeError(f"probe refused: {idle[0].status} {idle[0].answer}")
    run = await import_leg(node, file.body, PROBE_BASE + IDLE_PROBES)
    say(f"import done in {run.seconds:.1f}s; {len(run.probes)} probes; waiting for the relay")
    report_check = check_report(run.followed.view, file)
    result = run.followed.view.get("result") or {}
    imported = [str(c["id"]) for c in sorted(result.get("created", []), key=lambda c: c["row"])]
    listing = check_listing(await listed_names(node), file)

    nats_url = node.nats_url
    stream = subjects.node_stream(node.node_id)
    await wait_drained(nats_url, stream)
    await wait_drained(nats_url, subjects.local_stream(node.node_id))
    messages = await read_stream(nats_url, stream)
    expected = expected_events(idle + run.probes) + Counter((org, 1) for org in imported)
    once = check_exactly_once(expected, messages)

    say(f"raw leg: {len(imported)} documents and outbox entries, chunks of {IMPORT_CHUNK_ROWS}")
    work = await raw_work(node, imported, messages)
    store = {"store": node.pids()["store"]}
    before = cpu_seconds(store)["store"]
    raw_seconds = await raw_bulk(str(node.run_info["mongodb_url"]), work, IMPORT_CHUNK_ROWS)
    raw_store_cpu = cpu_seconds(store)["store"] - before
    return report(file, run, report_check, listing, once, raw_seconds, raw_store_cpu) | {
        "idle_probe": latency_figures(idle, idle_seconds),
        "sizes_bytes": {
            "csv": len(file.body),
            "organisation_json": len(json.dumps(work[0]["document"], default=str)),
            "outbox_entry": sum(len(m["body"]) for m in work[0]["entry"]["messages"]),
        },
    }


def report(
    file: CsvFile,
    run: ImportRun,
    report_check: Document,
    listing: Document,
    once: Document,
    raw_seconds: float,
    raw_store_cpu: float,
) -> Document:
    good = len(file.good)
    import_per_s = good / run.seconds
    raw_per_s = good / raw_seconds
    probes = latency_figures(run.probes, run.probe_seconds)
    view = run.followed.view
    done_seen = run.followed.done_seen
    job_seconds = (
        datetime.fromisoformat(view["finished_at"]) - datetime.fromisoformat(view["started_at"])
    ).total_seconds()
    return {
        "bench": "csv_import",
        "rows": file.rows,
        "bad_rows": len(file.bad),
        "good_rows": good,
        "chunk_rows": IMPORT_CHUNK_ROWS,
        "import_seconds": round(run.seconds, 2),
        "import_accepted_ms": round(1000 * run.accepted_seconds, 1),
        "import_job_seconds": round(job_seconds, 2),
        "import_rows_per_s": round(import_per_s, 1),
        "raw_bulk_seconds": round(raw_seconds, 2),
        "raw_bulk_rows_per_s": round(raw_per_s, 1),
        "ratio": round(import_per_s / raw_per_s, 3),
        "target_ratio": TARGET_RATIO,
        "probe_writes": probes["requests"],
        "probe_failed": probes["failed"],
        "probe_p50_ms": probes["p50_ms"],
        "probe_p99_ms": probes["p99_ms"],
        "probe_max_ms": probes["max_ms"],
        "probes_over_target": sum(1 for o in run.probes if o.seconds * 1000 > TARGET_PROBE_MAX_MS),
        "target_probe_max_ms": TARGET_PROBE_MAX_MS,
        "job_status": view["status"],
        "job_total": view["total"],
        "progress_updates_seen": len(done_seen),
        "progress_increasing": done_seen == sorted(done_seen),
        "progress_polls": len(run.followed.poll_seconds),
        "poll_max_ms": round(1000 * max(run.followed.poll_seconds), 1),
        "report_ok": report_check["ok"],
        "report_counts": report_check["counts"],
        "report_errors_by_field": report_check["by_field"],
        "report_example_error": report_check["example_error"],
        "listing_ok": listing["ok"],
        "listing_counts": {k: v for k, v in listing.items() if k != "ok"},
        "exactly_once": once["exactly_once"],
        "exactly_once_counts": once["counts"],
        "cpu_ms_per_row": {role: round(1000 * used / good, 3) for role, used in run.cpu.items()},
        "raw_store_cpu_ms_per_row": round(1000 * raw_store_cpu / good, 3),
    }


def main(rows: int, seed: int) -> Document:
    work = Path(tempfile.mkdtemp(prefix="bench-csv-"))
    node = Node(work / "node")
    try:
        say(f"starting a node in {work}")
        node.start()
        return asyncio.run(measure(node, rows, seed))
    finally:
        node.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()
    print(json.dumps(main(args.rows, args.seed)))
