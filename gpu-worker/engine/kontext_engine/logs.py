"""Logs: one JSON object per line on stderr, ``{"level": "info"|"warn"|"error", "message": ..., ...}``."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import Any

_lock = threading.Lock()
_LEVELS = {"debug": "info", "info": "info", "warning": "warn", "warn": "warn", "error": "error", "critical": "error"}


def log(level: str, message: str, **fields: Any) -> None:
    record = {"level": _LEVELS.get(level, level), "message": message, "time": _now()}
    for key, value in fields.items():
        if key not in record:
            record[key] = value
    line = json.dumps(record, default=str, ensure_ascii=False)
    with _lock:
        try:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class JsonLogHandler(logging.Handler):
    """Routes Python logging (diffusers, transformers, torch, warnings) into the JSON log."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string in a library's log call
            message = str(record.msg)
        fields: dict[str, Any] = {"logger": record.name}
        if record.exc_info and record.exc_info[1] is not None:
            fields["exception"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        log(record.levelname.lower(), message, **fields)


def install_logging_bridge() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(JsonLogHandler())
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)


def route_library_logs() -> None:
    """Send torch/diffusers/transformers logs through the JSON log instead of their own stderr handlers
    (call after importing them: they install their handlers at import)."""
    install_logging_bridge()
    for name in ("torch", "diffusers", "transformers", "torchao", "accelerate", "huggingface_hub"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
