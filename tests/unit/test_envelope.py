"""Envelope sealing and verification: what a consumer must refuse, and why."""

from __future__ import annotations

import base64
import json
import math
import random
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared import envelope as envelope_module
from shared.contracts.base import Contract
from shared.envelope import (
    Envelope,
    EnvelopeRejected,
    KeyRing,
    _reference_canonical_form,
    canonical_form,
    seal,
)
from shared.identity import NodeIdentity, create_identity, load_identity

SUBJECT = "alliance.ro.membership.organization.o1"
TYPE = "eu.clustersalliance.membership.organization.registered"


class Sample(Contract):
    SCHEMA_VERSION = "1.2"
    id: str
    name: str


@pytest.fixture
def ro(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "ro", "ro", "CLUSTERO", "RO")


@pytest.fixture
def fr(tmp_path: Path) -> NodeIdentity:
    return create_identity(tmp_path / "fr", "fr", "France Clusters", "FR")


def sealed(identity: NodeIdentity, subject: str = SUBJECT, name: str = "Acme") -> Envelope:
    return seal(
        identity,
        subject=subject,
        type=TYPE,
        payload=Sample(id="o1", name=name),
        aggregate_id="o1",
        aggregate_version=3,
    )


def test_sealed_envelope_opens_with_the_origin_key(ro: NodeIdentity) -> None:
    envelope = sealed(ro)
    opened = KeyRing({"ro": ro.public_key}).open(envelope.to_bytes(), SUBJECT)
    assert opened.id.startswith("ro-")
    assert opened.aggregateversion == 3
    assert opened.payload(Sample).name == "Acme"
    assert opened.specversion == "1.0" and opened.type == TYPE
    assert opened.schemaversion == "1.2" and "schemaversion" not in opened.data


def test_ids_are_unique_and_sortable(ro: NodeIdentity) -> None:
    ids = [sealed(ro).id for _ in range(200)]
    assert len(set(ids)) == 200
    assert ids == sorted(ids)


def test_tampered_data_fails_verification(ro: NodeIdentity) -> None:
    body = json.loads(sealed(ro).to_bytes())
    body["data"]["name"] = "Evil"
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(json.dumps(body).encode(), SUBJECT)
    assert rejected.value.reason == "bad_signature"


def test_signature_of_another_node_is_refused(ro: NodeIdentity, fr: NodeIdentity) -> None:
    forged = sealed(fr, name="x")
    body = json.loads(forged.to_bytes())
    body["origin"] = "ro"  # fr pretends to be ro
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key, "fr": fr.public_key}).open(json.dumps(body).encode(), SUBJECT)
    assert rejected.value.reason == "bad_signature"


def test_unsigned_envelope_is_refused(ro: NodeIdentity) -> None:
    body = json.loads(sealed(ro).to_bytes())
    body["signature"] = ""
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(json.dumps(body).encode(), SUBJECT)
    assert rejected.value.reason == "bad_signature"


def test_unknown_origin_is_refused(ro: NodeIdentity) -> None:
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({}).open(sealed(ro).to_bytes(), SUBJECT)
    assert rejected.value.reason == "unknown_origin"


def test_origin_must_match_the_subject_it_travels_on(ro: NodeIdentity) -> None:
    other = "alliance.fr.membership.organization.o1"
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(sealed(ro).to_bytes(), other)
    assert rejected.value.reason == "origin_mismatch"


@pytest.mark.parametrize("raw", [b"not json{", b"{}", b'{"id": 1}', b"[]"])
def test_malformed_messages_are_refused(ro: NodeIdentity, raw: bytes) -> None:
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(raw, SUBJECT)
    assert rejected.value.reason == "malformed"


def test_newer_minor_version_is_read_and_newer_major_refused(ro: NodeIdentity) -> None:
    envelope = sealed(ro)
    minor = envelope.model_copy(update={"schemaversion": "1.9", "data": {**envelope.data, "x": 1}})
    assert minor.payload(Sample).name == "Acme"
    major = envelope.model_copy(update={"schemaversion": "2.0"})
    with pytest.raises(EnvelopeRejected) as rejected:
        major.payload(Sample)
    assert rejected.value.reason == "schema_version"


