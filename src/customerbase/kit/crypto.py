"""Field encryption (AES-256-GCM) and keyed blind indexes (HMAC-SHA256) for personal data.

One master secret (CUSTOMERBASE_SECRET_KEY) is stretched with HKDF into independent keys:
one encrypts, one computes blind indexes. Each ciphertext is bound (as associated data) to the
organization and the field it belongs to, so a value copied into another tenant's row or into
another column does not decrypt. A blind index is scoped to the organization too: the same
identity number in two organizations gives two unrelated index values.

Layout of a ciphertext: version (1 byte) | nonce (12 bytes) | AES-GCM ciphertext and tag.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12


class DecryptionError(Exception):
    """A ciphertext did not authenticate: wrong key, tenant or field, or tampering."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class Vault:
    """Encrypts, decrypts and blind-indexes personal data for one master secret."""

    def __init__(self, master_secret: str) -> None:
        if not master_secret:
            raise ValueError("the master secret must not be empty")
        self._master_secret = master_secret
        master = master_secret.encode()
        self._aead = AESGCM(_derive(master, b"customerbase/field-encryption/v1"))
        self._index_key = _derive(master, b"customerbase/blind-index/v1")
        self._signing_key = _derive(master, b"customerbase/signing/v1")
        self._wrap = AESGCM(_derive(master, b"customerbase/key-wrapping/v1"))

    def __reduce__(self) -> tuple[type[Vault], tuple[str]]:
        """Picklable, so that the bulk import can validate and encrypt in worker processes."""
        return (Vault, (self._master_secret,))

    @staticmethod
    def _aad(organization_id: uuid.UUID, field: str) -> bytes:
        return f"{organization_id}:{field}".encode()

    def encrypt(self, plaintext: str, *, organization_id: uuid.UUID, field: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), self._aad(organization_id, field))
        return _VERSION + nonce + sealed

    def decrypt(self, ciphertext: bytes, *, organization_id: uuid.UUID, field: str) -> str:
        if len(ciphertext) < 1 + _NONCE_BYTES + 16 or ciphertext[:1] != _VERSION:
            raise DecryptionError(f"malformed ciphertext for {field}")
        nonce = ciphertext[1 : 1 + _NONCE_BYTES]
        try:
            plain = self._aead.decrypt(
                nonce, ciphertext[1 + _NONCE_BYTES :], self._aad(organization_id, field)
            )
        except Exception as exc:  # cryptography raises InvalidTag
            raise DecryptionError(f"ciphertext for {field} did not authenticate") from exc
        return plain.decode()

    def wrap_key(self, key: bytes, *, organization_id: uuid.UUID, context: str) -> bytes:
        """`key` (a per-object data key) encrypted under the master's key-wrapping key, bound to
        the organization and to `context` (e.g. `document:<id>`): envelope encryption."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._wrap.encrypt(nonce, key, self._aad(organization_id, context))
        return _VERSION + nonce + sealed

    def unwrap_key(self, wrapped: bytes, *, organization_id: uuid.UUID, context: str) -> bytes:
        if len(wrapped) < 1 + _NONCE_BYTES + 16 or wrapped[:1] != _VERSION:
            raise DecryptionError(f"malformed wrapped key for {context}")
        nonce = wrapped[1 : 1 + _NONCE_BYTES]
        try:
            return self._wrap.decrypt(
                nonce, wrapped[1 + _NONCE_BYTES :], self._aad(organization_id, context)
            )
        except Exception as exc:  # cryptography raises InvalidTag
            raise DecryptionError(f"wrapped key for {context} did not authenticate") from exc

    def blind_index(self, value: str, *, organization_id: uuid.UUID, field: str) -> str:
        """A deterministic, keyed digest: equal values in one organization match, nothing leaks."""
        message = f"{organization_id}:{field}:{value}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    def sign(self, message: str) -> bytes:
        """HMAC-SHA256 of `message` under a key of its own (signed links, tokens)."""
        return hmac.new(self._signing_key, message.encode(), hashlib.sha256).digest()


def load_or_create_dev_secret(data_dir: Path) -> str:
    """The development master secret, generated once into the data folder (mode 0600)."""
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
