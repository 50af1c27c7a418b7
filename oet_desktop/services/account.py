"""The account and sync, for the window and the command line: the server's address, registration, sign-in (with
the two-factor step), sign-out, what the account and this computer's sync stand at, the signed-in devices, a
sync now, and "sync practice details" (sealed with a key from the candidate's sync passphrase).

Tokens and the sealing key live in the system keyring, one entry per server (scheme, host and port) and profile,
never in a file; the passphrase itself is never kept anywhere."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.keys import KEYRING_SERVICE, MIN_PASSPHRASE, KeyringKeys
from oet_desktop.core.storage.sync_store import SyncStatus
from oet_desktop.core.storage.worker import StorageThread
from oet_desktop.core.sync.client import AccountClient, AccountError, NotSignedIn, server_base
from oet_desktop.core.sync.crypto import KEY_BYTES, derive_key
from oet_desktop.core.sync.engine import SyncEngine, SyncReport
from oet_desktop.core.sync.protocol import AccountInfo, DeviceInfo, Tokens, TwoFactorChallenge
from oet_desktop.services.settings import server_origin

log = logging.getLogger(__name__)

SERVER_SETTING = "account_server"
DEFAULT_SERVER = "http://127.0.0.1:8787"
TOKENS_ENTRY = "account-tokens"
DETAILS_KEY_ENTRY = "sync-details-key"
SYNCED_NOW = ("your name and profession, the settings for the end-of-turn pause, turn-taking and audio retention, "
              "and each role-play's summary (which role-play, when, how long, how it ended) with its nine scores "
              "and estimate")
NO_KEYRING = UserFacingError("There is no secure system keyring to keep the account's sign-in in.",
                             "Set up a keyring (GNOME Keyring, KWallet, macOS Keychain or Windows Credential "
                             "Manager) and try again; sign-in tokens are never kept in plain text.")


class _KeyringEntry:
    """One keyring entry of this profile for one server."""

    def __init__(self, backend: Any, kind: str, server: str, profile_id: str) -> None:
        self._backend = backend
        self._name = f"{kind}:{server_origin(server)}:{profile_id}"

    def read(self) -> str | None:
        try:
            value = self._backend.get_password(KEYRING_SERVICE, self._name)
        except Exception as error:  # no usable keyring: as if nothing were kept
            log.warning("the keyring entry %s could not be read: %s", self._name, error)
            return None
        return str(value) if value else None

    def write(self, value: str) -> None:
        if not KeyringKeys(self._backend).available():
            raise NO_KEYRING
        try:
            self._backend.set_password(KEYRING_SERVICE, self._name, value)
        except Exception as error:
            raise UserFacingError(f"The system keyring refused to keep the account's data ({error}).",
                                  "Check that your keyring is unlocked and try again.") from error

    def delete(self) -> None:
        if self.read() is None:
            return
        try:
            self._backend.delete_password(KEYRING_SERVICE, self._name)
        except Exception as error:
            log.warning("the keyring entry %s could not be deleted: %s", self._name, error)


class KeyringTokens:
    """This profile's tokens for one server, in the system keyring (a :class:`TokenStore`)."""

    def __init__(self, backend: Any, server: str, profile_id: str) -> None:
        self._entry = _KeyringEntry(backend, TOKENS_ENTRY, server, profile_id)

    def get(self) -> Tokens | None:
        raw = self._entry.read()
        if raw is None:
            return None
        try:
            body = json.loads(raw)
            return Tokens(str(body["access_token"]), str(body["refresh_token"]), str(body["device_id"]),
                          str(body.get("email", "")))
        except (ValueError, KeyError, TypeError):
            log.warning("the keyring's account entry is damaged; signed out")
            return None

    def set(self, tokens: Tokens) -> None:
        self._entry.write(json.dumps(tokens.as_json()))

    def clear(self) -> None:
        self._entry.delete()


