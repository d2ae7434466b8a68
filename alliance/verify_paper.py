"""``alliance verify-paper FILE``: check a downloaded position paper offline.

Anyone holding the JSON of a paper (``GET /api/news/papers/{origin}/{id}``, the
"Download" link of its page) can check, without a node or a network connection, that its
text is the one hashed and that each signatory signed that hash: the rules are
``shared/paper_signatures.py``'s, the same a node uses. With ``--keys`` the keys
must also be the ones a trusted registry lists (the hub's ``GET /api/hub/nodes``, or a
``{"node id": "public key"}`` object such as a node's ``peers.json``); without it a
signature is checked against the key the paper states, which proves only that the paper
is self-consistent, and the output says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.paper_signatures import PaperCheck, PaperDocument, check_paper
from shared.runtime import RuntimeFailure


def read_json(path: Path, what: str) -> Any:
    """The parsed file, or one clear line (``RuntimeFailure``: exit 2)."""
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise RuntimeFailure(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise RuntimeFailure(f"{what} {path} is not JSON: {exc}") from exc


def load_paper(path: Path) -> PaperDocument:
    """The paper a file holds; a file that is not one is refused with the field."""
    data = read_json(path, "paper")
    try:
        return PaperDocument.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "paper"
        raise RuntimeFailure(f"{path} is not a position paper: {where}: {error['msg']}") from exc


def load_keys(path: Path) -> dict[str, str]:
    """Node id → public key from a registry file: the hub's node list (active nodes
    only) or a plain mapping."""
    data = read_json(path, "registry")
    if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        return {str(node): key for node, key in data.items()}
    if isinstance(data, list) and all(
        isinstance(entry, dict)
        and isinstance(entry.get("node"), str)
        and isinstance(entry.get("public_key"), str)
        for entry in data
    ):
        return {
            entry["node"]: entry["public_key"]
            for entry in data
            if entry.get("active", True) and not entry.get("removed_at")
        }
    raise RuntimeFailure(
        f"registry {path} is neither the hub's node list (GET /api/hub/nodes) nor an "
        'object {"node id": "public key"}'
    )


def report(check: PaperCheck, trusted: bool) -> list[str]:
    """One line per signatory, after one line on the hash."""
    hash_line = (
        f"hash {check.computed_hash}: matches the text"
        if check.hash_matches
        else f"hash {check.stated_hash}: WRONG, the text hashes to {check.computed_hash}"
    )
    lines = [hash_line]
    if not check.signatures:
        lines.append("no signatories")
    for entry in check.signatures:
        verdict = "OK  " if entry.verified else "FAIL"
        why = entry.reason
        if entry.verified and not trusted:
            why = "verified against the key the paper states (no --keys given)"
        lines.append(f"{verdict} {entry.node} ({entry.name}): {why}")
    return lines


def verify_paper(path: Path, keys: Path | None) -> tuple[bool, list[str]]:
    """Check the paper in ``path``: whether it verifies, and the lines to print."""
    paper = load_paper(path)
    trusted = load_keys(keys) if keys is not None else None
    check = check_paper(paper, trusted)
    return check.verified, report(check, trusted is not None)
