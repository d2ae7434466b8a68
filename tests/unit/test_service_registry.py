"""Registering a service is one line in pyproject.toml, and what is installed must agree.

A new ``alliance.services`` entry point that was not installed yet (``pip install -e .``
not re-run) would silently drop the service from every node and every test; this fails
instead, saying what to do.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

from shared.service import SERVICE_GROUP, ServiceDeclaration, installed_services

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def registered() -> dict[str, str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return dict(project["entry-points"][SERVICE_GROUP])


def test_installed_services_are_exactly_the_registered_ones() -> None:
    installed = {point.name: point.value for point in entry_points(group=SERVICE_GROUP)}
    assert installed == registered(), (
        "the installed services differ from pyproject.toml's; run: pip install -e '.[dev]'"
    )


def test_each_registered_service_declares_itself_under_its_own_name() -> None:
    for name, declare in installed_services().items():
        declaration = declare()
        assert isinstance(declaration, ServiceDeclaration)
        assert declaration.name == name
        assert declaration.description
