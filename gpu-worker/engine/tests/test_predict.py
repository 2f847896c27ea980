"""Predictions over HTTP against the real engine process (tiny model, CPU)."""

from __future__ import annotations

import pytest

from conftest import decode_output, image_entry, request_body

FINAL = {"succeeded", "failed", "canceled"}


def run(engine, prediction_id, **overrides):
    status, events = engine.predict(prediction_id, request_body(**overrides))
    assert status == 200, events
    return events


def test_listening_line_is_the_only_stdout(engine):
    # start_engine checked the line itself ({"event": "listening", "port": N}); nothing may follow it.
    assert engine.port > 0
    assert engine.process.poll() is None


def test_health_ready_shape(engine):
    health = engine.health()
    assert health["status"] == "READY"
    assert health["detail"] is None
    assert health["engine"].startswith("kontext-diffusers/")
    assert health["device"] == "cpu"
    assert health["options"] == {
        "dtype": "float32",
        "compile": "none",
        "fuse_qkv": False,
        "quantize": "none",
        "step_cache_threshold": 0.08,
        "compile_cache_dir": None,
        "warmup": False,
    }


@pytest.mark.parametrize(
    "width,height,output_format,pil_format",
    [(256, 256, "png", "PNG"), (512, 256, "jpeg", "JPEG"), (272, 400, "webp", "WEBP")],
)
def test_text_to_image_exact_size_and_format(engine, width, height, output_format, pil_format):
    events = run(engine, f"t2i-{output_format}", width=width, height=height, output_format=output_format)
    image, _ = decode_output(events[-1])
    assert image.format == pil_format
    assert image.size == (width, height)
    assert events[-1]["output"] == {**events[-1]["output"], "format": output_format, "width": width, "height": height}


def test_edit_with_a_context_image_of_another_ratio(engine):
    events = run(engine, "edit-1", images=[image_entry(640, 480, fmt="jpeg")], width=320, height=256,
                 output_format="png")
    image, _ = decode_output(events[-1])
    assert image.size == (320, 256)


def test_stream_shape_and_progress_events(engine):
    stream = engine.open_stream("progress-1", request_body(steps=5))
    assert stream.status == 200
    assert stream.headers["Content-Type"] == "application/x-ndjson"
    events = stream.read_all()
    stream.close()
    assert events[0] == {"type": "started", "id": "progress-1"}
    assert events[1:-1] == [{"type": "progress", "step": k, "total": 5} for k in range(1, 6)]
    assert events[-1]["type"] == "succeeded"
    assert sum(1 for e in events if e["type"] in FINAL) == 1


def test_determinism_same_seed_same_bytes_other_seed_other_bytes(engine):
    context = [image_entry(400, 300)]
    _, first = decode_output(run(engine, "det-a", seed=1234, images=context)[-1])
    _, second = decode_output(run(engine, "det-b", seed=1234, images=context)[-1])
    _, other = decode_output(run(engine, "det-c", seed=1235, images=context)[-1])
    assert first == second
    assert first != other


def test_multi_reference_three_images(engine):
    images = [
        image_entry(640, 480, "context", "png", (200, 10, 10)),
        image_entry(300, 600, "reference", "webp", (10, 200, 10)),
        image_entry(512, 512, "reference", "jpeg", (10, 10, 200)),
    ]
    events = run(engine, "multi-3", images=images, width=256, height=256, steps=2)
    image, data = decode_output(events[-1])
    assert image.size == (256, 256)
    # The references change the result.
    _, one_image = decode_output(run(engine, "multi-1", images=images[:1], width=256, height=256, steps=2)[-1])
    assert data != one_image


def test_step_cache_request(engine):
    events = run(engine, "cached-1", steps=6, step_cache=True)
    assert [e["step"] for e in events if e["type"] == "progress"] == list(range(1, 7))
    image, _ = decode_output(events[-1])
    assert image.size == (256, 256)
    # The cache is per request: the next uncached request is byte-identical to an earlier uncached one.
    _, a = decode_output(run(engine, "cached-2", steps=3, seed=5)[-1])
    _, b = decode_output(run(engine, "cached-3", steps=3, seed=5)[-1])
    assert a == b


def test_idempotent_replay_of_a_finished_id(engine):
    events = run(engine, "replay-1", seed=77)
    assert len(events) == 2 + 2  # started, 2 progress, succeeded
    status, replay = engine.predict("replay-1", request_body(seed=1, prompt="ignored: the id already finished"))
    assert status == 200
    assert replay == [events[-1]]


