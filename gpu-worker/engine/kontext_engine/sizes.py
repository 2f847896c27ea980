"""The size rule shared with the platform (TypeScript) and diffusers' FluxKontextPipeline.

An image's aspect ratio is snapped to the closest entry of PREFERRED_KONTEXT_RESOLUTIONS, comparing
``(abs(ratio - w / h), w, h)`` tuples so that ties go to the narrower entry, then floored to a multiple
of 16. The platform uses it to choose the output size (from ``aspect_ratio``, else the first input
image's ratio, else 1:1) and sends the engine exactly that size; the engine uses it to resize every
input image to its own snapped resolution before encoding (what diffusers does for the context image).

The cases in ``packages/core/vectors/output-sizes.json`` are the contract; ``tests/test_sizes.py``
checks every one of them against this module.
"""

from __future__ import annotations

import re

PREFERRED_KONTEXT_RESOLUTIONS: tuple[tuple[int, int], ...] = (
    (672, 1568), (688, 1504), (720, 1456), (752, 1392), (800, 1328), (832, 1248), (880, 1184),
    (944, 1104), (1024, 1024), (1104, 944), (1184, 880), (1248, 832), (1328, 800), (1392, 752),
    (1456, 720), (1504, 688), (1568, 672),
)

# Aspect ratios accepted from clients, inclusive: 9:21 .. 21:9.
MIN_ASPECT_RATIO = (9, 21)
MAX_ASPECT_RATIO = (21, 9)

# The latent grid: the VAE downsamples by 8 and the transformer packs 2x2 latents into one token.
MULTIPLE_OF = 16

_ASPECT_RATIO = re.compile(r"([1-9][0-9]{0,3}):([1-9][0-9]{0,3})")


def snap(ratio: float) -> tuple[int, int]:
    """The preferred Kontext resolution closest to ``ratio`` (width / height), floored to multiples of 16."""
    if not ratio > 0:
        raise ValueError(f"aspect ratio must be positive, got {ratio!r}")
    _, width, height = min((abs(ratio - w / h), w, h) for w, h in PREFERRED_KONTEXT_RESOLUTIONS)
    return width // MULTIPLE_OF * MULTIPLE_OF, height // MULTIPLE_OF * MULTIPLE_OF


def parse_aspect_ratio(text: str) -> tuple[int, int] | None:
    """``"W:H"`` with 1..4-digit positive integers (no leading zeros) within 9:21..21:9, else None."""
    match = _ASPECT_RATIO.fullmatch(text)
    if not match:
        return None
    w, h = int(match.group(1)), int(match.group(2))
    if w * MAX_ASPECT_RATIO[1] > h * MAX_ASPECT_RATIO[0] or w * MIN_ASPECT_RATIO[1] < h * MIN_ASPECT_RATIO[0]:
        return None
    return w, h


def context_size(width: int, height: int) -> tuple[int, int]:
    """The size an input image of ``width`` x ``height`` is resized to before VAE encoding."""
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    return snap(width / height)


def output_size(aspect_ratio: str | None = None, input_image: tuple[int, int] | None = None) -> tuple[int, int]:
    """The output size the platform asks for: from ``aspect_ratio``, else the first input image, else 1:1.

    Raises ValueError("invalid_aspect_ratio") for an aspect ratio the platform refuses.
    """
    if aspect_ratio is not None:
        parsed = parse_aspect_ratio(aspect_ratio)
        if parsed is None:
            raise ValueError("invalid_aspect_ratio")
        return snap(parsed[0] / parsed[1])
    if input_image is not None:
        return context_size(*input_image)
    return snap(1.0)
