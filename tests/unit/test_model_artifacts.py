"""What the setup function stages under code/: our inference code plus vendored pure-Python packages."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from zstc_deploy.model_artifacts import InferenceCode, code_digest, vendored_packages, write_sourcedir

INFERENCE = Path(__file__).resolve().parents[2] / "inference"


def _package(root: Path, name: str) -> Path:
    """A small pure-Python package, with the compiled leftovers a wheel install can leave beside it."""
    package = root / name
    (package / "quantization").mkdir(parents=True)
    (package / "__init__.py").write_text("VERSION = '0.9.0'\n")
    (package / "quantization" / "__init__.py").write_text("from .api import quantize_\n")
    (package / "quantization" / "api.py").write_text("def quantize_(model):\n    return model\n")
    (package / "_C.abi3.so").write_bytes(b"\x7fELF built for one torch")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "api.cpython-312.pyc").write_bytes(b"cached")
    return package


def _names(code: InferenceCode) -> list[str]:
    target = io.BytesIO()
    write_sourcedir(code, target)
    with tarfile.open(fileobj=io.BytesIO(target.getvalue()), mode="r:gz") as archive:
        return archive.getnames()


def test_vendored_packages_go_under_lib_without_compiled_files(tmp_path: Path) -> None:
    layer = tmp_path / "python"
    _package(layer, "torchao")
    (layer / "torchao-0.9.0.dist-info").mkdir()
    (layer / "torchao-0.9.0.dist-info" / "LICENSE").write_text("BSD 3-Clause License\n")
    (layer / "torchao-0.9.0.dist-info" / "METADATA").write_text("Name: torchao\nVersion: 0.9.0\n")
    code = InferenceCode(INFERENCE, vendored_packages(layer))
    names = _names(code)
    assert "inference.py" in names
    assert "zstc_engine/precision.py" in names
    assert {
        "lib/torchao/__init__.py",
        "lib/torchao/quantization/__init__.py",
        "lib/torchao/quantization/api.py",
    } <= set(names)
    assert {"lib/torchao-0.9.0.dist-info/LICENSE", "lib/torchao-0.9.0.dist-info/METADATA"} <= set(names)
    assert not [name for name in names if name.endswith((".so", ".pyc")) or "__pycache__" in name]
    assert names == sorted(names)


def test_a_layer_without_the_package_vendors_nothing(tmp_path: Path) -> None:
    (tmp_path / "torchao").mkdir()  # a directory that is not a package (no __init__.py) does not count
    assert vendored_packages(tmp_path) == ()
    assert not [name for name in _names(InferenceCode(INFERENCE)) if name.startswith("lib/")]


def test_the_digest_changes_with_the_vendored_code(tmp_path: Path) -> None:
    plain = code_digest(InferenceCode(INFERENCE))
    package = _package(tmp_path, "torchao")
    vendored = code_digest(InferenceCode(INFERENCE, (package,)))
    assert vendored != plain
    (package / "quantization" / "api.py").write_text("def quantize_(model):\n    return None\n")
    assert code_digest(InferenceCode(INFERENCE, (package,))) not in {plain, vendored}
    assert code_digest(InferenceCode(INFERENCE, (package,))) == code_digest(
        InferenceCode(INFERENCE, (package,))
    )


def test_code_without_its_entry_script_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"inference\.py is missing"):
        InferenceCode(tmp_path).files()
