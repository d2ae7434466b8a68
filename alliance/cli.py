"""``alliance``: init, up, hub, admit, demo, status… One clear line and exit 2 on a mistake."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from alliance.demo import run_demo
from alliance.erasure import erase_contact, summary
from alliance.hub import admit_node, remove_node, run_hub
from alliance.matching import matching_app
from alliance.node import run_node
from alliance.process import say
from alliance.status import status as status_report
from alliance.status import table
from alliance.verify_paper import verify_paper
from shared.auth import Role, TokenStore, parse_lifetime
from shared.countries import check_country
from shared.federation import HubCredentials, leaf_remote
from shared.files import restrict_new_files
from shared.identity import IdentityError, create_identity, load_identity, write_join_request
from shared.runtime import RuntimeFailure
from shared.settings import HubSettings, NodeSettings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Run a node of the European Clusters Alliance federation.",
)
token_app = typer.Typer(no_args_is_help=True, help="API tokens of a node.")
app.add_typer(token_app, name="token")
app.add_typer(matching_app, name="matching")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="node data dir [./.alliance]")]
Port = Annotated[int | None, typer.Option("--port", help="HTTP port [8080]")]


def _settings(data_dir: Path | None, port: int | None, **more: object) -> NodeSettings:
    overrides: dict[str, object] = {k: v for k, v in more.items() if v is not None}
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
    site_url: Annotated[
        str | None, typer.Option(help="the network's public site (https://…), for the hub portal")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create the node's identity (Ed25519 key pair) and print its join request."""
    settings = _settings(data_dir, None)
    try:  # refused as the API refuses it, before anything is written
        check_country(country.strip().upper())
    except ValueError as exc:
        raise RuntimeFailure(f"--country: {exc}") from exc
    identity = create_identity(settings.data_dir, node, name, country.strip().upper())
    request = write_join_request(settings.data_dir, identity, site_url)
    say(
        f"initialised node {node} in {settings.data_dir}; send this join request to the hub "
        f"(also in {request}):"
    )
    print(request.read_text(), end="")


@app.command()
def up(
    data_dir: DataDir = None,
    port: Port = None,
    hub_url: Annotated[str | None, typer.Option(help="the hub's leaf URL (nats-leaf://…)")] = None,
    hub_credentials: Annotated[
        Path | None, typer.Option(help="credentials file from 'alliance admit'; kept afterwards")
    ] = None,
) -> None:
    """Run one complete node: its NATS, its store, every service, HTTP on one port."""
    run_node(_settings(data_dir, port, hub_url=hub_url, hub_credentials=hub_credentials))


@app.command()
def hub(
    data_dir: DataDir = None,
    port: Annotated[int | None, typer.Option(help="HTTP port [8000]")] = None,
    leaf_port: Annotated[
        int | None, typer.Option(help="where nodes connect their leaf link [7422]")
    ] = None,
    host: Annotated[str | None, typer.Option(help="address to listen on [127.0.0.1]")] = None,
    advertise: Annotated[
        str | None, typer.Option(help="host:port nodes use for the leaf link [host:leaf-port]")
    ] = None,
    nats_host: Annotated[
        str | None,
        typer.Option(help="address of the NATS client and monitoring ports [127.0.0.1]"),
    ] = None,
) -> None:
    """Run the alliance hub: its NATS (domain hub), the registry, ALLIANCE, HTTP."""
    given = {"data_dir": data_dir, "port": port, "leaf_port": leaf_port, "host": host}
    given |= {"advertise": advertise, "nats_host": nats_host}
    run_hub(HubSettings(**{k: v for k, v in given.items() if v is not None}))  # type: ignore[arg-type]


@app.command()
def admit(
    request: Annotated[Path, typer.Argument(help="the node's join request (from 'alliance init')")],
    data_dir: DataDir = None,
    hub_url: Annotated[str | None, typer.Option(help="leaf URL to hand out")] = None,
    out: Annotated[Path | None, typer.Option(help="also write the credentials here")] = None,
    site_url: Annotated[
        str | None, typer.Option(help="the network's public site, linked from the hub portal")
    ] = None,
) -> None:
    """Admit a node at the hub and print its leaf credentials (keep them secret)."""
    credentials = admit_node(data_dir or HubSettings().data_dir, request, hub_url, site_url)
    if out:
        credentials.save(out)
    say(
        f"admitted {credentials.node}; "
        "give it these credentials for 'alliance up --hub-credentials'"
    )
    print(credentials.model_dump_json(indent=2))


@app.command("leaf-remote")
def leaf_remote_command(
    credentials: Annotated[Path, typer.Argument(help="the credentials file from 'alliance admit'")],
) -> None:
    """Print the leaf remote settings for deploy/nats/secrets/hub-credentials.conf.

    The node's secret leaf key, and the subjects it refuses from the hub (everything of
    its JetStream API but sourcing NODE_<ID>).
    """
    try:
        parsed = HubCredentials.model_validate_json(credentials.read_text())
    except (OSError, ValueError) as exc:
        raise RuntimeFailure(f"cannot read hub credentials {credentials}: {exc}") from exc
    print(leaf_remote(parsed), end="")


