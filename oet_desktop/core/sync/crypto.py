"""End-to-end sealing of practice details (transcripts, full reports): a key stretched from the candidate's sync
passphrase with Argon2id, and AES-256-GCM with the entity, its id and the change time as associated data, so the
server (which never sees the key) cannot read a sealed blob nor move it to another session unnoticed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from oet_desktop.core.storage.sync_store import canonical_time

KEY_BYTES = 32
NONCE_BYTES = 12
ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 65536
ARGON2_PARALLELISM = 1


class SealedError(Exception):
    """A sealed blob that does not open: another passphrase sealed it, or it was changed or moved."""


def derive_key(passphrase: str, salt: str) -> bytes:
    """The 256-bit sealing key for ``passphrase`` (Argon2id, 64 MiB, t=3, p=1); ``salt`` is the account id, so
    the same passphrase gives every computer of one account the same key, and other accounts another."""
    if not passphrase:
        raise ValueError("the passphrase is empty")
    salt_bytes = salt.encode()
    if len(salt_bytes) < 8:
        raise ValueError("the salt is shorter than 8 bytes")
    return hash_secret_raw(passphrase.encode(), salt_bytes, time_cost=ARGON2_TIME_COST,
                           memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM, hash_len=KEY_BYTES,
                           type=Type.ID)


def key_id(key: bytes) -> str:
    """A short public fingerprint of a sealing key (HMAC, so it reveals nothing about the key). It goes into the
    idempotency key of every sealed change, so details sealed again after a passphrase was corrected are new
    changes, not duplicates of the copies sealed with the wrong one."""
    return hmac.new(key, b"oet-desktop sealing key id", hashlib.sha256).hexdigest()[:8]


def sealing_aad(entity: str, entity_id: str, changed_at: str) -> str:
    """The associated data of a sealed change: what it is about and when it was made."""
    return f"{entity}|{entity_id}|{canonical_time(changed_at)}"


def _check_key(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise ValueError(f"a sealing key is {KEY_BYTES} bytes")
    return AESGCM(key)


def seal(key: bytes, plaintext: dict[str, Any], aad: str) -> str:
    """``plaintext`` as JSON, sealed with AES-256-GCM under a fresh random nonce: base64url(nonce ‖ ciphertext),
    without padding."""
    nonce = os.urandom(NONCE_BYTES)
    body = json.dumps(plaintext, ensure_ascii=False, separators=(",", ":")).encode()
    sealed = _check_key(key).encrypt(nonce, body, aad.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def open_sealed(key: bytes, blob: str, aad: str) -> dict[str, Any]:
    """The plaintext of a sealed blob; :class:`SealedError` when the key is not the one that sealed it, or the
    blob or its associated data were changed."""
    aead = _check_key(key)
    try:
        raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
    except (binascii.Error, ValueError) as error:
        raise SealedError("the sealed payload is not base64url") from error
    if len(raw) < NONCE_BYTES + 16:
        raise SealedError("the sealed payload is too short")
    try:
        body = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode())
    except InvalidTag:
        raise SealedError("the sealed payload does not open with this key (another passphrase, or changed)") \
            from None
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise SealedError("the sealed payload is not JSON") from error
    if not isinstance(value, dict):
        raise SealedError("the sealed payload is not a JSON object")
    return value
