"""Error bodies: one model for every error but 422, the responses every operation declares, and
the handler that turns a request validation error into a 400 or a 422.

An error is `{"detail": "what was wrong"}`; a 422 is FastAPI's HTTPValidationError (a list of
`{loc, msg, type, input?, ctx?}`), also when a route refuses a value itself (`invalid`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from starlette.routing import Match

from schemas.text import shorten


class ErrorBody(BaseModel):
    """What went wrong, in words."""

    detail: str = Field(examples=["article 7 not found"])


def error_response(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Declared on every operation (create_app's `responses`): add a status here, not on a route.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: error_response("The body is not valid JSON, or cannot be read."),
    401: error_response("No API key where one is needed, or an unknown or revoked one."),
    403: error_response("The API key's scope does not allow this operation."),
    404: error_response("No such article or job."),
    409: error_response("The request conflicts with what is stored."),
    413: error_response("An article's text is longer than WIRECODER_MAX_ARTICLE_CHARS."),
    429: error_response("Too many extraction re-runs for this key: see Retry-After."),
    # 422: FastAPI declares its HTTPValidationError on every operation that takes a value
}


def json_error_responses() -> dict[int | str, dict[str, Any]]:
    """ERROR_RESPONSES for a route whose own answer is not JSON (the HTML view): FastAPI would
    declare its errors in the route's media type, but they are JSON like everywhere else."""
    ref = {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
    return {
        status: {"description": r["description"], "content": {"application/json": ref}}
        if r.get("model") is ErrorBody
        else r
        for status, r in ERROR_RESPONSES.items()
    }


def invalid(loc: Sequence[str | int], msg: str, value: Any) -> RequestValidationError:
    """A 422 in the shape FastAPI gives its own, for a value a route refuses itself."""
    return RequestValidationError(
        [{"type": "value_error", "loc": tuple(loc), "msg": msg, "input": value}]
    )


async def validation_error(request: Request, error: Exception) -> JSONResponse:
    """422 with pydantic's list of what was wrong; a body that is not JSON at all is a 400."""
    assert isinstance(error, RequestValidationError)
    details = error.errors()
    if any(d.get("type") == "json_invalid" for d in details):
        where = next(d for d in details if d.get("type") == "json_invalid")
        reason = (where.get("ctx") or {}).get("error", "")
        return JSONResponse(
            status_code=400,
            content={"detail": f"malformed JSON body: {reason}".strip().rstrip(":")},
        )
    return JSONResponse(status_code=422, content={"detail": [_echoable(d) for d in details]})


async def method_not_allowed(request: Request, error: Exception) -> JSONResponse:
    """405 whose Allow header names every method of the path: Starlette names only those of
    the first route it matched (GET and POST /v1/articles are two routes)."""
    allowed: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        if route.methods and route.matches(request.scope)[0] != Match.NONE:
            allowed |= set(route.methods)
    return JSONResponse(
        status_code=405,
        content={"detail": f"{request.method} is not allowed here"},
        headers={"Allow": ", ".join(sorted(allowed))},
    )


# How much of a refused value a 422 repeats: enough to recognise it.
_ECHO_CHARS = 200
_ECHO_DEPTH = 4
_ECHO_ITEMS = 20


def _echoable(detail: Any) -> Any:
    """One pydantic error made JSON-safe: the refused input can hold what JSON cannot carry
    (lone surrogates, NaN, bytes) or be huge or deeply nested, and ctx an exception."""
    safe = dict(detail)
    if "input" in safe:
        safe["input"] = _echo(safe["input"], _ECHO_DEPTH)
    if "ctx" in safe:
        safe["ctx"] = {str(k): _echo(v, 1) for k, v in dict(safe["ctx"]).items()}
    safe["loc"] = [part if isinstance(part, int) else _text(str(part)) for part in safe["loc"]]
    safe["msg"] = _text(str(safe["msg"]))
    return jsonable_encoder(safe)


def _echo(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bytes):
        return _text(value.decode("utf-8", "replace"))
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth <= 0:
        return "..."
    if isinstance(value, dict):
        items = list(value.items())[:_ECHO_ITEMS]
        return {_text(str(k)): _echo(v, depth - 1) for k, v in items}
    if isinstance(value, list | tuple):
        return [_echo(v, depth - 1) for v in value[:_ECHO_ITEMS]]
    return _text(str(value))  # an exception in ctx, a model, a date


def _text(value: str) -> str:
    return "".join(
        "\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in shorten(value, _ECHO_CHARS)
    )
