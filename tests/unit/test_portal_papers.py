"""The hub's position papers, pure parts: the replica within the hub's consumers, the
names the hub shows, and the boundary that keeps the portal off the news service."""

from __future__ import annotations

import ast
from pathlib import Path

from services.hub.natsconf import HUB_SERVICE_CONSUMERS
from services.portal.app import declare
from shared.feeds import Network
from shared.paper_signatures import named, summary_view

ROOT = Path(__file__).resolve().parents[2]


def imported(path: Path) -> set[str]:
    """Every module a source file imports (absolute imports)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_the_portal_keeps_published_papers_within_the_hubs_consumers() -> None:
    replicas = declare().replicas
    assert [r.collection for r in replicas if r.aggregate == "paper"] == ["alliance_papers"]
    assert sum(int(r.own) + int(r.alliance) for r in replicas) <= HUB_SERVICE_CONSUMERS


def test_no_service_imports_another_and_shared_imports_none() -> None:
    """The portal verifies papers with shared/paper_signatures.py, never services/news."""
    crossing = []
    for path in sorted([*ROOT.glob("services/*/**/*.py"), *ROOT.glob("shared/**/*.py")]):
        parts = path.relative_to(ROOT).parts
        own = f"services.{parts[1]}" if parts[0] == "services" else None
        for module in imported(path):
            inside = own is not None and (module == own or module.startswith(f"{own}."))
            if module.startswith("services.") and not inside:
                crossing.append(f"{path.relative_to(ROOT)}: {module}")
    assert crossing == []


def test_each_signatory_carries_the_name_the_hubs_registry_knows() -> None:
    view = {
        "owner": "ro",
        "owner_name": "ro as it calls itself",
        "signatures": [{"node": "ro", "name": "x"}, {"node": "zz", "name": "Unknown net"}],
    }
    known = {"ro": Network("CLUSTERO", "https://clustero.example")}
    shown = named(view, known)
    assert shown["network"].name == "CLUSTERO"
    assert [s["network"].name for s in shown["signatures"]] == ["CLUSTERO", "Unknown net"]


def test_the_list_names_owner_and_signatories_as_the_registry_does() -> None:
    """A paper may call its signatories anything; the hub's list uses its registry."""
    data = {
        "id": "p1",
        "owner": "ro",
        "owner_name": "Somebody else",
        "language": "en",
        "title": "T",
        "published_at": "2026-12-01T09:00:00Z",
        "signatures": [{"node": "ro", "name": "France Clusters"}, {"node": "zz", "name": ""}],
    }
    shown = summary_view({"origin": "ro", "data": data}, {"ro": Network("CLUSTERO")})
    assert shown["network"].name == "CLUSTERO"
    assert shown["signatories"] == ["CLUSTERO", "zz"]
