"""``alliance matching rank`` as an organiser runs it (the real command, in a process):
JSON out, the same ranking as the service, and one clear line with exit code 2 for every
kind of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.unit.ranking_corpus import ORGANISATIONS

ALLIANCE = [sys.executable, "-c", "from alliance.cli import main; main()"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ALLIANCE, "matching", "rank", *args], capture_output=True, text=True, timeout=120
    )


def write(path: Path, content: Any) -> str:
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


@pytest.fixture(scope="module")
def orgs(tmp_path_factory: pytest.TempPathFactory) -> str:
    organisations = [{**o, "unknown_field": 1} for o in ORGANISATIONS]
    organisations[0]["offers"] = [organisations[0]["offers"]]  # a list of sentences is fine
    return write(tmp_path_factory.mktemp("orgs") / "orgs.json", organisations)


def test_ranks_every_seeker_without_itself(orgs: str) -> None:
    done = run("--organisations", orgs, "--top", "3")
    assert done.returncode == 0, done.stderr
    ranked = json.loads(done.stdout)
    assert list(ranked) == [o["id"] for o in ORGANISATIONS]
    assert all(len(ids) == 3 and seeker not in ids for seeker, ids in ranked.items())
    assert ranked["ro-agri"][0] == "fr-drone"  # a Romanian need, a French offer


def test_chosen_seekers_and_other_countries_only(orgs: str, tmp_path: Path) -> None:
    seekers = write(tmp_path / "seekers.json", ["ro-pcb", "fr-vin"])
    done = run("--organisations", orgs, "--seekers", seekers, "--other-countries")
    assert done.returncode == 0, done.stderr
    ranked = json.loads(done.stdout)
    countries = {o["id"]: o["country"] for o in ORGANISATIONS}
    assert list(ranked) == ["ro-pcb", "fr-vin"]
    assert ranked["ro-pcb"] and all(countries[id] != "RO" for id in ranked["ro-pcb"])
    assert "fr-drone" not in ranked["fr-vin"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[{", "not JSON"),
        ({"id": "a"}, "expected a JSON list of organisations"),
        ([{"id": "a", "country": "RO"}, "b"], "organisations[1]: expected a JSON object"),
        ([{"id": "a", "country": "RO"}, {"id": "b"}], "organisations[1]: 'country' is missing"),
        ([{"country": "RO"}], "organisations[0]: 'id' is missing"),
        (
            [{"id": "a", "country": "RO"}, {"id": "a", "country": "FR"}],
            "organisations[1]: id 'a' is repeated (first at organisations[0])",
        ),
        ([{"id": "a", "country": "RO", "nace_codes": 5}], "organisations[0].nace_codes:"),
    ],
)
def test_bad_organisations_are_one_line(tmp_path: Path, content: Any, expected: str) -> None:
    done = run("--organisations", write(tmp_path / "orgs.json", content))
    assert done.returncode == 2
    assert done.stderr.startswith("alliance: ") and expected in done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == ""


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (["ro-pcb", "nobody"], "seekers[1]: 'nobody' is not among the organisations"),
        ({"ro-pcb": 1}, "expected a JSON list of organisation ids"),
        ([["ro-pcb"]], "seekers[0]: expected an organisation id"),
    ],
)
def test_bad_seekers_are_one_line(orgs: str, tmp_path: Path, content: Any, expected: str) -> None:
    done = run("--organisations", orgs, "--seekers", write(tmp_path / "s.json", content))
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    assert expected in done.stderr


def test_missing_file_and_bad_top_are_one_line(orgs: str, tmp_path: Path) -> None:
    missing = run("--organisations", str(tmp_path / "nowhere.json"))
    assert (missing.returncode, missing.stderr.count("\n")) == (2, 1)
    assert "cannot read" in missing.stderr and "nowhere.json" in missing.stderr
    zero = run("--organisations", orgs, "--top", "0")
    assert (zero.returncode, zero.stderr.count("\n")) == (2, 1)
    assert "--top" in zero.stderr


def test_a_model_that_cannot_load_is_one_line(orgs: str) -> None:
    done = subprocess.run(
        [*ALLIANCE, "matching", "rank", "--organisations", orgs],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ALLIANCE_MATCHING_THREADS": "many"},
    )
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    assert done.stderr.startswith("alliance: ALLIANCE_MATCHING_THREADS must be a whole number")
