"""``alliance status``: how a running hub or node is doing with the federation.

On a hub's data dir (it has ``hub.json``): every admitted node with its sync state, from
``/api/hub/nodes``. On a node's: one row per origin it replicates (events and seconds
behind, events applied), the leaf link to the hub and the dead letters, from ``/metrics``.
Where to ask comes from the ``run.json`` the running process wrote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from alliance.hub import HUB_FILE
from shared.identity import has_identity, load_identity
from shared.runtime import RUN_FILE, RuntimeFailure, read_run_info

TIMEOUT_SECONDS = 5.0


def status(data_dir: Path) -> str:
    """The status report of the hub or node running in ``data_dir``."""
    url = http_url_of(data_dir)
    if (data_dir / HUB_FILE).exists():
        return hub_report(url, _get(url, "/api/hub/nodes").json())
    node = load_identity(data_dir).node if has_identity(data_dir) else data_dir.name
    return node_report(node, url, _get(url, "/metrics").text)


def http_url_of(data_dir: Path) -> str:
    """Where the process running in ``data_dir`` serves HTTP (from its run file)."""
    try:
        return str(read_run_info(data_dir)["http_url"])
    except FileNotFoundError as exc:
        raise RuntimeFailure(
            f"nothing is running in {data_dir} (no {RUN_FILE}); "
            "start it with 'alliance up', 'alliance hub' or 'alliance demo'"
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeFailure(f"cannot read {data_dir / RUN_FILE}: {exc}") from exc


def _get(url: str, path: str) -> httpx.Response:
    try:
        answer = httpx.get(f"{url}{path}", timeout=TIMEOUT_SECONDS)
    except httpx.ConnectError as exc:
        raise RuntimeFailure(
            f"nothing answers at {url} (connection refused); is the process still running?"
        ) from exc
    except httpx.HTTPError as exc:
        raise RuntimeFailure(f"cannot reach {url}: {exc or type(exc).__name__}") from exc
    if answer.status_code != 200:
        raise RuntimeFailure(f"{url}{path} answered {answer.status_code}")
    return answer


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Plain aligned columns; numbers right-aligned."""
    cells = [[str(h) for h in header], *([_cell(v) for v in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [
        all(_is_number(row[i]) for row in cells[1:]) and len(cells) > 1 for i in range(len(header))
    ]
    lines = []
    for row in cells:
        parts = [
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(row, widths, numeric, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    return str(value)


def _is_number(text: str) -> bool:
    if text == "-":
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _ago(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    if seconds < 60:
        return f"{seconds:.1f}s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m ago"
    return f"{seconds / 3600:.1f}h ago"


def hub_report(url: str, nodes: list[dict[str, Any]]) -> str:
    header = ("node", "name", "country", "active", "connected", "lag events", "last active")
    rows = []
    for entry in nodes:
        sync = entry.get("sync") or {}
        rows.append(
            (
                entry.get("node"),
                entry.get("name"),
                entry.get("country"),
                entry.get("active"),
                sync.get("connected"),
                sync.get("lag_events"),
                _ago(sync.get("last_active_seconds")),
            )
        )
    connected = sum(1 for entry in nodes if (entry.get("sync") or {}).get("connected"))
    title = f"hub at {url}: {len(nodes)} nodes admitted, {connected} connected"
    if not nodes:
        return f"{title}\n(no node admitted yet: 'alliance admit')"
    return f"{title}\n{table(header, rows)}"


def _samples(metrics_text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
    ]


def node_report(node: str, url: str, metrics_text: str) -> str:
    lag_events: dict[str, float] = {}
    lag_seconds: dict[str, float] = {}
    applied: dict[str, float] = defaultdict(float)
    leaf: dict[str, float] = {}
    dead_letters = 0.0
    backlog = 0.0
    for name, labels, value in _samples(metrics_text):
        origin = labels.get("origin", "")
        if name == "alliance_replication_lag_events":
            lag_events[origin] = value
        elif name == "alliance_replication_lag_seconds":
            lag_seconds[origin] = value
        elif name == "alliance_projection_applied_total":
            applied[origin] += value
        elif name == "alliance_leaf_link_up":
            leaf[labels.get("remote", "")] = value
        elif name == "alliance_dead_letters_total":
            dead_letters += value
        elif name == "alliance_outbox_backlog":
            backlog += value
    origins = sorted(set(lag_events) | set(lag_seconds) | set(applied))
    lines = [f"node {node} at {url}"]
    if origins:
        rows = [
            (
                origin,
                lag_events.get(origin),
                lag_seconds.get(origin),
                applied.get(origin, 0.0),
            )
            for origin in origins
        ]
        lines.append(table(("origin", "events behind", "seconds behind", "applied events"), rows))
    else:
        lines.append("(no replication yet: no origin sourced or applied)")
    if leaf:
        links = ", ".join(f"{r} {'up' if v >= 1 else 'DOWN'}" for r, v in sorted(leaf.items()))
        lines.append(f"leaf link: {links}")
    else:
        lines.append("leaf link: none (not joined to a hub, or not measured yet)")
    lines.append(f"dead letters: {dead_letters:.0f}   outbox backlog: {backlog:.0f}")
    return "\n".join(lines)