@app.command()
def remove(
    node: Annotated[str, typer.Argument(help="the node id to remove")],
    data_dir: DataDir = None,
) -> None:
    """Stop accepting a node; every node tombstones its replicas."""
    entry = remove_node(data_dir or HubSettings().data_dir, node)
    say(f"removed {entry.node}; the hub applies it within a second if it is running")


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
    expires_in: Annotated[
        str | None, typer.Option(help="how long it stays good, e.g. 12h, 30d, 2w [forever]")
    ] = None,
) -> None:
    """Print a new API token; only its hash is stored."""
    tokens = _token_store(data_dir)
    try:
        lifetime = parse_lifetime(expires_in) if expires_in is not None else None
    except ValueError as exc:
        raise RuntimeFailure(str(exc)) from exc
    print(tokens.create(role, label, lifetime))


@token_app.command("list")
def token_list(data_dir: DataDir = None) -> None:
    """Every API token of the node (id, role, label, dates, state); never the token."""
    now = datetime.now(UTC)
    rows = [
        (
            record.id,
            record.role.value,
            record.label or None,
            _day(record.created),
            _day(record.expires),
            record.state(now),
        )
        for record in _token_store(data_dir).records()
    ]
    if not rows:
        say("no API tokens yet: 'alliance token create --role editor'")
        return
    print(table(("id", "role", "label", "created", "expires", "state"), rows))


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="the token's id ('alliance token list')")],
    data_dir: DataDir = None,
) -> None:
    """Revoke an API token; running services refuse it at once (401)."""
    record = _token_store(data_dir).revoke(token_id)
    label = f" ({record.label})" if record.label else ""
    say(f"revoked {record.role.value} token {record.id}{label}")


def _token_store(data_dir: Path | None) -> TokenStore:
    """The tokens of an initialised node."""
    settings = _settings(data_dir, None)
    load_identity(settings.data_dir)  # a token belongs to an initialised node
    return TokenStore(settings.data_dir)


def _day(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else None


@app.command("erase-contact")
def erase_contact_command(
    email: Annotated[str, typer.Argument(help="the person's e-mail address")],
    data_dir: DataDir = None,
    token: Annotated[
        str | None, typer.Option(envvar="ALLIANCE_TOKEN", help="an editor or admin token")
    ] = None,
    url: Annotated[
        list[str] | None,
        typer.Option(
            "--url",
            help="NAME=URL where a service listens (docker-compose: one per service container)",
        ),
    ] = None,
) -> None:
    """Erase a person (GDPR) from every service of the running node that keeps them."""
    erased = erase_contact(_settings(data_dir, None).data_dir, email, token, url or [])
    say(summary(email, erased))
    print(json.dumps({"email": email, "services": erased}, indent=2))


@app.command()
def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="where the hub and the three nodes keep their data")
    ] = Path(".alliance-demo"),
    base_port: Annotated[
        int,
        typer.Option(
            "--base-port",
            min=1,
            max=65532,
            help="the hub's HTTP port; the nodes take the next three",
        ),
    ] = 8000,
) -> None:
    """Run a hub and the three founding networks with sample data, until Ctrl-C."""
    run_demo(data_dir, base_port)


@app.command()
def status(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="data dir of a running node or hub")
    ] = Path(".alliance"),
) -> None:
    """Show the sync state of a running hub (its nodes) or node (its origins)."""
    print(status_report(data_dir))


@app.command("verify-paper")
def verify_paper_command(
    file: Annotated[Path, typer.Argument(help="a paper's JSON (its page's download)")],
    keys: Annotated[
        Path | None,
        typer.Option(help="trusted keys: the hub's GET /api/hub/nodes, or {node: key}"),
    ] = None,
) -> None:
    """Check a position paper's signatures offline; exit 1 if any fails."""
    verified, lines = verify_paper(file, keys)
    print("\n".join(lines))
    if not verified:
        raise typer.Exit(1)


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2.

    Everything a command or its servers create is private to this OS user (umask 0077).
    typer's own usage errors (unknown option, missing argument, bad value) are one line
    too: its standalone mode would draw them as a box of several lines.
    """
    restrict_new_files()
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:
        code = _usage_error(exc)
    except (RuntimeFailure, IdentityError) as exc:
        print(f"alliance: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code if isinstance(code, int) else 0)


def _usage_error(exc: typer.TyperException) -> int:
    """One line naming the mistake and where help is; exit code 2 (typer's own)."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments: the help was the answer
        exc.show()  # type: ignore[attr-defined]
        return 2
    format_message = getattr(exc, "format_message", None)
    message = format_message() if callable(format_message) else str(exc)
    message = " ".join(str(message).replace("Value error, ", "").split())
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    print(f"alliance: {message}{hint}", file=sys.stderr)
    return int(getattr(exc, "exit_code", 2))
