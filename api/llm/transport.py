"""Transport retries: 429 / 5xx / timeouts / connection errors, retried under the openai client.

Why an httpx2 transport (httpx2 is openai 3's HTTP library) rather than a wrapper around
`create`: it sits below instructor, so a transient failure of any HTTP call (a first call or a
re-ask) is retried on its own without instructor counting a re-ask or re-sending a
conversation, and the openai client's own retries stay off (`max_retries=0`). Instructor only
ever sees a final answer or a final error.

`track_calls()` gives the caller the retries (and replayed recordings) of its own calls: the
counters live in a context variable, so concurrent extractions in other threads don't mix.
"""

from __future__ import annotations

import contextvars
import email.utils
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx2
import structlog
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_random_exponential,
)

if TYPE_CHECKING:
    from api.config import Settings

log = structlog.get_logger(__name__)

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx2.TimeoutException,
    httpx2.NetworkError,  # connect / read / write errors
    httpx2.RemoteProtocolError,  # server dropped the connection
)
BACKOFF_MULTIPLIER_S = 0.5


def pool_limits(settings: Settings) -> httpx2.Limits:
    """Connections to the model for every job this process may run at once: httpx keeps 20
    alive by default (of 100), so past that concurrency calls would reconnect each time."""
    jobs = max(1, settings.queue_worker_concurrency or settings.queue_concurrency)
    return httpx2.Limits(max_connections=max(jobs, 100), max_keepalive_connections=max(jobs, 20))


@dataclass
class CallStats:
    """What happened below instructor during one caller's requests."""

    transport_retries: int = 0
    retry_reasons: list[str] = field(default_factory=list)
    replayed: list[dict[str, Any]] = field(default_factory=list)  # metadata of served answers


_current: contextvars.ContextVar[CallStats | None] = contextvars.ContextVar(
    "wirecoder_call_stats", default=None
)


@contextmanager
def track_calls() -> Iterator[CallStats]:
    stats = CallStats()
    token = _current.set(stats)
    try:
        yield stats
    finally:
        _current.reset(token)


def current_stats() -> CallStats | None:
    return _current.get()


def is_transient_status(status_code: int) -> bool:
    return status_code in (408, 429) or status_code >= 500


def retry_after_seconds(response: httpx2.Response) -> float | None:
    """The server's requested wait: `retry-after-ms`, `Retry-After` seconds or HTTP date."""
    millis = response.headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


class RetryingTransport(httpx2.BaseTransport):
    """Retries transient failures of `inner` with exponential backoff and full jitter,
    waiting what a Retry-After header asks (capped at `max_wait_s`), at most `retries` times.

    When the budget is spent, the last response is returned (so openai raises its usual
    status error) or the last exception is raised."""

    def __init__(
        self,
        inner: httpx2.BaseTransport,
        *,
        retries: int,
        max_wait_s: float,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.inner = inner
        self.retries = max(retries, 0)
        self.max_wait_s = max_wait_s
        self.sleep = sleep
        self._backoff = wait_random_exponential(multiplier=BACKOFF_MULTIPLIER_S, max=max_wait_s)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()  # keep the body so it can be sent again
        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(TRANSIENT_ERRORS)
            | retry_if_result(lambda r: is_transient_status(r.status_code)),
            before_sleep=self._before_sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            sleep=self.sleep,
        )
        response: httpx2.Response = retrying(self.inner.handle_request, request)
        return response

    def close(self) -> None:
        self.inner.close()

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            asked = retry_after_seconds(outcome.result())
            if asked is not None:
                return min(asked, self.max_wait_s)
        return float(self._backoff(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        outcome = state.outcome
        if outcome is None:
            return
        if outcome.failed:
            reason = f"{type(outcome.exception()).__name__}: {outcome.exception()}"
        else:
            response: httpx2.Response = outcome.result()
            reason = f"HTTP {response.status_code}"
            response.close()
        stats = _current.get()
        if stats is not None:
            stats.transport_retries += 1
            stats.retry_reasons.append(reason)
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "model transport retry", attempt=state.attempt_number, reason=reason, wait_s=wait
        )
