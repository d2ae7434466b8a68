"""The co-signing rules of a position paper, as pure functions: invite, sign, decline, a
text change voids the signatures and asks again, stale or forged signatures are refused,
publishing needs a co-signature and is final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from services.news.papers import (
    AlreadyPublished,
    BadSignature,
    CoSignerStatus,
    NotInvited,
    PaperDraft,
    PaperStatus,
    PositionPaper,
    RefusalReason,
    StaleText,
)
from shared import paper_signatures as ps
from shared.contracts.news_papers import PositionPaperPublished, Signature
from shared.errors import DomainError, Duplicate
from shared.identity import NodeIdentity

NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
RO = NodeIdentity("ro-clustero", "CLUSTERO", "RO", Ed25519PrivateKey.generate())
FR = NodeIdentity("fr-clusters", "France Clusters", "FR", Ed25519PrivateKey.generate())
ES = NodeIdentity("es-clusters", "Clusters España", "ES", Ed25519PrivateKey.generate())
KNOWN = [RO.node, FR.node, ES.node]


def draft(**overrides: Any) -> PaperDraft:
    fields = {"title": "Cluster internationalisation", "text": "We recommend…", "language": "en"}
    return PaperDraft.model_validate({**fields, **overrides})


def paper() -> PositionPaper:
    made = PositionPaper.draft("ro-clustero-01JP", RO.node, RO.name, draft(), NOW)
    made.invite([FR.node, ES.node], KNOWN, NOW)
    return made


def signature(signer: NodeIdentity, digest: str, at: str = "2026-12-03T16:05:00Z") -> Signature:
    return Signature(
        node=signer.node,
        name=signer.name,
        public_key=signer.public_key_b64,
        signature=ps.sign(signer, digest),
        signed_at=at,
    )


def sign(target: PositionPaper, signer: NodeIdentity, digest: str | None = None) -> None:
    digest = digest or target.hash
    target.sign(signature(signer, digest), digest, signer.public_key_b64, NOW)


def test_a_draft_is_not_announced_and_its_hash_covers_id_owner_and_text() -> None:
    made = PositionPaper.draft("ro-clustero-01JP", RO.node, RO.name, draft(), NOW)
    assert made.status is PaperStatus.DRAFT and made.collect_events() == []
    assert made.hash == ps.paper_hash(
        made.id, RO.node, "en", "Cluster internationalisation", "We recommend…"
    )


def test_the_language_is_a_known_bcp47_tag_in_canonical_case() -> None:
    assert draft(language="pt-br").language == "pt-BR"
    with pytest.raises(ValidationError, match="language"):
        draft(language="klingon-xx")


def test_invited_networks_sign_the_current_hash() -> None:
    made = paper()
    sign(made, FR)
    fr = made.cosigner(FR.node)
    assert fr is not None and fr.status is CoSignerStatus.SIGNED
    assert made.cosigner(ES.node).status is CoSignerStatus.ASKED  # type: ignore[union-attr]
    assert [s.node for s in made.signatures()] == [FR.node]


def test_only_admitted_partners_may_be_invited_once_each() -> None:
    made = paper()
    with pytest.raises(Duplicate, match="fr-clusters"):
        made.invite([FR.node], KNOWN, NOW)
    for stranger in (RO.node, "hub", "de-nobody"):
        with pytest.raises(DomainError, match=stranger):
            made.invite([stranger], KNOWN, NOW)


def test_an_edit_voids_every_signature_and_asks_everyone_again() -> None:
    made = paper()
    sign(made, FR)
    made.decline(ES.node, made.hash, NOW)
    old = made.hash
    again = made.edit(draft(text="We recommend, amended."), NOW + timedelta(minutes=5))
    assert again == [FR.node, ES.node]
    assert made.revision == 2 and made.hash != old
    assert all(c.status is CoSignerStatus.ASKED and c.signature is None for c in made.cosigners)
    assert made.signatures() == []


def test_an_edit_that_changes_nothing_voids_nothing() -> None:
    made = paper()
    sign(made, FR)
    assert made.edit(draft(), NOW) == []
    assert made.revision == 1 and [s.node for s in made.signatures()] == [FR.node]


def test_a_signature_of_the_text_before_an_edit_is_refused_as_stale() -> None:
    made = paper()
    old = made.hash
    made.edit(draft(title="Cluster internationalisation (v2)"), NOW)
    with pytest.raises(StaleText) as refused:
        sign(made, FR, old)
    assert refused.value.status == 409 and refused.value.field == "hash"
    assert refused.value.code is RefusalReason.STALE_TEXT
    with pytest.raises(StaleText):
        made.decline(FR.node, old, NOW)


def test_a_network_that_was_not_invited_cannot_sign() -> None:
    outsider = NodeIdentity("de-clusters", "DE", "DE", Ed25519PrivateKey.generate())
    with pytest.raises(NotInvited) as refused:
        sign(paper(), outsider)
    assert refused.value.status == 403


def test_a_signature_by_another_key_than_the_admitted_one_is_refused() -> None:
    made = paper()
    forger = NodeIdentity(FR.node, FR.name, "FR", Ed25519PrivateKey.generate())
    forged = signature(forger, made.hash)
    with pytest.raises(BadSignature):  # signed with its own key, claimed as fr's
        made.sign(forged, made.hash, FR.public_key_b64, NOW)
    with pytest.raises(BadSignature):  # fr's key stated, but not fr's signature
        made.sign(
            forged.model_copy(update={"public_key": FR.public_key_b64}),
            made.hash,
            FR.public_key_b64,
            NOW,
        )
    assert made.cosigner(FR.node).status is CoSignerStatus.ASKED  # type: ignore[union-attr]


def test_publishing_needs_one_co_signature_of_the_current_text() -> None:
    made = paper()
    with pytest.raises(DomainError, match="at least one co-signature"):
        made.publish(signature(RO, made.hash), NOW)
    sign(made, FR)
    made.edit(draft(text="changed"), NOW)  # the signature is void again
    with pytest.raises(DomainError, match="at least one co-signature"):
        made.publish(signature(RO, made.hash), NOW)


def test_publishing_records_the_paper_with_the_owner_first_then_the_signers() -> None:
    made = paper()
    made.sign(signature(FR, made.hash, "2026-12-03T16:09:00Z"), made.hash, FR.public_key_b64, NOW)
    made.sign(signature(ES, made.hash, "2026-12-03T16:08:00Z"), made.hash, ES.public_key_b64, NOW)
    made.publish(signature(RO, made.hash), NOW)
    [recorded] = made.collect_events()
    assert isinstance(recorded.event, PositionPaperPublished)
    assert recorded.shared == recorded.event  # public: the alliance gets all of it
    state = recorded.event
    assert state.hash == made.hash and state.published_at == "2026-12-03T16:00:00Z"
    assert [s.node for s in state.signatures] == [RO.node, ES.node, FR.node]
    document = ps.PaperDocument.model_validate(state.model_dump(mode="json"))
    assert ps.check_paper(document, {i.node: i.public_key_b64 for i in (RO, FR, ES)}).verified


def test_the_owner_signature_must_be_its_own_of_the_current_text() -> None:
    made = paper()
    sign(made, FR)
    with pytest.raises(BadSignature):
        made.publish(signature(FR, made.hash), NOW)
    with pytest.raises(BadSignature):
        made.publish(signature(RO, ps.paper_hash("x", "y", "en", "t", "x")), NOW)


def test_a_published_paper_is_final() -> None:
    made = paper()
    sign(made, FR)
    made.publish(signature(RO, made.hash), NOW)
    with pytest.raises(AlreadyPublished):
        made.edit(draft(text="later"), NOW)
    with pytest.raises(AlreadyPublished):
        made.invite([ES.node], KNOWN, NOW)
    with pytest.raises(AlreadyPublished) as late:
        sign(made, ES)
    assert late.value.code is RefusalReason.PUBLISHED


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("text", "x" * 15_001), ("text", "a\x00b"), ("language", "")],
)
def test_a_draft_refuses_bad_input_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        draft(**{field: value})
    assert refused.value.errors()[0]["loc"] == (field,)


def test_the_demo_paper_is_a_valid_draft_owned_by_a_founding_network() -> None:
    from services.news import papers_sample

    made = draft(title=papers_sample.TITLE, text=papers_sample.TEXT)
    assert "internationalisation" in made.title and made.text == papers_sample.TEXT
    assert papers_sample.OWNER not in papers_sample.CO_SIGNERS
    assert len(papers_sample.CO_SIGNERS) == 2
