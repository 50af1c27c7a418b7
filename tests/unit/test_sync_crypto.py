"""Sealing practice details: the key from the sync passphrase (Argon2id with the documented parameters), AES-GCM
that opens only with that key, for that entity, id and change time, and the wire format's checks."""

from __future__ import annotations

import base64
import re

import pytest
from argon2.low_level import Type, hash_secret_raw

from oet_desktop.core.storage.sync_store import canonical_time
from oet_desktop.core.sync.crypto import (
    SealedError,
    derive_key,
    open_sealed,
    seal,
    sealing_aad,
)
from oet_desktop.core.sync.protocol import ProtocolError, PullPage, PushResult, WireChange

ACCOUNT = "0b7f2c1e-acc0-4f4e-9d7a-1c2d3e4f5a6b"
PASSPHRASE = "correct horse battery staple"
SEALED_BLOB = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
"""What the server accepts as a sealed payload (sync_server/schemas.py SealedBlob)."""
DETAIL = {"turns": [{"index": 0, "candidate_text": "Good morning, Mrs Okonkwo, I'm the ward nurse."}],
          "events": [], "models": {"stt": "whisper-tiny.en"}}


@pytest.fixture(scope="module")
def key() -> bytes:
    return derive_key(PASSPHRASE, ACCOUNT)


def test_the_key_is_argon2id_with_the_documented_parameters(key: bytes) -> None:
    expected = hash_secret_raw(PASSPHRASE.encode(), ACCOUNT.encode(), time_cost=3, memory_cost=65536,
                               parallelism=1, hash_len=32, type=Type.ID)
    assert key == expected
    # Pinned: a change of parameters would leave every computer unable to open what the others sealed.
    assert key.hex() == "7c8c77334026eeac81ea5f0e3d7c4b6a4db944ed6865f6c4ccf369044dd26b11"


def test_the_key_depends_on_passphrase_and_account(key: bytes) -> None:
    assert derive_key(PASSPHRASE + "!", ACCOUNT) != key
    assert derive_key(PASSPHRASE, ACCOUNT.replace("0b7f", "1b7f")) != key
    with pytest.raises(ValueError, match="empty"):
        derive_key("", ACCOUNT)
    with pytest.raises(ValueError, match="salt"):
        derive_key(PASSPHRASE, "short")


def test_sealing_round_trips_and_the_blob_is_what_the_server_accepts(key: bytes) -> None:
    aad = sealing_aad("session_detail", "20261201-091403-nursing", "2026-12-01T09:14:03.120+00:00")
    blob = seal(key, DETAIL, aad)
    assert SEALED_BLOB.match(blob)
    assert "=" not in blob
    raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
    assert len(raw) >= 12 + 16
    assert b"Okonkwo" not in raw
    assert open_sealed(key, blob, aad) == DETAIL
    assert seal(key, DETAIL, aad) != blob  # a fresh nonce each time


def test_a_wrong_key_another_entity_or_time_or_a_changed_blob_does_not_open(key: bytes) -> None:
    aad = sealing_aad("feedback_report", "s1", "2026-12-01T09:14:03.120Z")
    blob = seal(key, {"estimate": 350}, aad)
    with pytest.raises(SealedError, match="does not open"):
        open_sealed(derive_key("another passphrase", ACCOUNT), blob, aad)
    for moved in (sealing_aad("feedback_report", "s2", "2026-12-01T09:14:03.120Z"),
                  sealing_aad("session_detail", "s1", "2026-12-01T09:14:03.120Z"),
                  sealing_aad("feedback_report", "s1", "2026-12-01T09:14:03.121Z")):
        with pytest.raises(SealedError):
            open_sealed(key, blob, moved)
    raw = bytearray(base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4)))
    raw[20] ^= 1
    with pytest.raises(SealedError):
        open_sealed(key, base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("="), aad)
    for broken in ("", "AAAA", "not base64 at all!"):
        with pytest.raises(SealedError):
            open_sealed(key, broken, aad)
    with pytest.raises(ValueError, match="32 bytes"):
        seal(b"short", {}, aad)


def test_a_change_time_in_any_spelling_gives_the_same_associated_data() -> None:
    spellings = ["2026-12-01T09:14:03.120Z", "2026-12-01T09:14:03.120+00:00", "2026-12-01T09:14:03.120000+00:00",
                 "2026-12-01T10:14:03.120+01:00", "2026-12-01T09:14:03.120"]
    assert {canonical_time(s) for s in spellings} == {"2026-12-01T09:14:03.120+00:00"}
    assert len({sealing_aad("session", "x", s) for s in spellings}) == 1
    with pytest.raises(ValueError, match="isoformat"):
        canonical_time("yesterday")


def test_wire_changes_are_checked_both_ways() -> None:
    change = WireChange("k-0123456789", "session", "s1", "upsert", "2026-12-01T09:14:03.120+00:00", "client-abcdef",
                        data={"status": "finished"})
    pulled = WireChange.from_json({**change.to_json(), "seq": 7})
    assert pulled == WireChange(**{**change.__dict__, "seq": 7})
    assert "seq" not in change.to_json()
    for bad in ({**change.to_json(), "op": "merge"}, {**change.to_json(), "key": "short"},
                {**change.to_json(), "data": [1]}, {**change.to_json(), "seq": "7"}, {"key": "k-0123456789"},
                {**change.to_json(), "sealed": "abc", "data": {"x": 1}}, "not an object"):
        with pytest.raises(ProtocolError):
            WireChange.from_json(bad)
    page = PullPage.from_json({"changes": [{**change.to_json(), "seq": 1}], "cursor": "MTph", "more": False})
    assert page.cursor == "MTph"
    assert not page.more
    assert page.changes[0].seq == 1
    assert PushResult.from_json({"accepted": 1, "duplicates": 0}) == PushResult(1, 0)
    with pytest.raises(ProtocolError):
        PushResult.from_json({"accepted": True, "duplicates": 0})
    with pytest.raises(ProtocolError):
        PullPage.from_json({"changes": {}, "cursor": "", "more": False})
