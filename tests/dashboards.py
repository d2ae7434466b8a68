"""Do the Grafana panels and the Prometheus alerts ask for series that exist?

A PromQL expression that names a metric or a label nobody exports is not an error to
Prometheus or Grafana: the panel just says "No data" forever, the alert never fires. So
the expressions are parsed (``promql-parser``, the Rust parser Greptime ships for
Python), and each metric selector, label matcher, grouping label and legend label is
looked up in the series a Prometheus configured by ``deploy/prometheus/prometheus.yml``
would hold after scraping live processes (``scraped_series``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser as promql
import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
# what Grafana puts in place of its own variables before it sends a query
GRAFANA_INTERVALS = ("$__rate_interval", "$__interval", "$__range")
LEGEND_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")
ALERT_LABEL = re.compile(r"\$labels\.(\w+)")

Series = dict[str, str]  # every label of one series, __name__ included


@dataclass(frozen=True)
class Query:
    """One PromQL expression, where it comes from, and the labels its legend shows."""

    where: str
    expr: str
    shown: tuple[str, ...] = ()


# -- what the files ask -----------------------------------------------------------------


def dashboard_queries(path: Path) -> list[Query]:
    """Every panel target of a dashboard, with its template variables as "All" sends them."""
    dashboard = json.loads(path.read_text())
    variables = _variables(dashboard)
    queries = []
    for panel in _panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            expr = _substitute(target.get("expr", ""), variables)
            if expr:
                shown = tuple(LEGEND_LABEL.findall(target.get("legendFormat", "")))
                where = f"{path.name}: panel {panel.get('title')!r} {target.get('refId')}"
                queries.append(Query(where, expr, shown))
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else ""
        found = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", text.strip())
        if found:  # label_values(SELECTOR, LABEL): the label must be on the selector
            where = f"{path.name}: variable {variable['name']!r}"
            queries.append(Query(where, found.group(1), (found.group(2),)))
    return queries


def alert_queries(path: Path = ALERTS) -> list[Query]:
    """Every alerting rule's expression, with the labels its annotations show."""
    queries = []
    for group in yaml.safe_load(path.read_text())["groups"]:
        for rule in group["rules"]:
            shown = ALERT_LABEL.findall(json.dumps(rule.get("annotations", {})))
            where = f"{path.name}: alert {rule.get('alert') or rule.get('record')}"
            queries.append(Query(where, rule["expr"], tuple(dict.fromkeys(shown))))
    return queries


def every_query() -> list[Query]:
    """What every dashboard and every alert of deploy/ asks Prometheus."""
    found = [q for path in sorted(DASHBOARDS.glob("*.json")) for q in dashboard_queries(path)]
    return found + alert_queries()


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # a collapsed row keeps its panels


def _variables(dashboard: dict[str, Any]) -> dict[str, str]:
    """Each query variable's value with "All" selected (its allValue, else any value)."""
    values = {}
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            values[variable["name"]] = variable.get("allValue") or ".*"
    return values


def _substitute(expr: str, variables: dict[str, str]) -> str:
    for interval in GRAFANA_INTERVALS:
        expr = expr.replace(interval, "5m")
    for name, value in sorted(variables.items(), key=lambda item: -len(item[0])):
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    return expr


# -- what the processes export, as Prometheus would hold it ------------------------------


@dataclass(frozen=True)
class Target:
    """One scrape target of prometheus.yml, and how to read its /metrics (None: not run)."""

    job: str
    address: str
    labels: dict[str, str]
    honor_labels: bool
    scrape: Callable[[], str] | None


def scrape_targets(scrapers: dict[str, Callable[[], str]]) -> list[Target]:
    """The targets of prometheus.yml; ``scrapers`` maps a target address to its process."""
    config = yaml.safe_load(PROMETHEUS.read_text())
    targets = []
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for address in static["targets"]:
                targets.append(
                    Target(
                        job["job_name"],
                        address,
                        dict(static.get("labels", {})),
                        bool(job.get("honor_labels", False)),
                        scrapers.get(address),
                    )
                )
    return targets


def scraped_series(targets: list[Target]) -> list[Series]:
    """The series Prometheus would hold: each target's ``up``, and what it exports with
    the target's labels attached (an exported label wins with ``honor_labels``, else it
    is kept as ``exported_<label>``)."""
    series: list[Series] = []
    for target in targets:
        attached = {"job": target.job, "instance": target.address, **target.labels}
        series.append({"__name__": "up", **attached})
        if target.scrape is None:
            continue
        for family in text_string_to_metric_families(target.scrape()):
            for sample in family.samples:
                series.append(_attach({"__name__": sample.name, **sample.labels}, attached, target))
    return series