def test_only_the_last_16_finished_are_remembered(engine):
    first = run(engine, "remember-0", steps=1)[-1]
    for k in range(1, 17):
        run(engine, f"remember-{k}", steps=1)
    status, replay = engine.predict("remember-1", request_body(steps=1))
    assert status == 200 and len(replay) == 1 and replay[0]["type"] == "succeeded"  # 16 newest: replayed
    status, events = engine.predict("remember-0", request_body(steps=1))
    assert status == 200
    assert events[0]["type"] == "started"  # forgotten: ran again
    assert events[-1] == first  # and deterministic


BAD_INPUTS = [
    ("non-image bytes", {"images": [{"role": "context", "format": "png", "data": "bm90IGFuIGltYWdl"}]}, "images[0].data"),
    ("not base64", {"images": [{"role": "context", "format": "png", "data": "%%%"}]}, "images[0].data"),
    ("format mismatch", {"images": [{**image_entry(64, 64, fmt="jpeg"), "format": "png"}]}, "images[0].format"),
    ("five images", {"images": [image_entry(64, 64)] + [image_entry(64, 64, "reference")] * 4}, "images"),
    ("first not context", {"images": [image_entry(64, 64, "reference")]}, "images[0].role"),
    ("second context", {"images": [image_entry(64, 64), image_entry(64, 64)]}, "images[1].role"),
    ("steps 0", {"steps": 0}, "steps"),
    ("steps 101", {"steps": 101}, "steps"),
    ("steps string", {"steps": "4"}, "steps"),
    ("size 10000x10000", {"width": 10000, "height": 10000}, "width"),
    ("width not multiple of 16", {"width": 300}, "width"),
    ("height too small", {"height": 128}, "height"),
    ("seed negative", {"seed": -1}, "seed"),
    ("seed too big", {"seed": 2**53}, "seed"),
    ("seed bool", {"seed": True}, "seed"),
    ("guidance NaN-ish string", {"guidance": "high"}, "guidance"),
    ("guidance too big", {"guidance": 101}, "guidance"),
    ("output format", {"output_format": "gif"}, "output_format"),
    ("empty prompt", {"prompt": ""}, "prompt"),
    ("prompt too long", {"prompt": "x" * 10001}, "prompt"),
    ("prompt not a string", {"prompt": 5}, "prompt"),
    ("step_cache not bool", {"step_cache": "yes"}, "step_cache"),
    ("unknown field", {"model": "flux-kontext-dev"}, "model"),
]


@pytest.mark.parametrize("name,overrides,field", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_a_400_with_the_field(engine, name, overrides, field):
    status, body = engine.predict(f"bad-{abs(hash(name))}", request_body(**overrides))
    assert status == 400, body
    assert body["error"] == "invalid_input"
    assert body["field"] == field
    assert body["message"]


def test_missing_prompt_bad_json_and_bad_id(engine):
    body = request_body()
    del body["prompt"]
    assert engine.predict("bad-missing", body) == (400, {"error": "invalid_input", "field": "prompt", "message": "is required"})
    status, answer = engine.request("PUT", "/predictions/bad-json", raw=b"{not json")
    assert status == 400 and answer["field"] == "body"
    status, answer = engine.request("PUT", "/predictions/bad-array", raw=b"[1, 2]")
    assert status == 400 and answer["field"] == "body"
    status, answer = engine.predict("bad.id", request_body())
    assert status == 400 and answer["field"] == "id"
    status, answer = engine.predict("x" * 101, request_body())
    assert status == 400 and answer["field"] == "id"


def test_still_healthy_and_predicting_after_bad_inputs(engine):
    for name, overrides, _ in BAD_INPUTS[:6]:
        assert engine.predict("bad-again", request_body(**overrides))[0] == 400
    assert engine.health()["status"] == "READY"
    events = run(engine, "after-bad", width=256, height=256)
    assert events[-1]["type"] == "succeeded"


def test_routes(engine):
    assert engine.request("GET", "/nope")[0] == 404
    assert engine.request("POST", "/health-check")[0] == 405
    assert engine.request("GET", "/predictions/abc")[0] == 405
    assert engine.cancel("not-running") == (404, {"error": "not_found", "message": "no such running prediction"})
