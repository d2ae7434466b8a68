"""`alliance demo` and `alliance status` as real processes: a hub and three nodes that
replicate each other's sample data, report their sync state, and stop without leftovers."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.membership.sample_data import NODES, language_of, organizations, partner_pairs
from shared.auth import Role, TokenStore
from shared.runtime import port_is_free, read_run_info
from tests.federation import poll
from tests.support import ALLIANCE, pid_alive, run_cli, spare_port, wait_until_gone

pytestmark = pytest.mark.e2e

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0
HOST = "127.0.0.1"


def free_base_port() -> int:
    """A port P with P..P+3 (HTTP) and P+100 (the hub's leaf port) all free."""
    for _ in range(200):
        base = spare_port(block=4)
        if port_is_free(HOST, base + 100):
            return base
    raise AssertionError("no free block of ports found")


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got: {stderr!r}"
    assert "Traceback" not in stderr
    return lines[0]


class DemoRun:
    """`alliance demo` in its own process, its output collected line by line."""

    def __init__(self, data_dir: Path, base_port: int) -> None:
        self.data_dir = data_dir
        self.base_port = base_port
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [ALLIANCE, "demo", "--data-dir", str(data_dir), "--base-port", str(base_port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.pids: set[int] = set()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                self.process.wait(5)
                raise AssertionError(
                    f"demo exited ({self.process.returncode}) before {prefix!r}:\n{self.output}"
                )
            self.lines.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no {prefix!r} within {timeout:.0f}s:\n{self.output}")

    def record_pids(self) -> None:
        """Every process the demo's children run, from their run.json files."""
        for name in ("hub", *NODES):
            run = read_run_info(self.data_dir / name)
            self.pids.update([int(run["pid"]), *(int(pid) for pid in run["children"])])

    def cleanup(self) -> None:
        """Teardown: whatever the test did, nothing the demo started outlives it."""
        with contextlib.suppress(OSError, ValueError, KeyError):
            self.record_pids()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in self.pids:
            if pid_alive(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoRun]:
    run = DemoRun(tmp_path / "demo", free_base_port())
    yield run
    run.cleanup()


def test_demo_replicates_reports_and_stops_cleanly(demo: DemoRun) -> None:
    started = time.monotonic()
    ready = demo.wait_for("ready", READY_TIMEOUT)
    took = time.monotonic() - started
    print(f"demo ready after {took:.1f}s: {ready}")
    urls = {name: f"http://{HOST}:{demo.base_port + 1 + i}" for i, name in enumerate(NODES)}
    portal = f"http://{HOST}:{demo.base_port}/"
    assert any(line.startswith("hub") and f"portal  {portal} " in line for line in demo.lines)
    for name, url in urls.items():
        assert any(line.startswith(name) and f"site    {url}/" in line for line in demo.lines)
        console = next(line for line in demo.lines if f"console {url}/console" in line)
        assert "token=" not in console and "?" not in console  # no token in a URL
        token_file = Path(console.rsplit(" in ", 1)[1].rstrip(")"))
        tokens = TokenStore(demo.data_dir / name)
        assert tokens.role_of(token_file.read_text().strip()) is Role.ADMIN
    # the portal links each network's public site, as the demo admitted it
    networks = httpx.get(portal, timeout=10).text
    assert all(f'href="{url}/"' in networks for url in urls.values()), networks
    # each network registered a member for its partners' open events (owners decide)
    registered = [line for line in demo.lines if "registered a member for the events of" in line]
    assert len(registered) == len(NODES), demo.output
    assert not any(line.endswith("no partner") for line in registered), registered
    # partner search: each network's member asked to meet a partner of another network
    asked = [line for line in demo.lines if " asked to meet " in line]
    assert len(asked) == len(NODES), demo.output
    for line in asked:
        node, partner = line.split("] ", 1)[1].split(":", 1)[0], line.rsplit("(", 1)[1]
        assert not partner.startswith(node), line  # cross-border
    admins = {name: TokenStore(demo.data_dir / name).create(Role.ADMIN) for name in NODES}
    found = [pair for pair in partner_pairs() if planted_pair_found(urls, admins, pair)]
    assert any(language_differs(pair) for pair in found), (found, partner_pairs())
    # the joint position paper: co-signed on ro and fr, published by es, verified on ro
    assert any("published the joint position paper" in line for line in demo.lines), demo.output
    paper = poll(
        lambda: httpx.get(f"{urls['ro-clustero']}/api/news/papers", timeout=10).json()["items"],
        30,
        "the demo's position paper on ro",
    )
    shown = httpx.get(
        f"{urls['ro-clustero']}/api/news/papers/es-fenaeic/{paper[0]['id']}", timeout=10
    ).json()
    assert shown["verified"] and len(shown["signatures"]) == 3, shown
    # CLUSTERO's brokerage event has a scheduled session (services/matching/brokerage_sample.py)
    scheduled = [line for line in demo.lines if "brokerage session: 7 participants" in line]
    assert len(scheduled) == 1 and "8 of 8 accepted" in scheduled[0], demo.output
    # es's news translated on fr and ro, accepted by es: ro's reader gets it in French
    assert any("published the French and Romanian" in line for line in demo.lines), demo.output

    def translated_on_ro() -> dict[str, Any] | None:
        spanish = httpx.get(
            f"{urls['ro-clustero']}/api/news/items", params={"network": "es-fenaeic"}, timeout=10
        ).json()["items"]
        return next(
            (i for i in spanish if {"fr", "ro"} <= {t["language"] for t in i["translations"]}), None
        )

    translated = poll(translated_on_ro, 30, "es's news in French and Romanian on ro")
    french = httpx.get(
        f"{urls['ro-clustero']}/api/news/items/es-fenaeic/{translated['id']}",
        headers={"Accept-Language": "fr"},
        timeout=10,
    ).json()["reading"]
    assert french["language"] == "fr" and french["translator"] == "fr-franceclusters"
    # each network issued this month's digest; the hub counts the partners' items in them
    issued = [line for line in demo.lines if "issued this month's digest" in line]
    assert len(issued) == len(NODES), demo.output

    def digests_counted() -> bool:
        pairs = httpx.get(f"{portal}api/promise", timeout=10).json()["pairs"]
        return any(p[way]["kinds"]["digest"] for p in pairs for way in ("forth", "back"))

    poll(digests_counted, 30, "the demo's digests in the hub's twice-a-year matrix")
    demo.record_pids()

    for name, url in urls.items():
        replicas = httpx.get(f"{url}/api/membership/replicas", timeout=10).json()
        others = set(NODES) - {name}
        assert all(replicas.get(other, 0) > 0 for other in others), (name, replicas)
        check_news(name, url)

    hub = run_cli("status", "--data-dir", str(demo.data_dir / "hub"), timeout=30)
    assert hub.returncode == 0, hub.stderr
    assert "lag events" in hub.stdout
    for name in NODES:
        row = next(line for line in hub.stdout.splitlines() if line.startswith(name))
        assert row.split().count("yes") == 2, hub.stdout  # active and connected

    node = run_cli("status", "--data-dir", str(demo.data_dir / NODES[0]), timeout=30)
    assert node.returncode == 0, node.stderr
    assert "events behind" in node.stdout
    for other in NODES[1:]:
        row = next(line for line in node.stdout.splitlines() if line.startswith(other))
        assert int(row.split()[-1]) > 0, node.stdout  # applied events of that origin
    assert "leaf link: hub up" in node.stdout
    assert "dead letters: 0" in node.stdout

    demo.process.send_signal(signal.SIGTERM)
    assert demo.process.wait(STOP_TIMEOUT) == 0, demo.output
    demo.wait_for("stopped", 5)
    assert wait_until_gone(sorted(demo.pids)), [pid for pid in demo.pids if pid_alive(pid)]


Side = tuple[str, str]  # (node, legal name) of a planted partner


def planted_pair_found(
    urls: dict[str, str], admins: dict[str, str], pair: tuple[Side, Side]
) -> bool:
    """One side finds the other among its ten possible partners, a sentence of its need
    or offer matched by one of the other's (the demo's texts are in their own languages)."""
    (node, name), (other_node, other_name) = pair
    headers = {"Authorization": f"Bearer {admins[node]}"}
    members = httpx.get(
        f"{urls[node]}/api/membership/organizations", params={"limit": 500}, headers=headers
    ).json()["items"]
    member = next(org for org in members if org["legal_name"] == name)

    def partners() -> list[dict[str, Any]] | None:
        answer = httpx.get(
            f"{urls[node]}/api/matching/organisations/{node}/{member['id']}/partners",
            headers=headers,
            timeout=30,
        )
        return answer.json()["results"] if answer.status_code == 200 else None

    results = poll(partners, 60, f"{name}'s possible partners on {node}")
    match = next((r for r in results if r["legal_name"] == other_name), None)
    return (
        match is not None
        and match["network"] == other_node
        and any(reason["kind"] in ("need_offer", "offer_need") for reason in match["reasons"])
    )


def language_differs(pair: tuple[Side, Side]) -> bool:
    """The two sides write in different languages (the demo data says which)."""
    languages = []
    for node, name in pair:
        org = next(o for o in organizations(node) if o["legal_name"] == name)
        languages.append(language_of(org))
    return None not in languages and languages[0] != languages[1]


def check_news(name: str, url: str) -> None:
    """Each site shows every network's public news, and the open funding call first."""
    public = httpx.get(f"{url}/api/news/items", params={"limit": 500}, timeout=10).json()
    assert {item["origin"] for item in public["items"]} == set(NODES), (name, public)
    listing = httpx.get(f"{url}/news", headers={"Accept": "text/html"}, timeout=10).text
    assert all(f'href="/news/{origin}/' in listing for origin in NODES), (name, listing)
    calls = httpx.get(f"{url}/news/funding", headers={"Accept": "text/html"}, timeout=10).text
    assert calls.index("vouchere de inovare") < calls.index("Interreg Europe"), (name, calls)


def test_demo_on_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    base = free_base_port()
    with socket.socket() as busy:
        busy.bind((HOST, base + 2))
        busy.listen()
        answer = run_cli("demo", "--data-dir", str(tmp_path / "demo"), "--base-port", str(base))
    assert answer.returncode == 2
    assert f"port {base + 2}" in one_line(answer.stderr)


def test_status_of_a_dir_where_nothing_runs_is_one_line(tmp_path: Path) -> None:
    answer = run_cli("status", "--data-dir", str(tmp_path))
    assert answer.returncode == 2
    assert "nothing is running" in one_line(answer.stderr)
