"""``alliance``: init, up, service, token. One clear line and exit code 2 on a mistake."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from alliance.node import run_node, say
from shared.auth import Role, TokenStore
from shared.identity import IdentityError, create_identity, load_identity
from shared.runtime import RuntimeFailure
from shared.settings import NodeSettings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Run a node of the European Clusters Alliance federation.",
)
token_app = typer.Typer(no_args_is_help=True, help="API tokens of a node.")
app.add_typer(token_app, name="token")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="node data dir [./.alliance]")]
Port = Annotated[int | None, typer.Option("--port", help="HTTP port [8080]")]


def _settings(data_dir: Path | None, port: int | None) -> NodeSettings:
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if port is not None:
        overrides["port"] = port
    return NodeSettings(**overrides)  # type: ignore[arg-type]


@app.command()
def init(
    node: Annotated[str, typer.Option(help="node id, e.g. ro-clustero")],
    name: Annotated[str, typer.Option(help="the association's name")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country code")],
    data_dir: DataDir = None,
) -> None:
    """Create the node's identity (Ed25519 key pair) and print its join request."""
    settings = _settings(data_dir, None)
    identity = create_identity(settings.data_dir, node, name, country)
    request = json.dumps(identity.join_request(), indent=2)
    (settings.data_dir / "join-request.json").write_text(request + "\n")
    say(
        f"initialised node {node} in {settings.data_dir}; send this join request to the hub "
        f"(also in {settings.data_dir / 'join-request.json'}):"
    )
    print(request)


@app.command()
def up(data_dir: DataDir = None, port: Port = None) -> None:
    """Run one complete node: its NATS, its store, every service, HTTP on one port."""
    run_node(_settings(data_dir, port))


@app.command()
def service(
    name: Annotated[str, typer.Argument(help="membership, events, news or matching")],
    data_dir: DataDir = None,
    port: Port = None,
) -> None:
    """Run one service of a node (docker-compose runs one per container)."""
    run_node(_settings(data_dir, port), services=[name])


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="editor (write data) or admin (also the profile)")],
    data_dir: DataDir = None,
    label: Annotated[str, typer.Option(help="who or what the token is for")] = "",
) -> None:
    """Print a new API token; only its hash is stored."""
    settings = _settings(data_dir, None)
    load_identity(settings.data_dir)  # a token belongs to an initialised node
    print(TokenStore(settings.data_dir).create(role, label))


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2."""
    try:
        app(standalone_mode=True)
    except (RuntimeFailure, IdentityError) as exc:
        print(f"alliance: {exc}", file=sys.stderr)
        sys.exit(2)
