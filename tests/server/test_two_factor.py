"""Two-factor sign-in end to end over real HTTP: enrolment, the second sign-in step, replayed and wrong codes,
recovery codes, and turning it off. Codes come from pyotp, as from the user's authenticator app."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, unquote, urlparse

import httpx
import pyotp
import pytest

from tests.server.conftest import Backend
from tests.server.live import PASSWORD, Client, register_verified

pytestmark = pytest.mark.server

STEP = 30


class Authenticator:
    """The user's authenticator app. The server accepts the codes of the previous, current and next 30 s step, and
    each step's code once; this hands out one code per step, oldest usable step first, so a test gets three fresh
    codes without waiting (and waits for the clock only if it asks for a fourth within one step)."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step: int | None = None

    def code(self) -> str:
        now = time.time()
        lowest = int(now + 2) // STEP - 1  # still inside the server's window when the request arrives
        step = lowest if self.last_step is None else max(self.last_step + 1, lowest)
        if step > int(now) // STEP + 1:
            time.sleep((step - 1) * STEP - now + 0.05)
        self.last_step = step
        return self.totp.at(step * STEP)

    def wrong_code(self) -> str:
        """A six-digit code that no step near now has."""
        near = {self.totp.at(time.time() + k * STEP) for k in range(-3, 4)}
        return next(c for c in (f"{n:06d}" for n in range(0, 10**6, 111_111)) if c not in near)


def enable_two_factor(client: Client) -> tuple[Authenticator, list[str], dict[str, str]]:
    """Enrols and confirms two-factor sign-in: the authenticator, the recovery codes and the enrolment answer."""
    enrolment = client.post("/v1/account/two-factor", {"password": PASSWORD})
    assert enrolment.status_code == 200, enrolment.text
    body: dict[str, str] = enrolment.json()
    app = Authenticator(body["secret"])
    confirmed = client.post("/v1/account/two-factor/confirm", {"code": app.code()})
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"]
    return app, codes, body


def first_step(client: Client, email: str, password: str = PASSWORD) -> str:
    """Signs in with the password; the ticket for the second step."""
    response = client.post("/v1/auth/login", {"email": email, "password": password, "device_name": "Laptop"},
                           auth=False)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "two_factor_required"
    assert "access_token" not in body
    assert "refresh_token" not in body
    assert body["expires_in"] > 0
    ticket: str = body["ticket"]
    return ticket


def second_step(client: Client, ticket: str, code: str) -> httpx.Response:
    return client.post("/v1/auth/login/two-factor", {"ticket": ticket, "code": code}, auth=False)


def test_enrolment(backend: Backend) -> None:
    client, email = register_verified(backend.server, backend.mail)
    wrong = client.post("/v1/account/two-factor", {"password": "not-" + PASSWORD})
    assert wrong.status_code == 403
    assert "password is wrong" in wrong.json()["detail"]

    enrolment = client.post("/v1/account/two-factor", {"password": PASSWORD})
    assert enrolment.status_code == 200, enrolment.text
    body = enrolment.json()
    uri = urlparse(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/OET Desktop:{email}"
    query = parse_qs(uri.query)
    assert query["issuer"] == ["OET Desktop"]
    assert query["secret"] == [body["secret"]]
    assert body["qr_svg"].lstrip().startswith("<svg")
    assert body["qr_svg"].rstrip().endswith("</svg>")
    assert client.get("/v1/account").json()["two_factor_enabled"] is False  # not on until a code confirms it

    app = Authenticator(body["secret"])
    refused = client.post("/v1/account/two-factor/confirm", {"code": app.wrong_code()})
    assert refused.status_code == 403
    assert client.get("/v1/account").json()["two_factor_enabled"] is False

    confirmed = client.post("/v1/account/two-factor/confirm", {"code": app.code()})
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert client.get("/v1/account").json()["two_factor_enabled"] is True
    again = client.post("/v1/account/two-factor", {"password": PASSWORD})
    assert again.status_code == 409


def test_sign_in_needs_a_fresh_code(backend: Backend) -> None:
    client, email = register_verified(backend.server, backend.mail)
    app, _, _ = enable_two_factor(client)

    laptop = Client(backend.server)
    ticket = first_step(laptop, email)
    wrong = second_step(laptop, ticket, app.wrong_code())
    assert wrong.status_code == 401
    assert "code is wrong" in wrong.json()["detail"]
    code = app.code()
    laptop.take_tokens(second_step(laptop, ticket, code))
    assert laptop.get("/v1/account").json()["email"] == email
    assert {d["name"] for d in laptop.get("/v1/devices").json()} >= {"Laptop"}

    eavesdropper = Client(backend.server)
    replayed = second_step(eavesdropper, first_step(eavesdropper, email), code)
    assert replayed.status_code == 401
    assert eavesdropper.access_token is None
    assert second_step(eavesdropper, "not-a-real-ticket-at-all", app.code()).status_code == 401

    wrong_password = Client(backend.server).login(email, "not-" + PASSWORD)
    assert wrong_password.status_code == 401  # the password step still comes first


def test_recovery_codes_work_once_and_can_be_replaced(backend: Backend) -> None:
    client, email = register_verified(backend.server, backend.mail)
    app, codes, _ = enable_two_factor(client)

    lost_phone = Client(backend.server)
    lost_phone.take_tokens(second_step(lost_phone, first_step(lost_phone, email), codes[0].upper()))
    assert lost_phone.get("/v1/account").status_code == 200
    assert second_step(lost_phone, first_step(lost_phone, email), codes[0]).status_code == 401

    replaced = client.post("/v1/account/two-factor/recovery-codes", {"code": app.code()})
    assert replaced.status_code == 200, replaced.text
    new_codes = replaced.json()["recovery_codes"]
    assert len(set(new_codes)) == 10
    assert not set(new_codes) & set(codes)

    other = Client(backend.server)
    assert second_step(other, first_step(other, email), codes[1]).status_code == 401
    other.take_tokens(second_step(other, first_step(other, email), new_codes[0]))
    assert other.get("/v1/account").status_code == 200


def test_turning_two_factor_off(backend: Backend) -> None:
    client, email = register_verified(backend.server, backend.mail)
    app, codes, _ = enable_two_factor(client)

    no_password = client.post("/v1/account/two-factor/disable", {"password": "not-" + PASSWORD, "code": app.code()})
    assert no_password.status_code == 403
    no_code = client.post("/v1/account/two-factor/disable", {"password": PASSWORD, "code": app.wrong_code()})
    assert no_code.status_code == 403
    assert client.get("/v1/account").json()["two_factor_enabled"] is True

    off = client.post("/v1/account/two-factor/disable", {"password": PASSWORD, "code": app.code()})
    assert off.status_code == 204, off.text
    assert client.get("/v1/account").json()["two_factor_enabled"] is False
    assert "turned off" in str(backend.mail.wait_for(email, "Two-factor sign-in was turned off")["Subject"])

    laptop = Client(backend.server)
    signed_in = laptop.login(email)
    assert signed_in.status_code == 200
    assert signed_in.json()["status"] == "signed_in"
    assert laptop.get("/v1/account").status_code == 200
    assert client.post("/v1/account/two-factor/disable", {"password": PASSWORD, "code": codes[0]}).status_code == 409
