"""Paper signatures as pure functions: the hashed bytes, signing, and what a reader or
``alliance verify-paper`` accepts — a forged, tampered or re-keyed paper never verifies."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared import paper_signatures as ps
from shared.identity import NodeIdentity


def identity(node: str) -> NodeIdentity:
    return NodeIdentity(node, node.upper(), "RO", Ed25519PrivateKey.generate())


RO, FR, ES = identity("ro-clustero"), identity("fr-clusters"), identity("es-clusters")
PAPER = {
    "id": "ro-clustero-01JPAPER",
    "owner": "ro-clustero",
    "language": "ro",
    "title": "Internaționalizarea clusterelor",
    "text": "Recomandăm ... «programe comune» 100 %",
}


def signed(paper: dict[str, Any], *signers: NodeIdentity) -> dict[str, Any]:
    digest = ps.paper_hash(**{"paper_id": paper["id"], **{k: paper[k] for k in PAPER if k != "id"}})
    return {
        **paper,
        "hash": digest,
        "signatures": [
            {
                "node": s.node,
                "name": s.name,
                "public_key": s.public_key_b64,
                "signature": ps.sign(s, digest),
                "signed_at": "2026-12-03T16:00:00Z",
            }
            for s in signers
        ],
    }


def trusted(*nodes: NodeIdentity) -> dict[str, str]:
    return {n.node: n.public_key_b64 for n in nodes}


def test_the_hash_is_sha256_of_the_canonical_json_with_non_ascii_kept() -> None:
    expected = (
        '{"id":"ro-clustero-01JPAPER","language":"ro","owner":"ro-clustero",'
        '"text":"Recomandăm ... «programe comune» 100 %",'
        '"title":"Internaționalizarea clusterelor"}'
    ).encode()
    raw = ps.canonical_bytes(
        PAPER["id"], PAPER["owner"], PAPER["language"], PAPER["title"], PAPER["text"]
    )
    assert raw == expected
    assert (
        ps.paper_hash(PAPER["id"], PAPER["owner"], PAPER["language"], PAPER["title"], PAPER["text"])
        == "sha256:" + hashlib.sha256(expected).hexdigest()
    )


def test_the_same_text_under_another_paper_id_has_another_hash() -> None:
    one = ps.paper_hash("a", "ro-clustero", "ro", "t", "x")
    assert one != ps.paper_hash("b", "ro-clustero", "ro", "t", "x")
    assert one != ps.paper_hash("a", "fr-clusters", "ro", "t", "x")


def test_a_paper_signed_by_three_networks_verifies_against_the_trusted_keys() -> None:
    check = ps.check_paper(
        ps.PaperDocument.model_validate(signed(PAPER, RO, FR, ES)), trusted(RO, FR, ES)
    )
    assert check.verified and check.hash_matches
    assert [(c.node, c.verified, c.reason) for c in check.signatures] == [
        ("ro-clustero", True, "verified"),
        ("fr-clusters", True, "verified"),
        ("es-clusters", True, "verified"),
    ]


def test_a_tampered_text_voids_every_signature() -> None:
    paper = signed(PAPER, RO, FR)
    paper["text"] += " (amended)"
    check = ps.check_paper(ps.PaperDocument.model_validate(paper), trusted(RO, FR))
    assert not check.hash_matches and not check.verified
    assert {c.reason for c in check.signatures} == {"the text is not the one signed"}


def test_a_tampered_text_with_a_recomputed_hash_fails_the_signatures() -> None:
    paper = signed(PAPER, RO, FR)
    paper["text"] += " (amended)"
    paper["hash"] = ps.paper_hash(
        paper["id"], paper["owner"], paper["language"], paper["title"], paper["text"]
    )
    check = ps.check_paper(ps.PaperDocument.model_validate(paper), trusted(RO, FR))
    assert check.hash_matches and not check.verified
    assert {c.reason for c in check.signatures} == {"signature does not verify"}


def test_a_forged_signature_by_another_key_under_a_networks_name_fails() -> None:
    forger = identity("fr-clusters")  # same node id, another key
    paper = signed(PAPER, RO, forger)
    check = ps.check_paper(ps.PaperDocument.model_validate(paper), trusted(RO, FR))
    assert [c.reason for c in check.signatures] == ["verified", "key is not the trusted one"]
    # without trusted keys it is self-consistent only: the key shown does verify it
    assert ps.check_paper(ps.PaperDocument.model_validate(paper)).verified


def test_a_signature_moved_onto_another_key_fails_without_trusted_keys_too() -> None:
    paper = signed(PAPER, RO, FR)
    paper["signatures"][1]["public_key"] = ES.public_key_b64
    check = ps.check_paper(ps.PaperDocument.model_validate(paper))
    assert [c.verified for c in check.signatures] == [True, False]


def test_a_node_the_trusted_keys_do_not_list_fails() -> None:
    check = ps.check_paper(ps.PaperDocument.model_validate(signed(PAPER, RO, ES)), trusted(RO))
    assert [c.reason for c in check.signatures] == ["verified", "node not in the trusted keys"]


def test_a_paper_without_signatures_is_not_verified() -> None:
    check = ps.check_paper(ps.PaperDocument.model_validate(signed(PAPER)))
    assert check.hash_matches and not check.verified


def test_garbage_keys_and_signatures_do_not_verify_and_do_not_raise() -> None:
    digest = ps.paper_hash("a", "b", "ro", "t", "x")
    assert not ps.verifies("not base64!", digest, "AAAA")
    assert not ps.verifies(RO.public_key_b64, digest, "AAAA")
    assert ps.verifies(RO.public_key_b64, digest, ps.sign(RO, digest))


def test_a_paper_signature_is_not_a_signature_of_the_bare_hash() -> None:
    """The context line keeps a paper signature from meaning anything else."""
    digest = ps.paper_hash("a", "b", "ro", "t", "x")
    bare = RO.sign(digest.encode())
    assert not ps.verifies(RO.public_key_b64, digest, bare)


def test_the_key_ring_gives_an_admitted_key_as_the_registry_writes_it() -> None:
    from shared.envelope import KeyRing

    ring = KeyRing({RO.node: RO.public_key})
    assert ring.public_key(RO.node) == RO.public_key_b64
    assert ring.public_key(FR.node) is None