class DetailsKey:
    """The key that seals practice details (derived from the sync passphrase), in the system keyring."""

    def __init__(self, backend: Any, server: str, profile_id: str) -> None:
        self._entry = _KeyringEntry(backend, DETAILS_KEY_ENTRY, server, profile_id)

    def get(self) -> bytes | None:
        raw = self._entry.read()
        if raw is None:
            return None
        try:
            key = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return None
        return key if len(key) == KEY_BYTES else None

    def set(self, key: bytes) -> None:
        self._entry.write(base64.b64encode(key).decode())

    def clear(self) -> None:
        self._entry.delete()


class TwoFactorNeeded(UserFacingError):
    """The password was right; the account asks for an authenticator code (finish with the challenge)."""

    def __init__(self, challenge: TwoFactorChallenge, email: str) -> None:
        super().__init__("This account signs in with two-factor authentication.",
                         "Give the code from your authenticator app (or a recovery code) with --code.")
        self.challenge = challenge
        self.email = email


@dataclass(frozen=True)
class AccountStatus:
    """The account and this computer's sync, as `account status` and the window show them."""

    server: str
    signed_in: bool
    account: AccountInfo | None
    sync: SyncStatus
    details_key_here: bool
    """A sync passphrase's key is kept on this computer."""
    problem: str | None = None
    """Why the account could not be read now (offline, signed out…)."""

    def synced(self) -> list[str]:
        """What is synced, in sentences."""
        lines = [f"Synced: {SYNCED_NOW}. Progress and practice counts are worked out from these on each computer."]
        if self.sync.details and self.details_key_here:
            lines.append("Transcripts and full feedback reports are synced too, sealed with your sync passphrase: "
                         "the server cannot read them.")
        elif self.sync.details:
            lines.append("Practice-detail sync is on but this computer has no sync passphrase: turn it on again "
                         "with the passphrase.")
        else:
            lines.append("Transcripts and full feedback reports stay on this computer (turn on practice-detail "
                         "sync to send them sealed with a passphrase only you know).")
        lines.append("Audio never leaves this computer; microphone, speaker and model settings stay here too.")
        return lines


def device_name() -> str:
    """How this computer is listed among the account's devices."""
    node = "".join(ch for ch in platform.node() if ch.isprintable()).strip()
    return f"OET Desktop on {node}"[:100] if node else "OET Desktop"