def _attach(exported: Series, attached: Series, target: Target) -> Series:
    labels = dict(exported)
    for name, value in attached.items():
        if name in labels and not target.honor_labels:
            labels[f"exported_{name}"] = labels[name]
            labels[name] = value
        else:
            labels.setdefault(name, value)
    return labels


# -- the check ----------------------------------------------------------------------------


def unanswered(query: Query, series: list[Series]) -> list[str]:
    """What one query asks for that no series has: one readable line per problem."""
    try:
        expr = promql.parse(query.expr)
    except Exception as exc:  # promql-parser raises plain ValueError/RuntimeError
        return [f"{query.where}: does not parse: {exc}"]
    problems: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql.VectorSelector):
            problems.extend(_selector_problems(node, series))
        elif isinstance(node, promql.AggregateExpr) and node.modifier is not None:
            inner = {label for labels in _matching(node.expr, series) for label in labels}
            missing = sorted(set(node.modifier.labels) - inner)
            if inner and missing:  # without any series, its selector said so
                problems.append(f"grouped by {', '.join(missing)}, which it does not carry")

    promql.walk(expr, visit)
    shown = _output_labels(expr, series)
    if shown is not None:
        missing = [label for label in query.shown if label not in shown]
        if missing:
            problems.append(f"shows {', '.join(missing)}, which its result does not carry")
    return [f"{query.where}: {query.expr}: {problem}" for problem in problems]


def _selected(node: promql.VectorSelector, series: list[Series]) -> list[Series]:
    """The series a selector matches, by name and by its positive matchers' labels.

    An equality asks for that value; a regular expression only for the label (``5..`` on
    ``status`` is right even when a healthy node answered no 5xx yet).
    """
    found = [s for s in series if s.get("__name__") == node.name] if node.name else series
    for matcher in node.matchers.matchers:
        op = str(matcher.op)
        if "Not" in op:
            continue  # a negative matcher asks for nothing
        if op.endswith("Equal"):
            found = [s for s in found if s.get(matcher.name) == matcher.value]
        else:
            found = [s for s in found if matcher.name in s]
    return found


def _selector_problems(node: promql.VectorSelector, series: list[Series]) -> list[str]:
    named = [s for s in series if s.get("__name__") == node.name]
    if not named:
        return [f"no series {node.name} is exported"]
    problems = []
    for matcher in node.matchers.matchers:
        if "Not" in str(matcher.op):
            continue  # a negative matcher asks for nothing
        if not any(matcher.name in s for s in named):
            problems.append(f"{node.name} has no label {matcher.name}")
        elif not _selected(_only(node, matcher), series):
            problems.append(f"{node.name} has no series with {matcher}")
    return problems


def _only(node: promql.VectorSelector, matcher: Any) -> promql.VectorSelector:
    """The selector with only one of its matchers (to say which one finds nothing)."""
    return promql.parse(f"{node.name}{{{matcher}}}")  # type: ignore[no-any-return]


def _matching(node: Any, series: list[Series]) -> list[set[str]]:
    """The label names of every series any selector under ``node`` matches."""
    found: list[set[str]] = []

    def visit(inner: Any) -> None:
        if isinstance(inner, promql.VectorSelector):
            found.extend(set(s) - {"__name__"} for s in _selected(inner, series))

    promql.walk(node, visit)
    return found


def _output_labels(node: Any, series: list[Series]) -> set[str] | None:
    """The labels an expression's result carries (None where this check cannot tell)."""
    if isinstance(node, promql.VectorSelector):
        return {label for labels in _matching(node, series) for label in labels}
    if isinstance(node, promql.MatrixSelector):
        return _output_labels(node.vector_selector, series)
    if isinstance(node, promql.ParenExpr):
        return _output_labels(node.expr, series)
    if isinstance(node, promql.AggregateExpr):
        inner = _output_labels(node.expr, series)
        if str(node.op).lower() in ("topk", "bottomk", "limitk", "limit_ratio"):
            return inner
        if node.modifier is None:
            return set()
        grouped = set(node.modifier.labels)
        by = "By" in str(node.modifier.type)
        return grouped if by else (inner or set()) - grouped
    if isinstance(node, promql.Call):
        literals = (promql.NumberLiteral, promql.StringLiteral)
        vectors = [arg for arg in node.args if not isinstance(arg, literals)]
        inner = _output_labels(vectors[0], series) if vectors else set()
        if node.func.name == "histogram_quantile" and inner is not None:
            return inner - {"le"}
        return inner
    if isinstance(node, promql.BinaryExpr):
        sides = [_output_labels(side, series) for side in (node.lhs, node.rhs)]
        vectors = [labels for labels in sides if labels]
        return vectors[0] if vectors else set()
    return None