def test_identity_round_trips_and_key_file_is_private(tmp_path: Path) -> None:
    created = create_identity(tmp_path / "n", "lt-klaster", "Klaster.LT", "lt")
    loaded = load_identity(tmp_path / "n")
    assert loaded.public_key_b64 == created.public_key_b64
    assert loaded.country == "LT"
    assert (tmp_path / "n" / "node.key").stat().st_mode & 0o777 == 0o600


# --- Canonical form: orjson where it writes the standard library's bytes, else the latter ---

REALISTIC_DATA: dict[str, Any] = {
    "id": "ro-01JD7ZQK5X8Y2M3N4P5Q6R7S8T",
    "legal_name": "Ştiinţă şi Inovare Tehnologică S.R.L.",
    "vat": "RO12345678",
    "country": "RO",
    "city": "Timişoara",
    "website": "https://stiinta-inovare.ro",
    "nace_codes": ["62.01", "72.19"],
    "needs": "Parteneri în Győr și Lyon — „Industrie 4.0”",
    "visibility": "alliance",
    "contacts": [
        {"name": "Ioana Pârvulescu", "email": "ioana@stiinta-inovare.ro", "role": "CEO"},
        {"name": "Zoltán Kőváry", "email": "zoltan@stiinta-inovare.ro", "role": None},
    ],
    "updated_at": "2026-12-01T10:15:30.123456Z",
}


def signed(identity: NodeIdentity, data: dict[str, Any], subject: str = SUBJECT) -> Envelope:
    """An envelope built and signed without seal(): canonical bytes and signature only."""
    unsigned = Envelope(
        id=f"{identity.node}-01JD7ZQK5Y0000000000000000",
        source=f"urn:alliance:{identity.node}:membership",
        type="eu.clustersalliance.membership.organization.registered",
        subject=subject,
        time="2026-12-01T10:15:30.123456Z",
        data=data,
        origin=identity.node,
        aggregateid="o1",
        aggregateversion=1,
        schemaversion="1.2",
    )
    return unsigned.model_copy(update={"signature": identity.sign(unsigned.canonical_bytes())})


def outcome(form: Callable[[dict[str, Any]], bytes], fields: dict[str, Any]) -> object:
    """The bytes, or the type of the exception: both forms must fail alike, too."""
    try:
        return form(fields)
    except Exception as exc:
        return type(exc)


def assert_same_as_reference(fields: dict[str, Any]) -> None:
    assert outcome(canonical_form, fields) == outcome(_reference_canonical_form, fields), fields


