"""The engine process: an HTTP server on loopback in front of one Kontext pipeline.

    python -m kontext_engine --host 127.0.0.1 --port 0

Binds first, prints ``{"event": "listening", "port": N}`` as the only line on stdout, then loads the
model in a background thread. See README.md for the protocol.
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import os
import queue
import select
import signal
import socket
import sys
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import ENGINE_ID
from .logs import install_logging_bridge, log
from .options import ConfigError, EngineOptions, device_from_env, options_from_env
from .protocol import PREDICTION_ID, InvalidInput, PredictRequest, parse_request

LOADING, READY, BUSY, FAILED = "LOADING", "READY", "BUSY", "FAILED"
REMEMBERED_PREDICTIONS = 16
MAX_BODY_BYTES = 256 * 1024 * 1024
SHUTDOWN_GRACE_SECONDS = 2.0
DISCONNECT_POLL_SECONDS = 0.2


class Busy(Exception):
    def __init__(self, running: str):
        self.running = running


class NotReady(Exception):
    def __init__(self, status: str, detail: str | None):
        self.status = status
        self.detail = detail


class Prediction:
    """One running prediction: its events (dicts, in order, the final one last) and its cancel flag."""

    def __init__(self, prediction_id: str, request: PredictRequest):
        self.id = prediction_id
        self.request = request
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.cancel = threading.Event()
        self.cancel_reason: str | None = None
        self.done = threading.Event()
        self.thread: threading.Thread | None = None

    def request_cancel(self, reason: str) -> None:
        if not self.cancel.is_set():
            self.cancel_reason = reason
            self.cancel.set()


class Runtime:
    """The engine's state: loading, readiness, the one running prediction and the finished ones."""

    def __init__(self, env: dict[str, str] | None = None):
        self._lock = threading.Lock()
        self.status = LOADING
        self.detail: str | None = "starting"
        self.device = device_from_env(env)
        self.options: EngineOptions | None = None
        self.engine = None
        self.current: Prediction | None = None
        self.finished: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        try:
            self.options = options_from_env(env)
        except ConfigError as error:
            self._fail(str(error))

    # --- loading ---------------------------------------------------------------------------------

    def _fail(self, detail: str) -> None:
        with self._lock:
            self.status = FAILED
            self.detail = detail
        log("error", "engine failed", detail=detail)

    def start_loading(self) -> threading.Thread | None:
        if self.status == FAILED:
            return None
        thread = threading.Thread(target=self._load, name="kontext-load", daemon=True)
        thread.start()
        return thread

    def _load(self) -> None:
        from .weights import WeightsError

        options = self.options
        assert options is not None
        with self._lock:
            self.detail = f"loading {options.model_dir}"
        try:
            from .pipeline import KontextEngine

            # load() checks the weights first (WeightsError) and prepares the environment.
            engine = KontextEngine(options, log=log)
            engine.load()
        except WeightsError as error:
            self._fail(str(error))
            return
        except Exception as error:  # LoadError and anything a library throws while loading
            name = type(error).__name__
            detail = str(error) if name == "LoadError" else f"loading failed: {name}: {error}"
            log("error", "loading failed", traceback=traceback.format_exc(limit=20))
            self._fail(detail)
            return
        with self._lock:
            self.engine = engine
            self.status = READY
            self.detail = None
        log("info", "ready", engine=ENGINE_ID, device=options.device, options=options.health(),
            warmup_seconds=engine.compile_seconds)

    # --- health ----------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        with self._lock:
            status = self.status
            if status == READY and self.current is not None:
                status = BUSY
            return {
                "status": status,
                "detail": self.detail,
                "engine": ENGINE_ID,
                "device": self.device,
                "options": self.options.health() if self.options else {},
                **({"running": self.current.id} if self.current is not None else {}),
            }

    # --- predictions -----------------------------------------------------------------------------

    def finished_line(self, prediction_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self.finished.get(prediction_id)

    def start(self, prediction_id: str, request: PredictRequest) -> Prediction:
        with self._lock:
            if self.status != READY:
                raise NotReady(self.status, self.detail)
            if self.current is not None:
                raise Busy(self.current.id)
            prediction = Prediction(prediction_id, request)
            self.current = prediction
        prediction.thread = threading.Thread(target=self._run, args=(prediction,), name=f"predict-{prediction_id}", daemon=True)
        prediction.thread.start()
        return prediction

    def cancel(self, prediction_id: str, reason: str = "canceled by request") -> bool:
        with self._lock:
            current = self.current
        if current is None or current.id != prediction_id:
            return False
        current.request_cancel(reason)
        return True

    def cancel_running(self, reason: str) -> Prediction | None:
        with self._lock:
            current = self.current
        if current is not None:
            current.request_cancel(reason)
        return current

    def _run(self, prediction: Prediction) -> None:
        from .pipeline import Canceled, PredictionError

        request = prediction.request
        started = time.monotonic()
        log("info", "prediction started", id=prediction.id, width=request.width, height=request.height,
            steps=request.steps, images=len(request.images), step_cache=request.step_cache)
        prediction.events.put({"type": "started", "id": prediction.id})
        final: dict[str, Any]
        remember = False
        try:
            output = self.engine.predict(
                request,
                on_progress=lambda step, total: prediction.events.put({"type": "progress", "step": step, "total": total}),
                should_cancel=prediction.cancel.is_set,
                cancel_event=prediction.cancel,
            )
            final = {
                "type": "succeeded",
                "output": {
                    "format": output.format,
                    "width": output.width,
                    "height": output.height,
                    "data": base64.b64encode(output.data).decode("ascii"),
                },
            }
            remember = True
            log("info", "prediction succeeded", id=prediction.id, seconds=round(output.seconds, 3),
                bytes=len(output.data), transformer_passes=output.transformer_passes)
        except Canceled:
            final = {"type": "canceled"}
            log("info", "prediction canceled", id=prediction.id, reason=prediction.cancel_reason)
        except PredictionError as error:
            final = {"type": "failed", "message": error.message, "retryable": error.retryable}
            remember = not error.retryable
            log("error", "prediction failed", id=prediction.id, message=error.message, retryable=error.retryable,
                traceback=traceback.format_exc(limit=20))
        except BaseException as error:  # noqa: BLE001 - the stream must always end with a final line
            final = {"type": "failed", "message": f"engine error: {type(error).__name__}: {error}", "retryable": True}
            log("error", "prediction crashed", id=prediction.id, traceback=traceback.format_exc(limit=20))
        with self._lock:
            if remember:
                self.finished[prediction.id] = final
                self.finished.move_to_end(prediction.id)
                while len(self.finished) > REMEMBERED_PREDICTIONS:
                    self.finished.popitem(last=False)
            self.current = None
        # The slot is free before the final line goes out, so a client may start the next one at once.
        prediction.events.put(final)
        prediction.done.set()
        log("info", "prediction finished", id=prediction.id, outcome=final["type"],
            seconds=round(time.monotonic() - started, 3))


class EngineHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, runtime: Runtime):
        self.runtime = runtime
        super().__init__(address, EngineRequestHandler)


class EngineRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kontext-engine"
    sys_version = ""
    server: EngineHTTPServer

    # --- plumbing --------------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - no plain-text access log on stderr
        pass

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        log("warn", "http error", detail=format % args if args else format)

    def send_json(self, status: int, body: dict[str, Any], close: bool = False, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            raise InvalidInput("body", "bad Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise InvalidInput("body", f"body of {length} bytes is larger than {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        size_total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise InvalidInput("body", "bad chunked encoding") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            size_total += size
            if size_total > MAX_BODY_BYTES:
                raise InvalidInput("body", f"body is larger than {MAX_BODY_BYTES} bytes")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)

    def route(self) -> tuple[str, str | None]:
        path = self.path.split("?", 1)[0]
        if path == "/health-check":
            return "health", None
        parts = path.split("/")
        if len(parts) == 3 and parts[1] == "predictions":
            return "prediction", parts[2]
        if len(parts) == 4 and parts[1] == "predictions" and parts[3] == "cancel":
            return "cancel", parts[2]
        return "unknown", None

    def not_allowed(self, allowed: str) -> None:
        self.send_json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "method_not_allowed", "allowed": allowed}, headers={"Allow": allowed})

    def dispatch(self, method: str) -> None:
        kind, prediction_id = self.route()
        if kind == "unknown":
            self.drain_body()
            self.send_json(404, {"error": "not_found"})
        elif kind == "health":
            if method != "GET":
                self.drain_body()
                self.not_allowed("GET")
            else:
                self.send_json(200, self.server.runtime.health())
        elif kind == "prediction":
            if method != "PUT":
                self.drain_body()
                self.not_allowed("PUT")
            else:
                self.handle_predict(prediction_id or "")
        else:
            self.drain_body()
            if method != "POST":
                self.not_allowed("POST")
            elif PREDICTION_ID.fullmatch(prediction_id or "") and self.server.runtime.cancel(prediction_id or ""):
                log("info", "cancel requested", id=prediction_id)
                self.send_json(200, {"canceled": True})
            else:
                self.send_json(404, {"error": "not_found", "message": "no such running prediction"})

    def drain_body(self) -> None:
        try:
            self.read_body()
        except InvalidInput:
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802
        self.dispatch("GET")

    def do_PUT(self) -> None:  # noqa: N802
        self.dispatch("PUT")

    def do_POST(self) -> None:  # noqa: N802
        self.dispatch("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self.dispatch("DELETE")

    def do_PATCH(self) -> None:  # noqa: N802
        self.dispatch("PATCH")

    # --- PUT /predictions/{id} -------------------------------------------------------------------

    def handle_predict(self, prediction_id: str) -> None:
        runtime = self.server.runtime
        try:
            raw = self.read_body()
        except InvalidInput as error:
            self.send_json(400, error.body(), close=True)
            return
        if not PREDICTION_ID.fullmatch(prediction_id):
            self.send_json(400, InvalidInput("id", "must match [A-Za-z0-9_-]{1,100}").body())
            return
        final = runtime.finished_line(prediction_id)
        if final is not None:
            log("info", "prediction replayed", id=prediction_id, outcome=final["type"])
            self.start_stream()
            self.write_line(final)
            self.end_stream()
            return
        try:
            try:
                body = json.loads(raw.decode("utf-8")) if raw else None
            except (UnicodeDecodeError, ValueError) as error:
                raise InvalidInput("body", f"is not valid JSON ({error})") from None
            if body is None:
                raise InvalidInput("body", "a JSON object is required")
            request = parse_request(body)
        except InvalidInput as error:
            log("warn", "invalid prediction request", id=prediction_id, field=error.field, detail=error.message)
            self.send_json(400, error.body())
            return
        try:
            prediction = runtime.start(prediction_id, request)
        except NotReady as error:
            self.send_json(503, {"error": "not_ready", "status": error.status, "detail": error.detail})
            return
        except Busy as error:
            self.send_json(409, {"error": "busy", "running": error.running})
            return
        self.stream(prediction)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        self.wfile.flush()

    def write_line(self, event: dict[str, Any]) -> None:
        data = json.dumps(event, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def client_gone(self) -> bool:
        """True when the client closed its end (no request can be pending while we stream)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def stream(self, prediction: Prediction) -> None:
        connected = True
        try:
            self.start_stream()
        except OSError:
            connected = False
            prediction.request_cancel("client disconnected")
        while True:
            try:
                event = prediction.events.get(timeout=DISCONNECT_POLL_SECONDS)
            except queue.Empty:
                if connected and self.client_gone():
                    connected = False
                    log("warn", "client disconnected; canceling", id=prediction.id)
                    prediction.request_cancel("client disconnected")
                continue
            final = event["type"] in ("succeeded", "failed", "canceled")
            if connected:
                try:
                    self.write_line(event)
                    if final:
                        self.end_stream()
                except OSError:
                    connected = False
                    if not final:
                        log("warn", "client disconnected; canceling", id=prediction.id)
                        prediction.request_cancel("client disconnected")
            if final:
                break
        if not connected:
            self.close_connection = True


def _install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kontext_engine", description="FLUX.1 Kontext engine (HTTP on loopback)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    args = parser.parse_args(argv)

    install_logging_bridge()
    runtime = Runtime(dict(os.environ))
    try:
        server = EngineHTTPServer((args.host, args.port), runtime)
    except OSError as error:
        log("error", "could not bind", host=args.host, port=args.port, error=str(error))
        return 2
    port = server.server_address[1]
    sys.stdout.write(json.dumps({"event": "listening", "port": port}) + "\n")
    sys.stdout.flush()
    # Nothing else may reach stdout: whatever a library prints goes to stderr from now on.
    try:
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.stdout = sys.stderr
    log("info", "listening", host=args.host, port=port, engine=ENGINE_ID, pid=os.getpid())

    stop = threading.Event()
    _install_signal_handlers(stop)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.25}, name="http", daemon=True)
    serving.start()
    runtime.start_loading()

    while not stop.wait(0.5):
        pass

    log("info", "shutting down")
    running = runtime.cancel_running("engine shutting down")
    if running is not None:
        running.done.wait(SHUTDOWN_GRACE_SECONDS)
        time.sleep(0.05)  # let the streaming thread write the final line
    closer = threading.Thread(target=server.shutdown, daemon=True)
    closer.start()
    closer.join(0.5)
    log("info", "stopped")
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
