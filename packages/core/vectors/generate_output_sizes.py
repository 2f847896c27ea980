"""Regenerates output-sizes.json, the size rule shared by the platform (TypeScript) and the engine (Python).

The rule mirrors diffusers' FluxKontextPipeline: an image's aspect ratio is snapped to the closest
entry of PREFERRED_KONTEXT_RESOLUTIONS, comparing (abs(ratio - w / h), w, h) tuples so ties go to the
narrower entry. The platform applies the same snap to the requested `aspect_ratio` (or the first input
image's ratio, or 1:1) to choose the output size, and the engine asks the pipeline for exactly that size
(max_area = width * height, so the pipeline's area rescale keeps it).

Run: python3 packages/core/vectors/generate_output_sizes.py > packages/core/vectors/output-sizes.json
"""

import json
import re

PREFERRED_KONTEXT_RESOLUTIONS = [
    (672, 1568), (688, 1504), (720, 1456), (752, 1392), (800, 1328), (832, 1248), (880, 1184),
    (944, 1104), (1024, 1024), (1104, 944), (1184, 880), (1248, 832), (1328, 800), (1392, 752),
    (1456, 720), (1504, 688), (1568, 672),
]
MIN_RATIO = (9, 21)
MAX_RATIO = (21, 9)


def snap(ratio: float) -> tuple[int, int]:
    _, width, height = min((abs(ratio - w / h), w, h) for w, h in PREFERRED_KONTEXT_RESOLUTIONS)
    return width // 16 * 16, height // 16 * 16


def parse_aspect_ratio(text: str):
    match = re.fullmatch(r"([1-9][0-9]{0,3}):([1-9][0-9]{0,3})", text)
    if not match:
        return None
    w, h = int(match.group(1)), int(match.group(2))
    if w * MAX_RATIO[1] > h * MAX_RATIO[0] or w * MIN_RATIO[1] < h * MIN_RATIO[0]:
        return None
    return w, h


ASPECT_RATIOS = ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21", "7:3", "3:7",
                 "5:4", "4:5", "2:1", "1:2", "1024:768", "1920:1080", "10:9", "13:10"]
BAD_ASPECT_RATIOS = ["22:9", "9:22", "0:1", "1:0", "abc", "16/9", "16:9:1", "-1:1", "1.5:1", "10000:9999",
                     " 1:1", "1:1 ", "01:1", "100:1"]
INPUT_IMAGES = [(4000, 3000), (3000, 4000), (1920, 1080), (1080, 1920), (512, 512), (1, 1),
                (100, 1000), (1000, 100), (1024, 1024), (1254, 836), (2048, 1536), (800, 1327),
                (640, 480), (6000, 4000), (4472, 4472), (1366, 768), (1200, 1000), (1000, 1200)]


def main() -> None:
    cases = []
    for text in ASPECT_RATIOS:
        parsed = parse_aspect_ratio(text)
        assert parsed is not None, text
        width, height = snap(parsed[0] / parsed[1])
        cases.append({"aspect_ratio": text, "output": {"width": width, "height": height}})
    for text in BAD_ASPECT_RATIOS:
        assert parse_aspect_ratio(text) is None, text
        cases.append({"aspect_ratio": text, "error": "invalid_aspect_ratio"})
    for iw, ih in INPUT_IMAGES:
        width, height = snap(iw / ih)
        cases.append({"input_image": {"width": iw, "height": ih}, "output": {"width": width, "height": height},
                      "context": {"width": width, "height": height}})
    for (iw, ih), text in [((4000, 3000), "9:16"), ((1080, 1920), "21:9")]:
        parsed = parse_aspect_ratio(text)
        assert parsed is not None
        out_w, out_h = snap(parsed[0] / parsed[1])
        ctx_w, ctx_h = snap(iw / ih)
        cases.append({"aspect_ratio": text, "input_image": {"width": iw, "height": ih},
                      "output": {"width": out_w, "height": out_h}, "context": {"width": ctx_w, "height": ctx_h}})
    cases.append({"output": {"width": 1024, "height": 1024}})
    print(json.dumps({
        "description": "Output and context-image sizes for FLUX.1 Kontext requests. output: from aspect_ratio if given, "
                       "else the first input image's ratio, else 1:1, snapped to the closest preferred Kontext "
                       "resolution. context: each input image is resized to its own snapped resolution before encoding.",
        "preferred_resolutions": [list(r) for r in PREFERRED_KONTEXT_RESOLUTIONS],
        "aspect_ratio_bounds": {"min": "9:21", "max": "21:9"},
        "cases": cases,
    }, indent=1))


if __name__ == "__main__":
    main()