class Colour(Enum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


class Kind(StrEnum):
    CLUSTER = "cluster"


class Text(str):
    pass


def nested_dicts(depth: int) -> dict[str, Any]:
    top: dict[str, Any] = {}
    inner = top
    for _ in range(depth):
        inner["k"] = {}
        inner = inner["k"]
    return top


def nested_lists(depth: int) -> list[Any]:
    top: list[Any] = []
    inner = top
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return top


CYCLIC: list[Any] = []
CYCLIC.append(CYCLIC)

TRICKY: list[Any] = [
    # floats: orjson writes 1e-05 as 0.00001, 1e-07 as 1e-7, NaN and infinities as null
    *(1e-05, 1e-07, 1.5e-10, 1e-4, 1e15, 1e16, 1e22, 0.1, 2.5, 1.0, 100.0, -0.0, 0.0),
    *(1.5e300, 5e-324, 1.7976931348623157e308, 123456789012345680.0, -1e-05),
    *(math.nan, math.inf, -math.inf, [1e-05], {"x": [{"y": 1e-07}]}),
    # ints: orjson refuses those outside [-2**63, 2**64 - 1]
    *(0, -1, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1),
    *(10**30, -(10**30), True, False, None),
    # strings: escapes, control characters, line separators, non-ASCII, astral, surrogates
    *("", "\x00", "".join(map(chr, range(0x20))), "\x7f", "\x80\x85\x9f\xa0", "\u2028\u2029"),
    *("\ufeff\ufffe\uffff", "Ş ő é ü ß ñ ø å", "Ştiinţă şi Inovare", "Zoltán Kőváry"),
    *("😀👍🏽🇷🇴", "\U00010000\U0010ffff", "/", "\\", '"', "</script>", "\\u0000", "\\ud800"),
    *("\ud800", "\udfff", "a\udc00b", "\ud83d\ude00", "\t\n\r\b\f"),
    # containers and keys: sort order by code point (not UTF-16), non-str keys, nesting
    *([], {}, [[]], [{}], (1, "two"), {"b": 1, "a": 2, "A": 3, "": 4, "é": 5}),
    {"\uffff": 1, "\U00010000": 2, "\ue000": 3, "\x00": 4, "\x1f": 5, "~": 6, "\x7f": 7},
    *({1: "int key"}, {1: 2, "b": 3}, {None: 1}, {True: 1}, {2.5: 1}, {"\ud800": 1}),
    *(nested_dicts(100), nested_dicts(300), nested_lists(253), nested_lists(300), CYCLIC),
    # what the standard library refuses or writes as its base type
    *(Colour.RED, Level.HIGH, Kind.CLUSTER, Text("sub"), {Text("k"): 1}, Decimal("1.1")),
    *(UUID(int=1), datetime(2026, 12, 1, tzinfo=UTC), b"bytes", {1, 2}, object()),
    REALISTIC_DATA,
]


# ids by type and position: a repr with an address would differ between test workers
@pytest.mark.parametrize(
    "value", TRICKY, ids=[f"{i}:{type(v).__name__}" for i, v in enumerate(TRICKY)]
)
def test_canonical_form_is_the_reference_form_on_tricky_values(value: Any) -> None:
    assert_same_as_reference({"v": value, "signature": "ignored"})
    assert_same_as_reference({"data": {"list": [value, "Ş"], "z": value}, "a": 1})


def test_canonical_form_is_the_reference_form_for_every_code_point() -> None:
    code_points = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for start in range(0, len(code_points), 128):
        text = "".join(map(chr, code_points[start : start + 128]))
        assert_same_as_reference({"v": text, text: [text[::-1]]})
    for surrogate in range(0xD800, 0xE000):
        assert_same_as_reference({"v": f"a{chr(surrogate)}b"})


def random_text(rng: random.Random) -> str:
    chars = []
    for _ in range(rng.choice((0, 1, 2, 3, 8, 20, 60))):
        pick = rng.random()
        if pick < 0.3:
            chars.append(chr(rng.randrange(0x20, 0x7F)))
        elif pick < 0.45:
            chars.append(rng.choice('\x00\x01\x08\t\n\x0c\r\x1b\x1f\x7f"\\/\u2028\u2029'))
        elif pick < 0.75:
            code = rng.randrange(0x80, 0x10000)
            chars.append(chr(code if not 0xD800 <= code < 0xE000 else code + 0x800))
        else:
            chars.append(chr(rng.randrange(0x10000, 0x110000)))
    if rng.random() < 0.003:  # now and then a lone surrogate: both forms must refuse it
        chars.insert(rng.randrange(len(chars) + 1), chr(rng.randrange(0xD800, 0xE000)))
    return "".join(chars)


def random_float(rng: random.Random) -> float:
    pick = rng.random()
    if pick < 0.3:
        return rng.uniform(-1e6, 1e6)
    if pick < 0.6:
        return rng.choice((1, -1)) * 10 ** rng.uniform(-30, 30)
    if pick < 0.9:  # any double, NaN and infinities included
        return float(struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0])
    return rng.choice((0.0, -0.0, 1.0, 0.1, 1e-05, 1e16, math.nan, math.inf, -math.inf))


def random_int(rng: random.Random) -> int:
    bits = rng.choice((3, 8, 31, 53, 63, 64, 65, 100))
    return rng.randrange(-(2**bits), 2**bits)


def random_json(rng: random.Random, depth: int, floats: bool) -> Any:
    pick = rng.random()
    if depth > 0 and pick < 0.2:
        return [random_json(rng, depth - 1, floats) for _ in range(rng.randrange(6))]
    if depth > 0 and pick < 0.4:
        return {
            random_text(rng): random_json(rng, depth - 1, floats) for _ in range(rng.randrange(6))
        }
    scalars: list[Callable[[], Any]] = [
        lambda: random_text(rng),
        lambda: random_text(rng),
        lambda: random_int(rng),
        lambda: rng.choice((True, False, None)),
    ]
    if floats:
        scalars.append(lambda: random_float(rng))
    return rng.choice(scalars)()