class AccountService:
    """The account of the profile open in ``storage``; ``keyring_backend`` is the keyring module; ``http`` an
    httpx client to use (tests), else one per call."""

    def __init__(self, storage: StorageThread, keyring_backend: Any, http: httpx.Client | None = None) -> None:
        self._storage = storage
        self._keyring = keyring_backend
        self._http = http

    # --- where --------------------------------------------------------------------------------------
    def server(self) -> str:
        """The account server's address."""
        value = self._storage.call(lambda repo: repo.setting(SERVER_SETTING))
        return str(value) if value else DEFAULT_SERVER

    def set_server(self, url: str) -> str:
        """Use another account server. Its log is another one, so the next sync pulls and pushes everything."""
        url = server_base(url)
        if url == self.server():
            return url
        self._storage.call(lambda repo: repo.save_setting(SERVER_SETTING, url))
        self._storage.call(lambda repo: repo.requeue_all(restart_pull=True))
        return url

    def _profile_id(self) -> str:
        return self._storage.call(lambda repo: repo.sync_client_id())

    def tokens(self) -> KeyringTokens:
        """The tokens kept for the current server."""
        return KeyringTokens(self._keyring, self.server(), self._profile_id())

    def details_key(self) -> DetailsKey:
        """The practice-detail key kept for the current server."""
        return DetailsKey(self._keyring, self.server(), self._profile_id())

    @contextmanager
    def client(self) -> Iterator[AccountClient]:
        """A client for the current server with this profile's tokens."""
        client = AccountClient(self.server(), self.tokens(), self._http)
        try:
            yield client
        finally:
            client.close()

    # --- account ------------------------------------------------------------------------------------
    def register(self, email: str, password: str) -> str:
        """Create an account; the server mails a code to verify the address with."""
        with self.client() as client:
            return client.register(email.strip(), password) or "Check your email for the verification code."

    def verify(self, code: str) -> AccountInfo:
        """Verify the address with the mailed code."""
        with self.client() as client:
            return client.verify_email(code)

    def resend_verification(self) -> str:
        """Mail a new verification code."""
        with self.client() as client:
            return client.resend_verification()

    def login(self, email: str, password: str, code: str | None = None) -> AccountInfo:
        """Sign this computer in (with ``code`` when the account has two-factor sign-in); the account."""
        if not KeyringKeys(self._keyring).available():
            raise NO_KEYRING
        with self.client() as client:
            answer = client.login(email.strip(), password, device_name(), self._profile_id())
            if isinstance(answer, TwoFactorChallenge):
                if not code:
                    raise TwoFactorNeeded(answer, email.strip())
                client.login_two_factor(answer, code, email.strip())
            return client.account()

    def finish_two_factor(self, needed: TwoFactorNeeded, code: str) -> AccountInfo:
        """The second step of a sign-in that asked for a code."""
        with self.client() as client:
            client.login_two_factor(needed.challenge, code, needed.email)
            return client.account()

    def logout(self) -> None:
        """Sign this computer out (its data stays). The sealing key is forgotten too, so practice-detail sync is
        turned off: turn it on again, with the passphrase, after signing in."""
        try:
            with self.client() as client:
                client.logout()
        finally:
            self.details_key().clear()
            self._storage.call(lambda repo: repo.set_sync_details(False))

    def signed_in(self) -> bool:
        """True when tokens are kept for the current server."""
        return self.tokens().get() is not None

    def status(self, online: bool = True) -> AccountStatus:
        """The account (read from the server with ``online``) and this computer's sync."""
        sync = self._storage.call(lambda repo: repo.sync_status())
        tokens = self.tokens().get()
        account: AccountInfo | None = None
        problem: str | None = None
        if tokens is not None and online:
            try:
                with self.client() as client:
                    account = client.account()
            except AccountError as error:
                problem = error.paragraph()
        signed_in = tokens is not None and self.tokens().get() is not None  # a refused refresh signs out
        return AccountStatus(self.server(), signed_in, account, sync, self.details_key().get() is not None, problem)

    def devices(self) -> list[DeviceInfo]:
        """The account's signed-in devices."""
        with self.client() as client:
            return client.devices()

    def revoke_device(self, device_id: str) -> None:
        """Sign one of the account's devices out."""
        with self.client() as client:
            client.revoke_device(device_id)

    # --- sync ---------------------------------------------------------------------------------------
    def sync_now(self) -> SyncReport:
        """Push what is waiting, pull and merge what the other computers sent."""
        details = self._storage.call(lambda repo: repo.sync_details_enabled())
        key = self.details_key().get() if details else None
        with self.client() as client:
            if client.tokens is None:
                raise NotSignedIn("This computer is not signed in to an account.",
                                  "Sign in first (`oet-desktop account login`), then sync.")
            return SyncEngine(client, self._storage.call, key).sync_once()

    def set_detail_sync(self, enabled: bool, passphrase: str | None = None) -> None:
        """Turn "sync practice details" on (with the sync passphrase: the same on every computer) or off. On,
        every role-play's transcript and full report is sent sealed at the next sync, and what other computers
        sealed is pulled again to be opened."""
        if not enabled:
            self._storage.call(lambda repo: repo.set_sync_details(False))
            self.details_key().clear()
            return
        if not passphrase or len(passphrase) < MIN_PASSPHRASE:
            raise UserFacingError(f"The sync passphrase needs at least {MIN_PASSPHRASE} characters.",
                                  "Use the same passphrase on every computer; a few unrelated words work well.")
        if not KeyringKeys(self._keyring).available():
            raise NO_KEYRING
        with self.client() as client:
            account = client.account()  # the salt: the same key on every computer of this account
        self.details_key().set(derive_key(passphrase, account.id))
        self._storage.call(lambda repo: repo.set_sync_details(True))
        # Everything again (the server keeps what it has once): details held back while this computer had no
        # key go now, and what other computers sealed is pulled again to be opened with it.
        self._storage.call(lambda repo: repo.requeue_all(restart_pull=True))
