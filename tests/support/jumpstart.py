"""JumpStart's public metadata bucket, played by the moto server: fixture manifest, specs, artifacts."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from tests.support.tiny_models import build_tiny_bart_nli
from zstc_deploy.jumpstart import metadata_bucket

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jumpstart"
ZSTC_MODEL = "huggingface-zstc-facebook-bart-large-mnli"
DEBERTA_MODEL = "huggingface-zstc-cross-encoder-nli-deberta-base"
STOCK_SCRIPT = b"# JumpStart's stock zero-shot handler (stands in for the real one)\n"


def tarball(files: dict[str, bytes]) -> bytes:
    """A gzipped tar of ``files`` (name -> content)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def model_tarball(model_dir: Path, code: dict[str, bytes] | None = None) -> bytes:
    """A model.tar.gz of a Hugging Face model directory (plus ``code/`` files, as prepacked ones have)."""
    files = {path.name: path.read_bytes() for path in sorted(model_dir.iterdir()) if path.is_file()}
    files.update({f"code/{name}": data for name, data in (code or {}).items()})
    return tarball(files)


def publish(s3: Any, region: str, tmp_path: Path) -> str:
    """Create JumpStart's bucket for ``region`` with the fixture metadata and tiny artifacts."""
    bucket = metadata_bucket(region)
    s3.create_bucket(Bucket=bucket)
    for path in sorted(FIXTURES.rglob("*.json")):
        s3.put_object(Bucket=bucket, Key=path.relative_to(FIXTURES).as_posix(), Body=path.read_bytes())
    model_dir = build_tiny_bart_nli(tmp_path / "tiny-bart")
    for spec_path in FIXTURES.glob("community_models/*/specs_v*.json"):
        spec = json.loads(spec_path.read_text())
        if "hosting_prepacked_artifact_key" in spec:
            body = model_tarball(model_dir, {"inference.py": STOCK_SCRIPT})
            s3.put_object(Bucket=bucket, Key=spec["hosting_prepacked_artifact_key"], Body=body)
        if "hosting_artifact_key" in spec:
            s3.put_object(Bucket=bucket, Key=spec["hosting_artifact_key"], Body=model_tarball(model_dir))
        if "hosting_script_key" in spec:
            body = tarball({"inference.py": STOCK_SCRIPT, "requirements.txt": b""})
            s3.put_object(Bucket=bucket, Key=spec["hosting_script_key"], Body=body)
    return bucket
