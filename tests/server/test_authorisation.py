"""The authorisation matrix: every operation in the live server's OpenAPI schema, walked as an anonymous caller and
as two signed-in users, each aiming at the other's account. No call reaches the other account, and anonymous
callers get 401 everywhere except on the routes meant to be public. Forged access tokens get 401 everywhere."""

from __future__ import annotations

import base64
import json
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyotp
import pytest

from tests.server.conftest import Backend
from tests.server.live import PASSWORD, Client, LiveServer, register_verified, token_from

PUBLIC = frozenset({
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/auth/verify-email"),
    ("GET", "/v1/auth/verify-email"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/auth/login/two-factor"),
    ("POST", "/v1/auth/refresh"),
    ("POST", "/v1/auth/password-reset"),
    ("POST", "/v1/auth/password-reset/confirm"),
    ("POST", "/v1/account/email/confirm"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
})
"""The operations anyone may call. Every other operation in the schema must answer 401 without a token."""

PASSWORD_B = "quartz-meadow-58-lighthouse"
NEW_PASSWORD = "amber-canyon-93-signal-post"
FOREIGN_EVENT_KINDS = frozenset({"sign_in_failed", "two_factor_failed", "password_reset_requested"})
"""What someone else may add to an account's history: the record of an attempt that got nothing."""
COMPARED_SECTIONS = ("account", "two_factor", "devices", "sync_changes")
OWN_LOG_WRITES = frozenset({("POST", "/v1/sync/changes")})
"""Writes that can only ever touch the caller's own data (a push goes into the caller's own sync log): they may
succeed for A, and B's log is compared before and after to prove they went nowhere else."""
SYNC_PROTOCOL = {"OET-Sync-Protocol": "1"}

Operation = tuple[str, str]


@dataclass
class Person:
    """A registered, verified, signed-in user and what an attacker might hold of theirs."""

    client: Client
    email: str
    password: str
    spent_token: str
    """The verification code from their mail, already used."""
    user_id: str = ""
    totp_secret: str | None = None
    ticket: str = "forged-ticket-" + "x" * 30
    devices: list[Client] = field(default_factory=list)

    @property
    def device_ids(self) -> list[str]:
        return [d.device_id for d in self.devices if d.device_id]

    def secrets_seen_by_others(self) -> list[str]:
        return [self.email, self.user_id, *self.device_ids]


def _person(backend: Backend, password: str) -> Person:
    client, email = register_verified(backend.server, backend.mail, password=password)
    spent = token_from(backend.mail.wait_for(email, "Verify"))
    person = Person(client, email, password, spent, devices=[client])
    person.user_id = client.get("/v1/account").json()["id"]
    return person


def _enable_two_factor(person: Person) -> None:
    started = person.client.post("/v1/account/two-factor", {"password": person.password})
    assert started.status_code == 200, started.text
    person.totp_secret = started.json()["secret"]
    confirmed = person.client.post("/v1/account/two-factor/confirm",
                                   {"code": pyotp.TOTP(person.totp_secret).now()})
    assert confirmed.status_code == 200, confirmed.text
    ticket = Client(person.client.server).login(person.email, person.password)
    assert ticket.json()["status"] == "two_factor_required", ticket.text
    person.ticket = ticket.json()["ticket"]


def _export(person: Person) -> dict[str, Any]:
    response = person.client.get("/v1/account/export")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- request bodies from the schema ------------------------------------------------------------------------------

def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _generic(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """An example-ish valid value for a schema (for fields the walk has no meaning for)."""
    schema = _resolve(spec, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _generic(spec, next(s for s in schema[key] if s.get("type") != "null"))
    kind = schema.get("type")
    if kind == "object":
        return {name: _generic(spec, sub) for name, sub in schema.get("properties", {}).items()
                if name in schema.get("required", [])}
    if kind == "integer" or kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if schema.get("format") == "email":
        return "someone@example.org"
    length = max(schema.get("minLength", 1), min(12, schema.get("maxLength", 12)))
    return "a" * length


def _values(target: Person, *, protected: bool) -> dict[str, Callable[[], Any]]:
    """What an attacker fills in, aiming at ``target``. On routes that act on the caller's own account, the target's
    real password and a current authenticator code (they must not act on the target); on public routes, where
    knowing the password *is* being the target, a wrong one (and a wrong code with the target's ticket)."""
    def code() -> str:
        return pyotp.TOTP(target.totp_secret).now() if target.totp_secret and protected else "000000"

    return {
        "email": lambda: target.email,
        "new_email": lambda: target.email,
        "password": lambda: target.password if protected else "wrong-" + secrets.token_hex(6),
        "current_password": lambda: target.password,
        "new_password": lambda: NEW_PASSWORD,
        "code": code,
        "token": lambda: target.spent_token,
        "ticket": lambda: target.ticket,
        "refresh_token": lambda: secrets.token_urlsafe(32),  # well-formed, unknown (a real one is a bearer key)
        "device_name": lambda: "Matrix walk",
        "device_id": lambda: target.device_ids[-1],
    }


def _body(spec: dict[str, Any], operation: dict[str, Any], values: dict[str, Callable[[], Any]]) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    schema = _resolve(spec, content["application/json"]["schema"])
    assert schema.get("type") == "object", schema
    body = {}
    for name, sub in schema.get("properties", {}).items():
        if name in values:
            body[name] = values[name]()
        elif name in schema.get("required", []):
            body[name] = _generic(spec, sub)
    return body


def _request(spec: dict[str, Any], who: Client, op: Operation, values: dict[str, Callable[[], Any]]) -> httpx.Response:
    method, path = op
    operation = spec["paths"][path][method.lower()]
    params: dict[str, Any] = {}
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        value = values[name]() if name in values else _generic(spec, parameter.get("schema", {}))
        if parameter["in"] == "path":
            path = path.replace("{" + name + "}", str(value))
        elif parameter["in"] == "query":
            params[name] = value
    return who.request(method, path, json=_body(spec, operation, values), params=params, headers=SYNC_PROTOCOL)


def _operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation, sign-out last (it ends the caller's session)."""
    ops = [(method.upper(), path) for path, item in spec["paths"].items() for method in item
           if method in ("get", "post", "put", "patch", "delete")]
    return sorted(ops, key=lambda op: op == ("POST", "/v1/auth/logout"))


def _walk(spec: dict[str, Any], who: Client, target: Person) -> dict[Operation, httpx.Response]:
    answers = {}
    for op in _operations(spec):
        protected = op not in PUBLIC
        answers[op] = _request(spec, who, op, _values(target, protected=protected))
    return answers


# --- checks --------------------------------------------------------------------------------------------------------

def _leaks(answers: dict[Operation, httpx.Response], victim: Person) -> list[str]:
    found = []
    for op, response in answers.items():
        for secret in victim.secrets_seen_by_others():
            if secret and secret.lower() in response.text.lower():
                found.append(f"{op}: {response.status_code} contains {secret!r}")
    return found


def _check_unchanged(before: dict[str, Any], after: dict[str, Any], victim: Person) -> None:
    """The victim's account, two-factor state and devices are as they were (but for the ``last_seen_at`` their own
    export request may move), and their history only gained records of attempts that got nothing."""
    own_device = victim.client.device_id
    for section in COMPARED_SECTIONS:
        was, now = before[section], after[section]
        if section == "devices":
            was = [{**d, "last_seen_at": None} if d["id"] == own_device else d for d in was]
            now = [{**d, "last_seen_at": None} if d["id"] == own_device else d for d in now]
        assert now == was, f"{victim.email}'s {section} changed:\nbefore {was}\nafter  {now}"
    old = Counter(json.dumps(e, sort_keys=True) for e in before["events"])
    gained = [json.loads(e) for e in (Counter(json.dumps(e, sort_keys=True) for e in after["events"]) - old)
              .elements()]
    others = [e for e in gained if e["kind"] not in FOREIGN_EVENT_KINDS and e["address"] != victim.client.address]
    assert not others, f"someone else's requests added to {victim.email}'s history: {others}"


def _tokens_work(person: Person) -> None:
    for device in person.devices:
        if device.access_token:
            response = device.get("/v1/account")
            assert response.status_code == 200, (device.device_id, response.text)
            assert response.json()["email"] == person.email


@pytest.mark.server
def test_authorisation_matrix(backend: Backend) -> None:
    server = backend.server
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    ops = _operations(spec)
    anonymous = Client(server)
    a = _person(backend, PASSWORD)
    b = _person(backend, PASSWORD_B)
    second = Client(server)
    assert second.login(b.email, b.password, device_name="B's second computer").status_code == 200
    b.devices.append(second)
    _enable_two_factor(b)
    b_change = {"key": "b-change-0001", "entity": "session", "entity_id": "b-session", "op": "upsert",
                "changed_at": "2026-12-01T09:00:00+00:00", "origin": "b-laptop-01", "data": {"status": "finished"}}
    pushed = b.client.post("/v1/sync/changes", {"changes": [b_change]}, headers=SYNC_PROTOCOL)
    assert pushed.status_code == 200, pushed.text
    assert set(PUBLIC) <= set(ops), f"public routes missing from the schema: {sorted(PUBLIC - set(ops))}"

    # Anonymous and A walk every operation aiming at B.
    b_before = _export(b)
    as_anonymous = _walk(spec, anonymous, b)
    as_a = _walk(spec, a.client, b)

    # (a) Anonymous: 401 everywhere but the public list; the schema marks exactly those others as protected.
    unprotected = sorted(f"{op}: {r.status_code}" for op, r in as_anonymous.items()
                         if op not in PUBLIC and r.status_code != 401)
    assert not unprotected, f"routes neither public nor refusing anonymous callers: {unprotected}"
    for op, response in as_anonymous.items():
        if op not in PUBLIC:
            assert response.headers.get("www-authenticate") == "Bearer", op
    marked = {op for op in ops if spec["paths"][op[1]][op[0].lower()].get("security")}
    assert marked == set(ops) - PUBLIC, f"the schema's security marks differ: {sorted(marked ^ (set(ops) - PUBLIC))}"

    # A is signed in (never 401 before signing out) and, with B's ids, password and codes, changes nothing.
    _check_actor(as_a, ops)
    # (b) B's account, two-factor state and devices are untouched; B's tokens and password still work.
    _check_unchanged(b_before, _export(b), b)
    _tokens_work(b)
    refreshed = second.post("/v1/auth/refresh", {"refresh_token": second.refresh_token}, auth=False)
    second.take_tokens(refreshed)
    relogin = Client(server).login(b.email, b.password)
    assert relogin.json()["status"] == "two_factor_required", relogin.text
    # (c) Nothing A or an anonymous caller got back names B (nor the metrics, public and outside the schema).
    assert not _leaks(as_anonymous, b) + _leaks(as_a, b) + _leaks({("GET", "/metrics"): anonymous.get("/metrics")}, b)

    # The owner's own request for the same device works: A's 404 was authorisation, not a malformed request.
    own = b.client.request("DELETE", f"/v1/devices/{second.device_id}")
    assert own.status_code == 204, own.text
    assert second.get("/v1/account").status_code == 401
    b.devices.remove(second)

    # B walks every operation aiming at A (signed in again after their walk ended with sign-out).
    assert a.client.login(a.email, a.password).status_code == 200
    a_before = _export(a)
    as_b = _walk(spec, b.client, a)
    _check_actor(as_b, ops)
    _check_unchanged(a_before, _export(a), a)
    _tokens_work(a)
    assert not _leaks(as_b, a)

    statuses = {who: dict(Counter(r.status_code for r in answers.values()))
                for who, answers in (("anonymous", as_anonymous), ("A", as_a), ("B", as_b))}
    print(f"\nauthorisation matrix on {backend.name}: {len(ops)} operations x 3 identities = {3 * len(ops)} calls; "
          f"statuses {statuses}")


def _check_actor(answers: dict[Operation, httpx.Response], ops: list[Operation]) -> None:
    """A signed-in caller aiming at someone else: no server error, authenticated on every protected route, and
    every protected change (which can only act on the caller's own account) refused."""
    errors = [f"{op}: {r.status_code}" for op, r in answers.items() if r.status_code >= 500]
    assert not errors, errors
    for op in ops:
        response = answers[op]
        if op in PUBLIC:
            continue
        assert response.status_code != 401, f"{op} refused a signed-in caller: {response.text}"
        if op[0] != "GET" and op != ("POST", "/v1/auth/logout") and op not in OWN_LOG_WRITES:
            assert response.status_code in (403, 404, 409, 429), \
                f"{op} with the other account's password, code or ids answered {response.status_code}: {response.text}"
    assert answers[("POST", "/v1/auth/logout")].status_code == 204


# --- forged credentials --------------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _with_claims(token: str, **changes: Any) -> str:
    """The token with its payload changed and its header and signature kept."""
    header, _, signature = token.split(".")
    payload = _b64(json.dumps({**_claims(token), **changes}).encode())
    return f"{header}.{payload}.{signature}"


def _unsigned(claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}."


@pytest.mark.server
def test_forged_tokens_are_refused_everywhere(backend: Backend) -> None:
    server: LiveServer = backend.server
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    a = _person(backend, PASSWORD)
    b = _person(backend, PASSWORD_B)
    _enable_two_factor(b)
    assert a.client.access_token
    assert b.client.access_token
    assert b.client.refresh_token
    b_claims = _claims(b.client.access_token)
    forged = {
        "A's token, sub changed to B": _with_claims(a.client.access_token, sub=b.user_id),
        "A's token, sub and device changed to B's": _with_claims(a.client.access_token, sub=b.user_id,
                                                                 sid=b.client.device_id),
        "A's token, expiry pushed back": _with_claims(a.client.access_token, exp=_claims(a.client.access_token)
                                                      ["exp"] + 86400),
        "B's claims, alg none": _unsigned(b_claims),
        "B's two-factor sign-in ticket": b.ticket,
        "B's refresh token": b.client.refresh_token,
    }
    protected = [op for op in _operations(spec) if op not in PUBLIC]
    b_before = _export(b)
    wrong = []
    for name, token in forged.items():
        caller = Client(server, access_token=token)
        for op in protected:
            response = _request(spec, caller, op, _values(b, protected=True))
            if response.status_code != 401 or b.email in response.text:
                wrong.append(f"{name} on {op}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
    _check_unchanged(b_before, _export(b), b)
    _tokens_work(a)
    _tokens_work(b)
    print(f"\nforged tokens on {backend.name}: {len(forged)} kinds x {len(protected)} protected operations, all 401")
