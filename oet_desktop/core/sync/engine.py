"""The sync engine: push this computer's outbox, pull the other computers' changes and merge them.

Nothing is lost if the program stops anywhere: outbox rows are deleted only after the server has answered the
push that carried them (a push sent again is deduplicated by key), and the pull cursor moves on only after the
page it ends has been applied (applying a change twice changes nothing). Practice details (transcripts, full
reports) are sealed before they leave and opened after they arrive, with the key from the sync passphrase; without
the key they stay on this computer, and pulled ones stay sealed (skipped)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from oet_desktop.core.storage.repository import ProfileRepository, utc_now
from oet_desktop.core.storage.sync_store import ApplyResult, OutboxChange, RemoteChange, canonical_time
from oet_desktop.core.sync.client import AccountClient, AccountRefused, ResyncRequired
from oet_desktop.core.sync.crypto import SealedError, key_id, open_sealed, seal, sealing_aad
from oet_desktop.core.sync.protocol import ENTITIES, MAX_PUSH, SEALED_ENTITIES, PullPage, WireChange

log = logging.getLogger(__name__)
T = TypeVar("T")

PUSH_BATCH = 200
"""Outbox rows read (and sent) at a time."""
PULL_PAGE = 500
MAX_PUSH_BYTES = 3 * 1024 * 1024
"""A push stays under this (the server takes 4 MiB); sealed transcripts can be large."""
_ONE_SYNC = threading.Lock()
"""One sync at a time in this process (the window's timer and its button, say): two would only repeat work, and a
slower one could set the cursor back."""


class StorageCall(Protocol):
    """How the engine runs a repository function: on the storage thread (``StorageThread.call``)."""

    def __call__(self, work: Callable[[ProfileRepository], T], /) -> T: ...


class SyncClient(Protocol):
    """What the engine needs of :class:`AccountClient`."""

    def push(self, changes: list[WireChange]) -> Any: ...

    def pull(self, cursor: str, limit: int) -> PullPage: ...


@dataclass(frozen=True)
class SyncReport:
    """What one sync did."""

    pushed: int
    """Changes sent (including ones the server already had)."""
    pulled: int
    """Changes received (this computer's own come back too)."""
    applied: int
    """Received changes that changed something here."""
    resynced: bool
    """The server's log did not fit this computer's cursor: everything was pulled and pushed again."""
    pending_after: int
    """Outbox rows still waiting (changes made while syncing)."""
    skipped: int = 0
    """Received changes that were older than what is here, or of a kind this version does not know."""
    sealed_unopened: int = 0
    """Received practice details that did not open with this computer's key (or there is none)."""
    details_not_sent: int = 0
    """Practice details kept on this computer because no sync passphrase is set here."""
    own_returned: int = 0
    """Received changes that were this computer's own (every change comes back once in a pull)."""
    set_aside: int = 0
    """Changes the server refused outright (e.g. too large): kept on this computer, no longer sent, so one bad
    change never stops the rest from syncing."""

    def summary(self) -> str:
        """One line for the candidate."""
        parts = [f"Sent {self.pushed} change(s); received {self.pulled - self.own_returned} from other computers, "
                 f"{self.applied} applied here."]
        if self.resynced:
            parts.append("The server's record was rebuilt from this computer's data.")
        if self.sealed_unopened:
            parts.append(f"{self.sealed_unopened} practice detail(s) from another computer stay sealed: set the "
                         "same sync passphrase here to open them.")
        if self.details_not_sent:
            parts.append(f"{self.details_not_sent} practice detail(s) were not sent: no sync passphrase is set on "
                         "this computer.")
        if self.set_aside:
            parts.append(f"{self.set_aside} change(s) the server refused (see the log) stay on this computer only.")
        if self.pending_after:
            parts.append(f"{self.pending_after} change(s) made meanwhile wait for the next sync.")
        return " ".join(parts)


@dataclass
class _Counts:
    pushed: int = 0
    pulled: int = 0
    applied: int = 0
    skipped: int = 0
    sealed_unopened: int = 0
    details_not_sent: int = 0
    own_returned: int = 0
    resynced: bool = False
    requeued: int = 0
    set_aside: int = 0


class SyncEngine:
    """Syncs one profile through ``client``. ``storage_call`` runs repository functions on the storage thread;
    ``passphrase_key`` seals and opens practice details (None: they are neither sent nor opened)."""

    def __init__(self, client: AccountClient | SyncClient, storage_call: StorageCall,
                 passphrase_key: bytes | None = None, *, push_batch: int = PUSH_BATCH, pull_page: int = PULL_PAGE,
                 now: Callable[[], str] = utc_now) -> None:
        self._client = client
        self._call = storage_call
        self._key = passphrase_key
        self._push_batch = push_batch
        self._pull_page = pull_page
        self._now = now

    def sync_once(self) -> SyncReport:
        """Push everything waiting, then pull and merge everything new (one sync at a time in this process)."""
        with _ONE_SYNC:
            counts = _Counts()
            client_id = self._call(lambda repo: repo.sync_client_id())
            try:
                self._push_all(client_id, counts)
                self._pull_all(client_id, counts)
            except ResyncRequired:
                log.warning("the server's sync log does not fit this computer's cursor: pulling and pushing "
                            "everything again")
                counts.resynced = True
                counts.requeued = self._call(lambda repo: repo.requeue_all(restart_pull=True))
                self._push_all(client_id, counts)
                self._pull_all(client_id, counts)
            at = self._now()
            self._call(lambda repo: repo.mark_synced(at))
            pending = self._call(lambda repo: repo.sync_status()).pending
        report = SyncReport(counts.pushed, counts.pulled, counts.applied, counts.resynced, pending, counts.skipped,
                            counts.sealed_unopened, counts.details_not_sent, counts.own_returned, counts.set_aside)
        log.info("synced: %s", report)
        return report

    # --- push -------------------------------------------------------------------------------------------
    def _push_all(self, client_id: str, counts: _Counts) -> None:
        batch_size = self._push_batch
        previous: frozenset[tuple[int, str]] = frozenset()
        while True:
            batch = self._call(lambda repo: repo.outbox_batch(batch_size))
            if not batch:
                return
            sent = frozenset((change.seq, change.key) for change in batch)
            if sent == previous:  # rows that were sent but not dropped: stop rather than loop
                raise RuntimeError("the outbox gave the same changes again after they were sent")
            previous = sent
            groups: dict[int, list[WireChange]] = {}
            for change in batch:
                wire = self._wire(change, client_id, counts)
                groups.setdefault(change.seq, [])
                if wire is not None:
                    groups[change.seq].append(wire)
            for chunk_seqs, _ in _chunks(groups):
                self._push_chunk(chunk_seqs, groups, counts)

    def _push_chunk(self, seqs: list[int], groups: dict[int, list[WireChange]], counts: _Counts) -> None:
        """Pushes the rows ``seqs`` and drops them once answered. A push the server refuses as invalid (422) is
        halved until the refused row is found; that row is set aside (kept here, logged, not sent again)."""
        chunk = [change for seq in seqs for change in groups[seq]]
        if chunk:
            try:
                result = self._client.push(chunk)
            except AccountRefused as error:
                if error.status != 422:
                    raise
                if len(seqs) == 1:
                    log.error("the server refused outbox row %s (%s): %s; kept here, not sent again", seqs[0],
                              ", ".join(f"{c.entity} {c.entity_id}" for c in chunk), error)
                    counts.set_aside += 1
                    self._drop(seqs)
                    return
                half = len(seqs) // 2
                self._push_chunk(seqs[:half], groups, counts)
                self._push_chunk(seqs[half:], groups, counts)
                return
            if result.accepted + result.duplicates != len(chunk):
                raise RuntimeError(f"the server answered for {result.accepted + result.duplicates} of "
                                   f"{len(chunk)} changes; nothing was dropped")
            counts.pushed += len(chunk)
        self._drop(seqs)

    def _drop(self, seqs: list[int]) -> None:
        """Forget outbox rows the server has answered for."""
        self._call(lambda repo: repo.drop_sent(seqs))

    def _wire(self, change: OutboxChange, client_id: str, counts: _Counts) -> WireChange | None:
        """The change as sent: details sealed (or kept here without a key); None for one not to send."""
        origin = change.origin or client_id  # a change re-sent in a resync keeps its version's origin
        changed_at = canonical_time(change.changed_at)
        if change.op == "delete":
            return WireChange(change.key, change.entity, change.entity_id, "delete", changed_at, origin)
        if change.data is None:
            log.warning("outbox change %s (%s %s) has no data; not sent", change.key, change.entity,
                        change.entity_id)
            return None
        if change.entity in SEALED_ENTITIES:
            if self._key is None:
                counts.details_not_sent += 1
                return None
            blob = seal(self._key, change.data, sealing_aad(change.entity, change.entity_id, changed_at))
            return WireChange(f"{change.key[:55]}-{key_id(self._key)}", change.entity, change.entity_id, "upsert",
                              changed_at, origin, sealed=blob)
        return WireChange(change.key, change.entity, change.entity_id, "upsert", changed_at, origin,
                          data=change.data)

    # --- pull -------------------------------------------------------------------------------------------
    def _pull_all(self, client_id: str, counts: _Counts) -> None:
        cursor = self._call(lambda repo: repo.sync_cursor())
        while True:
            page = self._client.pull(cursor, self._pull_page)
            remote = [r for r in (self._remote(change, counts) for change in page.changes) if r is not None]
            next_cursor = page.cursor

            def apply(repo: ProfileRepository, changes: list[RemoteChange] = remote,
                      after: str = next_cursor) -> ApplyResult | None:
                result = repo.apply_remote(changes) if changes else None
                repo.set_sync_cursor(after)
                return result

            result = self._call(apply)
            counts.pulled += len(page.changes)
            counts.own_returned += sum(change.origin == client_id for change in page.changes)
            if result is not None:
                counts.applied += result.applied
                counts.skipped += result.skipped
            if not page.more or not page.changes:
                return
            cursor = next_cursor

    def _remote(self, change: WireChange, counts: _Counts) -> RemoteChange | None:
        """A pulled change as the repository applies it (sealed ones opened when they can be)."""
        if change.entity not in ENTITIES:
            counts.skipped += 1
            return None
        try:
            changed_at = canonical_time(change.changed_at)
        except ValueError:
            log.warning("pulled change %s has an unreadable time %r; skipped", change.key, change.changed_at)
            counts.skipped += 1
            return None
        if change.op == "upsert" and (change.entity in SEALED_ENTITIES) != (change.sealed is not None):
            # Details only ever travel sealed, summaries only plain: anything else did not come from an app (a
            # server must not be able to slip in a transcript the candidate never sealed).
            log.warning("pulled change %s (%s) is %s; skipped", change.key, change.entity,
                        "plain where it must be sealed" if change.sealed is None else "sealed where it must be plain")
            counts.skipped += 1
            return None
        data, sealed = change.data, False
        if change.sealed is not None:
            data, sealed = None, True
            if self._key is not None:
                try:
                    data = open_sealed(self._key, change.sealed, sealing_aad(change.entity, change.entity_id,
                                                                              changed_at))
                    sealed = False
                except SealedError as error:
                    log.info("practice detail %s %s stays sealed: %s", change.entity, change.entity_id, error)
            if sealed:
                counts.sealed_unopened += 1
        return RemoteChange(key=change.key, entity=change.entity, entity_id=change.entity_id, op=change.op,
                            changed_at=changed_at, origin=change.origin, data=data, sealed=sealed)


def _chunks(groups: dict[int, list[WireChange]]) -> list[tuple[list[int], list[WireChange]]]:
    """Outbox rows' changes in pushes of at most :data:`MAX_PUSH` changes and :data:`MAX_PUSH_BYTES` (a row's
    changes stay in one push, so a row is dropped only when all of them were answered)."""
    chunks: list[tuple[list[int], list[WireChange]]] = []
    seqs: list[int] = []
    changes: list[WireChange] = []
    size = 0
    for seq, row in groups.items():
        row_size = sum(change.wire_size() for change in row)
        if seqs and (len(changes) + len(row) > MAX_PUSH or size + row_size > MAX_PUSH_BYTES):
            chunks.append((seqs, changes))
            seqs, changes, size = [], [], 0
        seqs.append(seq)
        changes.extend(row)
        size += row_size
    if seqs:
        chunks.append((seqs, changes))
    return chunks
