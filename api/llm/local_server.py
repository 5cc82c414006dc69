"""The local llama.cpp server: started detached by the project, found again by its pid file.

`python -m llama_cpp.server` (llama-cpp-python, the `local` extra) serves an OpenAI-compatible
API on Settings.local_host:local_port. Its model alias is the registry name, so clients send
`model=<name>`. The pid file and the server's log live in Settings.data_dir. Only a process
whose command line is a llama_cpp server is ever signalled, so a stale pid reused by another
program is left alone.

Run as a module, this file is the multi-token decode smoke test (see `smoke_test`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.config import Settings
from api.llm.local_model import get_model, verified_weights_path

SERVER_MODULE = "llama_cpp.server"
INSTALL_HINT = "install the local extra: scripts/install-local-model.sh"
START_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 20.0
SMOKE_TOKENS = 32
SMOKE_PROMPT = "Count from one to forty in words, separated by commas: one, two,"


class LocalServerError(RuntimeError):
    """The local model server could not be started, reached or stopped."""


@dataclass(frozen=True)
class ServerStatus:
    pid: int | None  # our server's pid, from the pid file; None when none of ours is running
    base_url: str
    served_models: tuple[str, ...]  # what GET /v1/models answers; empty when nothing answers
    rss_bytes: int | None = None
    peak_rss_bytes: int | None = None

    @property
    def answering(self) -> bool:
        return bool(self.served_models)


def pid_file(settings: Settings) -> Path:
    return settings.data_dir / "llama-server.pid"


def log_file(settings: Settings) -> Path:
    return settings.data_dir / "llama-server.log"


def base_url(settings: Settings) -> str:
    return f"http://{settings.local_host}:{settings.local_port}/v1"


def runtime_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def _is_llama_server(pid: int) -> bool:
    """True if `pid` is alive and (where /proc tells) runs llama_cpp.server."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # alive but not ours to signal
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True  # no /proc on this system: trust the pid file
    try:
        return SERVER_MODULE in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False  # exited between the two checks


def read_pid(path: Path) -> int | None:
    """The pid in `path` if it names a running llama_cpp server; a stale file is removed."""
    try:
        pid = int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        pid = None
    if pid is not None and pid > 0 and _is_llama_server(pid):
        return pid
    path.unlink(missing_ok=True)
    return None