def test_canonical_form_is_the_reference_form_on_random_json() -> None:
    rng = random.Random(20261201)
    for n in range(3000):
        floats = n % 3 == 0  # two thirds without floats, for orjson's path
        fields = {random_text(rng): random_json(rng, 4, floats) for _ in range(rng.randrange(1, 9))}
        fields["data"] = random_json(rng, 5, floats)
        if n % 2:
            fields["signature"] = random_text(rng)
        assert_same_as_reference(fields)


def test_plain_json_takes_orjsons_path_and_floats_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []

    def reference(fields: dict[str, Any]) -> bytes:
        calls.append(fields)
        return _reference_canonical_form(fields)

    monkeypatch.setattr(envelope_module, "_reference_canonical_form", reference)
    realistic = {"id": "ro-1", "data": REALISTIC_DATA, "aggregateversion": 3, "signature": "s"}
    assert canonical_form(realistic) == _reference_canonical_form(realistic)
    assert calls == []
    for slow in ({"v": 0.5}, {"v": [{"w": math.nan}]}, {"v": 2**64}, {"v": "\ud800"}):
        calls.clear()
        assert outcome(canonical_form, slow) == outcome(_reference_canonical_form, slow)
        assert len(calls) == 1


# --- Signing and verifying with PyNaCl: the same signatures, the same rejections ---


def test_pynacl_signatures_are_cryptographys_byte_for_byte(ro: NodeIdentity) -> None:
    rng = random.Random(7)
    messages = [b"", b"x", signed(ro, REALISTIC_DATA).canonical_bytes()]
    messages += [rng.randbytes(rng.randrange(1, 3000)) for _ in range(50)]
    for message in messages:
        ours = base64.urlsafe_b64decode(ro.sign(message) + "==")
        assert ours == ro.private_key.sign(message)
        ro.public_key.verify(ours, message)  # cryptography accepts what PyNaCl signed
    assert ro._signing_key is ro._signing_key  # built once per identity
    assert ro == NodeIdentity(ro.node, ro.name, ro.country, ro.private_key)


def test_envelopes_signed_the_old_way_open_and_new_ones_verify_the_old_way(
    ro: NodeIdentity,
) -> None:
    data = {**REALISTIC_DATA, "ratio": 1e-05, "tiny": 1e-07, "big": 2**70, "ctl": "\x00\x7f"}
    envelope = signed(ro, data)
    fields = json.loads(envelope.to_bytes())
    reference = _reference_canonical_form(fields)
    ro.public_key.verify(base64.urlsafe_b64decode(envelope.signature + "=="), reference)
    old_signature = base64.urlsafe_b64encode(ro.private_key.sign(reference)).rstrip(b"=")
    fields["signature"] = old_signature.decode()
    opened = KeyRing({"ro": ro.public_key}).open(json.dumps(fields).encode(), SUBJECT)
    assert opened.data["legal_name"] == "Ştiinţă şi Inovare Tehnologică S.R.L."
    assert opened.data["ratio"] == 1e-05


@pytest.mark.parametrize(
    "signature",
    [
        base64.urlsafe_b64encode(bytes(63)).decode(),
        base64.urlsafe_b64encode(bytes(65)).decode().rstrip("="),
        base64.urlsafe_b64encode(bytes(32)).decode(),
        base64.urlsafe_b64encode(bytes(64)).decode().rstrip("="),
        "!!!!",
        "ab",
        "Ş" * 86,
    ],
    ids=[
        "63-bytes",
        "65-bytes",
        "32-bytes",
        "64-zero-bytes",
        "not-base64",
        "truncated",
        "non-ascii",
    ],
)
def test_malformed_or_wrong_length_signature_is_a_bad_signature(
    ro: NodeIdentity, signature: str
) -> None:
    body = json.loads(signed(ro, REALISTIC_DATA).to_bytes())
    body["signature"] = signature
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(json.dumps(body).encode(), SUBJECT)
    assert rejected.value.reason == "bad_signature"
    assert rejected.value.detail == f"event {body['id']} is not signed by ro"


