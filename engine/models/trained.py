"""What `planact train` leaves in its output folder, as the model backends read it: the manifest
(``planact-model.json``) and the files to serve.  Training writes these (``planact.train``);
serving reads them, so this belongs to the models floor, below training.
"""

from __future__ import annotations

import json
from pathlib import Path

from .base import ModelError

MANIFEST = "planact-model.json"


def served_files(folder: Path) -> tuple[Path, Path | None]:
    """(GGUF model, LoRA adapter or None) that the local backend loads for a trained model's folder.

    The base GGUF with the adapter is preferred (the shipped quantised file keeps
    its speed); the merged f16 GGUF otherwise.
    """
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    base, lora = manifest.get("base_gguf"), manifest.get("lora_gguf")
    if base and lora and Path(base).is_file() and (folder / lora).is_file():
        return Path(base), folder / lora
    if manifest.get("gguf") and (folder / manifest["gguf"]).is_file():
        return folder / manifest["gguf"], None
    raise ModelError(
        f"{folder} has no GGUF model to load (trained from a Hugging Face base: serve {folder}/hf with vLLM)"
    )
