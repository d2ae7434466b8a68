"""``alliance matching schedule INSTANCE.json`` as an organiser runs it (the real command,
in a process): the meetings as JSON on stdout, sorted by slot then table; a bad file is
one line on stderr naming what is wrong, and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ALLIANCE = [sys.executable, "-c", "from alliance.cli import main; main()"]

SESSION: dict[str, Any] = {
    "slots": 3,
    "tables_per_slot": 1,
    "participants": [{"id": "acme", "unavailable_slots": [0]}, {"id": "bolt"}, {"id": "cogs"}],
    "requests": [
        {"a": "acme", "b": "bolt"},
        {"a": "bolt", "b": "cogs"},
        {"a": "cogs", "b": "acme"},
    ],
}


def run(
    tmp_path: Path, document: Any, name: str = "session.json"
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "session.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return subprocess.run(
        [*ALLIANCE, "matching", "schedule", str(tmp_path / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_session_is_scheduled_and_printed_by_slot_and_table(tmp_path: Path) -> None:
    done = run(tmp_path, SESSION)
    assert done.returncode == 0, done.stderr
    meetings = json.loads(done.stdout)
    assert [set(m) for m in meetings] == [{"a", "b", "slot", "table"}] * 3
    assert [(m["slot"], m["table"]) for m in meetings] == [(0, 0), (1, 0), (2, 0)]
    assert meetings[0]["a"] == "bolt" and meetings[0]["b"] == "cogs"  # acme is away in slot 0
    assert done.stderr.strip() == "placed 3 of 3 requests (at most 3 possible); idle gaps: 1"


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            {"requests": [{"a": "acme", "b": "bolt"}, {"a": "bolt", "b": "zinc"}]},
            "alliance: requests[1].b: 'zinc' is not a participant",
        ),
        (
            {"participants": [{"id": "acme", "unavailable_slots": [3]}, {"id": "bolt"}]},
            "alliance: participants[0].unavailable_slots: slot 3 does not exist (slots are 0 to 2)",
        ),
        (
            {"requests": [{"a": "cogs", "b": "cogs"}]},
            "alliance: requests[0].b: a request with oneself ('cogs')",
        ),
        (
            {"tables_per_slot": -1},
            "alliance: tables_per_slot: Input should be greater than or equal to 0",
        ),
    ],
)
def test_a_session_no_schedule_could_honour_is_one_line_and_exit_2(
    tmp_path: Path, change: dict[str, Any], line: str
) -> None:
    done = run(tmp_path, {**SESSION, **change})
    assert (done.returncode, done.stdout, done.stderr) == (2, "", line + "\n")


def test_a_file_that_is_not_json_or_not_there_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run(tmp_path, '{"slots": 3,')
    assert done.returncode == 2
    assert done.stderr.startswith(f"alliance: instance {tmp_path / 'session.json'} is not JSON: ")
    assert done.stderr.count("\n") == 1
    done = run(tmp_path, SESSION, name="missing.json")
    assert (done.returncode, done.stderr) == (
        2,
        f"alliance: cannot read instance {tmp_path / 'missing.json'}: No such file or directory\n",
    )
