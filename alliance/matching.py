"""``alliance matching …``: the matching service's batch commands, for brokerage organisers.

Each command reads a JSON file, runs the same code as the service, and prints JSON; bad
input is one line on stderr and exit code 2 (``RuntimeFailure``, as every command).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

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
    from services.matching.batch import read_organisations, read_seekers
    from services.matching.embedding import load_model
    from services.matching.ranking import rank_all

    profiles = read_organisations(organisations)
    chosen = read_seekers(seekers, {p.id for p in profiles}) if seekers else None
    ranked = rank_all(profiles, load_model(), chosen, top, other_countries)
    print(json.dumps(ranked, ensure_ascii=False))
