"""One Settings class for the whole service: environment variables prefixed WIRECODER_ and .env."""

from __future__ import annotations

import ipaddress
import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "wirecoder"
DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wirecoder"
DUMMY_LLM_API_KEY = "sk-no-key-needed"  # what a local llama.cpp server accepts


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class LLMBackend(StrEnum):
    """Where model answers come from."""

    LOCAL = "local"  # llama.cpp server started by `wirecoder model serve`
    OPENAI = "openai"  # any OpenAI-compatible base_url (OpenAI, vLLM, Ollama, llama.cpp)
    REPLAY = "replay"  # answers recorded earlier from a real model


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WIRECODER_", env_file=".env", extra="ignore", use_enum_values=False
    )

    environment: str = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    # secrets are SecretStr: printed as '**********' in reprs, tracebacks and logs
    database_url: SecretStr = SecretStr("")  # empty: SQLite file in data_dir
    dbos_database_url: SecretStr = SecretStr("")  # empty: same as database_url

    # model
    llm_backend: LLMBackend = LLMBackend.LOCAL
    llm_base_url: str = ""  # empty: the local llama.cpp server's URL
    llm_model: str = ""  # empty: the local default model
    llm_api_key: SecretStr = SecretStr(DUMMY_LLM_API_KEY)
    llm_mode: str = "tools"  # instructor Mode value: tools, json_schema, json, md_json
    llm_timeout_s: float = 600.0
    llm_max_reasks: int = 1  # re-asks after a validation error (a 2nd outgrew n_ctx 8192 on 0.5B)
    llm_transport_retries: int = 4  # 429 / 5xx / timeout / connection error
    llm_transport_max_wait_s: float = 60.0
    llm_temperature: float = 0.0
    llm_max_tokens: int = 2048
    llm_context_tokens: int = 8192
    llm_record: bool = False  # write a recording for every live call
    recordings_dir: Path = PROJECT_ROOT / "tests" / "recordings"
    cache_dir: Path = DEFAULT_CACHE_DIR  # derived data built once per machine (the gazetteer)

    # local llama.cpp server
    local_model: str = "qwen2.5-coder-0.5b"
    local_host: str = "127.0.0.1"
    local_port: int = 8765
    local_threads: int = 2
    local_n_ctx: int = 8192
    models_dir: Path | None = None  # the GGUF weights; None: data_dir/models

    # prompts
    prompt_id: str = "extract"
    prompt_version: str = "v3"  # hybrid pipeline: measured better than v2 (evals/README.md)

    # articles and jobs
    max_article_chars: int = 100_000
    chunk_chars: int = 6_000  # longer articles are split into overlapping chunks
    chunk_overlap_chars: int = 600
    queue_concurrency: int = 1  # extraction jobs at once, across all workers
    queue_rate_limit: int = 30  # jobs started per rate period, across all workers
    queue_rate_period_s: float = 60.0
    # how often a working process asks the queue for jobs: a free slot waits at most this long
    # for a queued job; each ask costs ~4 ms CPU (DBOS on SQLite), so idle it costs 1/10 core
    queue_poll_s: float = Field(default=0.04, gt=0)
    # jobs one working process runs at once (None: any share of queue_concurrency);
    # `serve --workers N` sets its workers' to queue_concurrency / N so all of them get work
    queue_worker_concurrency: int | None = Field(default=None, ge=1)
    job_max_attempts: int = 2  # job-level retries of a failed extraction
    run_worker_in_api: bool = True  # embedded default: the API process works the queue
    # `wirecoder serve` starts this many `wirecoder worker` processes beside the API and leaves
    # the queue to them (0: the API works it itself): more cores than one interpreter's GIL
    workers: int = Field(default=0, ge=0)
    # a working process renews its lease this often; a lease this old is a dead worker's,
    # whose unfinished jobs a live worker takes over (api/workers.py)
    worker_heartbeat_s: float = Field(default=2.0, gt=0)
    worker_lease_s: float = Field(default=15.0, gt=0)

    host: str = "127.0.0.1"
    port: int = 8000
    # every process's log lines on stderr (api.logs): console for people, json for collectors
    log_format: Literal["console", "json"] = "console"

    # who may call the API (api.auth): keys made with `wirecoder keys create`
    allow_anonymous: bool | None = None  # None: only in development, bound to a loopback host
    rerun_rate_limit: str = "30/minute"  # extraction re-runs per API key (limits' notation)
    cors_origins: list[str] = []  # browser origins allowed to call the API; none by default
    aliases_file: Path | None = None  # extra actor aliases (YAML/JSON) on top of the curated table

    page_size_max: int = Field(default=200, ge=1)
    max_wait_s: float = Field(default=600.0, ge=0)  # the longest ?wait a request is held

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if not self.is_production:
            return self
        if self.llm_backend == LLMBackend.REPLAY:
            raise ValueError("the replay backend serves recorded answers: not for production")
        if self.allow_anonymous:
            raise ValueError("WIRECODER_ALLOW_ANONYMOUS=true is refused in production")
        url = urlsplit(self.resolved_llm_base_url)
        if not is_loopback(url.hostname or ""):
            if url.scheme != "https":
                raise ValueError(
                    f"the model at {url.scheme}://{url.hostname} is not on this machine and is "
                    "reached in plain text: use https in production"
                )
            if self.llm_api_key.get_secret_value() == DUMMY_LLM_API_KEY:
                raise ValueError(
                    f"the model at {url.hostname} is reached with the placeholder API key: set "
                    "WIRECODER_LLM_API_KEY in production"
                )
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def anonymous_allowed(self) -> bool:
        """Whether requests without an API key are served (api.auth)."""
        if self.allow_anonymous is not None:
            return self.allow_anonymous and not self.is_production
        return not self.is_production and is_loopback(self.host)

    @property
    def resolved_database_url(self) -> str:
        url = self.database_url.get_secret_value()
        return url or f"sqlite:///{self.data_dir / 'wirecoder.db'}"

    @property
    def resolved_dbos_database_url(self) -> str:
        for url in (self.dbos_database_url, self.database_url):
            if url.get_secret_value():
                return url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'dbos.sqlite'}"

    @property
    def resolved_llm_base_url(self) -> str:
        if self.llm_base_url:
            return self.llm_base_url
        return f"http://{self.local_host}:{self.local_port}/v1"

    @property
    def resolved_llm_model(self) -> str:
        return self.llm_model or self.local_model


@lru_cache
def get_settings() -> Settings:
    return Settings()
