"""Logging for every process: structlog and the standard library's records (uvicorn's access
and error lines, httpx, alembic) to stderr (stdout stays clean for JSON output) in one format,
`console` or `json` lines (`WIRECODER_LOG_FORMAT`), each with the request id of the request it
belongs to (`RequestIdMiddleware`; a job carries its request's id into its worker), and no
secret in any line.

Secrets reach logs three ways, and each is closed here: tracebacks printed with their local
variables (a Settings object holds the model's API key and the database URL), URLs with
credentials in them (httpx logs every request's URL), and error messages quoting a secret.
Tracebacks are rendered without locals; every log line, structlog's and the standard
library's, passes through `redact`, which replaces the configured secrets and any URL's
user:password part, before rendering (every string, nested ones too) and once more on the
rendered line (what a renderer made of objects' reprs).
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any, Literal

import structlog
from sqlalchemy.engine import make_url

# scheme://user:password@host -> scheme://***@host
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@")
# ?api_key=..., &token=... in a logged URL
_QUERY_SECRET = re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access_token|password)=)[^&\s]+")
MASK = "***"
_MIN_SECRET_CHARS = 6  # shorter strings would mask ordinary words


class Redactor:
    """Replaces the secrets it was given, and credentials in any URL, by ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted(
            {s for s in secrets if s and len(s) >= _MIN_SECRET_CHARS}, key=len, reverse=True
        )

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = _URL_CREDENTIALS.sub(rf"\g<scheme>{MASK}@", text)
        return _QUERY_SECRET.sub(rf"\1{MASK}", text)

    def processor(
        self, _logger: Any, _name: str, event: MutableMapping[str, Any]
    ) -> Mapping[str, Any]:
        """structlog processor: every string value of the event, redacted."""
        return {key: self._value(value) for key, value in event.items()}

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self(value)
        if isinstance(value, BaseException):  # rendered later from its message
            return self(f"{type(value).__name__}: {value}")
        if isinstance(value, Mapping):
            return {key: self._value(item) for key, item in value.items()}
        if isinstance(value, list | tuple | set):
            return [self._value(item) for item in value]
        return value


class RedactingFilter(logging.Filter):
    """The standard library's records (httpx, uvicorn, alembic), redacted before any handler
    formats them."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # the formatter would print the exception's own message unredacted
            record.msg = f"{record.msg}\n{self.redactor(_format_exception(record))}"
            record.exc_info = None
            record.exc_text = None
        return True


def _format_exception(record: logging.LogRecord) -> str:
    return logging.Formatter().formatException(record.exc_info)  # type: ignore[arg-type]


def url_password(url: str) -> str:
    """The password in a database URL ('' when none or not a URL)."""
    try:
        return make_url(url).password or "" if url else ""
    except Exception:  # not a URL SQLAlchemy reads: nothing to pull out of it
        return ""


def settings_secrets(settings: Any) -> list[str]:
    """The secrets a Settings object holds: the model's API key and the database passwords."""
    return [
        settings.llm_api_key.get_secret_value(),
        url_password(settings.resolved_database_url),
        url_password(settings.resolved_dbos_database_url),
    ]


class _StderrLogger:
    """Prints to the sys.stderr of the moment: a logger cached with the stream of the time
    would write to a closed file once a test runner or CliRunner swapped it back."""

    def __init__(self, name: str = "") -> None:
        self.name = name

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


class _StderrHandler(logging.StreamHandler[Any]):
    """The standard library's records to the sys.stderr of the moment (as _StderrLogger)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


LogFormat = Literal["console", "json"]
_DBOS = "__dbos_console_log_handler__"  # the name dbos._logger gives its own handler
_UVICORN = ("default", "access")  # the names of uvicorn.config.LOGGING_CONFIG's handlers


def _add_logger_name(
    logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record = event.get("_record")
    name = record.name if record is not None else getattr(logger, "name", "")
    if name:
        event.setdefault("logger", name)
    return event


def _renderer(log_format: LogFormat, redactor: Redactor) -> Callable[..., str]:
    inner: Callable[..., str | bytes]
    if log_format == "json":
        inner = structlog.processors.JSONRenderer()
    else:
        inner = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )

    def render(logger: Any, name: str, event: MutableMapping[str, Any]) -> str:
        rendered = inner(logger, name, event)
        return redactor(rendered if isinstance(rendered, str) else rendered.decode())

    return render


def configure_logging(
    level: str = "INFO",
    *,
    secrets: Iterable[str] | None = None,
    log_format: LogFormat | None = None,
) -> None:
    """structlog and the standard library to stderr in one format, redacted; tracebacks
    without locals. `secrets` and `log_format` default to the current settings'
    (api.config.get_settings)."""
    if secrets is None or log_format is None:
        from api.config import get_settings

        settings = get_settings()
        secrets = settings_secrets(settings) if secrets is None else secrets
        log_format = log_format or settings.log_format
    redactor = Redactor(secrets)
    render = _renderer(log_format, redactor)
    # What every line gets, structlog's and the standard library's alike.
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,  # request_id, job_id
        structlog.processors.add_log_level,
        _add_logger_name,
        structlog.processors.TimeStamper(fmt="iso"),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redactor.processor,
            render,
        ],
    )
    root = logging.getLogger()
    root.setLevel(level)
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)  # configured again (tests, CLI): one handler, the latest
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root.addHandler(handler)
    # DBOS gives its logger a console handler in a format of its own, unless it has one
    dbos = logging.getLogger("dbos")
    for theirs in [h for h in dbos.handlers if isinstance(h, _StderrHandler) or h.name == _DBOS]:
        dbos.removeHandler(theirs)
    dbos.addHandler(handler)
    dbos.propagate = False  # as DBOS has it: each of its lines once
    # uvicorn run by itself (`uvicorn --factory api.main:create_app`) has given its loggers its
    # own handlers and format (its LOGGING_CONFIG's "default" and "access"): ours instead.
    # `wirecoder serve` passes log_config=None, so there are none; --no-access-log leaves none.
    for name in ("uvicorn", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        own = [h for h in uvicorn_logger.handlers if h.name in _UVICORN]
        for uvicorn_handler in own:
            uvicorn_logger.removeHandler(uvicorn_handler)
        uvicorn_logger.propagate = uvicorn_logger.propagate or bool(own)
    # every handler's records redacted before it formats them (ours, and any a test runner
    # or an embedding program attached)
    for each in root.handlers:
        for old_filter in [f for f in each.filters if isinstance(f, RedactingFilter)]:
            each.removeFilter(old_filter)
        each.addFilter(RedactingFilter(redactor))
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,  # the traceback as text, then redacted
            redactor.processor,
            render,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=lambda name="", *_: _StderrLogger(str(name or "")),
        cache_logger_on_first_use=False,  # tests re-configure (capture_logs)
    )


# ---- request ids ----------------------------------------------------------------------------

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is echoed into every log line and a response header: only a plain token is
# taken as it is; anything else gets a new id.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def request_id_from(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID when it is a plain token, else a new random id."""
    wanted = REQUEST_ID_HEADER.lower().encode()
    for name, value in headers:
        if name.lower() == wanted:
            candidate = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Every HTTP request gets an id (the caller's X-Request-ID, else a new one), bound into
    structlog's context for every line logged while it is served (uvicorn's access line too)
    and sent back as X-Request-ID. A job queued by the request carries it (api.jobs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
                ]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_with_id)
