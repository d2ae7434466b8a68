"""The CLI as a newcomer meets it: typos and unknown countries get one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import one_line
from tests.support import run_cli


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["init", "--bogus"], "No such option: --bogus (see 'alliance init --help')"),
        (["admit"], "Missing argument 'request'. (see 'alliance admit --help')"),
        (["token", "create", "--role", "king"], "Invalid value for '--role': 'king' is not"),
        (["status", "--data-dir"], "Option '--data-dir' requires an argument"),
        (["frobnicate"], "No such command 'frobnicate'. (see 'alliance --help')"),
    ],
)
def test_a_usage_error_is_one_line_on_stderr_and_exit_2(args: list[str], expected: str) -> None:
    answer = run_cli(*args)
    assert answer.returncode == 2
    line = one_line(answer.stderr)
    assert line.startswith("alliance: ")
    assert expected in line
    assert answer.stdout == ""


@pytest.mark.parametrize("country", ["ZZ", "XX", "EU"])
def test_init_refuses_a_country_the_api_refuses_and_writes_nothing(
    tmp_path: Path, country: str
) -> None:
    data_dir = tmp_path / "node"
    answer = run_cli(
        "init", "--data-dir", str(data_dir), "--node", "zz-net", "--name", "Z", "--country", country
    )
    assert answer.returncode == 2
    assert f"unknown ISO 3166-1 alpha-2 country code '{country}'" in one_line(answer.stderr)
    assert not data_dir.exists()


def test_init_takes_a_lower_case_country_as_the_api_does(tmp_path: Path) -> None:
    args = ["--node", "ro-net", "--name", "R", "--country", "ro"]
    answer = run_cli("init", "--data-dir", str(tmp_path / "node"), *args)
    assert answer.returncode == 0, answer.stderr
    assert '"country": "RO"' in answer.stdout


def test_help_still_works() -> None:
    answer = run_cli("init", "--help")
    assert answer.returncode == 0
    assert "--country" in answer.stdout
