"""The translation request's rules (services/news/translations.py), without I/O.

open → claimed → submitted → accepted, or sent back and submitted again; one claim at a
time, naming who holds it until when; a claim that lapses goes back to open; a
translation into the original's language is refused; each change announces the state.
The demo's texts are valid, and a service's demo parts join into one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.news import translations_sample
from services.news.domain import NewsItemDraft, TranslationDraft, same_language
from services.news.translations import (
    ClaimHeld,
    Conflict,
    RequestDraft,
    RequestStatus,
    SubmissionDraft,
    TranslationRequest,
    held_by_another,
)
from shared.contracts.news_translations import (
    TranslationRequestChanged,
    TranslationRequested,
    TranslationRequestState,
)
from shared.errors import DomainError
from shared.runtime import RuntimeFailure
from shared.service import SampleData, SeedClient

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
FRENCH = TranslationDraft(language="fr", title="Les clusters roumains", body="<p>Dix</p>")


def requested(language: str = "fr") -> TranslationRequest:
    request = TranslationRequest.open(
        "ro-R1", "ro-I1", "ro", RequestDraft(language=language, note="for the newsletter"), T0
    )
    request.collect_events()
    return request


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_open_claim_submit_accept_announces_each_state() -> None:
    request = TranslationRequest.open("ro-R1", "ro-I1", "ro", RequestDraft(language="fr"), T0)
    (first,) = request.collect_events()
    assert isinstance(first.event, TranslationRequested) and first.event == first.shared
    assert first.event.status == "open" and first.event.original_language == "ro"

    request.claim("fr", "ro", at(1), WEEK)
    assert request.status is RequestStatus.CLAIMED and request.claimed_until == at(1) + WEEK
    request.submit("fr", FRENCH, at(2))
    assert request.status is RequestStatus.SUBMITTED and request.submission is not None
    submission = request.accept(at(5))
    assert submission.translator == "fr" and submission.draft("fr").title == FRENCH.title
    assert request.status is RequestStatus.ACCEPTED and request.translator == "fr"
    assert request.time_to_translation == 5 * 3600
    changes = request.collect_events()
    assert [c.event.status for c in changes] == ["claimed", "submitted", "accepted"]  # type: ignore[attr-defined]
    assert all(isinstance(c.event, TranslationRequestChanged) for c in changes)
    assert [c.version for c in changes] == [2, 3, 4]
    # the submitted text stays with the owner: the state on the wire does not carry it
    assert "body" not in changes[1].event.model_dump() and not request.live


def test_a_translation_into_the_originals_language_is_refused_naming_language() -> None:
    for language in ("ro", "ro-RO"):
        with pytest.raises(DomainError) as refused:
            TranslationRequest.open("ro-R1", "ro-I1", "ro", RequestDraft(language=language), T0)
        assert refused.value.field == "language" and refused.value.status == 422


def test_an_unknown_language_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="BCP 47"):
        RequestDraft(language="klingon-xx")


def test_one_claim_at_a_time_naming_the_holder_and_until_when() -> None:
    request = requested()
    request.claim("fr", "ro", at(1), WEEK)
    with pytest.raises(ClaimHeld) as held:
        request.claim("es", "ro", at(2), WEEK)
    assert held.value.status == 409 and held.value.field == "claim"
    assert held.value.holder == "fr" and held.value.until == at(1) + WEEK
    assert "fr" in held.value.reason and "2027-03-08T10:00:00Z" in held.value.reason
    assert request.claimer == "fr" and request.version == 2  # nothing changed
    request.claim("fr", "ro", at(2), WEEK)  # the holder asking twice changes nothing
    assert request.version == 2 and request.claimed_until == at(1) + WEEK
    request.submit("fr", FRENCH, at(3))
    with pytest.raises(ClaimHeld):  # its submission waits for the owner: still held
        request.claim("es", "ro", at(4), WEEK)


def test_the_owner_cannot_claim_its_own_request() -> None:
    with pytest.raises(DomainError) as refused:
        requested().claim("ro", "ro", at(1), WEEK)
    assert refused.value.field == "claimer"


def test_a_lapsed_claim_goes_back_to_open_and_another_network_may_claim() -> None:
    request = requested()
    request.claim("fr", "ro", at(1), WEEK)
    assert not request.lapse(at(1) + WEEK - timedelta(seconds=1))
    request.claim("es", "ro", at(1) + WEEK, WEEK)  # the check on claim lapses fr's first
    assert request.claimer == "es"
    statuses = [c.event.status for c in request.collect_events()]  # type: ignore[attr-defined]
    assert statuses == ["claimed", "open", "claimed"]
    with pytest.raises(Conflict):  # fr's claim is gone: its submission is not taken
        request.submit("fr", FRENCH, at(1) + WEEK + timedelta(hours=1))


def test_a_submission_needs_a_claim_that_holds() -> None:
    request = requested()
    with pytest.raises(Conflict):
        request.submit("fr", FRENCH, at(1))
    request.claim("fr", "ro", at(1), WEEK)
    with pytest.raises(Conflict):
        request.submit("es", FRENCH, at(2))
    with pytest.raises(DomainError) as wrong:
        request.submit("fr", TranslationDraft(language="es", title="x"), at(2))
    assert wrong.value.field == "language"
    with pytest.raises(Conflict):  # the week is over: the claim lapsed
        request.submit("fr", FRENCH, at(1) + WEEK)
    assert request.status is RequestStatus.OPEN


def test_sent_back_with_a_reason_then_submitted_again_and_accepted() -> None:
    request = requested()
    request.claim("fr", "ro", at(1), WEEK)
    with pytest.raises(Conflict):
        request.accept(at(2))  # nothing submitted yet
    request.submit("fr", FRENCH, at(2))
    request.send_back("the summary is missing", at(3), WEEK)
    assert request.status is RequestStatus.RETURNED
    assert request.returned_reason == "the summary is missing"
    assert request.claimed_until == at(3) + WEEK  # time again to fix it
    with pytest.raises(ClaimHeld):
        request.claim("es", "ro", at(4), WEEK)
    request.submit("fr", FRENCH.model_copy(update={"summary": "Dix clusters"}), at(5))
    assert request.accept(at(6)).summary == "Dix clusters"


def test_a_returned_submission_lapses_like_a_claim() -> None:
    request = requested()
    request.claim("fr", "ro", at(1), WEEK)
    request.submit("fr", FRENCH, at(2))
    assert not request.lapse(at(2) + 2 * WEEK)  # submitted: the owner's turn, no lapse
    request.send_back("wrong register", at(3), WEEK)
    assert request.lapse(at(3) + WEEK) and request.status is RequestStatus.OPEN
    assert request.claimer is None and request.submission is None


def test_close_ends_a_live_request_but_not_an_accepted_one() -> None:
    request = requested()
    request.claim("fr", "ro", at(1), WEEK)
    request.close(at(2))
    assert request.status is RequestStatus.CLOSED and not request.live
    with pytest.raises(Conflict):
        request.claim("es", "ro", at(3), WEEK)
    with pytest.raises(Conflict):
        request.close(at(3))


def test_a_partner_sees_from_its_replica_who_holds_a_claim() -> None:
    request = requested()
    request.claim("fr", "ro", at(1), WEEK)
    state = TranslationRequestState.model_validate(request.state())
    held = held_by_another(state, "es", at(2))
    assert held is not None and held.holder == "fr" and held.until == at(1) + WEEK
    assert held_by_another(state, "fr", at(2)) is None  # its own claim
    assert held_by_another(state, "es", at(1) + WEEK) is None  # lapsed


def test_the_demo_translations_are_valid_bodies_in_other_languages() -> None:
    item = NewsItemDraft.model_validate(translations_sample.ITEM)
    for language, texts in translations_sample.TEXTS.items():
        assert not same_language(language, item.language)
        SubmissionDraft.model_validate(texts)
    assert set(translations_sample.TRANSLATORS.values()) == set(translations_sample.TEXTS)


class Recorder:
    """A demo client that answers nothing: the parts below never call it."""

    def call(self, method: str, path: str, body: Any = None) -> Any:
        raise AssertionError("not called")

    def every(self, path: str) -> list[dict[str, Any]]:
        raise AssertionError("not called")


def test_a_services_demo_parts_join_into_one() -> None:
    def failing(client: SeedClient, node: str) -> str:
        raise RuntimeFailure("the owner never answered")

    joined = SampleData.joined(
        SampleData(lambda c, n: 2, lambda c: {"ro": 1}, lambda c, n: f"signed on {n}"),
        SampleData(lambda c, n: 1, lambda c: {"ro": 2, "fr": 1}, failing),
        SampleData(lambda c, n: 0, lambda c: {}),
    )
    client = Recorder()
    assert joined.seed(client, "es") == 3
    assert joined.held(client) == {"ro": 3, "fr": 1}
    assert joined.with_partners is not None
    assert joined.with_partners(client, "fr") == ("signed on fr; skipped: the owner never answered")
