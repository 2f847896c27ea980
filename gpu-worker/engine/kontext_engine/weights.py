"""Checks that a directory holds a complete FLUX.1 Kontext pipeline in diffusers layout, before anything
heavy is imported, so that a missing or half-synced weights directory fails fast with a clear detail."""

from __future__ import annotations

import json
from pathlib import Path

MODEL_COMPONENTS = ("transformer", "vae", "text_encoder", "text_encoder_2")
TOKENIZERS = ("tokenizer", "tokenizer_2")
_WEIGHT_SUFFIXES = (".safetensors", ".bin")


class WeightsError(Exception):
    pass


def check_model_dir(model_dir: str | None) -> Path:
    if not model_dir:
        raise WeightsError("KONTEXT_MODEL_DIR is not set: point it at a local copy of FLUX.1-Kontext-dev in diffusers layout")
    root = Path(model_dir)
    if not root.exists():
        raise WeightsError(f"weights directory {root} does not exist")
    if not root.is_dir():
        raise WeightsError(f"weights path {root} is not a directory")

    problems: list[str] = []
    index = root / "model_index.json"
    if not index.is_file():
        problems.append("model_index.json")
    else:
        try:
            json.loads(index.read_text())
        except (OSError, ValueError) as error:
            problems.append(f"model_index.json (unreadable: {error})")

    for name in MODEL_COMPONENTS:
        folder = root / name
        if not folder.is_dir():
            problems.append(f"{name}/")
            continue
        if not (folder / "config.json").is_file():
            problems.append(f"{name}/config.json")
        problems.extend(_missing_weights(folder, name))
    for name in TOKENIZERS:
        folder = root / name
        if not folder.is_dir() or not any(folder.iterdir()):
            problems.append(f"{name}/")
    if not (root / "scheduler" / "scheduler_config.json").is_file():
        problems.append("scheduler/scheduler_config.json")

    if problems:
        raise WeightsError(f"weights directory {root} is incomplete; missing: {', '.join(problems)}")
    return root


def _missing_weights(folder: Path, name: str) -> list[str]:
    indexes = sorted(folder.glob("*.index.json"))
    if indexes:
        missing: list[str] = []
        for index in indexes:
            try:
                shards = set(json.loads(index.read_text()).get("weight_map", {}).values())
            except (OSError, ValueError) as error:
                return [f"{name}/{index.name} (unreadable: {error})"]
            missing += [f"{name}/{shard}" for shard in sorted(shards) if not (folder / shard).is_file()]
        return missing
    if not any(p.suffix in _WEIGHT_SUFFIXES and p.is_file() for p in folder.iterdir()):
        return [f"{name}/*.safetensors"]
    return []
