"""The news item's rules: sanitising, funding, what leaves the node, translations and
reading in one's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.news.domain import (
    DomainError,
    NewsItem,
    NewsItemDraft,
    TranslationDraft,
    funding_open,
    language_tag,
    reading,
)
from shared.contracts import news as contract

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def draft(**overrides: object) -> NewsItemDraft:
    fields: dict[str, object] = {
        "category": "network_news",
        "language": "ro",
        "title": "Clusterele la Hanovra",
        "body": "<p>Text</p>",
        "visibility": "alliance",
    }
    fields.update(overrides)
    return NewsItemDraft.model_validate(fields)


def item(**overrides: object) -> NewsItem:
    made, _ = NewsItem.draft("ro-1", "RO", draft(**overrides), NOW)
    made.collect_events()
    return made


def test_a_draft_stays_on_the_node_and_publishing_shares_it() -> None:
    made, removed = NewsItem.draft("ro-1", "RO", draft(), NOW)
    assert removed == []
    [drafted] = made.collect_events()
    assert isinstance(drafted.event, contract.NewsItemPublished) and drafted.shared is None
    made.publish(NOW)
    [published] = made.collect_events()
    assert isinstance(published.shared, contract.NewsItemPublished)
    assert published.shared.published_at == "2027-01-10T09:00:00Z"
    assert published.shared.country == "RO"


def test_a_node_only_item_never_leaves_and_restricting_one_withdraws_it() -> None:
    made = item(visibility="node")
    made.publish(NOW)
    assert made.collect_events()[0].shared is None
    shared = item()
    shared.publish(NOW)
    shared.collect_events()
    shared.revise(draft(visibility="node"), NOW)
    [change] = shared.collect_events()
    assert isinstance(change.shared, contract.NewsItemWithdrawn)
    assert change.shared.reason == "restricted"


def test_unsafe_html_is_removed_and_named() -> None:
    made, removed = NewsItem.draft(
        "ro-1", "RO", draft(body='<p onmouseover="x()">a<script>b()</script></p>'), NOW
    )
    assert made.body == "<p>a</p>"
    assert "<script>" in removed and any("onmouseover" in r for r in removed)


def test_funding_needs_its_deadline_and_other_categories_have_none() -> None:
    with pytest.raises(ValidationError, match="funding"):
        draft(category="funding_opportunity")
    with pytest.raises(ValidationError) as caught:
        draft(category="funding_opportunity", funding={"programme": "X", "url": "https://x.eu"})
    assert caught.value.errors()[0]["loc"] == ("funding", "deadline")
    with pytest.raises(ValidationError, match="only a funding opportunity"):
        draft(funding={"deadline": "2027-01-01", "programme": "X", "url": "https://x.eu"})


def test_a_past_deadline_is_closed_the_deadline_day_is_still_open() -> None:
    funding = contract.Funding(deadline="2027-03-31", programme="X", url="https://x.eu")
    assert funding_open(funding, date(2027, 3, 31))
    assert not funding_open(funding, date(2027, 4, 1))


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [("pt-br", "pt-BR"), ("RO", "ro"), ("sr-latn", "sr-Latn"), ("fr_FR", "fr-FR")],
)
def test_language_tags_are_bcp47_in_canonical_case(tag: str, canonical: str) -> None:
    assert language_tag(tag) == canonical


@pytest.mark.parametrize("tag", ["klingon", "xx-yy", "", "f", "en-"])
def test_unknown_language_tags_are_refused(tag: str) -> None:
    with pytest.raises(ValueError, match="BCP 47"):
        language_tag(tag)


def test_a_translation_never_changes_the_original_and_a_newer_one_replaces_it() -> None:
    made = item()
    made.add_translation(TranslationDraft(language="fr", title="Les clusters"), "fr", NOW)
    later = NOW + timedelta(hours=1)
    made.add_translation(TranslationDraft(language="fr", title="Les clusters (2)"), "be", later)
    assert made.title == "Clusterele la Hanovra" and made.language == "ro"
    [french] = made.translations
    assert french.title == "Les clusters (2)" and french.translator == "be"


@pytest.mark.parametrize("language", ["ro", "ro-RO"])
def test_a_translation_in_the_originals_language_is_refused(language: str) -> None:
    with pytest.raises(DomainError) as caught:
        item().add_translation(TranslationDraft(language=language, title="x"), "fr", NOW)
    assert caught.value.field == "language"


def test_a_reader_gets_their_language_else_the_original() -> None:
    made = item()
    made.add_translation(TranslationDraft(language="fr", title="Les clusters"), "fr", NOW)
    made.add_translation(TranslationDraft(language="pt-BR", title="Os clusters"), "pt", NOW)
    state = contract.NewsItemState.model_validate(
        {**made.model_dump(mode="json"), "updated_at": "2027-01-10T09:00:00Z"}
    )
    assert reading(state, ["fr-CA", "en"]).language == "fr"
    assert reading(state, ["pt-PT"]).language == "pt-BR"
    original = reading(state, ["de", "en"])
    assert original.language == "ro" and not original.is_translation
    assert reading(state, []).title == "Clusterele la Hanovra"
