"""The account server's HTTP API as the app uses it: registration, sign-in (with the two-factor step), tokens
refreshed when the access token expires, the account and its devices, and the sync log (push and pull).

Every request carries ``OET-Sync-Protocol: 1``. Failures become errors a candidate can read:
:class:`Offline` (no answer), :class:`NotSignedIn`, :class:`ResyncRequired` (the server's log does not fit this
computer's cursor), :class:`ProtocolTooOld` (update the app), :class:`RateLimited`, :class:`ServerUnavailable`,
and :class:`AccountRefused` for the rest, each with the server's own sentence."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from oet_desktop import __version__
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.sync.protocol import (
    PROTOCOL_HEADER,
    SYNC_PROTOCOL,
    AccountInfo,
    DeviceInfo,
    ProtocolError,
    PullPage,
    PushResult,
    Tokens,
    TwoFactorChallenge,
    WireChange,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
PULL_LIMIT = 500
_REFRESH_LOCK = threading.Lock()
"""One refresh at a time in this process (a refresh token works once: two at once would sign the device out)."""


class AccountError(UserFacingError):
    """Anything the account server refused or could not answer."""


class Offline(AccountError):
    """The server could not be reached (no network, server down, timeout)."""


class NotSignedIn(AccountError):
    """No tokens, or the server no longer accepts them (signed out, revoked, expired)."""


class ResyncRequired(AccountError):
    """The server's log does not fit this computer's cursor: pull everything again, push everything again."""


class ProtocolTooOld(AccountError):
    """The server speaks another sync protocol: the app needs updating to sync (it keeps working offline)."""


class RateLimited(AccountError):
    """Too many attempts; ``retry_after`` seconds to wait."""

    def __init__(self, problem: str, fix: str, retry_after: int | None = None) -> None:
        super().__init__(problem, fix)
        self.retry_after = retry_after


class ServerUnavailable(AccountError):
    """The server answered with an error of its own (5xx) or an answer that does not follow the protocol."""


class AccountRefused(AccountError):
    """A request the server refused (wrong password, unverified address, bad input…), with its status."""

    def __init__(self, problem: str, fix: str, status: int) -> None:
        super().__init__(problem, fix)
        self.status = status


class TokenStore(Protocol):
    """Where this computer's tokens for one server live (the system keyring in the app)."""

    def get(self) -> Tokens | None: ...

    def set(self, tokens: Tokens) -> None: ...

    def clear(self) -> None: ...


class MemoryTokens:
    """Tokens held in memory (tests, and one-off use)."""

    def __init__(self, tokens: Tokens | None = None) -> None:
        self.tokens = tokens

    def get(self) -> Tokens | None:
        return self.tokens

    def set(self, tokens: Tokens) -> None:
        self.tokens = tokens

    def clear(self) -> None:
        self.tokens = None


def server_base(url: str) -> str:
    """The server's address without a trailing slash; a clear error for one that is not an http(s) address."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserFacingError(f"{url!r} is not an account server address.",
                              "Give the whole address, for example https://sync.example.org.")
    return url.strip().rstrip("/")


def _detail(response: httpx.Response) -> tuple[str, str | None]:
    """The server's sentence (and its machine-readable code) from an error answer."""
    try:
        body = response.json()
    except ValueError:
        return f"The account server answered {response.status_code} {response.reason_phrase}.", None
    if not isinstance(body, dict):
        return f"The account server answered {response.status_code}.", None
    detail = body.get("detail")
    code = body.get("code") if isinstance(body.get("code"), str) else None
    if isinstance(detail, str):
        return detail, code
    if isinstance(detail, list):  # a 422: where and why
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{where}: {item.get('msg', '')}" if where else str(item.get("msg", "")))
        return "The account server refused the request (" + "; ".join(parts) + ").", code
    return f"The account server answered {response.status_code}.", code


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", ")")) else text + "."


