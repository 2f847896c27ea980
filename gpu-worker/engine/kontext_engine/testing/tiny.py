"""A tiny random-weight FLUX.1 Kontext pipeline in diffusers layout, built entirely offline.

``build_tiny_kontext(directory)`` writes model_index.json, transformer/, vae/, text_encoder/,
text_encoder_2/, tokenizer/, tokenizer_2/ and scheduler/ exactly as ``save_pretrained`` lays out
black-forest-labs/FLUX.1-Kontext-dev, so the engine loads it through the same code path as the real
weights. The architecture is FLUX Kontext's (double- and single-stream blocks, 3-axis RoPE, guidance
embedding, 16-channel VAE with 8x downsampling, CLIP + T5 text encoders) at toy width; the weights are
random and seeded, so the same call always writes the same model. A 512x512 prediction takes a
second or two on a CPU.

    python -m kontext_engine.testing.tiny /tmp/tiny-kontext
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def build_tiny_kontext(directory: str | os.PathLike, seed: int = 0) -> Path:
    from ..pipeline import OFFLINE_VARIABLES

    for name in OFFLINE_VARIABLES:
        os.environ.setdefault(name, "1")
    from diffusers import FluxKontextPipeline

    from ..architecture import TINY, build_components

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    components = build_components(TINY, device="cpu", seed=seed)
    pipe = FluxKontextPipeline(**components, image_encoder=None, feature_extractor=None)
    pipe.save_pretrained(directory, safe_serialization=True)
    return directory


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m kontext_engine.testing.tiny DIRECTORY", file=sys.stderr)
        return 2
    print(build_tiny_kontext(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
