"""Health transitions, failures, cancel, busy, client disconnect and signals, with their own engine processes."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time

import pytest

from conftest import image_entry, request_body

# The test hook: every step boundary sleeps this long, so a prediction is slow enough to act on.
SLOW = {"KONTEXT_TEST_STEP_DELAY_MS": "150"}
# Predictions meant to be stopped run the most steps allowed (100 x 150 ms = 15 s), so the test has a
# wide window to act in. Whether they stopped early is read from the stream's final line and the log
# (a canceled prediction ends with "canceled", a finished one with "succeeded"), never from a clock.
LONG_STEPS = 100


def test_loading_then_ready(engine_factory, tiny_model_dir):
    engine = engine_factory(tiny_model_dir)
    first = engine.health()  # the server answers before the model is loaded
    assert first["status"] in ("LOADING", "READY")
    if first["status"] == "LOADING":
        assert first["detail"]
        status, body = engine.predict("early", request_body())
        assert status == 503 and body["error"] == "not_ready" and body["status"] in ("LOADING", "READY")
    ready = engine.wait_status("READY", "FAILED")
    assert ready["status"] == "READY", ready


def test_missing_model_dir_fails_clearly(engine_factory, tmp_path):
    engine = engine_factory(tmp_path / "does-not-exist")
    health = engine.wait_status("FAILED", timeout=30)
    assert "does not exist" in health["detail"] and "does-not-exist" in health["detail"]
    status, body = engine.predict("p", request_body())
    assert status == 503
    assert body == {"error": "not_ready", "status": "FAILED", "detail": health["detail"]}


def test_empty_model_dir_fails_clearly(engine_factory, tmp_path):
    (tmp_path / "empty").mkdir()
    engine = engine_factory(tmp_path / "empty")
    health = engine.wait_status("FAILED", timeout=30)
    assert "incomplete" in health["detail"]
    for part in ("model_index.json", "transformer/", "vae/", "text_encoder_2/", "scheduler/scheduler_config.json"):
        assert part in health["detail"]


def test_unset_model_dir_fails_clearly(engine_factory):
    engine = engine_factory(None)
    health = engine.wait_status("FAILED", timeout=30)
    assert "KONTEXT_MODEL_DIR" in health["detail"]


def test_cuda_requested_without_cuda_fails_clearly(engine_factory, tiny_model_dir):
    engine = engine_factory(tiny_model_dir, KONTEXT_DEVICE="cuda")
    health = engine.wait_status("FAILED", "READY", timeout=120)
    assert health["status"] == "FAILED"
    assert health["device"] == "cuda"
    assert "CUDA is not available" in health["detail"]


def test_fp8_without_a_suitable_gpu_and_bad_options_fail(engine_factory, tiny_model_dir):
    fp8 = engine_factory(tiny_model_dir, KONTEXT_QUANTIZE="fp8")
    bad = engine_factory(tiny_model_dir, KONTEXT_COMPILE="everything")
    health = fp8.wait_status("FAILED", "READY", timeout=120)
    assert health["status"] == "FAILED" and "compute capability 8.9" in health["detail"]
    health = bad.wait_status("FAILED", timeout=30)
    assert "KONTEXT_COMPILE" in health["detail"]


def test_speedup_options_on_cpu(engine_factory, tiny_model_dir):
    """Fused QKV, warm-up at load and a step-cached request all work and are reported."""
    engine = engine_factory(tiny_model_dir, KONTEXT_FUSE_QKV="1", KONTEXT_WARMUP="1", KONTEXT_STEP_CACHE_THRESHOLD="0.2")
    health = engine.wait_status("READY", "FAILED")
    assert health["status"] == "READY", health
    assert health["options"]["fuse_qkv"] is True and health["options"]["warmup"] is True
    assert health["options"]["step_cache_threshold"] == 0.2
    for step_cache in (False, True):
        status, events = engine.predict(f"fused-{step_cache}", request_body(steps=4, step_cache=step_cache,
                                                                          images=[image_entry(320, 240)]))
        assert status == 200 and events[-1]["type"] == "succeeded", events[-1]
    assert any(r.get("message") == "warm-up done" for r in engine.log_records())


def _stream_in_thread(engine, prediction_id, body):
    holder = {}

    def target():
        stream = engine.open_stream(prediction_id, body)
        holder["stream"] = stream
        holder["status"] = stream.status
        holder["events"] = events = []
        for event in stream:
            events.append(event)
        stream.close()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, holder


def _wait_for(predicate, timeout=30.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture(scope="module")
def slow_engine(tiny_model_dir, tmp_path_factory):
    from conftest import start_engine

    engine = start_engine(tiny_model_dir, tmp_path_factory.mktemp("slow"), **SLOW)
    try:
        engine.wait_status("READY")
        yield engine
    finally:
        engine.stop()


def test_cancel_mid_run(slow_engine):
    engine = slow_engine
    thread, holder = _stream_in_thread(engine, "cancel-me", request_body(steps=LONG_STEPS))
    assert _wait_for(lambda: sum(1 for e in holder.get("events", []) if e["type"] == "progress") >= 2)
    assert engine.health()["status"] == "BUSY"
    assert engine.cancel("cancel-me") == (200, {"canceled": True})
    thread.join(60)
    assert not thread.is_alive()
    events = holder["events"]
    assert events[-1] == {"type": "canceled"}
    steps = [e["step"] for e in events if e["type"] == "progress"]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) < LONG_STEPS
    assert engine.health()["status"] == "READY"
    assert engine.cancel("cancel-me")[0] == 404  # no longer running
    # A canceled prediction is not remembered: the same id runs again (and can finish).
    status, again = engine.predict("cancel-me", request_body(steps=2))
    assert status == 200 and again[0]["type"] == "started" and again[-1]["type"] == "succeeded"


def test_busy_while_running(slow_engine):
    engine = slow_engine
    thread, holder = _stream_in_thread(engine, "long-1", request_body(steps=LONG_STEPS))
    assert _wait_for(lambda: any(e["type"] == "progress" for e in holder.get("events", [])))
    health = engine.health()
    assert health["status"] == "BUSY" and health["running"] == "long-1"
    assert engine.predict("other", request_body()) == (409, {"error": "busy", "running": "long-1"})
    assert engine.predict("long-1", request_body()) == (409, {"error": "busy", "running": "long-1"})
    # Invalid input is still a 400 while busy: validation comes first.
    assert engine.predict("other", request_body(steps=0))[0] == 400
    engine.cancel("long-1")
    thread.join(60)
    assert holder["events"][-1] == {"type": "canceled"}
    # The slot is free as soon as the final line is out.
    status, events = engine.predict("after-busy", request_body(steps=1))
    assert status == 200 and events[-1]["type"] == "succeeded"


def test_client_disconnect_cancels(slow_engine):
    engine = slow_engine
    body = json.dumps(request_body(steps=LONG_STEPS)).encode()
    sock = socket.create_connection(("127.0.0.1", engine.port), timeout=10)
    sock.sendall(
        b"PUT /predictions/hang-up HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )
    received = b""
    while b'"progress"' not in received:
        chunk = sock.recv(4096)
        assert chunk, "server closed early"
        received += chunk
    assert engine.health()["status"] == "BUSY"
    sock.close()
    assert _wait_for(lambda: any(r.get("message") == "prediction finished" and r.get("id") == "hang-up"
                                 for r in engine.log_records()), timeout=60)
    outcome = next(r for r in engine.log_records() if r.get("message") == "prediction finished" and r.get("id") == "hang-up")
    assert outcome["outcome"] == "canceled", "disconnect did not cancel"
    assert any(r.get("message") == "prediction canceled" and r.get("id") == "hang-up"
               and r.get("reason") == "client disconnected" for r in engine.log_records())
    assert _wait_for(lambda: engine.health()["status"] == "READY", timeout=60)


def test_sigterm_cancels_and_exits_promptly(engine_factory, tiny_model_dir):
    engine = engine_factory(tiny_model_dir, **SLOW)
    engine.wait_status("READY")
    thread, holder = _stream_in_thread(engine, "dying", request_body(steps=LONG_STEPS))
    assert _wait_for(lambda: any(e["type"] == "progress" for e in holder.get("events", [])))
    engine.process.send_signal(signal.SIGTERM)
    engine.process.wait(timeout=60)
    assert engine.process.returncode == 0
    thread.join(60)
    # Promptly: the running prediction was canceled for the shutdown, not waited for.
    assert holder["events"][-1] == {"type": "canceled"}
    assert any(r.get("message") == "prediction canceled" and r.get("id") == "dying"
               and r.get("reason") == "engine shutting down" for r in engine.log_records())
    assert engine.process.stdout.read() == b""  # nothing after the listening line


def test_sigint_while_idle_and_while_loading(engine_factory, tiny_model_dir):
    loading = engine_factory(tiny_model_dir)
    loading.process.send_signal(signal.SIGINT)
    # Exiting at all is the check: the signal may land before the handlers are installed (just after
    # the listening line), so neither the exit status nor a wall-clock bound is asserted.
    loading.process.wait(timeout=60)
    assert loading.process.returncode is not None


def test_regional_compile_writes_the_compile_cache_and_a_restart_reuses_it(engine_factory, tiny_model_dir, tmp_path):
    """Regional compile on the CPU (Inductor's C++ backend): the first prediction compiles and saves the
    portable cache; a second process loads it before compiling and produces the same bytes."""
    cache = tmp_path / "compile-cache"
    env = {"KONTEXT_COMPILE": "regional", "KONTEXT_COMPILE_CACHE_DIR": str(cache), "KONTEXT_WARMUP": "0"}
    outputs = []
    for attempt in ("first", "restarted"):
        engine = engine_factory(tiny_model_dir, **env)
        health = engine.wait_status("READY", "FAILED", timeout=120)
        assert health["status"] == "READY" and health["options"]["compile"] == "regional", health
        status, events = engine.predict(f"compiled-{attempt}", request_body(steps=2, seed=9))
        assert status == 200 and events[-1]["type"] == "succeeded", events[-1]
        outputs.append(events[-1]["output"]["data"])
        assert (cache / "mega-cache.bin").stat().st_size > 0
        messages = [record.get("message") for record in engine.log_records()]
        assert "regional compilation set up" in messages
        if attempt == "restarted":
            assert "loaded compile cache artifacts" in messages
        engine.stop()
    assert outputs[0] == outputs[1]
