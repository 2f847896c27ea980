"""Schemathesis hooks for the platform's OpenAPI document.

The document states every rule the server enforces that JSON Schema can express. A few rules are
about meaning, not shape, and the document says them in words: an image field must hold an image
that decodes, a webhook URL must resolve, an Idempotency-Key sent twice must come with the same
request, `from` must come before `to`, an aspect ratio must lie between 9:21 and 21:9. For the
positive cases (data the schema calls valid) these hooks supply such values, or move them inside
those bounds, so that "valid data is accepted" is checked against everything else; negative cases are left alone.
"""

from __future__ import annotations

import math
import os
import re
import uuid
from datetime import datetime, timezone

import schemathesis
from schemathesis.core.parameters import ParameterLocation

# A 16x16 PNG: the smallest image every input check (header, size, full decode) accepts.
TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR4nGM4ISdHEmIY1TCqYfhqAADkYgQQ60fIxgAAAABJRU5ErkJggg=="
)
IMAGE_FIELDS = ("input_image", "input_image_2", "input_image_3", "input_image_4")
# A receiver the test runs on loopback; the platform under test allows private webhook targets.
RECEIVER_URL = os.environ.get("KONTEXT_FUZZ_RECEIVER_URL", "http://127.0.0.1:9/")
# The longest usage range the server serves per granularity (hours or days).
MAX_USAGE_BUCKETS = {"hour": 744, "day": 400}


def _positive_at(case, location) -> bool:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return False
    return not meta.is_negative_at(location)


def _semantic(case):
    """Real images, a resolvable webhook URL and one Idempotency-Key per request."""
    if _positive_at(case, ParameterLocation.BODY) and isinstance(case.body, dict):
        for field in IMAGE_FIELDS:
            if isinstance(case.body.get(field), str):
                case.body[field] = TINY_PNG
        if isinstance(case.body.get("webhook_url"), str):
            case.body["webhook_url"] = RECEIVER_URL
        if case.operation.path.startswith("/v1/webhooks/endpoints") and isinstance(case.body.get("url"), str):
            case.body["url"] = RECEIVER_URL
    if _positive_at(case, ParameterLocation.HEADER) and case.headers and "idempotency-key" in case.headers:
        # A client makes one key per logical request; a key reused with another body is refused.
        case.headers["idempotency-key"] = uuid.uuid4().hex
    return case


def _bounded(case):
    """Values moved inside the bounds the document states in words. Mapped rather than filtered:
    filtering most generated cases away fails Hypothesis's health check."""
    if _positive_at(case, ParameterLocation.BODY) and isinstance(case.body, dict):
        ratio = case.body.get("aspect_ratio")
        if isinstance(ratio, str) and not _ratio_in_bounds(ratio):
            case.body["aspect_ratio"] = "16:9"
    if case.operation.path.endswith("/usage") and case.query and _positive_at(case, ParameterLocation.QUERY):
        if not _usage_range_ok(case.query):
            case.query.pop("from", None)
            case.query.pop("to", None)
    return case


@schemathesis.hook
def map_case(context, case):
    return _bounded(_semantic(case))


def _ratio_in_bounds(ratio: str) -> bool:
    width, _, height = ratio.partition(":")
    try:
        w, h = int(width), int(height)
    except ValueError:
        return True
    return w * 9 <= h * 21 and w * 21 >= h * 9


def _usage_range_ok(query) -> bool:
    """The server's range rule: `to` defaults to now, `from` to 7 days before `to`; `from` must come
    first, and the range, widened to whole buckets, may hold at most MAX_USAGE_BUCKETS of them."""
    step = 3600 if query.get("granularity") == "hour" else 86400
    limit = MAX_USAGE_BUCKETS["hour" if step == 3600 else "day"]
    try:
        end = _instant(query["to"]) if isinstance(query.get("to"), str) else datetime.now(timezone.utc).timestamp()
        start = _instant(query["from"]) if isinstance(query.get("from"), str) else end - 7 * 86400
    except (ValueError, OverflowError):
        return False  # a year Python cannot represent: far outside any range the server serves
    if start >= end:
        return False
    first = math.floor(start / step) * step
    # A margin of one bucket for the seconds between generating the case and the server's "now".
    return math.ceil((end - first) / step) <= limit - 1


def _instant(text: str) -> float:
    text = re.sub(r":60(?=[.Z+-])", ":59", text)
    text = re.sub(r"(\.[0-9]{6})[0-9]+", r"\1", text)  # Python reads at most microseconds
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
