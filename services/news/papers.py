"""Joint position papers (Declaration §4): the ``PositionPaper`` aggregate and its
co-signing rules. Pure: no I/O; signatures are checked with the pure functions of
``paper_signatures``.

Who may do what (the routes enforce the first two with the node's staff session or an
editor token, ``papers_routes.py``):

- the **owner's staff** draft a paper (title, text, language), edit it, invite other
  member networks (by node id) to co-sign it, and publish it;
- an **invited network's staff** sign or decline, on their own node, the exact text they
  were sent (its hash); nobody can sign for another node, because a signature is made
  with the signing node's key and verified against that node's admitted key;
- **other nodes and the public** see a paper only once it is published, with its
  signatories; drafts and invitations never leave the owner and the invited nodes.

The rules:

- a change of the title, text or language makes a new *revision*: every signature
  collected so far is void and every invited network (signed, declined or still asked)
  is asked again with the new text and hash;
- a signature or a refusal is about one hash: one for a text that changed meanwhile is
  refused (``StaleText``), as is one from a network that was not invited, one that does
  not verify against the signer's admitted key, and anything after publication;
- publishing needs at least one co-signature of the current text (a *joint* paper); the
  owner signs the hash too when it publishes, so its signature comes first. Invitations
  still unanswered then are closed: the published paper lists only who signed. A
  published paper is final (no edit, no invitation, no signature).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.news.domain import Body, LanguageTag, Title
from shared import paper_signatures
from shared.aggregate import Aggregate
from shared.contracts.news_papers import PositionPaperPublished, Signature
from shared.errors import DomainError, Duplicate
from shared.instants import wire_time

MAX_TEXT = 15_000  # characters: the paper, its signatures and the envelope stay < 64 KiB
MAX_COSIGNERS = 30


PaperText = Annotated[
    Body, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
]


class PaperDraft(BaseModel):
    """What the owner's staff write: the text co-signers will sign, word for word."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    text: PaperText
    language: LanguageTag


class PaperStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class CoSignerStatus(StrEnum):
    ASKED = "asked"  # invited to sign the current revision, no answer yet
    SIGNED = "signed"
    DECLINED = "declined"


class RefusalReason(StrEnum):
    """Why the owner did not take a signature (``PaperSignatureRefused.reason``)."""

    STALE_TEXT = "stale_text"
    NOT_INVITED = "not_invited"
    BAD_SIGNATURE = "bad_signature"
    PUBLISHED = "published"


class SignatureRefused(DomainError):
    """A co-signer's answer the paper cannot take; ``code`` goes back to the signer."""

    code = RefusalReason.NOT_INVITED


class StaleText(SignatureRefused):
    """The answer is about a text that changed since: the hash is not the current one."""

    status = 409
    code = RefusalReason.STALE_TEXT


class NotInvited(SignatureRefused):
    status = 403
    code = RefusalReason.NOT_INVITED


class BadSignature(SignatureRefused):
    code = RefusalReason.BAD_SIGNATURE


class AlreadyPublished(SignatureRefused):
    """A published paper is final."""

    status = 409
    code = RefusalReason.PUBLISHED


class CoSigner(BaseModel):
    """An invited network and its answer to the current revision."""

    node: str
    status: CoSignerStatus = CoSignerStatus.ASKED
    asked_at: datetime
    answered_at: datetime | None = None
    signature: Signature | None = None


