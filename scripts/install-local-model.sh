#!/usr/bin/env bash
# Install the local model: llama-cpp-python built without AMX, the pinned default weights, and
# a multi-token decode smoke test. Idempotent: each step is skipped when already done.
#
#   scripts/install-local-model.sh [MODEL]     (default: WIRECODER_LOCAL_MODEL or the settings')
#   scripts/install-local-model.sh --print-cmake-args    the build flags, nothing installed
#
# Why the flags: this machine's CPUs advertise AMX, and llama.cpp's native build then uses it and
# segfaults on the first decode of two or more tokens. pip's wheel cache ignores CMAKE_ARGS, so
# the cache directory is keyed by their sha256: a wheel built with other flags is never reused.
#
# WIRECODER_LLAMA_CPU picks the instruction set: `native` (default) optimises for the CPU that
# builds it; `portable` (the Docker image) for any x86-64 since 2013 (Haswell, Zen: the x86-64-v3
# level, AVX2 + FMA + F16C + BMI2) with AVX-512 and AMX off, so the build runs on other hosts.
# ggml ignores these x86 options when it builds for another architecture (arm64).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || command -v python3 )}"
LLAMA_VERSION="0.3.36"
NO_AMX="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
case "${WIRECODER_LLAMA_CPU:-native}" in
    native) CPU_ARGS="-DGGML_NATIVE=ON" ;;
    portable) CPU_ARGS="-DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON \
-DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF \
-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" ;;
    *) echo "WIRECODER_LLAMA_CPU must be native or portable, not ${WIRECODER_LLAMA_CPU}" >&2; exit 2 ;;
esac
export CMAKE_ARGS="${CPU_ARGS} -DLLAVA_BUILD=OFF -DCMAKE_C_FLAGS=\"${NO_AMX}\" -DCMAKE_CXX_FLAGS=\"${NO_AMX}\""
if [ "${1:-}" = "--print-cmake-args" ]; then
    echo "$CMAKE_ARGS"
    exit 0
fi
BUILD_KEY="$(printf '%s' "$CMAKE_ARGS" | sha256sum | cut -c1-12)"
export PIP_CACHE_DIR="${HOME}/.cache/wirecoder/pip-llama-${BUILD_KEY}"
# Which flags the installed build used: written after a build with these flags succeeded.
STAMP="$("$PYTHON" -c 'import sys; print(sys.prefix)')/.wirecoder-llama-build"

installed_version() {
    "$PYTHON" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))' \
        2>/dev/null || true
}

if [ "$(installed_version)" = "$LLAMA_VERSION" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$BUILD_KEY" ]; then
    echo "llama-cpp-python ${LLAMA_VERSION} (build ${BUILD_KEY}) already installed"
else
    echo "building llama-cpp-python ${LLAMA_VERSION} (build ${BUILD_KEY}, cache ${PIP_CACHE_DIR})"
    start=$(date +%s)
    if [ -z "$(installed_version)" ]; then
        "$PYTHON" -m pip install "llama-cpp-python[server]==${LLAMA_VERSION}"
    else
        # installed with unknown flags: rebuild it alone, leave its dependencies as they are
        "$PYTHON" -m pip install "llama-cpp-python[server]==${LLAMA_VERSION}"
        "$PYTHON" -m pip install --force-reinstall --no-deps "llama-cpp-python==${LLAMA_VERSION}"
    fi
    echo "$BUILD_KEY" > "$STAMP"
    echo "llama-cpp-python installed in $(( $(date +%s) - start )) s"
fi

MODEL_ARGS=()
if [ $# -ge 1 ]; then MODEL_ARGS=(--model "$1"); fi
wirecoder() { "$PYTHON" -c 'from api.cli import app; app(prog_name="wirecoder")' "$@"; }
wirecoder model install "${MODEL_ARGS[@]}"
wirecoder model smoke "${MODEL_ARGS[@]}"
