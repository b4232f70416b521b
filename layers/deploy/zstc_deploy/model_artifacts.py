"""Model artifacts for the endpoint: our inference code as ``sourcedir.tar.gz``, and a repacked
``model.tar.gz`` that carries it under ``code/``.

The Hugging Face inference containers load the entry script from ``/opt/ml/model/code`` (the
unpacked artifact); they do not download ``SAGEMAKER_SUBMIT_DIRECTORY`` from S3. So, like the
SageMaker SDK's repack step, the JumpStart artifact is streamed into a new tarball with its own
``code/`` replaced by ours. Both tarballs are streamed: memory stays near one multipart part,
whatever the model's size.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path
from typing import IO

CODE_DIR = "code"
ENTRY_SCRIPT = "inference.py"
# What the endpoint needs of inference/: the entry script and the engine package, nothing else.
CODE_PATTERNS = (ENTRY_SCRIPT, "requirements.txt", "zstc_engine/*.py", "zstc_engine/*.jsonl")


def code_files(code_root: Path) -> list[Path]:
    """The files of ``code_root`` that go to the endpoint, sorted (so the tarball is reproducible)."""
    files = {path for pattern in CODE_PATTERNS for path in code_root.glob(pattern) if path.is_file()}
    if code_root / ENTRY_SCRIPT not in files:
        raise FileNotFoundError(f"{code_root / ENTRY_SCRIPT} is missing: the inference code is not packaged")
    return sorted(files)


def code_digest(code_root: Path) -> str:
    """A short content hash of the inference code: artifacts are keyed by it (same code, same key)."""
    digest = hashlib.sha256()
    for path in code_files(code_root):
        digest.update(path.relative_to(code_root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def write_sourcedir(code_root: Path, target: IO[bytes]) -> None:
    """``sourcedir.tar.gz``: the inference code at the archive's root (SageMaker's source dir shape)."""
    with tarfile.open(fileobj=target, mode="w|gz") as archive:
        for path in code_files(code_root):
            _add_bytes(archive, path.relative_to(code_root).as_posix(), path.read_bytes())


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
