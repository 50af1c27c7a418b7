"""The app's account client (oet_desktop/core/sync/client.py) against the real server on both databases: the
account flows, pushes and pulls in the wire format, the errors a candidate can meet (offline, signed out, update
the app, resync), and tokens refreshed once, however many requests find them expired at once."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.worker import StorageThread
from oet_desktop.core.sync import client as client_module
from oet_desktop.core.sync.client import (
    AccountClient,
    AccountRefused,
    MemoryTokens,
    NotSignedIn,
    Offline,
    ProtocolTooOld,
    ResyncRequired,
)
from oet_desktop.core.sync.crypto import derive_key
from oet_desktop.core.sync.protocol import Tokens, TwoFactorChallenge, WireChange
from oet_desktop.services.account import DEFAULT_SERVER, AccountService, TwoFactorNeeded
from tests.keyring_backend import MemoryKeyring
from tests.server.conftest import Backend
from tests.server.live import PASSWORD, free_port, new_email, random_address, register_verified, token_from
from tests.server.test_two_factor import enable_two_factor

pytestmark = pytest.mark.server
ORIGIN = "laptop-" + "a" * 16


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """An HTTP client coming from its own address (the server trusts loopback's X-Forwarded-For), so the
    per-address limits of one test do not meet another's; it counts the refreshes it sends."""
    refreshes: list[str] = []

    def count(request: httpx.Request) -> None:
        if request.url.path == "/v1/auth/refresh":
            refreshes.append(request.url.path)

    with httpx.Client(timeout=30, headers={"X-Forwarded-For": random_address()},
                      event_hooks={"request": [count]}) as client:
        client.refreshes = refreshes  # type: ignore[attr-defined]
        yield client


def change(entity_id: str, **data: object) -> WireChange:
    return WireChange(secrets.token_hex(12), "session", entity_id, "upsert",
                      datetime.now(UTC).isoformat(timespec="milliseconds"), ORIGIN, data=dict(data))


def signed_in(backend: Backend, http: httpx.Client) -> tuple[AccountClient, MemoryTokens, str]:
    _, email = register_verified(backend.server, backend.mail)
    tokens = MemoryTokens()
    client = AccountClient(backend.server.url, tokens, http)
    assert isinstance(client.login(email, PASSWORD, "Laptop", ORIGIN), Tokens)
    return client, tokens, email


def test_register_verify_sign_in_and_see_the_account(backend: Backend, http: httpx.Client) -> None:
    tokens = MemoryTokens()
    client = AccountClient(backend.server.url + "/", tokens, http)
    email = new_email("client")
    assert "mail" in client.register(email, PASSWORD).lower()
    account = client.verify_email(token_from(backend.mail.wait_for(email, "Verify")))
    assert account.email == email
    assert account.email_verified
    answer = client.login(email, PASSWORD, "Laptop", ORIGIN)
    assert isinstance(answer, Tokens)
    assert tokens.tokens == answer
    assert answer.email == email
    assert "access" not in repr(answer)  # tokens never printed
    assert client.account().id == account.id
    [device] = client.devices()
    assert device.current
    assert device.name == "Laptop"
    assert device.id == answer.device_id
    with pytest.raises(AccountRefused) as refused:
        client.login(email, "wrong password " + PASSWORD)
    assert refused.value.status == 401 or "password" in refused.value.paragraph().lower()


def test_push_and_pull_in_the_wire_format(backend: Backend, http: httpx.Client) -> None:
    laptop, _, email = signed_in(backend, http)
    desktop = AccountClient(backend.server.url, MemoryTokens(), http)
    assert isinstance(desktop.login(email, PASSWORD, "Desktop", "desktop-" + "b" * 16), Tokens)
    sealed = WireChange(secrets.token_hex(12), "session_detail", "s1", "upsert",
                        "2026-12-01T09:14:03.120+00:00", ORIGIN, sealed="A" * 40)
    tombstone = WireChange(secrets.token_hex(12), "feedback", "s0", "delete", "2026-12-01T09:15:00.000+00:00",
                           ORIGIN)
    batch = [change("s1", status="finished", turns=3), sealed, tombstone]
    assert laptop.push(batch).accepted == 3
    assert laptop.push(batch).duplicates == 3  # an answer lost, the batch sent again
    first = desktop.pull("", limit=2)
    assert first.more
    assert [c.key for c in first.changes] == [c.key for c in batch[:2]]
    rest = desktop.pull(first.cursor, limit=2)
    assert not rest.more
    assert rest.changes[0].key == tombstone.key
    assert rest.changes[0].data is None
    assert rest.changes[0].sealed is None
    assert rest.changes[0].op == "delete"
    assert first.changes[0].data == {"status": "finished", "turns": 3}
    assert first.changes[0].seq is not None
    assert first.changes[1].sealed == "A" * 40
    assert first.changes[1].origin == ORIGIN
    assert datetime.fromisoformat(first.changes[1].changed_at) == datetime.fromisoformat(sealed.changed_at)
    assert desktop.pull(rest.cursor).changes == []
    with pytest.raises(ResyncRequired):
        desktop.pull("bm90LWEtY3Vyc29y")


def test_an_unverified_account_cannot_sync_and_says_why(backend: Backend, http: httpx.Client) -> None:
    email = new_email("unverified")
    client = AccountClient(backend.server.url, MemoryTokens(), http)
    client.register(email, PASSWORD)
    assert isinstance(client.login(email, PASSWORD, "Laptop", ORIGIN), Tokens)
    assert not client.account().email_verified
    with pytest.raises(AccountRefused, match="Verify your email") as refused:
        client.push([change("s1", status="finished")])
    assert refused.value.status == 403


def test_an_older_protocol_is_told_to_update(backend: Backend, http: httpx.Client,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    client, _, _ = signed_in(backend, http)
    monkeypatch.setattr(client_module, "SYNC_PROTOCOL", 0)
    with pytest.raises(ProtocolTooOld, match="Update OET Desktop"):
        client.pull("")


def test_no_server_is_offline_and_no_tokens_is_not_signed_in(http: httpx.Client) -> None:
    client = AccountClient(f"http://127.0.0.1:{free_port()}", MemoryTokens(), http)
    with pytest.raises(Offline, match="could not be reached"):
        client.register(new_email(), PASSWORD)
    with pytest.raises(NotSignedIn):
        client.pull("")


def test_an_expired_access_token_is_refreshed_once_for_many_requests(backend: Backend, http: httpx.Client) -> None:
    client, tokens, _ = signed_in(backend, http)
    assert tokens.tokens is not None
    good = tokens.tokens
    tokens.set(Tokens("expired." + "x" * 40, good.refresh_token, good.device_id, good.email))
    failures: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            barrier.wait()
            client.pull("")
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert http.refreshes == ["/v1/auth/refresh"]  # type: ignore[attr-defined]
    assert tokens.tokens is not None
    assert tokens.tokens.refresh_token != good.refresh_token
    assert client.account().email  # the device is still signed in


def test_a_signed_out_device_is_not_signed_in_and_forgets_its_tokens(backend: Backend, http: httpx.Client) -> None:
    client, tokens, email = signed_in(backend, http)
    other = AccountClient(backend.server.url, MemoryTokens(), http)
    other.login(email, PASSWORD, "Desktop", "desktop-" + "c" * 16)
    assert tokens.tokens is not None
    other.revoke_device(tokens.tokens.device_id)
    with pytest.raises(NotSignedIn, match="signed out"):
        client.pull("")
    assert tokens.tokens is None
    other.logout()
    assert other.tokens is None
    with pytest.raises(NotSignedIn):
        other.account()


def test_two_factor_sign_in(backend: Backend, http: httpx.Client) -> None:
    helper, email = register_verified(backend.server, backend.mail)
    app, _, _ = enable_two_factor(helper)
    tokens = MemoryTokens()
    client = AccountClient(backend.server.url, tokens, http)
    challenge = client.login(email, PASSWORD, "Laptop", ORIGIN)
    assert isinstance(challenge, TwoFactorChallenge)
    assert tokens.tokens is None
    assert "ticket" not in repr(challenge).lower().replace("twofactorchallenge", "")
    client.login_two_factor(challenge, app.code(), email)
    assert tokens.tokens is not None
    assert client.account().two_factor_enabled


class KeyringModule:
    """What the app passes around as the keyring: the module's functions over one backend."""

    def __init__(self, backend: MemoryKeyring) -> None:
        self.backend = backend
        self.get_password, self.set_password = backend.get_password, backend.set_password
        self.delete_password = backend.delete_password

    def get_keyring(self) -> MemoryKeyring:
        return self.backend


def test_the_account_service_keeps_tokens_and_the_details_key_in_the_keyring(
        backend: Backend, http: httpx.Client, tmp_path: Path) -> None:
    helper, email = register_verified(backend.server, backend.mail)
    app, _, _ = enable_two_factor(helper)
    storage = StorageThread(tmp_path / "profile.db", DatabaseKey(raw=bytes(range(32))), create=True)
    try:
        keyring = MemoryKeyring()
        service = AccountService(storage, KeyringModule(keyring), http)
        assert service.server() == DEFAULT_SERVER
        service.set_server(backend.server.url + "/")
        with pytest.raises(TwoFactorNeeded, match="--code") as needed:
            service.login(email, PASSWORD)
        assert not service.signed_in()
        account = service.finish_two_factor(needed.value, app.code())
        client_id = storage.call(lambda repo: repo.sync_client_id())
        origin = backend.server.url.removeprefix("http://")
        [entry] = [name for _, name in keyring.entries]
        assert entry == f"account-tokens:http://{origin}:{client_id}"
        assert json.loads(keyring.entries[("oet-desktop", entry)])["email"] == email

        with pytest.raises(UserFacingError, match="at least 8"):
            service.set_detail_sync(True, "short")
        service.set_detail_sync(True, "lantern orchard velvet")
        assert service.details_key().get() == derive_key("lantern orchard velvet", account.id)
        status = service.status()
        assert status.account is not None
        assert status.account.two_factor_enabled
        assert status.sync.details
        assert any("sealed" in line for line in status.synced())
        assert service.sync_now().pushed >= 0
        assert storage.call(lambda repo: repo.sync_status()).last_synced_at

        service.logout()
        assert keyring.entries == {}
        assert not storage.call(lambda repo: repo.sync_details_enabled())
        with pytest.raises(NotSignedIn):
            service.sync_now()

        class NoKeyring(MemoryKeyring):
            priority = 0  # type: ignore[assignment]

        with pytest.raises(UserFacingError, match="no secure system keyring"):
            AccountService(storage, KeyringModule(NoKeyring()), http).login(email, PASSWORD, app.code())
    finally:
        storage.close()
