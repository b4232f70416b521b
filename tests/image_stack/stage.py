"""Write ``code/`` as the setup function stages it, for `make image-check`.

Usage: python tests/image_stack/stage.py LAYER_DIR TARGET_DIR

LAYER_DIR is a directory pip installed layers/deploy/requirements.txt into (as sam build does for
the deploy layer); TARGET_DIR/code receives the inference code and the vendored packages under
code/lib, file for file what ``zstc_deploy.model_artifacts`` puts in the artifact.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "layers" / "deploy")]

from zstc_deploy.model_artifacts import CODE_DIR, InferenceCode, vendored_packages  # noqa: E402


def main(layer: Path, target: Path) -> None:
    """Materialise the staged code/ under ``target`` (replacing what is there)."""
    code = InferenceCode(REPO / "inference", vendored_packages(layer))
    if not code.vendored:
        raise SystemExit(
            f"{layer} holds none of the vendored packages: is layers/deploy/requirements.txt installed?"
        )
    root = target / CODE_DIR
    shutil.rmtree(root, ignore_errors=True)
    files = code.files()
    for name, path in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, root / name)
    vendored = ", ".join(package.name for package in code.vendored)
    print(f"staged {len(files)} files under {root} (vendored: {vendored})")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
