"""The calendar's demo data: valid request bodies whatever the day, and the founding examples."""

from __future__ import annotations

from datetime import date

import pytest

from services.events.domain import EventDraft, EventKind
from services.events.sample_data import NODES, events

DAYS = [date(2026, 12, 3), date(2027, 3, 28), date(2027, 10, 31), date(2028, 2, 29)]


@pytest.mark.parametrize("today", DAYS)
def test_every_sample_event_is_a_valid_draft_in_the_future(today: date) -> None:
    for node in NODES:
        samples = events(node, today)
        assert len(samples) >= 2
        for sample in samples:
            draft = EventDraft.model_validate(sample.body)
            assert draft.start.date() > today


def test_the_founding_networks_own_the_events_the_issue_names() -> None:
    today = DAYS[0]
    drafts = {
        node: [EventDraft.model_validate(s.body) for s in events(node, today)] for node in NODES
    }
    assert any(
        d.kind is EventKind.BROKERAGE and d.venue and d.venue.city == "București"
        for d in drafts["ro-clustero"]
    )
    assert any(
        d.kind is EventKind.WEBINAR and d.online_url and d.timezone == "Europe/Paris"
        for d in drafts["fr-franceclusters"]
    )
    series = [d for d in drafts["es-fenaeic"] if d.recurrence]
    assert series and series[0].venue and series[0].venue.city == "Madrid"
    assert events("lv-clusters", today) == []
