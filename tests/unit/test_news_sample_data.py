"""The news's demo data: valid request bodies whatever the day, in the networks'
languages, with an open funding call, and items about partners."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.demo import NETWORKS
from services.news.domain import Category, NewsItemDraft
from services.news.sample_data import NODES, items

DAYS = [date(2026, 12, 3), date(2027, 3, 28), date(2027, 12, 31), date(2028, 2, 29)]


def drafts(node: str, today: date) -> list[NewsItemDraft]:
    return [NewsItemDraft.model_validate(sample.body) for sample in items(node, today)]


def test_the_demo_networks_each_write_news() -> None:
    assert set(NODES) == {node for node, _name, _country in NETWORKS}
    assert items("lv-clusters", DAYS[0]) == []


@pytest.mark.parametrize("today", DAYS)
def test_every_sample_is_a_valid_draft_with_one_open_funding_call(today: date) -> None:
    every = [draft for node in NODES for draft in drafts(node, today)]
    deadlines = [d.funding.deadline for d in every if d.funding]
    assert len([day for day in deadlines if day > today]) == 1
    assert len([day for day in deadlines if day < today]) == 1


def test_the_samples_speak_the_networks_languages_and_name_partners() -> None:
    every = {node: drafts(node, DAYS[0]) for node in NODES}
    languages = {d.language for found in every.values() for d in found}
    assert languages == {"ro", "fr", "es", "en"}
    assert {d.language for d in every["ro-clustero"]} >= {"ro"}
    assert {d.language for d in every["fr-franceclusters"]} >= {"fr"}
    assert {d.language for d in every["es-fenaeic"]} >= {"es"}
    categories = {d.category for found in every.values() for d in found}
    assert len(categories) >= 6 and Category.FUNDING_OPPORTUNITY in categories
    for node, found in every.items():
        partners = {n for d in found for n in d.about_networks}
        assert partners and partners <= set(NODES) - {node}, node
