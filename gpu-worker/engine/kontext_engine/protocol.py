"""The prediction request: validation of the JSON body and decoding of every image, before anything runs.

Only Pillow is needed here (no torch), so a bad request is refused quickly in the HTTP thread, whatever
the model is doing."""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps

PREDICTION_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")

MAX_PROMPT_CHARS = 10_000
MAX_IMAGES = 4
MIN_SIDE = 256
MAX_SIDE = 2048
SIDE_MULTIPLE = 16
MAX_OUTPUT_PIXELS = MAX_SIDE * MAX_SIDE  # 4,194,304 (4.19 MP)
# The platform's contract bounds (packages/core/src/contract.ts): steps 1..100, seeds up to 2^53 - 1
# (JSON's safe integers; torch.Generator takes up to 2^64 - 1).
MAX_STEPS = 100
MAX_GUIDANCE = 100.0
MAX_SEED = 2**53 - 1
# Input images: any size up to these bounds (each is resized to ~1 MP before encoding anyway).
MAX_INPUT_SIDE = 12_000
MAX_INPUT_PIXELS = 50_000_000
MAX_IMAGE_BYTES = 40 * 1024 * 1024  # decoded (binary) size of one image

IMAGE_FORMATS = ("png", "jpeg", "webp")
OUTPUT_FORMATS = ("png", "jpeg", "webp")
ROLES = ("context", "reference")
_PIL_FORMATS = {"PNG": "png", "JPEG": "jpeg", "MPO": "jpeg", "WEBP": "webp"}
_FIELDS = {"prompt", "images", "seed", "width", "height", "steps", "guidance", "output_format", "step_cache"}
_REQUIRED = ("prompt", "seed", "width", "height", "steps", "guidance", "output_format")
_IMAGE_FIELDS = {"role", "format", "data"}


