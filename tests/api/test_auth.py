"""API keys (api.auth): 401 without or with a wrong key, 403 for a scope too small, raw
outputs for admins only, re-runs rate-limited per key, CORS off by default, and a service
that refuses to start open where it must not (api.config, api.main)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, select
from typer.testing import CliRunner

from api import auth
from api.config import LLMBackend, Settings
from api.models import ApiKey, ApiKeyScope


@pytest.fixture
def locked(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_anonymous": False})


def _key(engine: Any, scope: ApiKeyScope, name: str = "analyst") -> str:
    with Session(engine) as session:
        return auth.create_key(session, name=name, scope=scope)[1]


def test_without_a_key_the_locked_api_answers_401(
    make_client: Any, locked: Settings, engine: Any, seed_body: dict[str, Any]
) -> None:
    _key(engine, ApiKeyScope.ADMIN)
    with make_client(app_settings=locked) as client:
        missing = client.get("/v1/articles")
        wrong = client.get("/v1/articles", headers={"Authorization": "Bearer wc_not-a-key"})
        health = client.get("/health")
    assert missing.status_code == 401 and "needs a key" in missing.json()["detail"]
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert wrong.status_code == 401 and "unknown or revoked" in wrong.json()["detail"]
    assert health.status_code == 200  # liveness answers anyone


def test_scopes_are_enforced_per_route(
    make_client: Any, locked: Settings, engine: Any, seed_body: dict[str, Any]
) -> None:
    read, write, admin = (_key(engine, s) for s in ApiKeyScope)
    with make_client(app_settings=locked) as client:
        denied = client.post("/v1/articles", json=seed_body, headers={"X-API-Key": read})
        posted = client.post(
            "/v1/articles", json=seed_body, headers={"Authorization": f"Bearer {write}"}
        )
        job_url = posted.headers["Location"]
        as_reader = client.get(job_url, headers={"X-API-Key": read}).json()
        as_admin = client.get(job_url, headers={"X-API-Key": admin}).json()
        listed = client.get("/v1/articles", headers={"X-API-Key": read})
    assert denied.status_code == 403
    assert (
        "scope 'read'" in denied.json()["detail"]
        and "needs scope 'write'" in denied.json()["detail"]
    )
    assert posted.status_code == 202 and listed.status_code == 200
    assert as_reader["raw_outputs"] is None and as_reader["status"] == "succeeded"
    assert len(as_admin["raw_outputs"]) == 1


def test_a_revoked_key_is_refused(make_client: Any, locked: Settings, engine: Any) -> None:
    secret = _key(engine, ApiKeyScope.READ)
    with make_client(app_settings=locked) as client:
        assert client.get("/v1/articles", headers={"X-API-Key": secret}).status_code == 200
        with Session(engine) as session:
            key = session.exec(select(ApiKey)).one()
            assert key.key_hash == auth.hash_key(secret) and secret not in key.prefix + "x"
            assert key.id is not None and key.last_used_at is not None
            auth.revoke_key(session, key.id)
        assert client.get("/v1/articles", headers={"X-API-Key": secret}).status_code == 401


def test_reruns_are_rate_limited_per_key(
    make_client: Any, locked: Settings, engine: Any, seed_body: dict[str, Any]
) -> None:
    limited = locked.model_copy(update={"rerun_rate_limit": "2/minute"})
    alice, bob = _key(engine, ApiKeyScope.WRITE, "alice"), _key(engine, ApiKeyScope.WRITE, "bob")
    with make_client(app_settings=limited) as client:
        article = client.post("/v1/articles", json=seed_body, headers={"X-API-Key": alice})
        rerun = f"/v1/articles/{article.json()['article_id']}/extract"
        codes = [client.post(rerun, headers={"X-API-Key": alice}).status_code for _ in range(3)]
        refused = client.post(rerun, headers={"X-API-Key": alice})
        other = client.post(rerun, headers={"X-API-Key": bob})
    assert codes == [202, 202, 429]
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "2 per 1 minute" in refused.json()["detail"]
    assert other.status_code == 202


def test_openapi_declares_both_ways_of_sending_a_key(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schemes["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key: `wirecoder keys create`.",
    }
    assert spec["paths"]["/v1/articles"]["post"]["security"]
    assert "security" not in spec["paths"]["/health"]["get"]


def test_cors_is_off_unless_origins_are_configured(make_client: Any, settings: Settings) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    with make_client() as client:
        closed = client.options("/v1/articles", headers=preflight)
    allowed = settings.model_copy(update={"cors_origins": ["https://desk.example"]})
    with make_client(app_settings=allowed) as client:
        other = client.get("/v1/articles", headers={"Origin": "https://evil.example"})
        desk = client.get("/v1/articles", headers={"Origin": "https://desk.example"})
    assert "access-control-allow-origin" not in closed.headers
    assert "access-control-allow-origin" not in other.headers
    assert desk.headers["access-control-allow-origin"] == "https://desk.example"


def test_a_public_address_without_keys_refuses_to_start(
    make_client: Any, settings: Settings, engine: Any
) -> None:
    public = settings.model_copy(update={"host": "0.0.0.0"})
    assert not public.anonymous_allowed and settings.anonymous_allowed
    with pytest.raises(RuntimeError, match="without API keys"), make_client(app_settings=public):
        pass
    _key(engine, ApiKeyScope.ADMIN)
    with make_client(app_settings=public) as client:
        assert client.get("/v1/articles").status_code == 401


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"llm_backend": LLMBackend.REPLAY}, "recorded answers"),
        (
            {"llm_backend": LLMBackend.OPENAI, "llm_base_url": "http://10.0.0.7:8000/v1"},
            "plain text",
        ),
        (
            {"llm_backend": LLMBackend.OPENAI, "llm_base_url": "https://llm.example/v1"},
            "placeholder API key",
        ),
        ({"allow_anonymous": True}, "ALLOW_ANONYMOUS"),
    ],
)
def test_production_refuses_unsafe_settings(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, environment="production", **overrides)


def test_production_accepts_a_local_model_or_https_with_a_key() -> None:
    local = Settings(_env_file=None, environment="production")
    hosted = Settings(
        _env_file=None,
        environment="production",
        llm_backend=LLMBackend.OPENAI,
        llm_base_url="https://llm.example/v1",
        llm_api_key="sk-real-key-123",
    )
    assert not local.anonymous_allowed and not hosted.anonymous_allowed
    assert "sk-real-key-123" not in repr(hosted)


def test_keys_cli_shows_the_secret_once_and_stores_its_hash(
    settings: Settings, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import keys_cli

    monkeypatch.setattr(keys_cli, "get_settings", lambda: settings)
    created = CliRunner().invoke(
        keys_cli.keys_app, ["create", "--name", "desk", "--scope", "write"]
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("wc_") and len(secret) > 40
    with Session(engine) as session:
        key = session.exec(select(ApiKey)).one()
    assert (key.name, key.scope, key.key_hash) == ("desk", "write", auth.hash_key(secret))
    listed = CliRunner().invoke(keys_cli.keys_app, ["list"])
    assert "desk" in listed.stdout and secret not in listed.stdout
    assert CliRunner().invoke(keys_cli.keys_app, ["revoke", str(key.id)]).exit_code == 0
    assert CliRunner().invoke(keys_cli.keys_app, ["revoke", "999"]).exit_code == 1
