"""What a co-signature of a position paper is, defined once: hashed bytes, signed bytes,
signing and verifying, and a published paper as a reader is shown it. The news service
(owner and signers, its API's ``verified``), the hub's portal (which may not import the
news service) and the offline check ``alliance verify-paper`` all use these functions, so
they cannot disagree.

- **Hashed bytes**: the canonical JSON of ``{id, owner, language, title, text}`` (keys
  sorted, no whitespace, UTF-8, non-ASCII as is: ``json.dumps(sort_keys=True,
  separators=(",", ":"), ensure_ascii=False)``). The id and owner are in it, so a
  signature of one paper can never be shown under another with the same text.
- **Hash**: ``"sha256:" + hex(SHA-256(hashed bytes))``.
- **Signed bytes**: ``"eu.clustersalliance.news.position-paper/1\\n" + hash`` in UTF-8;
  the prefix keeps a paper signature from ever being valid as a signature of anything
  else a node signs (envelopes are JSON objects).
- **Signature**: Ed25519 by the signing node's key (``NodeIdentity.sign``), base64url
  without padding, like every signature in the alliance.

A signature is *verified* for a reader when the hash recomputed from the text equals the
stated one, the signature verifies over it, and the key is the one the reader trusts for
that node (its registry, or ``--keys``); without a trusted key it is only *self-consistent*
(the key shown in the paper verifies it) and reported as such, never as verified.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from pydantic import BaseModel, ConfigDict

from shared.envelope import KeyRing
from shared.feeds import Network
from shared.identity import NodeIdentity

SIGNING_CONTEXT = "eu.clustersalliance.news.position-paper/1"
HASH_PREFIX = "sha256:"


def canonical_bytes(paper_id: str, owner: str, language: str, title: str, text: str) -> bytes:
    """The bytes a paper's hash is taken of (module docstring)."""
    fields = {"id": paper_id, "owner": owner, "language": language, "title": title, "text": text}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def paper_hash(paper_id: str, owner: str, language: str, title: str, text: str) -> str:
    """``sha256:<hex>`` of the canonical bytes: what every co-signer signs."""
    digest = hashlib.sha256(canonical_bytes(paper_id, owner, language, title, text))
    return HASH_PREFIX + digest.hexdigest()


def signed_message(digest: str) -> bytes:
    """The bytes a signature is made over: the context line, then the hash."""
    return f"{SIGNING_CONTEXT}\n{digest}".encode()


def sign(identity: NodeIdentity, digest: str) -> str:
    """This node's signature of a paper hash (base64url, no padding)."""
    return identity.sign(signed_message(digest))


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verifies(public_key: str, digest: str, signature: str) -> bool:
    """Whether ``signature`` is ``public_key``'s signature of ``digest``; False for a key
    or signature that is not even well-formed."""
    try:
        VerifyKey(_b64(public_key)).verify(signed_message(digest), _b64(signature))
    except (BadSignatureError, ValueError, TypeError):  # bad base64, wrong lengths
        return False
    return True


class SignatureDocument(BaseModel):
    """One signatory as a downloaded paper states it (extra fields such as a reader's
    ``verified`` are ignored: the checker computes its own)."""

    model_config = ConfigDict(extra="ignore")

    node: str
    name: str = ""
    public_key: str
    signature: str
    signed_at: str = ""


class PaperDocument(BaseModel):
    """The parts of a downloaded paper (``GET /api/news/papers/{origin}/{id}``) a check
    needs."""

    model_config = ConfigDict(extra="ignore")

    id: str
    owner: str
    language: str
    title: str
    text: str
    hash: str
    signatures: list[SignatureDocument]


@dataclass(frozen=True)
class SignatureCheck:
    """One signatory's verdict, with the reason when it fails."""

    node: str
    name: str
    verified: bool
    reason: str  # "verified", or why not