def served_models(url: str, timeout_s: float = 2.0) -> tuple[str, ...]:
    """Model ids the server at `url` answers with; empty if nothing answers."""
    try:
        response = httpx.get(f"{url}/models", timeout=timeout_s)
        response.raise_for_status()
        return tuple(str(entry["id"]) for entry in response.json()["data"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return ()


def _memory_kib(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def server_status(settings: Settings) -> ServerStatus:
    pid = read_pid(pid_file(settings))
    rss = _memory_kib(pid, "VmRSS") if pid else None
    peak = _memory_kib(pid, "VmHWM") if pid else None
    return ServerStatus(
        pid=pid,
        base_url=base_url(settings),
        served_models=served_models(base_url(settings)),
        rss_bytes=rss * 1024 if rss is not None else None,
        peak_rss_bytes=peak * 1024 if peak is not None else None,
    )


def server_command(settings: Settings, model_name: str, weights: Path) -> list[str]:
    """The llama_cpp.server command line (flag names as in llama-cpp-python 0.3.36)."""
    threads = str(settings.local_threads)
    return [
        sys.executable, "-m", SERVER_MODULE,
        "--model", str(weights),
        "--model_alias", model_name,
        "--host", settings.local_host,
        "--port", str(settings.local_port),
        "--n_ctx", str(settings.local_n_ctx),  # room for a re-ask: article + answer + error
        "--n_threads", threads,
        "--n_threads_batch", threads,
        "--logits_all", "false",  # true allocates n_ctx x vocab floats
        "--use_mmap", "false",  # read the weights into RAM once, after they were verified
    ]  # fmt: skip


def start_server(settings: Settings, model_name: str | None = None) -> ServerStatus:
    """Start the server detached and wait until it answers; refuses unverified weights."""
    name = model_name or settings.local_model
    get_model(name)
    if not runtime_installed():
        raise LocalServerError(f"llama-cpp-python is not installed: {INSTALL_HINT}")
    status = server_status(settings)
    if status.answering:
        raise LocalServerError(
            f"{status.base_url} already serves {', '.join(status.served_models)}"
            + (f" (pid {status.pid}); `wirecoder model stop` first" if status.pid else "")
        )
    weights = verified_weights_path(name, settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with log_file(settings).open("ab") as log:
        process = subprocess.Popen(
            server_command(settings, name, weights),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives the CLI that started it
        )
    pid_file(settings).write_text(f"{process.pid}\n")
    return _wait_until_answering(settings, process, name)


def _wait_until_answering(
    settings: Settings, process: subprocess.Popen[bytes], name: str
) -> ServerStatus:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pid_file(settings).unlink(missing_ok=True)
            raise LocalServerError(
                f"llama_cpp.server exited with code {process.returncode}:\n"
                + _log_tail(log_file(settings))
            )
        if name in served_models(base_url(settings)):
            return server_status(settings)
        time.sleep(0.5)
    stop_server(settings)
    raise LocalServerError(f"llama_cpp.server did not answer within {START_TIMEOUT_S:.0f} s")


def _wait_for_pid_to_answer(url: str, pid: int) -> tuple[str, ...]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and _is_llama_server(pid):
        if answering := served_models(url):
            return answering
        time.sleep(0.5)
    return ()


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_server(settings: Settings) -> int | None:
    """End our server by its pid (SIGTERM, then SIGKILL); returns the pid, None if none ran."""
    path = pid_file(settings)
    pid = read_pid(path)
    if pid is None:
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and _is_llama_server(pid):
        time.sleep(0.2)
    if _is_llama_server(pid):
        os.kill(pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return pid


def ensure_local_server(settings: Settings) -> str:
    """The local server's base URL, starting it (with Settings.local_model) if nothing answers."""
    url = base_url(settings)
    answering = served_models(url)
    starting_pid = read_pid(pid_file(settings)) if not answering else None
    if starting_pid is not None:  # ours, still loading the weights: wait for it
        answering = _wait_for_pid_to_answer(url, starting_pid)
    if not answering:
        start_server(settings, settings.local_model)
    elif settings.local_model not in answering:
        raise LocalServerError(
            f"{url} serves {', '.join(answering)}, not {settings.local_model}; "
            "`wirecoder model stop` and serve the configured model"
        )
    return url


@dataclass(frozen=True)
class SmokeResult:
    completion_tokens: int
    seconds: float
    text: str


def smoke_test(
    settings: Settings, model_name: str | None = None, tokens: int = SMOKE_TOKENS
) -> SmokeResult:
    """Decode a multi-token prompt with llama_cpp in a child process.

    Guards the build: llama.cpp compiled with AMX on this hardware passes a one-token test and
    segfaults on the first multi-token decode. A child process turns that crash into an error.
    """
    if not runtime_installed():
        raise LocalServerError(f"llama-cpp-python is not installed: {INSTALL_HINT}")
    name = model_name or settings.local_model
    weights = verified_weights_path(name, settings)
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-m", __name__, str(weights), str(tokens), str(settings.local_threads)],
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        crash = (
            f"killed by signal {signal.Signals(-child.returncode).name}"
            if child.returncode < 0
            else f"exit code {child.returncode}"
        )
        raise LocalServerError(
            f"multi-token decode of {name} failed ({crash}); if SIGSEGV, llama-cpp-python was "
            f"built with AMX: rebuild with scripts/install-local-model.sh\n{child.stderr[-2000:]}"
        )
    answer = json.loads(child.stdout.strip().splitlines()[-1])
    if answer["completion_tokens"] < 2:
        raise LocalServerError(f"smoke test decoded only {answer['completion_tokens']} token(s)")
    return SmokeResult(answer["completion_tokens"], time.monotonic() - started, answer["text"])


def _decode_in_this_process(weights: str, tokens: int, threads: int) -> None:
    from llama_cpp import Llama  # the optional extra; imported only in the smoke child

    llm = Llama(
        model_path=weights, n_ctx=512, n_threads=threads, use_mmap=False, verbose=False, seed=0
    )
    output = llm.create_completion(SMOKE_PROMPT, max_tokens=tokens, temperature=0.0)
    assert isinstance(output, dict)  # not a stream
    print(
        json.dumps(
            {
                "completion_tokens": output["usage"]["completion_tokens"],
                "text": output["choices"][0]["text"],
            }
        )
    )


if __name__ == "__main__":
    _decode_in_this_process(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
