"""A login for the HTML pages: a browser cannot send an API key as a header on a page load or
a plain form POST, so /login takes the key in a form, checks it (api.auth) and keeps it in an
HttpOnly, SameSite=Strict cookie (api.auth.SESSION_COOKIE) that api.auth.authenticate reads
beside the headers. Nothing new is stored: the cookie is the key, checked on every request, so
revoking the key ends the login. Where requests without a key are served (the loopback
default) the pages need no login."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from sqlmodel import Session, select

from api.auth import SESSION_COOKIE, Caller, authenticate, hash_key
from api.models import ApiKey, ApiKeyScope
from api.view_forms import FormRejected, one, parse_form

router = APIRouter(tags=["views"], include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
STATIC_DIR = Path(__file__).resolve().parent / "static"  # view.css, view.js
# the security headers of every HTML page: its own scripts and styles only, no framing
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# the same security schemes as api.auth's (OpenAPI names them by class: one description)
_KEY = "An API key: `wirecoder keys create`."
_bearer = HTTPBearer(auto_error=False, description=_KEY)
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description=_KEY)


def view_caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> Caller:
    """The caller of a page: as api.auth says, but a browser without a key is sent to the
    login (303) instead of a JSON 401."""
    try:
        return authenticate(request, bearer, header)
    except HTTPException as error:
        if error.status_code != status.HTTP_401_UNAUTHORIZED:
            raise
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":  # the page the form was on
            target = request.url.path.rsplit("/", 1)[0] + "/view"
        raise HTTPException(
            status_code=status.HTTP_303_SEE_OTHER,
            detail=f"log in first: {error.detail}",
            headers={"Location": f"/login?next={quote(target, safe='')}"},
        ) from None


ViewCallerDep = Annotated[Caller, Depends(view_caller)]


def safe_next(target: str) -> str:
    """Only a path on this site (never `//elsewhere` or a full URL) is a place to go back to."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(
    request: Request, next_url: str, error: str | None = None, code: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "login.html",
        {"next": safe_next(next_url), "error": error},
        status_code=code,
        headers=PAGE_HEADERS,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _login_page(request, next)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the key sent in the form; keep it in the login cookie and go back."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return _login_page(request, "/", f"a login from {origin} is refused", 403)
    try:
        form = parse_form(await request.body())
    except FormRejected as rejected:
        return _login_page(request, "/", rejected.detail, rejected.status_code)
    secret, next_url = one(form, "key"), safe_next(one(form, "next") or "/")
    if not secret:
        return _login_page(request, next_url, "enter an API key", 422)
    with Session(request.app.state.engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(secret))).first()
    if key is None or key.revoked_at is not None:
        return _login_page(request, next_url, "that API key is unknown or revoked", 401)
    if not ApiKeyScope(key.scope).allows(ApiKeyScope.READ):
        return _login_page(request, next_url, "that key may not read", 403)
    response = RedirectResponse(next_url, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