class PositionPaper(Aggregate):
    """A paper owned by this node, from draft to publication (rules: module docstring)."""

    owner: str
    owner_name: str
    title: str
    text: str
    language: str
    status: PaperStatus = PaperStatus.DRAFT
    revision: int = 1
    cosigners: list[CoSigner] = []
    owner_signature: Signature | None = None
    published_at: datetime | None = None

    @classmethod
    def draft(
        cls, paper_id: str, owner: str, owner_name: str, draft: PaperDraft, now: datetime
    ) -> PositionPaper:
        """A new draft; nothing is announced until it is published."""
        return cls(
            id=paper_id,
            version=1,
            updated_at=now,
            owner=owner,
            owner_name=owner_name,
            **draft.model_dump(),
        )

    @property
    def hash(self) -> str:
        """The hash of the current revision: what co-signers sign."""
        return paper_signatures.paper_hash(
            self.id, self.owner, self.language, self.title, self.text
        )

    @property
    def is_published(self) -> bool:
        return self.status is PaperStatus.PUBLISHED

    def cosigner(self, node: str) -> CoSigner | None:
        return next((c for c in self.cosigners if c.node == node), None)

    def signatures(self) -> list[Signature]:
        """The owner's signature (once published), then the co-signers', in signing order."""
        signed = [c.signature for c in self.cosigners if c.signature is not None]
        signed.sort(key=lambda s: s.signed_at)
        return [self.owner_signature, *signed] if self.owner_signature else signed

    def _unpublished(self) -> None:
        if self.is_published:
            raise AlreadyPublished("the paper is published: it cannot change any more", "status")

    def edit(self, draft: PaperDraft, now: datetime) -> list[str]:
        """Change the text; if it changed, void every answer and return whom to ask again."""
        self._unpublished()
        if (draft.title, draft.text, draft.language) == (self.title, self.text, self.language):
            return []
        self.bump(now)
        self.title, self.text, self.language = draft.title, draft.text, draft.language
        self.revision += 1
        for cosigner in self.cosigners:
            cosigner.status, cosigner.signature = CoSignerStatus.ASKED, None
            cosigner.asked_at, cosigner.answered_at = now, None
        return [c.node for c in self.cosigners]

    def invite(self, nodes: list[str], known: list[str], now: datetime) -> list[str]:
        """Add co-signers (admitted networks other than the owner, once each); returns
        them, to be sent the text."""
        self._unpublished()
        wanted = list(dict.fromkeys(nodes))
        strangers = [n for n in wanted if n in (self.owner, "hub") or n not in known]
        if strangers:
            raise DomainError(f"not a partner network: {', '.join(strangers)}", "cosigners")
        again = [n for n in wanted if self.cosigner(n) is not None]
        if again:
            raise Duplicate(f"invited already: {', '.join(again)}", "cosigners")
        if len(self.cosigners) + len(wanted) > MAX_COSIGNERS:
            raise DomainError(f"at most {MAX_COSIGNERS} co-signers", "cosigners")
        self.bump(now)
        self.cosigners.extend(CoSigner(node=n, asked_at=now) for n in wanted)
        return wanted

    def _answering(self, node: str, digest: str) -> CoSigner:
        """The invited co-signer answering the current text, or why its answer is refused."""
        if self.is_published:
            raise AlreadyPublished("the paper is published already", "hash")
        cosigner = self.cosigner(node)
        if cosigner is None:
            raise NotInvited(f"{node} is not invited to co-sign this paper", "node")
        if digest != self.hash:
            raise StaleText(
                f"the text changed since: {digest} is not the current {self.hash}", "hash"
            )
        return cosigner

    def sign(self, signature: Signature, digest: str, admitted_key: str, now: datetime) -> None:
        """Take a co-signature of ``digest``, made with the signer's admitted key."""
        cosigner = self._answering(signature.node, digest)
        if signature.public_key != admitted_key or not paper_signatures.verifies(
            admitted_key, digest, signature.signature
        ):
            raise BadSignature(
                f"not a signature of this text by {signature.node}'s admitted key", "signature"
            )
        self.bump(now)
        cosigner.status, cosigner.signature, cosigner.answered_at = (
            CoSignerStatus.SIGNED,
            signature,
            now,
        )

    def decline(self, node: str, digest: str, now: datetime) -> None:
        """An invited network will not sign this text."""
        cosigner = self._answering(node, digest)
        self.bump(now)
        cosigner.status, cosigner.signature, cosigner.answered_at = (
            CoSignerStatus.DECLINED,
            None,
            now,
        )

    def publish(self, owner_signature: Signature, now: datetime) -> None:
        """Publish with the signatories; needs one co-signature at least (module docstring)."""
        self._unpublished()
        if not any(c.signature for c in self.cosigners):
            raise DomainError(
                "a joint paper needs at least one co-signature of its current text",
                "cosigners",
            )
        if owner_signature.node != self.owner or not paper_signatures.verifies(
            owner_signature.public_key, self.hash, owner_signature.signature
        ):
            raise BadSignature("the owner's signature is not of the current text", "signature")
        self.bump(now)
        self.status, self.owner_signature, self.published_at = (
            PaperStatus.PUBLISHED,
            owner_signature,
            now,
        )
        state = self.published_state()
        self.record(state, state)  # public: the alliance channel carries it as it is

    def published_state(self) -> PositionPaperPublished:
        """The published paper as every node and the hub receive it."""
        assert self.published_at is not None
        return PositionPaperPublished(
            id=self.id,
            owner=self.owner,
            owner_name=self.owner_name,
            language=self.language,
            title=self.title,
            text=self.text,
            hash=self.hash,
            revision=self.revision,
            signatures=self.signatures(),
            published_at=wire_time(self.published_at),
        )
