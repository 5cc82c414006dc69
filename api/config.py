"""One Settings class for the whole service: environment variables prefixed WIRECODER_ and .env."""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "wirecoder"
DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wirecoder"


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
    database_url: str = ""  # empty: SQLite file in data_dir
    dbos_database_url: str = ""  # empty: same as database_url (SQLite file for the default)

    # model
    llm_backend: LLMBackend = LLMBackend.LOCAL
    llm_base_url: str = ""  # empty: the local llama.cpp server's URL
    llm_model: str = ""  # empty: the local default model
    llm_api_key: str = "sk-no-key-needed"
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
    job_max_attempts: int = 2  # job-level retries of a failed extraction
    run_worker_in_api: bool = True  # embedded default: the API process works the queue

    host: str = "127.0.0.1"
    port: int = 8000
    aliases_file: Path | None = None  # extra actor aliases (YAML/JSON) on top of the curated table

    page_size_max: int = Field(default=200, ge=1)

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production" and self.llm_backend == LLMBackend.REPLAY:
            raise ValueError("the replay backend serves recorded answers: not for production")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'wirecoder.db'}"

    @property
    def resolved_dbos_database_url(self) -> str:
        if self.dbos_database_url:
            return self.dbos_database_url
        if self.database_url:
            return self.database_url
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
