"""Engine configuration from the environment. Parsed without importing torch, so that the server can
report it (and refuse a bad one) while the model has not been loaded."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Mapping

DEFAULT_STEP_CACHE_THRESHOLD = 0.08

_DTYPES = {
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "float32": "float32", "fp32": "float32", "float": "float32",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A configuration the engine cannot run with; the message names the variable."""


@dataclass(frozen=True)
class EngineOptions:
    model_dir: str | None
    device: str  # "cuda" | "cpu"
    dtype: str  # "bfloat16" | "float16" | "float32"
    compile: str  # "none" | "regional"
    fuse_qkv: bool
    quantize: str  # "none" | "fp8"
    step_cache_threshold: float
    compile_cache_dir: str | None
    warmup: bool
    test_step_delay_ms: int  # test hook: sleep this long at every step boundary (0: off)

    def health(self) -> dict[str, Any]:
        """The active speed-up options, as reported by GET /health-check."""
        return {
            "dtype": self.dtype,
            "compile": self.compile,
            "fuse_qkv": self.fuse_qkv,
            "quantize": self.quantize,
            "step_cache_threshold": self.step_cache_threshold,
            "compile_cache_dir": self.compile_cache_dir,
            "warmup": self.warmup,
            **({"test_step_delay_ms": self.test_step_delay_ms} if self.test_step_delay_ms else {}),
        }


def device_from_env(env: Mapping[str, str] | None = None) -> str:
    """KONTEXT_DEVICE as reported even when the rest of the configuration is invalid."""
    env = os.environ if env is None else env
    value = env.get("KONTEXT_DEVICE", "cuda").strip().lower()
    return value if value in ("cuda", "cpu") else "cuda"


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be 0 or 1, got {raw!r}")


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, default).strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {env.get(name)!r}")
    return value


def options_from_env(env: Mapping[str, str] | None = None) -> EngineOptions:
    env = os.environ if env is None else env
    device = _choice(env, "KONTEXT_DEVICE", "cuda", ("cuda", "cpu"))

    raw_dtype = env.get("KONTEXT_DTYPE", "").strip().lower()
    if raw_dtype:
        if raw_dtype not in _DTYPES:
            raise ConfigError(f"KONTEXT_DTYPE must be bfloat16, float16 or float32; got {env.get('KONTEXT_DTYPE')!r}")
        dtype = _DTYPES[raw_dtype]
    else:
        dtype = "bfloat16" if device == "cuda" else "float32"

    compile_mode = _choice(env, "KONTEXT_COMPILE", "none", ("none", "regional"))
    quantize = _choice(env, "KONTEXT_QUANTIZE", "none", ("none", "fp8"))

    raw_threshold = env.get("KONTEXT_STEP_CACHE_THRESHOLD", "").strip()
    try:
        threshold = float(raw_threshold) if raw_threshold else DEFAULT_STEP_CACHE_THRESHOLD
    except ValueError:
        raise ConfigError(f"KONTEXT_STEP_CACHE_THRESHOLD must be a number, got {raw_threshold!r}") from None
    if not (math.isfinite(threshold) and 0 < threshold < 1):
        raise ConfigError(f"KONTEXT_STEP_CACHE_THRESHOLD must be in (0, 1), got {raw_threshold!r}")

    cache_dir = env.get("KONTEXT_COMPILE_CACHE_DIR", "").strip() or None
    if cache_dir is not None:
        cache_dir = os.path.abspath(cache_dir)

    raw_delay = env.get("KONTEXT_TEST_STEP_DELAY_MS", "").strip()
    try:
        delay = int(raw_delay) if raw_delay else 0
    except ValueError:
        raise ConfigError(f"KONTEXT_TEST_STEP_DELAY_MS must be an integer, got {raw_delay!r}") from None
    if not 0 <= delay <= 60_000:
        raise ConfigError(f"KONTEXT_TEST_STEP_DELAY_MS must be within 0..60000, got {raw_delay!r}")

    model_dir = env.get("KONTEXT_MODEL_DIR", "").strip() or None
    return EngineOptions(
        model_dir=os.path.abspath(model_dir) if model_dir else None,
        device=device,
        dtype=dtype,
        compile=compile_mode,
        fuse_qkv=_flag(env, "KONTEXT_FUSE_QKV", False),
        quantize=quantize,
        step_cache_threshold=threshold,
        compile_cache_dir=cache_dir,
        warmup=_flag(env, "KONTEXT_WARMUP", device == "cuda"),
        test_step_delay_ms=delay,
    )
