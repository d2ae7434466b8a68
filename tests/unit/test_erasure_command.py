"""``alliance erase-contact``: which services it asks, where, and how it fails.

Every installed service that keeps a person's name or e-mail declares it, and the
command must reach each of them in both layouts: one process (its run file names the
services it hosts) or one container per service (``--url NAME=URL``). A service it cannot
reach is one line naming it, never a silent gap. Real files and a real closed port.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alliance.erasure import erase_contact, erasing_services, service_urls, summary
from shared.runtime import RuntimeFailure, free_port, write_run_info

KEEPING = ["events", "matching", "membership"]


def test_every_service_keeping_people_declares_its_erasure() -> None:
    assert erasing_services() == KEEPING  # news and the portal keep no person


def test_one_process_hosts_them_all_at_its_url(tmp_path: Path) -> None:
    write_run_info(tmp_path, http_url="http://127.0.0.1:8080", services=[*KEEPING, "news"])
    assert service_urls(tmp_path, [], KEEPING) == dict.fromkeys(KEEPING, "http://127.0.0.1:8080")


def test_compose_names_each_container_and_needs_no_run_file(tmp_path: Path) -> None:
    urls = [f"{name}=http://127.0.0.1:808{i}/" for i, name in enumerate(KEEPING)]
    assert service_urls(tmp_path, urls, KEEPING) == {
        "events": "http://127.0.0.1:8080",
        "matching": "http://127.0.0.1:8081",
        "membership": "http://127.0.0.1:8082",
    }


def test_a_service_neither_hosted_nor_named_is_a_failure(tmp_path: Path) -> None:
    write_run_info(tmp_path, http_url="http://127.0.0.1:8081", services=["membership"])
    with pytest.raises(RuntimeFailure, match="does not run events, matching: give --url"):
        service_urls(tmp_path, [], KEEPING)
    named = ["events=http://127.0.0.1:8082", "matching=http://127.0.0.1:8084"]
    assert service_urls(tmp_path, named, KEEPING)["membership"] == "http://127.0.0.1:8081"


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        ("events", "give NAME=URL"),
        ("events=127.0.0.1:8082", "give NAME=URL"),
        ("news=http://127.0.0.1:8083", "'news' keeps no personal data"),
    ],
)
def test_a_bad_url_option_says_why(tmp_path: Path, option: str, reason: str) -> None:
    with pytest.raises(RuntimeFailure, match=reason):
        service_urls(tmp_path, [option], KEEPING)


def test_an_unreachable_service_is_named(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    urls = [f"{name}={closed}" for name in KEEPING]
    with pytest.raises(RuntimeFailure, match=f"cannot reach the events service at {closed}"):
        erase_contact(tmp_path, "ana@example.org", "a-token", urls)


def test_no_token_no_erasure(tmp_path: Path) -> None:
    with pytest.raises(RuntimeFailure, match="needs an editor or admin token"):
        erase_contact(tmp_path, "ana@example.org", None)


def test_the_summary_counts_per_service() -> None:
    erased = {
        "events": {"inquiries_sent": ["a"], "attendees": []},
        "membership": {"organizations": ["o1", "o2"]},
    }
    assert summary("ana@example.org", erased) == (
        "erased ana@example.org: events 1 inquiries_sent, 0 attendees; membership 2 organizations"
    )
