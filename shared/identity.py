"""A node's identity: its id, name, country and Ed25519 key pair, kept in its data dir.

The private key never leaves the data dir (file mode 0600, like every file of the 0700
data dir); the public key is what the hub admits and what every other node verifies our
envelopes against.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.signing import SigningKey

from shared.files import private_dir, write_private
from shared.subjects import is_valid_node_id

IDENTITY_FILE = "node.json"
KEY_FILE = "node.key"
JOIN_REQUEST_FILE = "join-request.json"


class IdentityError(Exception):
    """The data dir has no usable identity (missing, unreadable or invalid)."""


@dataclass(frozen=True)
class NodeIdentity:
    """Who this node is, with the key that signs everything it publishes."""

    node: str
    name: str
    country: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def public_key_b64(self) -> str:
        return encode_public_key(self.public_key)

    def sign(self, payload: bytes) -> str:
        """Detached Ed25519 signature, base64url without padding."""
        signature = self._signing_key.sign(payload).signature
        return base64.urlsafe_b64encode(signature).rstrip(b"=").decode()

    @cached_property
    def _signing_key(self) -> SigningKey:
        # The same key for PyNaCl (libsodium), built on first use: Ed25519 is deterministic,
        # so its signatures are cryptography's byte for byte. cached_property stores it in
        # the instance __dict__, past the frozen dataclass's __setattr__; not a field, it
        # stays out of eq, hash and repr.
        return SigningKey(self.private_key.private_bytes_raw())

    def join_request(self) -> dict[str, str]:
        """What the hub needs to admit this node."""
        return {
            "node": self.node,
            "name": self.name,
            "country": self.country,
            "public_key": self.public_key_b64,
        }


def encode_public_key(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_public_key(text: str) -> Ed25519PublicKey:
    """Parse a base64url raw Ed25519 public key; ValueError when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return Ed25519PublicKey.from_public_bytes(raw)
    except Exception as exc:
        raise ValueError("not an Ed25519 public key") from exc


def has_identity(data_dir: Path) -> bool:
    return (data_dir / IDENTITY_FILE).is_file() and (data_dir / KEY_FILE).is_file()


def create_identity(data_dir: Path, node: str, name: str, country: str) -> NodeIdentity:
    """Create a key pair and identity file; refuses to overwrite an existing identity."""
    if not is_valid_node_id(node):
        raise IdentityError(
            f"invalid node id {node!r}: use 2-32 lower-case letters, digits or dashes, "
            "starting with a letter"
        )
    if len(country) != 2 or not country.isalpha():
        raise IdentityError(f"invalid country {country!r}: use an ISO 3166-1 alpha-2 code")
    if has_identity(data_dir):
        raise IdentityError(f"{data_dir} already holds a node identity")
    private_dir(data_dir)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(data_dir / KEY_FILE, pem)
    identity = NodeIdentity(node=node, name=name, country=country.upper(), private_key=key)
    write_private(data_dir / IDENTITY_FILE, json.dumps(identity.join_request(), indent=2) + "\n")
    return identity


def write_join_request(data_dir: Path, identity: NodeIdentity, site_url: str | None = None) -> Path:
    """Keep the join request beside the identity, for the operator to send to the hub.

    ``site_url``: where the network's public site is, for the hub portal to link to.
    """
    path = data_dir / JOIN_REQUEST_FILE
    request = {**identity.join_request(), **({"site_url": site_url} if site_url else {})}
    write_private(path, json.dumps(request, indent=2) + "\n")
    return path


def load_identity(data_dir: Path) -> NodeIdentity:
    """Read the identity written by ``alliance init``."""
    if not has_identity(data_dir):
        raise IdentityError(f"{data_dir} has no node identity; run 'alliance init' first")
    try:
        info = json.loads((data_dir / IDENTITY_FILE).read_text())
        key = serialization.load_pem_private_key((data_dir / KEY_FILE).read_bytes(), None)
    except (OSError, ValueError) as exc:
        raise IdentityError(f"cannot read the node identity in {data_dir}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise IdentityError(f"{data_dir / KEY_FILE} is not an Ed25519 private key")
    return NodeIdentity(
        node=info["node"], name=info["name"], country=info["country"], private_key=key
    )
