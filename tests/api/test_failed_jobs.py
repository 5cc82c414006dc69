"""A job that did not succeed says why where the article is answered (POST and GET), and a
replay miss, which no retry can change, ends the job after one job-level try."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.llm.extractor import Extractor
from schemas.contract import ArticleInput, ExtractionOutcome, OutcomeStatus


def test_replay_miss_fails_once_with_its_reason_in_the_article_responses(
    make_client: Any, settings: Any, seed_body: dict[str, Any], tmp_path: Path
) -> None:
    # the real extractor on the replay backend, with prompt v1 (which always asks the model)
    # and no recordings at all: every request misses
    replay = settings.model_copy(
        update={"prompt_version": "v1", "recordings_dir": tmp_path / "no-recordings"}
    )
    assert replay.llm_backend == "replay" and replay.job_max_attempts == 2
    with make_client(Extractor(replay), app_settings=replay) as client:
        posted = client.post("/v1/articles?wait=30", json=seed_body)
        article = client.get(f"/v1/articles/{posted.json()['article_id']}").json()

    assert posted.status_code == 200, posted.text
    job = posted.json()["job"]
    assert job["status"] == "failed" and posted.json()["extraction"] is None
    assert job["job_attempts"] == 1  # not retried: the same request would miss again
    assert job["attempts"] == 1
    assert "no recorded answer for request" in job["error"]
    assert "trying again cannot help" in job["error"] and "live backend" in job["error"]
    listed = article["jobs"][0]
    assert (listed["status"], listed["error"], listed["job_attempts"]) == (
        "failed",
        job["error"],
        1,
    )


def test_a_permanent_failure_is_not_retried_a_transient_one_is(
    make_client: Any, make_fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    def permanent(article: ArticleInput) -> ExtractionOutcome:
        return ExtractionOutcome(
            status=OutcomeStatus.FAILED,
            error="no recorded answer for request abc",
            retryable=False,
            attempts=1,
            provenance=extractor.provenance,
        )

    extractor = make_fake_extractor(script=[permanent, "failed", "succeeded"])
    with make_client(extractor) as client:
        first = client.post("/v1/articles?wait=5", json=seed_body).json()
        other = {**seed_body, "text": seed_body["text"] + "\n\nA later paragraph."}
        second = client.post("/v1/articles?wait=5", json=other).json()

    assert first["job"]["status"] == "failed" and first["job"]["job_attempts"] == 1
    assert first["job"]["error"] == "no recorded answer for request abc"
    # a transport failure is tried again, and the second try succeeds
    assert second["job"]["status"] == "succeeded" and second["job"]["job_attempts"] == 2
    assert second["job"]["error"] is None and second["job"]["attempts"] == 2
    assert len(extractor.calls) == 3


def test_queued_answer_carries_no_error_and_an_invalid_one_its_reason(
    make_client: Any, make_fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    with make_client(make_fake_extractor(script=["invalid"]), defer=True) as client:
        queued = client.post("/v1/articles", json=seed_body)
        client.app.state.job_queue.run_pending()  # type: ignore[attr-defined]
        again = client.post("/v1/articles", json=seed_body)

    assert queued.status_code == 202
    assert queued.json()["job"] | {"extraction_key": None} == {
        "id": 1,
        "status": "queued",
        "extraction_key": None,
        "url": "/v1/jobs/1",
        "error": None,
        "attempts": 0,
        "job_attempts": 0,
    }
    # the same article again: its finished job, invalid, with the reason and the attempts
    job = again.json()["job"]
    assert job["status"] == "invalid" and "not in the article" in job["error"]
    assert (job["attempts"], job["job_attempts"]) == (3, 1)
