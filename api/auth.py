"""Who may call the API: API keys with a scope, checked on every /v1 route.

- A key is `wc_` + 32 random bytes (urlsafe). Only its sha256 is stored: a key that random
  needs no slow password hash, and a leaked table gives no usable key.
- A request sends it as `Authorization: Bearer <key>` or `X-API-Key: <key>`. A key that is
  unknown or revoked is a 401; a key whose scope is too small for the route is a 403. A
  browser that logged in on the HTML view's /login sends it in the `wirecoder_key` cookie.
- Scopes (api.models.ApiKeyScope): `read` for every GET, `write` for submitting and
  re-running, `admin` for raw model outputs. Each includes the ones before it.
- Without a key a request is served only where `Settings.anonymous_allowed` (development,
  bound to a loopback host, by default) and then with every scope; elsewhere it is a 401.
- Re-running an extraction spends model tokens: re-runs are rate-limited per key (per client
  address for anonymous callers), `Settings.rerun_rate_limit`, answered 429 with Retry-After.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from api.config import Settings
from api.models import ApiKey, ApiKeyScope, utcnow

KEY_PREFIX = "wc_"
_SHOWN_PREFIX_CHARS = 10  # 'wc_' and 7 characters of the secret: enough to tell keys apart
_LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is a hint, not a write per request

_bearer = HTTPBearer(auto_error=False, description="An API key: `wirecoder keys create`.")
_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key: `wirecoder keys create`."
)


# ---- keys -----------------------------------------------------------------------------------


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(session: Session, *, name: str, scope: ApiKeyScope) -> tuple[ApiKey, str]:
    """A new key for `name`: the stored row and the secret, which is never stored."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name, scope=scope.value, prefix=secret[:_SHOWN_PREFIX_CHARS], key_hash=hash_key(secret)
    )
    session.add(key)
    session.commit()
    session.refresh(key)
    return key, secret


def revoke_key(session: Session, key_id: int) -> ApiKey | None:
    key = session.get(ApiKey, key_id)
    if key is not None and key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.commit()
        session.refresh(key)
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))).all())


def active_key_count(engine: Engine) -> int:
    with Session(engine) as session:
        count = select(func.count()).select_from(ApiKey).where(col(ApiKey.revoked_at).is_(None))
        return int(session.exec(count).one())


def refuse_unprotected_start(settings: Settings, engine: Engine) -> None:
    """The service does not start open to anyone: where anonymous requests are not allowed
    (production, or bound to a public address) at least one key must exist."""
    if settings.anonymous_allowed or active_key_count(engine) > 0:
        return
    where = "in production" if settings.is_production else f"bound to {settings.host}"
    raise RuntimeError(
        f"refusing to start {where} without API keys: create one with "
        "`wirecoder keys create --name NAME --scope admin`"
        + ("" if settings.is_production else ", or set WIRECODER_ALLOW_ANONYMOUS=true")
    )


# ---- requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who sent the request: a key's holder, or anonymous (served only where allowed)."""

    name: str
    scope: ApiKeyScope
    key_id: int | None = None

    def allows(self, scope: ApiKeyScope) -> bool:
        return self.scope.allows(scope)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


# The HTML view's login (api.view_auth) keeps the key in this HttpOnly, SameSite=Strict cookie:
# a browser cannot send a header on a page load or a plain form POST.
SESSION_COOKIE = "wirecoder_key"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def cookie_secret(request: Request) -> str | None:
    """The key of the login cookie. SameSite=Strict keeps it off other sites' requests; a
    write that still says it comes from another origin is refused (403) all the same."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if request.method in _UNSAFE and origin is not None and origin != own:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"a request from {origin} may not use this site's login cookie",
        )
    return secret


def authenticate(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> Caller:
    """The caller of this request (401 when a key is wrong, or missing where one is needed)."""
    settings: Settings = request.app.state.settings
    secret = header or (bearer.credentials if bearer else None) or cookie_secret(request)
    if not secret:
        if settings.anonymous_allowed:
            return Caller(name="anonymous", scope=ApiKeyScope.ADMIN)
        raise _unauthorized(
            "this API needs a key: send it as 'Authorization: Bearer <key>' or "
            "'X-API-Key: <key>' (keys are made with `wirecoder keys create`)"
        )
    with Session(request.app.state.engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(secret))).first()
        if key is None or key.revoked_at is not None:
            raise _unauthorized("the API key is unknown or revoked")
        now = utcnow()
        last = key.last_used_at
        if last is None or now - last.replace(tzinfo=now.tzinfo) > _LAST_USED_EVERY:
            key.last_used_at = now
            session.add(key)
            session.commit()
        assert key.id is not None
        return Caller(name=key.name, scope=ApiKeyScope(key.scope), key_id=key.id)


CallerDep = Annotated[Caller, Depends(authenticate)]

_READING = {"GET", "HEAD", "OPTIONS"}


def authorize(request: Request, caller: CallerDep) -> Caller:
    """Router-wide check: reading needs `read`, anything else `write` (403 otherwise)."""
    needed = ApiKeyScope.READ if request.method in _READING else ApiKeyScope.WRITE
    return require(caller, needed, f"{request.method} {request.url.path}")


def require(caller: Caller, scope: ApiKeyScope, what: str) -> Caller:
    if not caller.allows(scope):
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"the key of {caller.name!r} has scope {caller.scope.value!r}; "
            f"{what} needs scope {scope.value!r}",
        )
    return caller


class RerunLimiter:
    """Re-runs per caller in a moving window (`limits`, in this process's memory)."""

    def __init__(self, rate: str) -> None:
        self.rate = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, who: str) -> None:
        if self._limiter.hit(self.rate, who):
            return
        reset = self._limiter.get_window_stats(self.rate, who).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many extraction re-runs: the limit is {self.rate} per key; "
            f"try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def limit_reruns(request: Request, caller: CallerDep) -> None:
    """Route dependency of re-runs: counts this one against its caller's limit."""
    limiter: RerunLimiter = request.app.state.rerun_limiter
    client = request.client.host if request.client else "unknown"
    limiter.check(f"key:{caller.key_id}" if caller.key_id else f"client:{client}")
