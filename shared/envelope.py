"""The CloudEvents-style envelope every domain event travels in, signed by its origin.

Rejections (each is a ``reason`` label on the dead-letter metric)::

    EnvelopeRejected
    ├── malformed        not JSON, or not an envelope
    ├── unknown_origin   no admitted key for the origin
    ├── bad_signature    signature missing or does not verify
    ├── origin_mismatch  envelope origin/subject disagree with the NATS subject
    ├── schema_version   payload major version newer than ours
    └── oversized        larger than MAX_EVENT_BYTES (checked by the consumer, unread)
"""

from __future__ import annotations

import base64
import builtins
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from pydantic import BaseModel, ConfigDict, ValidationError

from shared import subjects
from shared.contracts.base import Contract, SchemaVersionError, check_schema_version
from shared.errors import TooLarge
from shared.identity import NodeIdentity
from shared.ids import new_id
from shared.subjects import origin_of

C = TypeVar("C", bound=Contract)

# The largest envelope a node publishes or applies. Every stream an event crosses allows a
# little more (the headers each hop adds, shared/bus.py), and all of them far less than
# NATS's max_payload (1 MiB), so nothing a stream accepts can fail on a later hop.
MAX_EVENT_BYTES = 64 * 1024


class EnvelopeRejected(Exception):
    """An inbound message that must never be applied; ``reason`` is a short metric label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        # the envelope, when its signature and origin verified before it was refused
        self.opened: Envelope | None = None


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

    def publishable_bytes(self) -> bytes:
        """The body to publish; a change whose event would exceed the bus's limit is refused
        here, at commit, so that no node ever puts on the bus what others cannot carry."""
        body = self.to_bytes()
        if len(body) > MAX_EVENT_BYTES:
            raise TooLarge(
                f"this change makes a {self.type.rsplit('.', 2)[-2]} event of {len(body):,} "
                f"bytes; events are limited to {MAX_EVENT_BYTES:,} bytes: shorten its texts "
                "or lists",
                "body",
            )
        return body

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
    *,
    subject: str,
    type: str,
    payload: Contract,
    aggregate_id: str,
    aggregate_version: int,
) -> Envelope:
    """Wrap a contract in a signed envelope owned by this node.

    Services seal through their catalogue (``EventCatalogue.seal``), which gives the
    subject and type of an event class.
    """
    unsigned = Envelope(
        id=new_id(identity.node),
        source=f"urn:alliance:{identity.node}:{subjects.service_of(subject)}",
        type=type,
        subject=subject,
        time=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        data=payload.model_dump(mode="json"),
        origin=identity.node,
        aggregateid=aggregate_id,
        aggregateversion=aggregate_version,
        schemaversion=payload.SCHEMA_VERSION,
    )
    return unsigned.model_copy(update={"signature": identity.sign(unsigned.canonical_bytes())})


class KeyRing:
    """The public keys of admitted nodes: the only origins whose events we apply."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey] | None = None) -> None:
        self._keys: dict[str, VerifyKey] = {}
        for origin, key in (keys or {}).items():
            self.admit(origin, key)

    def admit(self, origin: str, key: Ed25519PublicKey) -> None:
        # Kept as a PyNaCl (libsodium) key, converted once: it verifies the same signatures
        # in half the time of cryptography's, and refuses small-order keys OpenSSL accepts.
        self._keys[origin] = VerifyKey(key.public_bytes_raw())

    def revoke(self, origin: str) -> None:
        self._keys.pop(origin, None)

    def origins(self) -> list[str]:
        return sorted(self._keys)

    def public_key(self, origin: str) -> str | None:
        """The admitted key of ``origin`` (base64url raw, as the registry writes it), or
        None: what a co-signature of a position paper is checked against."""
        key = self._keys.get(origin)
        return base64.urlsafe_b64encode(bytes(key)).rstrip(b"=").decode() if key else None

    def open(self, raw: bytes, nats_subject: str) -> Envelope:
        """Parse and verify one message, or raise EnvelopeRejected with the reason."""
        try:
            fields, exact = _parse_json(raw)
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
            key.verify(canonical_form(fields, exact=exact), signature)
        except (BadSignatureError, ValueError) as exc:  # ValueError: bad base64, wrong length
            raise EnvelopeRejected(
                "bad_signature", f"event {envelope.id} is not signed by {envelope.origin}"
            ) from exc
        return envelope


def parse_json(raw: bytes) -> Any:
    """``json.loads``, three times faster: orjson where it reads the same values.

    orjson refuses some bodies the standard library reads (NaN and infinities, lone
    surrogates, a byte order mark) and reads integers beyond 64 bits as floats; bodies it
    refuses, and any body that comes out holding a float, take the standard library's path,
    so every message parses exactly as ``json.loads`` would (our events carry no floats).
    """
    return _parse_json(raw)[0]


def _parse_json(raw: bytes) -> tuple[Any, bool]:
    """The parsed value, and whether it is known to hold only exact JSON types (no float)."""
    try:
        fast = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw), False
    if _only_exact_json_types({"": fast}):
        return fast, True
    return json.loads(raw), False


def canonical_form(fields: dict[str, Any], *, exact: bool = False) -> bytes:
    """What is signed: every attribute as sent but the signature, keys sorted, compact.

    Verifying the fields as received (not as our model re-serialises them) keeps
    signatures valid across envelope attributes added by newer versions.

    The bytes are those of ``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` (what every node has always signed). orjson writes the same bytes
    ten times faster for strings, ints, bools, null, lists and dicts, but not for floats
    (``1e-05`` becomes ``0.00001``, ``1e-07`` ``1e-7``, NaN and infinities ``null``) nor for
    anything the standard library refuses; those bodies take the standard library's path.
    ``exact``: the caller already knows the fields hold only those types (``_parse_json``
    said so), so they need not be walked again.
    """
    body = {key: value for key, value in fields.items() if key != "signature"}
    try:
        fast = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # ints beyond 64 bits, non-str keys, lone surrogates, cycles
        return _reference_canonical_form(body)
    # Checked after orjson, which refuses cycles and nesting deeper than 254: the walk ends.
    return fast if exact or _only_exact_json_types(body) else _reference_canonical_form(body)


def _reference_canonical_form(fields: dict[str, Any]) -> bytes:
    """The definition of the signed bytes; canonical_form must always equal it."""
    body = {key: value for key, value in fields.items() if key != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _only_exact_json_types(body: dict[str, Any]) -> bool:
    """Whether every value is exactly a str, int, bool, None, list or dict (no float)."""
    pending: list[dict[str, Any] | list[Any]] = [body]
    while pending:
        container = pending.pop()
        for value in container.values() if isinstance(container, dict) else container:
            kind = type(value)
            if kind is str or kind is int or kind is bool or value is None:
                continue
            if kind is dict or kind is list:
                pending.append(value)
                continue
            return False
    return True


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "message"
    return f"{where}: {error['msg']}"