def test_a_flipped_signature_bit_is_a_bad_signature(ro: NodeIdentity) -> None:
    body = json.loads(signed(ro, REALISTIC_DATA).to_bytes())
    raw = bytearray(base64.urlsafe_b64decode(body["signature"] + "=="))
    raw[10] ^= 1
    body["signature"] = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(json.dumps(body).encode(), SUBJECT)
    assert rejected.value.reason == "bad_signature"


def test_lone_surrogate_in_received_data_is_a_bad_signature(ro: NodeIdentity) -> None:
    body = json.loads(signed(ro, REALISTIC_DATA).to_bytes())
    body["data"]["legal_name"] = "\ud800"  # sent as the escape \ud800, not UTF-8 encodable
    with pytest.raises(EnvelopeRejected) as rejected:
        KeyRing({"ro": ro.public_key}).open(json.dumps(body).encode(), SUBJECT)
    assert rejected.value.reason == "bad_signature"


def test_a_small_order_key_admits_no_universal_forgery(ro: NodeIdentity) -> None:
    # With the identity point as public key, R = identity and S = 0 "verify" any message
    # under OpenSSL (cryptography); libsodium refuses small-order keys and R points.
    identity_point = bytes([1]) + bytes(31)
    ring = KeyRing({"ro": Ed25519PublicKey.from_public_bytes(identity_point)})
    body = json.loads(signed(ro, REALISTIC_DATA).to_bytes())
    body["signature"] = base64.urlsafe_b64encode(identity_point + bytes(32)).decode()
    with pytest.raises(EnvelopeRejected) as rejected:
        ring.open(json.dumps(body).encode(), SUBJECT)
    assert rejected.value.reason == "bad_signature"


def test_keyring_admits_revokes_and_lists_origins(ro: NodeIdentity, fr: NodeIdentity) -> None:
    ring = KeyRing({"ro": ro.public_key})
    ring.admit("fr", fr.public_key)
    assert ring.origins() == ["fr", "ro"]
    fr_subject = "alliance.fr.membership.organization.registered"
    assert ring.open(signed(fr, REALISTIC_DATA, fr_subject).to_bytes(), fr_subject).origin == "fr"
    assert ring.open(signed(ro, REALISTIC_DATA).to_bytes(), SUBJECT).origin == "ro"
    ring.revoke("fr")
    assert ring.origins() == ["ro"]
    with pytest.raises(EnvelopeRejected) as rejected:
        ring.open(signed(fr, REALISTIC_DATA, fr_subject).to_bytes(), fr_subject)
    assert rejected.value.reason == "unknown_origin"


def same_json_value(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 is not 1.0), NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json_value(a[k], b[k]) for k in a)
    return bool(a == b)


PARSE_EDGES = [
    b"1e400",
    b"-1e400",
    b"123456789012345678901234567890",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"18446744073709551615",
    b'"\\ud800"',
    b'{"a":"\\udfff"}',
    b"NaN",
    b"[Infinity,-Infinity]",
    b"-0",
    b"-0.0",
    b"4.9e-324",
    b"1e-400",
    b"0.1",
    b'{"a":1,"a":2}',
    b" [1] ",
    b"\xef\xbb\xbf[1]",
    b'"\\u0000\\u2028"',
    b'{"\xc3\xa9":[]}',
]


@pytest.mark.parametrize("raw", PARSE_EDGES)
def test_parse_json_reads_what_json_loads_reads(raw: bytes) -> None:
    try:
        expected = json.loads(raw)
    except ValueError:
        with pytest.raises(ValueError):
            envelope_module.parse_json(raw)
        return
    assert same_json_value(envelope_module.parse_json(raw), expected)


def test_parse_json_reads_random_json_as_json_loads_does() -> None:
    rng = random.Random(20261203)
    for n in range(3000):
        value = random_json(rng, 5, floats=n % 2 == 0)
        for ascii_only in (True, False):
            try:
                raw = json.dumps(value, ensure_ascii=ascii_only).encode()
            except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8: only as \\u escape
                continue
            assert same_json_value(envelope_module.parse_json(raw), json.loads(raw)), raw[:80]
