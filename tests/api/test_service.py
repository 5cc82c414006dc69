"""The one service path: which finished extractions a submission runs again, the length check,
the job context."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from api.config import Settings
from api.jobs import InlineJobQueue
from api.models import JobStatus
from api.service import (
    ArticleTooLong,
    Rerun,
    build_job_context,
    check_length,
    submit_article,
)
from schemas.api import ArticleIn


def _submit(ctx: Any, text: str, rerun: Rerun) -> Any:
    with Session(ctx.engine) as session:
        return submit_article(
            session=session,
            queue=InlineJobQueue(ctx, sleep=lambda _s: None),
            provenance=ctx.extractor.provenance,
            article_in=ArticleIn(text=text),
            rerun=rerun,
        )


@pytest.mark.parametrize(
    ("first", "rerun", "runs_again"),
    [
        ("succeeded", Rerun.NEVER, False),
        ("succeeded", Rerun.UNSUCCESSFUL, False),
        ("succeeded", Rerun.ALWAYS, True),
        ("invalid", Rerun.FAILED, False),
        ("invalid", Rerun.UNSUCCESSFUL, True),
        ("failed", Rerun.NEVER, False),
        ("failed", Rerun.FAILED, True),
    ],
)
def test_rerun_policy_decides_which_answers_run_again(
    settings: Settings, seed: Any, make_fake_extractor: Any, first: str, rerun: Rerun,
    runs_again: bool,
) -> None:  # fmt: skip
    settings = settings.model_copy(update={"job_max_attempts": 1})
    ctx = build_job_context(settings, extractor=make_fake_extractor(script=[first, "succeeded"]))
    done = _submit(ctx, seed.text, Rerun.NEVER)
    assert done.article_created and done.queued and done.job.status == first
    again = _submit(ctx, seed.text, rerun)
    assert not again.article_created and again.job.id == done.job.id
    assert again.queued == runs_again
    assert again.job.status == (JobStatus.SUCCEEDED if runs_again else first)
    assert len(ctx.extractor.calls) == (2 if runs_again else 1)
    ctx.engine.dispose()


def test_check_length_names_the_field_and_the_limit(settings: Settings) -> None:
    check_length(ArticleIn(text="x" * settings.max_article_chars), settings)
    with pytest.raises(ArticleTooLong, match=r"articles\[2\]\.text has 20001 characters"):
        check_length(ArticleIn(text="x" * 20_001), settings, "articles[2].text")
