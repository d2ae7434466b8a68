"""``alliance verify-paper`` as a user runs it (the real command, in a process): one line
per signatory, exit 0 only when everything verifies, 1 when a signature fails, and one
clear line with exit 2 for a file that is not a paper."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared import paper_signatures as ps
from shared.identity import NodeIdentity

RO = NodeIdentity("ro-clustero", "CLUSTERO", "RO", Ed25519PrivateKey.generate())
FR = NodeIdentity("fr-clusters", "France Clusters", "FR", Ed25519PrivateKey.generate())
ALLIANCE = [sys.executable, "-c", "from alliance.cli import main; main()"]


def paper(*signers: NodeIdentity, text: str = "Nous recommandons…") -> dict[str, Any]:
    fields = {"id": "ro-clustero-01JP", "owner": RO.node, "language": "fr", "title": "T"}
    digest = ps.paper_hash(fields["id"], RO.node, "fr", "T", text)
    return {
        **fields,
        "text": text,
        "hash": digest,
        "signatures": [
            {
                "node": s.node,
                "name": s.name,
                "public_key": s.public_key_b64,
                "signature": ps.sign(s, digest),
                "signed_at": "2026-12-03T16:00:00Z",
                "verified": True,  # a reader's verdict: ignored, recomputed
            }
            for s in signers
        ],
    }


def run(tmp_path: Path, document: Any, *more: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "paper.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return subprocess.run(
        [*ALLIANCE, "verify-paper", str(path), *more],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def registry(tmp_path: Path, *nodes: NodeIdentity) -> str:
    path = tmp_path / "nodes.json"
    listing = [{"node": n.node, "public_key": n.public_key_b64, "active": True} for n in nodes]
    path.write_text(json.dumps(listing))
    return str(path)


def test_a_signed_paper_verifies_with_one_line_per_signatory(tmp_path: Path) -> None:
    done = run(tmp_path, paper(RO, FR), "--keys", registry(tmp_path, RO, FR))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("hash sha256:") and lines[0].endswith("matches the text")
    assert lines[1:] == [
        "OK   ro-clustero (CLUSTERO): verified",
        "OK   fr-clusters (France Clusters): verified",
    ]


def test_without_keys_it_says_the_keys_are_the_papers_own(tmp_path: Path) -> None:
    done = run(tmp_path, paper(RO, FR))
    assert done.returncode == 0
    assert "no --keys given" in done.stdout.splitlines()[1]


def test_a_changed_text_fails_every_signatory_with_exit_1(tmp_path: Path) -> None:
    document = paper(RO, FR)
    document["text"] += " Modifié."
    done = run(tmp_path, document)
    assert done.returncode == 1
    assert "WRONG" in done.stdout
    assert done.stdout.count("FAIL") == 2


def test_a_key_the_registry_does_not_hold_fails(tmp_path: Path) -> None:
    done = run(tmp_path, paper(RO, FR), "--keys", registry(tmp_path, RO))
    assert done.returncode == 1
    assert "FAIL fr-clusters (France Clusters): node not in the trusted keys" in done.stdout


def test_a_paper_without_signatories_does_not_verify(tmp_path: Path) -> None:
    done = run(tmp_path, paper())
    assert done.returncode == 1 and "no signatories" in done.stdout


def test_bad_input_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    cases = {
        "{not json": "is not JSON",
        json.dumps({"id": "x"}): "is not a position paper: owner: Field required",
    }
    for document, expected in cases.items():
        done = run(tmp_path, document)
        assert done.returncode == 2 and done.stdout == ""
        [line] = done.stderr.splitlines()
        assert line.startswith("alliance: ") and expected in line
    missing = subprocess.run(
        [*ALLIANCE, "verify-paper", str(tmp_path / "nowhere.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == [
        f"alliance: cannot read paper {tmp_path / 'nowhere.json'}: No such file or directory"
    ]
    bad_keys = run(tmp_path, paper(RO), "--keys", str(tmp_path / "paper.json"))
    assert bad_keys.returncode == 2 and "neither the hub's node list" in bad_keys.stderr
