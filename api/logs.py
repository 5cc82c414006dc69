"""Logging for every process: structlog to stderr (stdout stays clean for JSON output), with
no secret in any line.

Secrets reach logs three ways, and each is closed here: tracebacks printed with their local
variables (a Settings object holds the model's API key and the database URL), URLs with
credentials in them (httpx logs every request's URL), and error messages quoting a secret.
Tracebacks are rendered without locals; every log line, structlog's and the standard
library's, passes through `redact`, which replaces the configured secrets and any URL's
user:password part.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

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

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


def configure_logging(level: str = "INFO", *, secrets: Iterable[str] | None = None) -> None:
    """structlog and the standard library to stderr, redacted; tracebacks without locals.
    `secrets` default to the current settings' (api.config.get_settings)."""
    if secrets is None:
        from api.config import get_settings

        secrets = settings_secrets(get_settings())
    redactor = Redactor(secrets)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(RedactingFilter(redactor))
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,  # the traceback as text, then redacted
            redactor.processor,
            structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty(),
                exception_formatter=structlog.dev.plain_traceback,
            ),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=lambda *_: _StderrLogger(),
        cache_logger_on_first_use=False,  # tests re-configure (capture_logs)
    )
