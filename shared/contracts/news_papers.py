"""Wire contracts of joint position papers (Declaration §4): the published paper with its
signatories, and the direct messages that ask networks to co-sign it.

A paper is drafted by one network (its *owner*) and co-signed by others, each on its own
node, with that node's Ed25519 key over the paper's hash (``shared/paper_signatures.py``
defines the hashed and the signed bytes once). Drafts and invitations never go on the
alliance's streams:

- ``PaperInvited`` (owner → each invited network, direct): the exact text and its hash;
  sent again, with the new text and hash, after every change of the text;
- ``PaperSigned`` / ``PaperDeclined`` (invited network → owner, direct): the answer about
  one hash; a signature is over that hash, never over "the paper";
- ``PaperSignatureRefused`` (owner → signer, direct): the owner did not take a signature
  (the text changed meanwhile, the network was not invited, the signature does not verify
  against its admitted key, the paper is already published), with the reason;
- ``PositionPaperPublished`` (owner, event on the local and alliance channels, in the
  news ``CATALOGUE``): the published paper, its hash and its signatures, so that every
  node and the hub can show it and anyone can verify it.

A published paper is final: its text does not change any more, so its event is the only
one of its aggregate.
"""

from __future__ import annotations

from shared.contracts.base import Contract, Event


class Signature(Contract):
    """One network's signature of a paper's hash.

    ``public_key`` is the key the owner verified it with (the signer's key in the owner's
    registry); a reader verifies it again against the key *its* registry holds.
    """

    node: str  # the signing network's node id
    name: str  # the network's name, as its node calls itself
    public_key: str  # base64url raw Ed25519 public key
    signature: str  # base64url Ed25519 signature of paper_signatures.signed_message(hash)
    signed_at: str  # RFC 3339, UTC


class PositionPaperPublished(Event):
    """A position paper was published with its signatories (the owner's signature first)."""

    owner: str  # node id of the network that drafted it
    owner_name: str
    language: str  # BCP 47
    title: str
    text: str  # plain text, as signed
    hash: str  # "sha256:<hex>" of the canonical bytes of {id, owner, language, title, text}
    revision: int  # how many times the text was written (1: never changed)
    signatures: list[Signature]
    published_at: str  # RFC 3339, UTC


class PaperInvited(Event):
    """The owner asks the target network to co-sign this exact text (``id``: the paper)."""

    owner_name: str
    language: str
    title: str
    text: str
    hash: str
    revision: int
    invited_at: str  # RFC 3339, UTC


class PaperSigned(Event):
    """The target network's staff signed the text whose hash is ``hash``."""

    hash: str
    name: str
    public_key: str
    signature: str
    signed_at: str


class PaperDeclined(Event):
    """The target network's staff declined to co-sign the text whose hash is ``hash``."""

    hash: str
    declined_at: str


class PaperSignatureRefused(Event):
    """The owner did not take a signature of ``hash``; ``reason`` says why."""

    hash: str
    reason: str  # RefusalReason value
    detail: str


DIRECT: dict[type[Event], str] = {
    PaperInvited: "paper-invited",
    PaperSigned: "paper-signed",
    PaperDeclined: "paper-declined",
    PaperSignatureRefused: "paper-signature-refused",
}
"""The papers' direct messages: the news service's ``DirectCatalogue`` joins them."""