class AccountClient:
    """One account server's API for one computer. ``tokens`` holds its tokens; ``http`` is an httpx client to
    use (one is made, and closed by :meth:`close`, when none is given)."""

    def __init__(self, base_url: str, tokens: TokenStore, http: httpx.Client | None = None) -> None:
        self.base_url = server_base(base_url)
        self._tokens = tokens
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=False)

    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._own_http:
            self._http.close()

    def __enter__(self) -> AccountClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def tokens(self) -> Tokens | None:
        """The tokens held now (None: not signed in)."""
        return self._tokens.get()

    # --- requests ---------------------------------------------------------------------------------------
    def _send(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
              access_token: str | None = None) -> httpx.Response:
        headers = {PROTOCOL_HEADER: str(SYNC_PROTOCOL), "User-Agent": f"oet-desktop/{__version__}"}
        if access_token is not None:
            headers["Authorization"] = f"Bearer {access_token}"
        try:
            return self._http.request(method, f"{self.base_url}{path}", json=json, params=params, headers=headers)
        except httpx.TransportError as error:  # connection refused, DNS, timeouts, a dropped connection
            raise Offline(f"The account server at {self.base_url} could not be reached ({type(error).__name__}).",
                          "Check the connection and the server address; your practice is kept on this computer "
                          "and syncs next time.") from error

    def _request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                 auth: bool = True) -> httpx.Response:
        """Send a request (signed in with ``auth``), refreshing the tokens once on a 401; the answer, checked."""
        if not auth:
            return self._checked(self._send(method, path, json=json, params=params), signed_in=False)
        tokens = self._tokens.get()
        if tokens is None:
            raise NotSignedIn("This computer is not signed in to an account.",
                              "Sign in first (`oet-desktop account login`).")
        response = self._send(method, path, json=json, params=params, access_token=tokens.access_token)
        if response.status_code == 401:
            fresh = self._refresh_after(tokens)
            response = self._send(method, path, json=json, params=params, access_token=fresh.access_token)
        return self._checked(response)

    def _checked(self, response: httpx.Response, signed_in: bool = True) -> httpx.Response:
        status = response.status_code
        if status < 400:
            return response
        detail, code = _detail(response)
        detail = _sentence(detail)
        if status == 409 and code == "resync_required":
            raise ResyncRequired(detail, "Everything is pulled and pushed again.")
        if status == 426:
            raise ProtocolTooOld(detail, "Practice keeps working offline meanwhile.")
        if status == 429:
            retry = response.headers.get("Retry-After", "")
            raise RateLimited(detail, "Wait a moment and try again.", int(retry) if retry.isdigit() else None)
        if status == 401 and signed_in:
            raise NotSignedIn(detail, "Sign in again (`oet-desktop account login`).")
        if status >= 500:
            raise ServerUnavailable(f"The account server had a problem ({status}): {detail}",
                                    "Try again later; your practice is kept on this computer.")
        raise AccountRefused(detail, "", status)

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as error:
            raise ServerUnavailable(f"The account server at {self.base_url} answered something that is not JSON.",
                                    "Check the server address: it may not be an OET Desktop account server.") \
                from error

    def _parse(self, parse: Any, response: httpx.Response) -> Any:
        try:
            return parse(self._json(response))
        except ProtocolError as error:
            raise ServerUnavailable(f"The account server's answer does not follow the sync protocol ({error}).",
                                    "Check the server address, or update the app.") from error

    def _refresh_after(self, stale: Tokens) -> Tokens:
        """New tokens after ``stale`` was refused: one refresh at a time, and none when another request has
        refreshed meanwhile (the newest tokens are kept)."""
        with _REFRESH_LOCK:
            current = self._tokens.get()
            if current is None:
                raise NotSignedIn("This computer was signed out.", "Sign in again (`oet-desktop account login`).")
            if current.access_token != stale.access_token:
                return current
            for attempt in range(2):
                response = self._send("POST", "/v1/auth/refresh", json={"refresh_token": current.refresh_token})
                if response.status_code == 200:
                    fresh: Tokens = self._parse(lambda body: Tokens.from_json(body, current.email), response)
                    self._tokens.set(fresh)
                    return fresh
                if response.status_code == 401:
                    self._tokens.clear()
                    detail, _ = _detail(response)
                    raise NotSignedIn(_sentence(detail), "Sign in again (`oet-desktop account login`).")
                if response.status_code == 409 and attempt == 0:
                    # Another program on this computer is refreshing the same token: take its answer.
                    time.sleep(0.5)
                    newer = self._tokens.get()
                    if newer is not None and newer.access_token != current.access_token:
                        return newer
                    continue
                self._checked(response, signed_in=False)
            raise ServerUnavailable("The sign-in could not be renewed.", "Try again in a moment.")

    # --- account ----------------------------------------------------------------------------------------
    def register(self, email: str, password: str) -> str:
        """Create an account (the server mails a verification code); the server's message."""
        body = self._json(self._request("POST", "/v1/auth/register", json={"email": email, "password": password},
                                        auth=False))
        return str(body.get("message", "")) if isinstance(body, dict) else ""

    def verify_email(self, token: str) -> AccountInfo:
        """Verify the address with the mailed code."""
        response = self._request("POST", "/v1/auth/verify-email", json={"token": token.strip()}, auth=False)
        result: AccountInfo = self._parse(AccountInfo.from_json, response)
        return result

    def resend_verification(self) -> str:
        """Mail a new verification code to the signed-in account."""
        body = self._json(self._request("POST", "/v1/account/verification-email"))
        return str(body.get("message", "")) if isinstance(body, dict) else ""

    def login(self, email: str, password: str, device_name: str = "OET Desktop",
              client_id: str | None = None) -> Tokens | TwoFactorChallenge:
        """Sign in: the tokens (kept in the token store), or a two-factor challenge to answer with
        :meth:`login_two_factor`."""
        request: dict[str, Any] = {"email": email, "password": password, "device_name": device_name[:100]}
        if client_id is not None:
            request["client_id"] = client_id
        body = self._json(self._request("POST", "/v1/auth/login", json=request, auth=False))
        if isinstance(body, dict) and body.get("status") == "two_factor_required":
            ticket, expires = body.get("ticket"), body.get("expires_in")
            if not isinstance(ticket, str) or not isinstance(expires, int):
                raise ServerUnavailable("The account server's two-factor answer is malformed.", "Try again.")
            return TwoFactorChallenge(ticket, expires)
        try:
            tokens = Tokens.from_json(body, email)
        except ProtocolError as error:
            raise ServerUnavailable(f"The account server's sign-in answer is malformed ({error}).",
                                    "Try again.") from error
        self._tokens.set(tokens)
        return tokens

    def login_two_factor(self, challenge: TwoFactorChallenge, code: str, email: str = "") -> Tokens:
        """Finish a two-factor sign-in with an authenticator code or a recovery code."""
        response = self._request("POST", "/v1/auth/login/two-factor",
                                 json={"ticket": challenge.ticket, "code": code.strip()}, auth=False)
        tokens: Tokens = self._parse(lambda body: Tokens.from_json(body, email), response)
        self._tokens.set(tokens)
        return tokens

    def refresh(self) -> Tokens:
        """New tokens now (normally done by itself when the access token has expired)."""
        tokens = self._tokens.get()
        if tokens is None:
            raise NotSignedIn("This computer is not signed in to an account.",
                              "Sign in first (`oet-desktop account login`).")
        return self._refresh_after(tokens)

    def logout(self) -> None:
        """Sign this computer out: the server stops accepting its tokens, and they are forgotten here (also when
        the server cannot be reached: then revoke the device from another computer)."""
        try:
            if self._tokens.get() is not None:
                self._request("POST", "/v1/auth/logout")
        except NotSignedIn:
            pass
        finally:
            self._tokens.clear()

    def account(self) -> AccountInfo:
        """The signed-in account."""
        result: AccountInfo = self._parse(AccountInfo.from_json, self._request("GET", "/v1/account"))
        return result

    def devices(self) -> list[DeviceInfo]:
        """The account's signed-in devices."""
        body = self._json(self._request("GET", "/v1/devices"))
        if not isinstance(body, list):
            raise ServerUnavailable("The account server's device list is malformed.", "Try again.")
        try:
            return [DeviceInfo.from_json(item) for item in body]
        except ProtocolError as error:
            raise ServerUnavailable(f"The account server's device list is malformed ({error}).", "Try again.") \
                from error

    def revoke_device(self, device_id: str) -> None:
        """Sign one of the account's devices out."""
        self._request("DELETE", f"/v1/devices/{device_id}")

    # --- sync -------------------------------------------------------------------------------------------
    def push(self, changes: Sequence[WireChange]) -> PushResult:
        """Add changes to the account's log (a change whose key the log holds is kept once)."""
        response = self._request("POST", "/v1/sync/changes", json={"changes": [c.to_json() for c in changes]})
        result: PushResult = self._parse(PushResult.from_json, response)
        return result

    def pull(self, cursor: str = "", limit: int = PULL_LIMIT) -> PullPage:
        """The changes after ``cursor`` (all of them from the start for ``""``)."""
        response = self._request("GET", "/v1/sync/changes", params={"cursor": cursor, "limit": limit})
        result: PullPage = self._parse(PullPage.from_json, response)
        return result
