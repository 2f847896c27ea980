"""The size rule in Python against the shared vectors (packages/core/vectors/output-sizes.json), every case."""

from __future__ import annotations

import json

import pytest

from conftest import REPO_ROOT
from kontext_engine import sizes

VECTORS_PATH = REPO_ROOT / "packages" / "core" / "vectors" / "output-sizes.json"
VECTORS = json.loads(VECTORS_PATH.read_text())
CASES = VECTORS["cases"]


def case_id(case: dict) -> str:
    parts = []
    if "aspect_ratio" in case:
        parts.append(f"ar={case['aspect_ratio']!r}")
    if "input_image" in case:
        parts.append(f"in={case['input_image']['width']}x{case['input_image']['height']}")
    return ",".join(parts) or "default"


def test_vectors_are_there_and_nontrivial():
    assert len(CASES) >= 50
    assert any("error" in case for case in CASES)
    assert any("context" in case for case in CASES)


def test_preferred_resolutions_match_the_vectors_and_diffusers():
    from diffusers.pipelines.flux.pipeline_flux_kontext import PREFERRED_KONTEXT_RESOLUTIONS

    assert [list(r) for r in sizes.PREFERRED_KONTEXT_RESOLUTIONS] == VECTORS["preferred_resolutions"]
    assert list(sizes.PREFERRED_KONTEXT_RESOLUTIONS) == [tuple(r) for r in PREFERRED_KONTEXT_RESOLUTIONS]
    assert VECTORS["aspect_ratio_bounds"] == {"min": "9:21", "max": "21:9"}


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_case(case):
    aspect_ratio = case.get("aspect_ratio")
    input_image = (case["input_image"]["width"], case["input_image"]["height"]) if "input_image" in case else None
    if "error" in case:
        assert case["error"] == "invalid_aspect_ratio"
        assert sizes.parse_aspect_ratio(aspect_ratio) is None
        with pytest.raises(ValueError, match="invalid_aspect_ratio"):
            sizes.output_size(aspect_ratio, input_image)
        return
    width, height = sizes.output_size(aspect_ratio, input_image)
    assert {"width": width, "height": height} == case["output"]
    assert width % 16 == 0 and height % 16 == 0
    if "context" in case:
        cw, ch = sizes.context_size(*input_image)
        assert {"width": cw, "height": ch} == case["context"]


def test_context_size_matches_what_the_pipeline_resizes_to(tiny_model_dir):
    """The engine's references use the same rule as diffusers' stock context-image resize."""
    from PIL import Image

    from kontext_engine.references import KontextReferencePipeline

    pipe = KontextReferencePipeline.from_pretrained(str(tiny_model_dir), local_files_only=True)
    for w, h in [(4000, 3000), (100, 1000), (1254, 836), (512, 512)]:
        tensor = pipe.preprocess_reference(Image.new("RGB", (w, h)))
        assert (tensor.shape[3], tensor.shape[2]) == sizes.context_size(w, h)