class InvalidInput(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def body(self) -> dict[str, str]:
        return {"error": "invalid_input", "field": self.field, "message": self.message}


@dataclass
class InputImage:
    role: str
    format: str
    image: Image.Image  # RGB, EXIF orientation applied
    original_size: tuple[int, int]


@dataclass
class PredictRequest:
    prompt: str
    images: list[InputImage]
    seed: int
    width: int
    height: int
    steps: int
    guidance: float
    output_format: str
    step_cache: bool = False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_field(body: dict[str, Any], name: str, low: int, high: int) -> int:
    value = body[name]
    if isinstance(value, float) and value.is_integer() and not isinstance(value, bool):
        value = int(value)  # JSON numbers such as 1024.0
    if not _is_int(value):
        raise InvalidInput(name, f"must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise InvalidInput(name, f"must be within {low}..{high}, got {value}")
    return value


def _side(body: dict[str, Any], name: str) -> int:
    value = _int_field(body, name, -(2**63), 2**63)
    if not MIN_SIDE <= value <= MAX_SIDE:
        raise InvalidInput(name, f"must be within {MIN_SIDE}..{MAX_SIDE} pixels, got {value}")
    if value % SIDE_MULTIPLE:
        raise InvalidInput(name, f"must be a multiple of {SIDE_MULTIPLE}, got {value}")
    return value


def decode_image(item: Any, index: int) -> InputImage:
    where = f"images[{index}]"
    if not isinstance(item, dict):
        raise InvalidInput(where, "must be an object with role, format and data")
    unknown = sorted(set(item) - _IMAGE_FIELDS)
    if unknown:
        raise InvalidInput(f"{where}.{unknown[0]}", "unknown field")
    for name in ("role", "format", "data"):
        if name not in item:
            raise InvalidInput(f"{where}.{name}", "is required")
    role, declared, data = item["role"], item["format"], item["data"]
    if role not in ROLES:
        raise InvalidInput(f"{where}.role", f"must be one of {', '.join(ROLES)}")
    if index == 0 and role != "context":
        raise InvalidInput(f"{where}.role", "the first image must be the context image (role 'context')")
    if index > 0 and role != "reference":
        raise InvalidInput(f"{where}.role", "only the first image may be the context image; the others are 'reference'")
    if declared not in IMAGE_FORMATS:
        raise InvalidInput(f"{where}.format", f"must be one of {', '.join(IMAGE_FORMATS)}")
    if not isinstance(data, str) or not data:
        raise InvalidInput(f"{where}.data", "must be a non-empty base64 string")
    if len(data) > (MAX_IMAGE_BYTES * 4) // 3 + 4:
        raise InvalidInput(f"{where}.data", f"image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{where}.data", "is not valid base64") from None

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(raw))
            actual = _PIL_FORMATS.get(opened.format or "")
            if actual is None:
                raise InvalidInput(f"{where}.data", f"is a {opened.format or 'unknown'} image; expected png, jpeg or webp")
            if actual != declared:
                raise InvalidInput(f"{where}.format", f"declared {declared} but the data is {actual}")
            width, height = opened.size
            if width < 1 or height < 1 or width > MAX_INPUT_SIDE or height > MAX_INPUT_SIDE or width * height > MAX_INPUT_PIXELS:
                raise InvalidInput(
                    f"{where}.data",
                    f"image is {width}x{height}; at most {MAX_INPUT_SIDE} pixels a side and {MAX_INPUT_PIXELS // 1_000_000} MP",
                )
            opened.load()
            image = ImageOps.exif_transpose(opened)
            image = image.convert("RGB")
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(f"{where}.data", "image has too many pixels") from None
    except Exception as error:  # Pillow raises many types for corrupt data
        raise InvalidInput(f"{where}.data", f"is not a decodable image ({type(error).__name__}: {error})") from None
    return InputImage(role=role, format=declared, image=image, original_size=(width, height))


def parse_request(body: Any) -> PredictRequest:
    if not isinstance(body, dict):
        raise InvalidInput("body", "must be a JSON object")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise InvalidInput(unknown[0], "unknown field")
    for name in _REQUIRED:
        if name not in body:
            raise InvalidInput(name, "is required")

    prompt = body["prompt"]
    if not isinstance(prompt, str):
        raise InvalidInput("prompt", f"must be a string, got {type(prompt).__name__}")
    if not 1 <= len(prompt) <= MAX_PROMPT_CHARS:
        raise InvalidInput("prompt", f"must be 1..{MAX_PROMPT_CHARS} characters, got {len(prompt)}")
    if "\x00" in prompt:
        raise InvalidInput("prompt", "must not contain NUL characters")

    seed = _int_field(body, "seed", 0, MAX_SEED)
    width = _side(body, "width")
    height = _side(body, "height")
    if width * height > MAX_OUTPUT_PIXELS:
        raise InvalidInput("width", f"{width}x{height} is more than {MAX_OUTPUT_PIXELS} pixels")
    steps = _int_field(body, "steps", 1, MAX_STEPS)

    guidance = body["guidance"]
    if isinstance(guidance, bool) or not isinstance(guidance, (int, float)):
        raise InvalidInput("guidance", f"must be a number, got {type(guidance).__name__}")
    guidance = float(guidance)
    if not math.isfinite(guidance) or not 0.0 <= guidance <= MAX_GUIDANCE:
        raise InvalidInput("guidance", f"must be within 0..{MAX_GUIDANCE:g}, got {body['guidance']}")

    output_format = body["output_format"]
    if output_format not in OUTPUT_FORMATS:
        raise InvalidInput("output_format", f"must be one of {', '.join(OUTPUT_FORMATS)}")

    step_cache = body.get("step_cache", False)
    if not isinstance(step_cache, bool):
        raise InvalidInput("step_cache", "must be a boolean")

    images_value = body.get("images", [])
    if images_value is None:
        images_value = []
    if not isinstance(images_value, list):
        raise InvalidInput("images", "must be an array")
    if len(images_value) > MAX_IMAGES:
        raise InvalidInput("images", f"at most {MAX_IMAGES} images (one context and up to {MAX_IMAGES - 1} references), got {len(images_value)}")
    images = [decode_image(item, index) for index, item in enumerate(images_value)]

    return PredictRequest(
        prompt=prompt,
        images=images,
        seed=seed,
        width=width,
        height=height,
        steps=steps,
        guidance=guidance,
        output_format=output_format,
        step_cache=step_cache,
    )
