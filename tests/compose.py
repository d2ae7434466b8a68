"""docker-compose.yml read as Docker Compose reads it, to run its services without Docker.

There is no Docker engine where the tests run. So this reads the file as compose does
(the ``.env`` file, ``${VAR:-default}`` interpolation, anchors and merge keys) and gives,
for each service, what its container would get: its environment, its command line
(entrypoint and command), and its volumes, each named volume a directory of the test's
own and each bind mount the repository's file. ``ComposeService.rewrite`` maps the paths
a script or configuration names inside the container to those directories.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>\w+)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<bare>\w+))"
)


class ComposeError(Exception):
    """What ``docker compose`` would refuse the file for (a required variable unset)."""


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a compose ``.env`` file (comments and quotes as compose reads)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution in every string of a loaded YAML document."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if isinstance(value, str):
        return VARIABLE.sub(lambda found: _substitute(found, env), value)
    return value


def _substitute(found: re.Match[str], env: dict[str, str]) -> str:
    if found.group("escaped"):
        return "$"
    name = found.group("braced") or found.group("bare")
    op, arg = found.group("op"), found.group("arg") or ""
    value = env.get(name)
    unset = value is None or (value == "" and op is not None and op.startswith(":"))
    if op in (":-", "-"):
        return arg if unset else str(value)
    if op in (":?", "?"):
        if unset:
            raise ComposeError(f"required variable {name} is missing a value: {arg}")
        return str(value)
    if op in (":+", "+"):
        return "" if unset else arg
    return value or ""


@dataclass
class ComposeService:
    """One service of the file, as its container would see the world."""

    name: str
    spec: dict[str, Any]
    volumes_root: Path

    @property
    def environment(self) -> dict[str, str]:
        given = self.spec.get("environment") or {}
        if isinstance(given, list):
            given = dict(item.split("=", 1) for item in given)
        return {key: "" if value is None else str(value) for key, value in given.items()}

    @property
    def argv(self) -> list[str]:
        """Entrypoint and command, as the container runs them (the image's own entrypoint
        for the images used without one passes the command through)."""
        return [*(self.spec.get("entrypoint") or []), *(self.spec.get("command") or [])]

    @property
    def image(self) -> str:
        return str(self.spec.get("image", ""))

    def mounts(self) -> dict[str, Path]:
        """Container path → the directory or file standing in for it here."""
        found = {}
        for volume in self.spec.get("volumes") or []:
            if isinstance(volume, str):
                source, target = volume.split(":")[:2]
            else:
                source, target = volume["source"], volume["target"]
            if source.startswith((".", "/")):
                found[target] = (ROOT / source).resolve()
            else:
                place = self.volumes_root / source
                place.mkdir(parents=True, exist_ok=True)
                found[target] = place
        return found

    def host_path(self, container_path: str) -> Path:
        """Where a path of the container is here (through its mounts)."""
        for target, source in sorted(self.mounts().items(), key=lambda item: -len(item[0])):
            if container_path == target or container_path.startswith(target + "/"):
                return source / container_path[len(target) :].lstrip("/")
        raise AssertionError(f"{self.name}: {container_path} is on no volume")

    def rewrite(self, text: str) -> str:
        """``text`` with every container path on a mount replaced by its place here."""
        for target, source in sorted(self.mounts().items(), key=lambda item: -len(item[0])):
            text = re.sub(r"(?<![\w./-])" + re.escape(target) + r"(?![\w.-])", str(source), text)
        return text

    def depends_on(self) -> dict[str, dict[str, Any]]:
        given = self.spec.get("depends_on") or {}
        return {name: {} for name in given} if isinstance(given, list) else dict(given)


class Compose:
    """docker-compose.yml with an operator's ``.env``; named volumes under ``volumes_root``."""

    def __init__(self, env: dict[str, str], volumes_root: Path) -> None:
        self.env = env
        self.volumes_root = volumes_root
        self.raw: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
        self.file: dict[str, Any] = interpolate(self.raw, env)

    def service(self, name: str) -> ComposeService:
        return ComposeService(name, self.file["services"][name], self.volumes_root)

    def services(self) -> list[ComposeService]:
        return [self.service(name) for name in self.file["services"]]


def run_script(
    service: ComposeService, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """A one-shot service's ``/bin/sh -c SCRIPT`` with its paths mapped here, to its end."""
    return subprocess.run(
        shell_argv(service), env=env, capture_output=True, text=True, timeout=timeout
    )


def shell_argv(service: ComposeService, args: dict[str, str] | None = None) -> list[str]:
    """The service's ``/bin/sh -c SCRIPT ARG…`` with its paths mapped here and some
    arguments replaced (a container port by the test's)."""
    shell, flag, script, *rest = service.argv
    assert (shell, flag) == ("/bin/sh", "-c"), f"{service.name} runs no shell script"
    return [shell, flag, service.rewrite(script), *[(args or {}).get(a, a) for a in rest]]


def process_env(**values: str) -> dict[str, str]:
    """A container's environment here: its own values, and this machine's PATH and HOME
    (the venv's ``alliance`` and ``python`` stand in for the image's)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {"PATH": path, "HOME": os.environ.get("HOME", "/root"), **values}
