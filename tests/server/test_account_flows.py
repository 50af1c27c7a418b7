"""Every account flow end to end: real HTTP against the real server (PostgreSQL with two workers, and SQLite),
mail caught over real SMTP. Each test asserts what a user would see: answers, mails, and which tokens work."""

from __future__ import annotations

import re
import time
from email.message import EmailMessage

import httpx
import pytest
import sqlalchemy as sa

from tests.server.conftest import Backend
from tests.server.live import PASSWORD, Client, new_email, register_verified, token_from
from tests.server.smtp import MailCatcher

pytestmark = pytest.mark.server

NEW_PASSWORD = "copper-meadow-58-quietly"
WRONG_CREDENTIALS = "email address or password is wrong"
VERIFY_SUBJECT = "Verify your email address for OET Desktop"
LINK = re.compile(r"(https?://\S+/v1/auth/verify-email\?token=[A-Za-z0-9_-]+)")


def wait_for_count(mail: MailCatcher, address: str, subject_contains: str, count: int,
                   timeout: float = 10.0) -> list[EmailMessage]:
    """The first ``count`` messages to ``address`` with ``subject_contains`` in the subject, waiting for them."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mail.messages_to(address) if subject_contains in str(m["Subject"])]
        if len(found) >= count or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    assert len(found) >= count, f"{len(found)} of {count} {subject_contains!r} mails to {address} arrived"
    return found[:count]


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def register(client: Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/v1/auth/register", {"email": email, "password": password}, auth=False)


def users_with_email(backend: Backend, email: str) -> int:
    engine = sa.create_engine(backend.database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("SELECT count(*) FROM users WHERE lower(email) = :email"),
                                          {"email": email.lower()}).scalar_one())
    finally:
        engine.dispose()


# --- registration and verification ---------------------------------------------------------------------------


def test_registration_mails_a_code_and_a_link_that_verifies_once(backend: Backend) -> None:
    server, mail = backend.server, backend.mail
    email = new_email("link")
    client = Client(server)
    registered = register(client, email)
    assert registered.status_code == 202
    assert "verify" in registered.json()["message"]

    message = mail.wait_for(email, "Verify")
    assert message["Subject"] == VERIFY_SUBJECT
    assert message["To"] == email
    code = token_from(message)
    link = LINK.search(body_of(message))
    assert link, body_of(message)
    assert link.group(1) == f"{server.url}/v1/auth/verify-email?token={code}"

    # Unverified accounts can sign in; the account page says the address is not verified yet.
    assert client.login(email).status_code == 200
    assert client.get("/v1/account").json()["email_verified"] is False

    browser = httpx.Client(timeout=30)
    try:
        page = browser.get(link.group(1), headers={"X-Forwarded-For": client.address})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "Email address verified" in page.text
        assert email in page.text
        again = browser.get(link.group(1), headers={"X-Forwarded-For": client.address})
        assert again.status_code == 400
        assert again.headers["content-type"].startswith("text/html")
        assert "This link has expired" in again.text
        assert "already used" in again.text
    finally:
        browser.close()
    account = client.get("/v1/account").json()
    assert account["email_verified"] is True
    assert account["email"] == email


def test_verification_with_the_code_and_resending(backend: Backend) -> None:
    server, mail = backend.server, backend.mail
    email = new_email("code")
    client = Client(server)
    assert register(client, email).status_code == 202
    first = token_from(mail.wait_for(email, "Verify"))
    assert client.login(email).status_code == 200

    resent = client.post("/v1/account/verification-email")
    assert resent.status_code == 202, resent.text
    second = token_from(wait_for_count(mail, email, "Verify", 2)[1])
    assert second != first

    stale = client.post("/v1/auth/verify-email", {"token": first}, auth=False)
    assert stale.status_code == 400
    assert "not valid" in stale.json()["detail"]
    verified = client.post("/v1/auth/verify-email", {"token": second}, auth=False)
    assert verified.status_code == 200, verified.text
    assert verified.json()["email"] == email
    assert verified.json()["email_verified"] is True
    assert client.get("/v1/account").json()["email_verified"] is True
    assert client.post("/v1/auth/verify-email", {"token": second}, auth=False).status_code == 400

    already = client.post("/v1/account/verification-email")
    assert already.status_code == 409
    assert "already verified" in already.json()["detail"]


def test_registering_a_taken_address_answers_the_same_and_tells_the_owner(backend: Backend) -> None:
    server, mail = backend.server, backend.mail
    first_client = Client(server)
    email = new_email("taken")
    first = register(first_client, email)
    assert first.status_code == 202
    token = token_from(mail.wait_for(email, "Verify"))
    assert first_client.post("/v1/auth/verify-email", {"token": token}, auth=False).status_code == 200

    stranger = Client(server)
    second = register(stranger, email.upper(), NEW_PASSWORD)
    assert second.status_code == first.status_code
    assert second.content == first.content

    notice = mail.wait_for(email, "Someone tried to create")
    assert notice["Subject"] == "Someone tried to create an OET Desktop account with your address"
    assert "already exists" in body_of(notice)
    assert len([m for m in mail.messages_to(email) if "Verify" in str(m["Subject"])]) == 1
    assert users_with_email(backend, email) == 1
    assert stranger.login(email, NEW_PASSWORD).status_code == 401
    assert Client(server).login(email).status_code == 200


@pytest.mark.parametrize(("password", "problem"), [
    ("Ab3$xyz9", "at least 10 characters"),
    ("password123", "commonly used passwords"),
    ("{local}-Harbour-9", "must not contain your email address"),
], ids=["short", "common", "contains-email"])
def test_password_policy_refuses_weak_passwords(backend: Backend, password: str, problem: str) -> None:
    email = new_email("policy")
    password = password.format(local=email.split("@")[0])
    response = register(Client(backend.server), email, password)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "password"]
    assert problem in error["msg"]
    assert error["msg"].endswith(".")
    assert password not in response.text
    assert users_with_email(backend, email) == 0


def test_malformed_registrations_are_422_naming_the_field(backend: Backend) -> None:
    client = Client(backend.server)
    bad_email = register(client, "not-an-email")
    assert bad_email.status_code == 422
    assert [e["loc"] for e in bad_email.json()["detail"]] == [["body", "email"]]

    extra = client.post("/v1/auth/register", {"email": new_email(), "password": PASSWORD, "nickname": "Al"},
                        auth=False)
    assert extra.status_code == 422
    [error] = extra.json()["detail"]
    assert error["loc"] == ["body", "nickname"]
    assert error["type"] == "extra_forbidden"
    assert PASSWORD not in extra.text


# --- signing in, tokens and devices -----------------------------------------------------------------------------


def test_wrong_password_and_unknown_address_get_the_same_answer(backend: Backend) -> None:
    client, email = register_verified(backend.server, backend.mail)
    wrong = Client(backend.server).login(email, "not-the-password-at-all")
    unknown = Client(backend.server).login(new_email("nobody"), "not-the-password-at-all")
    assert wrong.status_code == unknown.status_code == 401
    assert WRONG_CREDENTIALS in wrong.json()["detail"]
    assert wrong.json() == unknown.json()
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate") == "Bearer"
    assert client.get("/v1/account").status_code == 200


def refresh(client: Client, token: str | None) -> httpx.Response:
    return client.post("/v1/auth/refresh", {"refresh_token": token}, auth=False)


def test_refresh_rotates_the_tokens(backend: Backend) -> None:
    client, email = register_verified(backend.server, backend.mail)
    old_refresh = client.refresh_token
    body = client.take_tokens(refresh(client, old_refresh))
    assert body["refresh_token"] != old_refresh
    assert body["expires_in"] > 0
    account = client.get("/v1/account")
    assert account.status_code == 200
    assert account.json()["email"] == email
    assert client.take_tokens(refresh(client, client.refresh_token))["refresh_token"] != body["refresh_token"]


def test_reusing_a_replaced_refresh_token_signs_the_device_out(backend: Backend) -> None:
    laptop, email = register_verified(backend.server, backend.mail)
    desktop = Client(backend.server)
    assert desktop.login(email, device_name="Desktop").status_code == 200
    stolen = laptop.refresh_token
    laptop.take_tokens(refresh(laptop, stolen))
    laptop.take_tokens(refresh(laptop, laptop.refresh_token))  # the successor of the stolen token is now used
    assert laptop.get("/v1/account").status_code == 200

    thief = Client(backend.server)
    reused = refresh(thief, stolen)
    assert reused.status_code == 401
    assert "already used" in reused.json()["detail"]

    assert refresh(laptop, laptop.refresh_token).status_code == 401
    assert laptop.get("/v1/account").status_code == 401
    devices = desktop.get("/v1/devices")
    assert devices.status_code == 200
    assert [d["id"] for d in devices.json()] == [desktop.device_id]


def test_a_retried_refresh_within_the_grace_still_works(backend: Backend) -> None:
    client, _ = register_verified(backend.server, backend.mail)
    first = client.refresh_token
    lost = refresh(client, first)  # the answer never reaches the app ...
    assert lost.status_code == 200
    retried = client.take_tokens(refresh(client, first))  # ... so it tries again with the same token
    assert retried["refresh_token"] not in (first, lost.json()["refresh_token"])
    assert client.get("/v1/account").status_code == 200
    client.take_tokens(refresh(client, client.refresh_token))
    assert client.get("/v1/account").status_code == 200

    # Once the chain has moved on, the first token is a stolen one.
    assert refresh(Client(backend.server), first).status_code == 401
    assert client.get("/v1/account").status_code == 401


def test_signing_out_stops_the_tokens_at_once(backend: Backend) -> None:
    client, _ = register_verified(backend.server, backend.mail)
    other_connection = Client(backend.server, access_token=client.access_token)
    assert other_connection.get("/v1/account").status_code == 200
    assert client.post("/v1/auth/logout").status_code == 204
    assert client.get("/v1/account").status_code == 401
    gone = other_connection.get("/v1/account")
    assert gone.status_code == 401
    assert "signed out" in gone.json()["detail"]
    assert refresh(client, client.refresh_token).status_code == 401


def test_devices_list_and_revoking_another_device(backend: Backend) -> None:
    laptop, email = register_verified(backend.server, backend.mail)
    assert laptop.login(email, device_name="Kitchen laptop").status_code == 200
    desktop = Client(backend.server)
    assert desktop.login(email, device_name="Office desktop").status_code == 200

    seen_by_laptop = {d["name"]: d for d in laptop.get("/v1/devices").json()}
    assert {"Kitchen laptop", "Office desktop"} <= set(seen_by_laptop)
    assert seen_by_laptop["Kitchen laptop"]["current"] is True
    assert seen_by_laptop["Office desktop"]["current"] is False
    seen_by_desktop = {d["id"]: d["current"] for d in desktop.get("/v1/devices").json()}
    assert seen_by_desktop[desktop.device_id] is True
    assert seen_by_desktop[laptop.device_id] is False

    stranger, _ = register_verified(backend.server, backend.mail)
    assert stranger.request("DELETE", f"/v1/devices/{desktop.device_id}").status_code == 404
    assert desktop.get("/v1/account").status_code == 200

    assert laptop.request("DELETE", f"/v1/devices/{desktop.device_id}").status_code == 204
    assert desktop.get("/v1/account").status_code == 401
    assert refresh(desktop, desktop.refresh_token).status_code == 401
    assert desktop.device_id not in {d["id"] for d in laptop.get("/v1/devices").json()}
    assert laptop.request("DELETE", f"/v1/devices/{desktop.device_id}").status_code == 404


# --- password reset and change, email change ------------------------------------------------------------------


def test_password_reset(backend: Backend) -> None:
    server, mail = backend.server, backend.mail
    laptop, email = register_verified(server, mail)
    desktop = Client(server)
    assert desktop.login(email).status_code == 200
    unknown_email = new_email("unknown")

    asker = Client(server)
    unknown = asker.post("/v1/auth/password-reset", {"email": unknown_email}, auth=False)
    known = asker.post("/v1/auth/password-reset", {"email": email}, auth=False)
    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content
    older = token_from(mail.wait_for(email, "Reset"))
    assert asker.post("/v1/auth/password-reset", {"email": email}, auth=False).content == known.content
    newer_mail = wait_for_count(mail, email, "Reset", 2)[1]
    assert newer_mail["Subject"] == "Reset your OET Desktop password"
    assert newer_mail["To"] == email
    newer = token_from(newer_mail)
    assert mail.messages_to(unknown_email) == []

    superseded = asker.post("/v1/auth/password-reset/confirm", {"token": older, "new_password": NEW_PASSWORD},
                            auth=False)
    assert superseded.status_code == 400
    weak = asker.post("/v1/auth/password-reset/confirm", {"token": newer, "new_password": "short"}, auth=False)
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["loc"] == ["body", "new_password"]
    reset = asker.post("/v1/auth/password-reset/confirm", {"token": newer, "new_password": NEW_PASSWORD},
                       auth=False)
    assert reset.status_code == 204, reset.text

    assert laptop.get("/v1/account").status_code == 401
    assert desktop.get("/v1/account").status_code == 401
    assert Client(server).login(email, PASSWORD).status_code == 401
    assert Client(server).login(email, NEW_PASSWORD).status_code == 200
    again = asker.post("/v1/auth/password-reset/confirm", {"token": newer, "new_password": "another-" + NEW_PASSWORD},
                       auth=False)
    assert again.status_code == 400
    assert "already used" in again.json()["detail"]
    assert "was reset" in str(mail.wait_for(email, "password was reset")["Subject"])


def test_password_change(backend: Backend) -> None:
    server, mail = backend.server, backend.mail
    laptop, email = register_verified(server, mail)
    desktop = Client(server)
    assert desktop.login(email).status_code == 200

    wrong = laptop.post("/v1/account/password", {"current_password": "not-" + PASSWORD, "new_password": NEW_PASSWORD})
    assert wrong.status_code == 403
    assert "password is wrong" in wrong.json()["detail"]
    assert desktop.get("/v1/account").status_code == 200

    changed = laptop.post("/v1/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 204, changed.text
    assert laptop.get("/v1/account").status_code == 200
    assert desktop.get("/v1/account").status_code == 401
    assert Client(server).login(email, PASSWORD).status_code == 401
    assert Client(server).login(email, NEW_PASSWORD).status_code == 200
    notice = mail.wait_for(email, "password was changed")
    assert "other devices were signed out" in body_of(notice)


def test_email_change(backend: Backend) -> None:
    server, mail = backend.server, backend.mail
    client, old = register_verified(server, mail)
    new = new_email("moved")
    asked = client.post("/v1/account/email", {"new_email": new, "password": PASSWORD})
    assert asked.status_code == 202, asked.text
    confirmation = mail.wait_for(new, "Confirm your new email address")
    assert confirmation["To"] == new
    assert Client(server).login(old).status_code == 200  # nothing changes until the code is used

    confirmed = client.post("/v1/account/email/confirm", {"token": token_from(confirmation)}, auth=False)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == new
    assert confirmed.json()["email_verified"] is True
    assert client.get("/v1/account").json()["email"] == new
    assert Client(server).login(new).status_code == 200
    assert Client(server).login(old).status_code == 401
    notice = mail.wait_for(old, "address of your OET Desktop account was changed")
    assert new in body_of(notice)


def test_email_change_to_an_address_taken_meanwhile_is_refused(backend: Backend) -> None:
    server, mail = backend.server, backend.mail
    client, old = register_verified(server, mail)
    wanted = new_email("contested")
    assert client.post("/v1/account/email", {"new_email": wanted, "password": PASSWORD}).status_code == 202
    code = token_from(mail.wait_for(wanted, "Confirm your new email address"))
    assert register(Client(server), wanted, NEW_PASSWORD).status_code == 202  # someone else takes it first

    refused = client.post("/v1/account/email/confirm", {"token": code}, auth=False)
    assert refused.status_code == 409
    assert "Another account" in refused.json()["detail"]
    assert client.get("/v1/account").json()["email"] == old
    assert Client(server).login(old).status_code == 200
    assert users_with_email(backend, wanted) == 1


# --- a stolen password must not outlive the owner's reaction --------------------------------------------------


def ask_email_change(client: Client, mail: MailCatcher, password: str = PASSWORD) -> str:
    """Asks to move the account to a new address; the code mailed there."""
    target = new_email("elsewhere")
    assert client.post("/v1/account/email", {"new_email": target, "password": password}).status_code == 202
    return token_from(mail.wait_for(target, "Confirm your new email address"))


def test_resetting_the_password_cancels_a_pending_email_change(backend: Backend) -> None:
    # Someone who learnt the password asks to move the account to their own address; the owner notices and
    # resets the password. The intruder's code must not then take the account.
    server, mail = backend.server, backend.mail
    owner, email = register_verified(server, mail)
    intruder = Client(server)
    assert intruder.login(email).status_code == 200
    their_code = ask_email_change(intruder, mail)

    assert owner.post("/v1/auth/password-reset", {"email": email}, auth=False).status_code == 202
    reset_code = token_from(mail.wait_for(email, "Reset"))
    assert owner.post("/v1/auth/password-reset/confirm", {"token": reset_code, "new_password": NEW_PASSWORD},
                      auth=False).status_code == 204

    taken = intruder.post("/v1/account/email/confirm", {"token": their_code}, auth=False)
    assert taken.status_code == 400
    assert Client(server).login(email, NEW_PASSWORD).status_code == 200


def test_changing_the_password_cancels_a_pending_email_change(backend: Backend) -> None:
    server, mail = backend.server, backend.mail
    owner, email = register_verified(server, mail)
    intruder = Client(server)
    assert intruder.login(email).status_code == 200
    their_code = ask_email_change(intruder, mail)

    assert owner.post("/v1/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
                      ).status_code == 204
    assert intruder.post("/v1/account/email/confirm", {"token": their_code}, auth=False).status_code == 400
    assert owner.get("/v1/account").json()["email"] == email


def test_moving_to_a_new_address_cancels_reset_codes_sent_to_the_old_one(backend: Backend) -> None:
    server, mail = backend.server, backend.mail
    client, old = register_verified(server, mail)
    assert client.post("/v1/auth/password-reset", {"email": old}, auth=False).status_code == 202
    old_mailbox_code = token_from(mail.wait_for(old, "Reset"))
    code = ask_email_change(client, mail)
    assert client.post("/v1/account/email/confirm", {"token": code}, auth=False).status_code == 200

    stale = client.post("/v1/auth/password-reset/confirm", {"token": old_mailbox_code, "new_password": NEW_PASSWORD},
                        auth=False)
    assert stale.status_code == 400
    assert client.get("/v1/account").status_code == 200
