"""An article's lifecycle: DELETE with everything that hangs off it, PATCH of its metadata, and
what a re-POST of known text does with other metadata (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlmodel import Session, SQLModel

from api import auth, crud
from api.config import Settings
from api.models import ApiKeyScope, Article, CanonicalActor
from schemas.contract import ArticleInput, ExtractionOutcome
from tests.fakes import FakeExtractor

# every table that holds rows of an article: a foreign key to article or extraction_job
_OWNED = ("article", "extraction_job")


def _tables_referencing_articles(engine: Engine) -> list[str]:
    """Read from the migrated database (a table the models have and no migration made yet is
    not there to hold rows)."""
    inspector = inspect(engine)
    return [
        name
        for name in inspector.get_table_names()
        if any(fk["referred_table"] in _OWNED for fk in inspector.get_foreign_keys(name))
    ]


def _rows_of_article(engine: Engine, article_id: int) -> dict[str, int]:
    """Rows per table that still point at the article or at one of its jobs."""
    counts: dict[str, int] = {}
    with Session(engine) as session:
        job_table = SQLModel.metadata.tables["extraction_job"]
        jobs = [
            row[0]
            for row in session.execute(
                select(job_table.c.id).where(job_table.c.article_id == article_id)
            )
        ]
        for name in ["article", *_tables_referencing_articles(engine)]:
            table = SQLModel.metadata.tables[name]
            clauses = []
            if name == "article":
                clauses.append(table.c.id == article_id)
            if "article_id" in table.c:
                clauses.append(table.c.article_id == article_id)
            for column in table.c:
                if any(fk.column.table.name == "extraction_job" for fk in column.foreign_keys):
                    clauses.append(column.in_(jobs or [-1]))
            if name == "event_actor":  # through its event
                events = SQLModel.metadata.tables["event"]
                ids = select(events.c.id).where(events.c.article_id == article_id)
                clauses.append(table.c.event_id.in_(ids))
            query = select(func.count()).select_from(table)
            counts[name] = sum(session.execute(query.where(c)).scalar_one() for c in clauses)
    return counts


def _post(client: Any, body: dict[str, Any], query: str = "") -> dict[str, Any]:
    response = client.post(f"/v1/articles{query}", json=body)
    assert response.status_code in (200, 202), response.text
    return dict(response.json())


# ---- DELETE ---------------------------------------------------------------------------------


def test_every_foreign_key_to_an_article_or_job_cascades(engine: Engine) -> None:
    """What DELETE relies on, read from the migrated database itself (SQLite enforces it with
    PRAGMA foreign_keys=ON, api.db)."""
    inspector = inspect(engine)
    checked = 0
    for name in _tables_referencing_articles(engine):
        for fk in inspector.get_foreign_keys(name):
            if fk["referred_table"] in _OWNED:
                assert (fk.get("options") or {}).get("ondelete", "").upper() == "CASCADE", (
                    name,
                    fk,
                )
                checked += 1
    assert checked >= 7  # extraction_job, article_actor, event, quote: article and job


def test_delete_takes_jobs_and_extractions_and_leaves_canonical_actors(
    make_client: Any, engine: Engine, seed_body: dict[str, Any]
) -> None:
    with make_client(extractor=FakeExtractor()) as client:
        first = _post(client, seed_body, "?wait=5")
        other = _post(client, {"text": "Rebels shelled Idlib on Monday, a monitor said."})
        article_id = first["article_id"]
        with Session(engine) as session:
            canonical_before = session.execute(
                select(func.count()).select_from(CanonicalActor)
            ).scalar_one()
        before = _rows_of_article(engine, article_id)
        assert before["extraction_job"] == 1 and before["event"] > 0 and before["quote"] > 0

        response = client.delete(f"/v1/articles/{article_id}")
        assert response.status_code == 204 and response.content == b""

        assert client.get(f"/v1/articles/{article_id}").status_code == 404
        assert client.get(f"/v1/jobs/{first['job']['id']}").status_code == 404
        assert client.delete(f"/v1/articles/{article_id}").json() == {
            "detail": f"article {article_id} not found"
        }
        assert client.delete(f"/v1/articles/{article_id}").status_code == 404
        assert client.get(f"/v1/events?article_id={article_id}").json()["total"] == 0
        assert client.get(f"/v1/articles/{other['article_id']}").status_code == 200
    assert all(count == 0 for count in _rows_of_article(engine, article_id).values())
    with Session(engine) as session:
        canonical_after = session.execute(
            select(func.count()).select_from(CanonicalActor)
        ).scalar_one()
    assert canonical_after == canonical_before  # shared across articles: they stay


def test_a_queued_job_of_a_deleted_article_ends_quietly(
    make_client: Any, engine: Engine, seed_body: dict[str, Any]
) -> None:
    extractor = FakeExtractor()
    with make_client(extractor=extractor, defer=True) as client:
        article_id = _post(client, seed_body)["article_id"]
        assert client.delete(f"/v1/articles/{article_id}").status_code == 204
        client.app.state.job_queue.run_pending()  # must not raise
        assert client.get("/v1/articles").json()["total"] == 0
    assert extractor.calls == []  # never extracted
    with Session(engine) as session:
        assert session.get(Article, article_id) is None


def test_a_running_job_of_a_deleted_article_stores_nothing_and_resurrects_nothing(
    make_client: Any, engine: Engine, seed_body: dict[str, Any]
) -> None:
    """The article goes while the model answers: the answer is dropped without an error."""
    plain = FakeExtractor()

    def deleted_meanwhile(article: ArticleInput) -> ExtractionOutcome:
        with Session(engine) as session:
            found = session.execute(select(Article.id).where(Article.text == article.text))  # type: ignore[arg-type]
            assert crud.delete_article(session=session, article_id=found.scalar_one())
        return plain.extract(article)

    extractor = FakeExtractor(script=[deleted_meanwhile])
    with make_client(extractor=extractor, defer=True) as client:
        article_id = _post(client, seed_body)["article_id"]
        client.app.state.job_queue.run_pending()  # must not raise
        assert client.get(f"/v1/articles/{article_id}").status_code == 404
        assert client.get("/v1/events").json()["total"] == 0
    assert all(count == 0 for count in _rows_of_article(engine, article_id).values())
    assert len(extractor.calls) == 1  # not retried either


# ---- PATCH ----------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent_and_says_the_extraction_is_outdated(
    client: Any, seed_body: dict[str, Any], fake_extractor: FakeExtractor
) -> None:
    article_id = _post(client, seed_body, "?wait=5")["article_id"]
    response = client.patch(
        f"/v1/articles/{article_id}",
        json={"title": "  Raqa:\tthe final\nphase ", "url": "HTTPS://Example.org"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "Raqa: the final phase"  # one line, as POST cleans it
    assert body["url"] == "https://example.org/"  # normalised as POST normalises it
    assert body["source"] == seed_body["source"] and body["dateline"] == seed_body["dateline"]
    assert body["changed"] == ["title", "url"]
    assert body["extraction_outdated"] is True  # the title is in the prompt
    assert body["extraction"] is not None and body["text"]
    assert len(fake_extractor.calls) == 1  # nothing re-run

    source_only = client.patch(f"/v1/articles/{article_id}", json={"source": "Reuters"}).json()
    assert source_only["changed"] == ["source"] and source_only["extraction_outdated"] is False

    again = client.patch(f"/v1/articles/{article_id}", json={"source": "Reuters"}).json()
    assert again["changed"] == [] and again["extraction_outdated"] is False

    cleared = client.patch(f"/v1/articles/{article_id}", json={"dateline": None}).json()
    assert cleared["dateline"] is None and cleared["extraction_outdated"] is True
    stored = client.get(f"/v1/articles/{article_id}").json()
    assert (stored["title"], stored["source"], stored["dateline"]) == (
        "Raqa: the final phase",
        "Reuters",
        None,
    )


def test_patch_of_an_article_not_yet_extracted_is_not_outdated(
    make_client: Any, seed_body: dict[str, Any]
) -> None:
    with make_client(defer=True) as client:
        article_id = _post(client, seed_body)["article_id"]
        body = client.patch(f"/v1/articles/{article_id}", json={"published_at": "2017-10-16"})
    assert body.json()["changed"] == ["published_at"]
    assert body.json()["extraction_outdated"] is False


@pytest.mark.parametrize(
    ("patch", "says"),
    [
        ({"text": "Another text."}, "text cannot be patched"),
        ({"content_hash": "0" * 64}, "Extra inputs are not permitted"),
        ({"published_at": (dt.date.today() + dt.timedelta(days=9)).isoformat()}, "future"),
        ({"published_at": 1508198400}, "YYYY-MM-DD"),
        ({"url": "not a url"}, "URL"),
        ({"title": "x" * 501}, "500"),
        ('{"source": "\\ud800"}', "valid string"),  # as JSON escapes it
    ],
)
def test_patch_refuses_what_post_refuses_and_the_text(
    client: Any, seed_body: dict[str, Any], patch: dict[str, Any] | str, says: str
) -> None:
    article_id = _post(client, seed_body)["article_id"]
    url = f"/v1/articles/{article_id}"
    if isinstance(patch, str):
        headers = {"content-type": "application/json"}
        response = client.patch(url, content=patch.encode(), headers=headers)
    else:
        response = client.patch(url, json=patch)
    assert response.status_code == 422
    assert says in response.text
    assert client.get(f"/v1/articles/{article_id}").json()["title"] == seed_body["title"]


def test_patch_and_delete_need_the_write_scope(
    make_client: Any, settings: Settings, engine: Engine, seed_body: dict[str, Any]
) -> None:
    with Session(engine) as session:
        read, write = (
            auth.create_key(session, name="desk", scope=s)[1] for s in list(ApiKeyScope)[:2]
        )
    locked = settings.model_copy(update={"allow_anonymous": False})
    with make_client(app_settings=locked) as client:
        article_id = client.post("/v1/articles", json=seed_body, headers={"X-API-Key": write})
        url = f"/v1/articles/{article_id.json()['article_id']}"
        as_reader = {"X-API-Key": read}
        assert client.patch(url, json={"title": "t"}, headers=as_reader).status_code == 403
        assert client.delete(url, headers=as_reader).status_code == 403
        assert client.delete(url).status_code == 401
        assert (
            client.patch(url, json={"title": "t"}, headers={"X-API-Key": write}).status_code == 200
        )
        assert client.delete(url, headers={"X-API-Key": write}).status_code == 204


def test_patch_and_delete_of_an_unknown_article_are_404(client: Any) -> None:
    assert client.patch("/v1/articles/999", json={"title": "t"}).status_code == 404
    assert client.delete("/v1/articles/999").status_code == 404
    assert client.delete("/v1/articles/0").status_code == 422


# ---- re-POST of known text ------------------------------------------------------------------


def test_repost_says_whether_the_metadata_was_the_same_kept_or_updated(
    client: Any, seed_body: dict[str, Any], fake_extractor: FakeExtractor
) -> None:
    first = _post(client, seed_body, "?wait=5")
    assert (first["metadata"], first["metadata_differs"]) == ("new", [])
    article_id = first["article_id"]

    same = _post(client, seed_body)
    assert (same["metadata"], same["metadata_differs"]) == ("same", [])
    # a field not sent is no difference
    bare = _post(client, {"text": seed_body["text"]})
    assert bare["metadata"] == "same"

    other = {**seed_body, "title": "Raqa falls", "source": "Reuters"}
    kept = _post(client, other)
    assert (kept["metadata"], kept["metadata_differs"]) == ("kept", ["title", "source"])
    assert client.get(f"/v1/articles/{article_id}").json()["title"] == seed_body["title"]

    updated = _post(client, other, "?on_conflict=update")
    assert (updated["metadata"], updated["metadata_differs"]) == ("updated", ["title", "source"])
    stored = client.get(f"/v1/articles/{article_id}").json()
    assert (stored["title"], stored["source"]) == ("Raqa falls", "Reuters")
    assert updated["job"]["id"] == first["job"]["id"] and len(fake_extractor.calls) == 1

    batch = client.post(
        "/v1/articles/batch?on_conflict=keep", json={"articles": [seed_body, other]}
    ).json()
    assert [i["metadata"] for i in batch["items"]] == ["kept", "same"]
    assert client.post("/v1/articles?on_conflict=merge", json=other).status_code == 422