@dataclass(frozen=True)
class PaperCheck:
    """A whole paper's verdict: the hash, then each signature."""

    stated_hash: str
    computed_hash: str
    signatures: list[SignatureCheck]

    @property
    def hash_matches(self) -> bool:
        return self.stated_hash == self.computed_hash

    @property
    def verified(self) -> bool:
        """The text is the one hashed and every signature (at least one) verifies."""
        return (
            self.hash_matches and bool(self.signatures) and all(s.verified for s in self.signatures)
        )


def check_signature(
    entry: SignatureDocument, digest: str, trusted: Mapping[str, str] | None
) -> SignatureCheck:
    """Verify one signatory against the trusted key for its node (when ``trusted`` is
    given, a node it does not list, or a different key, fails)."""
    if trusted is not None:
        key = trusted.get(entry.node)
        if key is None:
            return SignatureCheck(entry.node, entry.name, False, "node not in the trusted keys")
        if key != entry.public_key:
            return SignatureCheck(entry.node, entry.name, False, "key is not the trusted one")
    if not verifies(entry.public_key, digest, entry.signature):
        return SignatureCheck(entry.node, entry.name, False, "signature does not verify")
    return SignatureCheck(entry.node, entry.name, True, "verified")


def check_paper(paper: PaperDocument, trusted: Mapping[str, str] | None = None) -> PaperCheck:
    """Recompute the hash from the text and verify every signature over it."""
    computed = paper_hash(paper.id, paper.owner, paper.language, paper.title, paper.text)
    checks = [check_signature(entry, computed, trusted) for entry in paper.signatures]
    if computed != paper.hash:  # a signature of the stated hash says nothing of this text
        checks = [
            SignatureCheck(c.node, c.name, False, "the text is not the one signed") for c in checks
        ]
    return PaperCheck(paper.hash, computed, checks)


def reader_view(doc: Mapping[str, Any], keyring: KeyRing) -> dict[str, Any]:
    """A published paper's replica (``data``: the ``PositionPaperPublished`` event) with
    the reader's verdicts: each signature checked against the key the reader's own
    registry holds for its node (none: not verified). The JSON is what
    ``alliance verify-paper`` reads back, on a node's API and on the hub's alike."""
    data = doc["data"]
    paper = PaperDocument.model_validate(data)
    trusted = {s.node: key for s in paper.signatures if (key := keyring.public_key(s.node))}
    check = check_paper(paper, trusted)
    signatures = [
        {**entry.model_dump(), "verified": verdict.verified, "verification": verdict.reason}
        for entry, verdict in zip(paper.signatures, check.signatures, strict=True)
    ]
    return {
        **data,
        "origin": doc["origin"],
        "hash_matches": check.hash_matches,
        "verified": check.verified,
        "signatures": signatures,
    }


def summary_view(doc: Mapping[str, Any], known: Mapping[str, Network]) -> dict[str, Any]:
    """A published paper in a list: who owns it, in which language, who signed, when;
    the owner and the signatories under the names the reader's registry knows (a paper
    states its signatories' names itself, and may call them anything)."""
    data = doc["data"]
    owner = known.get(doc["origin"], Network(data["owner_name"]))
    return {
        "origin": doc["origin"],
        **{k: data[k] for k in ("id", "owner_name", "language", "title", "published_at")},
        "network": owner,
        "signatories": [_network(s, known).name for s in data["signatures"]],
    }


def named(view: dict[str, Any], known: Mapping[str, Network]) -> dict[str, Any]:
    """A paper (``reader_view``) whose owner and signatories carry the names the reader's
    registry knows, for its page."""
    signatures = [{**s, "network": _network(s, known)} for s in view["signatures"]]
    owner = known.get(view["owner"], Network(view["owner_name"]))
    return {**view, "network": owner, "signatures": signatures}


def _network(signature: Mapping[str, Any], known: Mapping[str, Network]) -> Network:
    """A signatory as the registry names it; as the paper does only if unknown."""
    node = signature["node"]
    return known.get(node) or Network(signature.get("name") or node)
