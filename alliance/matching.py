"""``alliance matching …``: the matching service's batch commands, for brokerage organisers.

Each command reads a JSON file, runs the same code as the service, and prints JSON; bad
input is one line on stderr and exit code 2 (``RuntimeFailure``, as every command).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from alliance.verify_paper import read_json
from services.matching.scheduling import ScheduleProblem, schedule
from shared.runtime import RuntimeFailure

matching_app = typer.Typer(
    no_args_is_help=True, help="Partner ranking and meeting scheduling, offline."
)


@matching_app.command("rank")
def rank(
    organisations: Annotated[
        Path, typer.Option(help="JSON list of organisations (the batch format)")
    ],
    seekers: Annotated[
        Path | None, typer.Option(help="JSON list of the ids to rank partners for (default: all)")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="partners per seeker")] = 10,
    other_countries: Annotated[
        bool, typer.Option("--other-countries", help="only partners from other countries")
    ] = False,
) -> None:
    """Print {seeker id: [partner ids, best first]}: the service's ranking, offline."""
    from alliance.matching_rank import read_organisations, read_seekers
    from services.matching.embedding import load_model
    from services.matching.ranking import rank_all

    profiles = read_organisations(organisations)
    chosen = read_seekers(seekers, {p.id for p in profiles}) if seekers else None
    ranked = rank_all(profiles, load_model(), chosen, top, other_countries)
    print(json.dumps(ranked, ensure_ascii=False))


@matching_app.command("schedule")
def schedule_command(
    instance: Annotated[
        Path, typer.Argument(help="JSON: slots, tables_per_slot, participants, requests")
    ],
    time_limit: Annotated[
        float, typer.Option(min=0, help="search budget, in seconds of the build machine")
    ] = 4.0,
) -> None:
    """Place a brokerage session's accepted requests into slots and tables, as the service does.

    Prints the meetings as JSON, sorted by slot then table; a summary goes to stderr.
    """
    result = schedule(load_session(instance), time_limit)
    lines = [
        json.dumps({"a": m.a, "b": m.b, "slot": m.slot, "table": m.table}, ensure_ascii=False)
        for m in result.meetings
    ]
    print("[\n" + ",\n".join(lines) + "\n]" if lines else "[]")  # one meeting a line
    requested = len(result.meetings) + len(result.unplaced)
    print(
        f"placed {len(result.meetings)} of {requested} requests (at most "
        f"{result.upper_bound} possible); idle gaps: {result.idle_gaps}",
        file=sys.stderr,
    )


def load_session(path: Path) -> ScheduleProblem:
    """The session a file holds; the first thing wrong is one line naming its field."""
    data = read_json(path, "instance")
    try:
        return ScheduleProblem.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        reason = str(error["msg"]).removeprefix("Value error, ")
        raise RuntimeFailure(f"{_where(error['loc'])}: {reason}") from exc


def _where(loc: tuple[int | str, ...]) -> str:
    """``('requests', 3, 'a')`` as ``requests[3].a``, the way the file is written."""
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else f".{part}"
    return where.removeprefix(".") or "instance"
