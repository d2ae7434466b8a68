"""``alliance matching …``: the matching service's batch commands, for brokerage organisers.

Each command reads a JSON file, runs the same code as the service, and prints JSON; bad
input is one line on stderr and exit code 2 (``RuntimeFailure``, as every command).
"""

from __future__ import annotations

import typer

matching_app = typer.Typer(
    no_args_is_help=True, help="Partner ranking and meeting scheduling, offline."
)
