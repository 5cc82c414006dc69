"""Every operation fuzzed from the OpenAPI schema (schemathesis), on SQLite and PostgreSQL: no
5xx, and every answer's status, content type, headers and body as the schema declares.

The app is the real one as production runs it (API keys required), with the fake extractor
and the inline queue; article 1 and its extraction are stored first so that reads find
something. Examples per operation are bounded (FUZZ_EXAMPLES) to keep both databases within a
few minutes on two cores.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from sqlalchemy.engine import make_url
from sqlmodel import Session

from api.auth import create_key
from api.config import Settings
from api.db import make_engine, upgrade_database
from api.jobs import InlineJobQueue, JobContext
from api.main import create_app
from api.models import ApiKeyScope
from api.service import submit_article
from schemas.api import ArticleIn
from tests.api.serving import serve

FUZZ_EXAMPLES = 25

pytestmark = pytest.mark.slow

load_all_checks()
# Every check but one: the schema cannot say every rule a value must meet (a text with no
# visible character, a page larger than WIRECODER_PAGE_SIZE_MAX), and those get a clear 422
# where positive_data_acceptance wants a 2xx.
CHECKED = [check for check in CHECKS.get_all() if check.__name__ != "positive_data_acceptance"]
# GET /v1/articles/batch is GET /v1/articles/{article_id} with the id "batch": a 422 naming the
# id (and GET in a 405's Allow), where these two checks want a path that has no GET.
BATCH_CHECKED = [
    check
    for check in CHECKED
    if check.__name__ not in ("unsupported_method", "allow_header_conformance")
]

# The schema does not depend on the settings: read once from an app that is never started.
schema = schemathesis.openapi.from_dict(create_app(Settings(_env_file=None)).openapi())


# status codes answered, per database: reported after the module (the figures the issue asks)
ANSWERS: defaultdict[str, Counter[int]] = defaultdict(Counter)


@pytest.fixture(scope="module", autouse=True)
def _report_answers(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        for database, statuses in ANSWERS.items():
            reporter.write_line(
                f"\nschemathesis on {database}: {statuses.total()} cases, "
                f"statuses {dict(sorted(statuses.items()))}"
            )


@pytest.fixture
def admin_key(settings: Settings) -> str:
    upgrade_database(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        _, secret = create_key(session, name="schemathesis", scope=ApiKeyScope.ADMIN)
    engine.dispose()
    return secret


@pytest.fixture
def served(
    settings: Settings, admin_key: str, fake_extractor: Any, seed_body: dict[str, Any]
) -> Iterator[str]:
    """The app on a real server, so that checks which send requests of their own (other
    methods, no key) reach it too."""

    def inline(ctx: JobContext) -> InlineJobQueue:
        return InlineJobQueue(ctx, sleep=lambda _s: None)

    locked = settings.model_copy(
        update={"allow_anonymous": False, "rerun_rate_limit": "100000/minute"}
    )
    app = create_app(locked, extractor=fake_extractor, job_queue_factory=inline)
    with serve(app) as base_url:
        with Session(app.state.engine) as session:
            done = submit_article(
                session=session,
                queue=app.state.job_queue,
                provenance=fake_extractor.provenance,
                article_in=ArticleIn.model_validate(seed_body),
            )
            assert done.article.id == 1 and done.job.status == "succeeded"
        yield base_url


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation(case: Any, served: str, admin_key: str, settings: Settings) -> None:
    # the key replaces whatever credentials schemathesis made up
    auth = {"X-API-Key": admin_key, "Authorization": f"Bearer {admin_key}"}
    response = case.call(base_url=served, headers=auth)
    ANSWERS[make_url(settings.resolved_database_url).get_backend_name()][response.status_code] += 1
    checks = BATCH_CHECKED if case.operation.path == "/v1/articles/batch" else CHECKED
    case.validate_response(
        response,
        checks=checks,
        headers=auth,
        transport_kwargs={"base_url": served, "headers": auth},
    )
