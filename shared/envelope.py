"""The CloudEvents-style envelope every domain event travels in, signed by its origin.

Rejections (each is a ``reason`` label on the dead-letter metric)::

    EnvelopeRejected
    ├── malformed        not JSON, or not an envelope
    ├── unknown_origin   no admitted key for the origin
    ├── bad_signature    signature missing or does not verify
    ├── origin_mismatch  envelope origin/subject disagree with the NATS subject
    └── schema_version   payload major version newer than ours
"""

from __future__ import annotations

import base64
import builtins
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.contracts.base import Contract, SchemaVersionError, check_schema_version
from shared.identity import NodeIdentity
from shared.ids import new_id
from shared.subjects import origin_of

TYPE_PREFIX = "eu.clustersalliance"
C = TypeVar("C", bound=Contract)


class EnvelopeRejected(Exception):
    """An inbound message that must never be applied; ``reason`` is a short metric label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes plus the alliance extensions."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str
    time: str
    datacontenttype: str = "application/json"
    data: dict[str, Any]
    origin: str
    aggregateid: str
    aggregateversion: int
    schemaversion: str
    signature: str = ""

    def canonical_bytes(self) -> bytes:
        """The signed form: sorted keys, no whitespace, everything but the signature."""
        return canonical_form(self.model_dump(mode="json"))

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    def payload(self, contract: builtins.type[C]) -> C:
        """The data as a contract; refuses newer major versions, ignores unknown fields."""
        try:
            check_schema_version(self.schemaversion, contract.SCHEMA_VERSION)
        except SchemaVersionError as exc:
            raise EnvelopeRejected("schema_version", str(exc)) from exc
        try:
            return contract.model_validate(self.data)
        except ValidationError as exc:
            raise EnvelopeRejected("invalid_payload", _first_error(exc)) from exc


def seal(
    identity: NodeIdentity,
    subject: str,
    payload: Contract,
    aggregate_id: str,
    aggregate_version: int,
) -> Envelope:
    """Wrap a contract in a signed envelope owned by this node."""
    parts = subject.split(".")
    unsigned = Envelope(
        id=new_id(identity.node),
        source=f"urn:alliance:{identity.node}:{parts[2] if len(parts) > 2 else ''}",
        type=f"{TYPE_PREFIX}.{'.'.join(parts[2:])}",
        subject=subject,
        time=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        data=payload.model_dump(mode="json"),
        origin=identity.node,
        aggregateid=aggregate_id,
        aggregateversion=aggregate_version,
        schemaversion=payload.schemaversion,
    )
    return unsigned.model_copy(update={"signature": identity.sign(unsigned.canonical_bytes())})


class KeyRing:
    """The public keys of admitted nodes: the only origins whose events we apply."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey] | None = None) -> None:
        self._keys: dict[str, Ed25519PublicKey] = dict(keys or {})

    def admit(self, origin: str, key: Ed25519PublicKey) -> None:
        self._keys[origin] = key

    def revoke(self, origin: str) -> None:
        self._keys.pop(origin, None)

    def origins(self) -> list[str]:
        return sorted(self._keys)

    def open(self, raw: bytes, nats_subject: str) -> Envelope:
        """Parse and verify one message, or raise EnvelopeRejected with the reason."""
        try:
            fields = json.loads(raw)
            envelope = Envelope.model_validate(fields)
        except ValueError as exc:  # JSON errors and pydantic's ValidationError
            detail = _first_error(exc) if isinstance(exc, ValidationError) else "not JSON"
            raise EnvelopeRejected("malformed", detail) from exc
        subject_origin = origin_of(nats_subject)
        if envelope.origin != subject_origin or envelope.subject != nats_subject:
            raise EnvelopeRejected(
                "origin_mismatch",
                f"origin {envelope.origin!r} / subject {envelope.subject!r} "
                f"sent on {nats_subject!r}",
            )
        key = self._keys.get(envelope.origin)
        if key is None:
            raise EnvelopeRejected("unknown_origin", f"no admitted key for {envelope.origin!r}")
        try:
            signature = base64.urlsafe_b64decode(
                envelope.signature + "=" * (-len(envelope.signature) % 4)
            )
            key.verify(signature, canonical_form(fields))
        except (InvalidSignature, ValueError) as exc:
            raise EnvelopeRejected(
                "bad_signature", f"event {envelope.id} is not signed by {envelope.origin}"
            ) from exc
        return envelope


def canonical_form(fields: dict[str, Any]) -> bytes:
    """What is signed: every attribute as sent but the signature, keys sorted, compact.

    Verifying the fields as received (not as our model re-serialises them) keeps
    signatures valid across envelope attributes added by newer versions.
    """
    body = {key: value for key, value in fields.items() if key != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "message"
    return f"{where}: {error['msg']}"
