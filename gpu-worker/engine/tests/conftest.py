"""Fixtures: a tiny random-weight Kontext model on disk, and the REAL engine process started on it.

Everything runs on the CPU and offline. The engine is started as a subprocess
(``python -m kontext_engine --port 0``) and spoken to over HTTP, exactly as the worker agent does.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ[_name] = "1"

ENGINE_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = ENGINE_ROOT.parents[1]
# Importable with or without the editable install (scripts/ensure-venv.sh does install it).
if str(ENGINE_ROOT) not in sys.path:
    sys.path.insert(0, str(ENGINE_ROOT))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    from kontext_engine.testing.tiny import build_tiny_kontext

    return build_tiny_kontext(tmp_path_factory.mktemp("tiny-kontext"))


def png_b64(width: int, height: int, color=(200, 30, 30), fmt: str = "PNG") -> str:
    from PIL import Image

    image = Image.new("RGB", (width, height), color)
    # A little structure so that images differ beyond their mean colour.
    for x in range(0, width, max(1, width // 8)):
        for y in range(height):
            image.putpixel((x, y), (255 - color[0], 255 - color[1], 255 - color[2]))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def image_entry(width: int, height: int, role: str = "context", fmt: str = "png", color=(200, 30, 30)) -> dict[str, str]:
    pil_format = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt]
    return {"role": role, "format": fmt, "data": png_b64(width, height, color, pil_format)}


def request_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": "make it night, keep everything else",
        "images": [],
        "seed": 42,
        "width": 256,
        "height": 256,
        "steps": 2,
        "guidance": 2.5,
        "output_format": "png",
    }
    body.update(overrides)
    return body


class Stream:
    """A streaming PUT /predictions/{id}: iterate events as they arrive."""

    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse):
        self.connection = connection
        self.response = response
        self.status = response.status
        self.headers = dict(response.getheaders())
        self.events: list[dict[str, Any]] = []

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            line = self.response.readline()
            if not line:
                return
            event = json.loads(line)
            self.events.append(event)
            yield event

    def read_all(self) -> list[dict[str, Any]]:
        for _ in self:
            pass
        return self.events

    def close(self) -> None:
        self.connection.close()


class EngineProcess:
    def __init__(self, process: subprocess.Popen, port: int, stderr_path: Path):
        self.process = process
        self.port = port
        self.stderr_path = stderr_path
        self.stdout_rest: bytes | None = None

    # --- HTTP helpers ---
    def connection(self, timeout: float = 60) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        connection = self.connection()
        try:
            data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            headers = {"Content-Type": "application/json"} if data is not None else {}
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            content_type = response.getheader("Content-Type", "")
            if content_type.startswith("application/json"):
                return response.status, json.loads(payload)
            if content_type.startswith("application/x-ndjson"):
                return response.status, [json.loads(line) for line in payload.splitlines() if line.strip()]
            return response.status, payload
        finally:
            connection.close()

    def health(self) -> dict[str, Any]:
        status, body = self.request("GET", "/health-check")
        assert status == 200, body
        return body

    def wait_status(self, *wanted: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            health = self.health()
            if health["status"] in wanted:
                return health
            if time.monotonic() > deadline:
                raise AssertionError(f"engine stayed {health} (wanted {wanted}); stderr:\n{self.stderr()}")
            time.sleep(0.1)

    def predict(self, prediction_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        return self.request("PUT", f"/predictions/{prediction_id}", body)

    def open_stream(self, prediction_id: str, body: dict[str, Any]) -> Stream:
        connection = self.connection()
        connection.request("PUT", f"/predictions/{prediction_id}", body=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json"})
        return Stream(connection, connection.getresponse())

    def cancel(self, prediction_id: str) -> tuple[int, Any]:
        return self.request("POST", f"/predictions/{prediction_id}/cancel")

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-20000:]
        except OSError:
            return ""

    def log_records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.stderr().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                pass
        return records

    def stop(self, timeout: float = 10) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.stdout_rest is None and self.process.stdout is not None:
            self.stdout_rest = self.process.stdout.read()
            self.process.stdout.close()
        return self.process.returncode


def start_engine(model_dir: Path | None, tmp_path: Path, **env_overrides: str) -> EngineProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KONTEXT_")}
    env.update({"KONTEXT_DEVICE": "cpu", "PYTHONUNBUFFERED": "1"})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ENGINE_ROOT), env.get("PYTHONPATH", "")) if p)
    if model_dir is not None:
        env["KONTEXT_MODEL_DIR"] = str(model_dir)
    env.update(env_overrides)
    env = {k: v for k, v in env.items() if v is not None}
    stderr_path = tmp_path / f"engine-{time.monotonic_ns()}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "kontext_engine", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=open(stderr_path, "wb"),
        env=env,
        cwd=str(tmp_path),
    )
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    if not line or not line[0]:
        process.kill()
        raise AssertionError(f"engine printed no listening line; stderr:\n{stderr_path.read_text(errors='replace')}")
    event = json.loads(line[0])
    assert set(event) == {"event", "port"} and event["event"] == "listening", event
    return EngineProcess(process, int(event["port"]), stderr_path)


@pytest.fixture(scope="session")
def engine(tiny_model_dir, tmp_path_factory) -> Iterator[EngineProcess]:
    """One READY engine shared by the tests that do not need a special configuration."""
    process = start_engine(tiny_model_dir, tmp_path_factory.mktemp("engine"))
    try:
        process.wait_status("READY")
        yield process
    finally:
        process.stop()


@pytest.fixture
def engine_factory(tmp_path) -> Iterator[Any]:
    started: list[EngineProcess] = []

    def factory(model_dir: Path | None, **env: str) -> EngineProcess:
        process = start_engine(model_dir, tmp_path, **env)
        started.append(process)
        return process

    yield factory
    for process in started:
        process.stop()


def decode_output(event: dict[str, Any]):
    from PIL import Image

    assert event["type"] == "succeeded", event
    data = base64.b64decode(event["output"]["data"])
    image = Image.open(io.BytesIO(data))
    image.load()
    return image, data
