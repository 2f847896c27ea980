"""The GPU benchmark's dry run (tiny architecture, CPU), so that the script a GPU machine runs works the
first time: every configuration that can run off the GPU, the FLOP estimate against torch's counter,
the compile cache and the cold-start child process."""

from __future__ import annotations

import json
import math
import subprocess
import sys

from conftest import REPO_ROOT

BENCH = REPO_ROOT / "gpu-worker" / "bench" / "bench_kontext.py"


def test_dry_run_reports_every_configuration(tmp_path):
    out = tmp_path / "results.json"
    # No time budget: on a slow machine the bench would skip configurations to stay within it, and the
    # test asserts that every one ran; the subprocess timeout is the only deadline.
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--tiny", "--device", "cpu", "--steps", "3", "--runs", "1",
         "--budget-seconds", "1000000", "--out", str(out)],
        capture_output=True, text=True, timeout=900,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(out.read_text())
    rows = {row["name"]: row for row in results["rows"]}
    assert list(rows) == [
        "stock", "exact (compile + fused QKV + FP8)", "exact + step cache", "exact + step cache (forced hits)",
        "regional compile", "fused QKV", "FP8 (torchao)", "cold start, warm compile cache",
    ]
    for name, row in rows.items():
        if name == "FP8 (torchao)":
            assert row["status"].startswith("skipped: FP8 needs a CUDA GPU"), row
            continue
        assert row["status"] == "ok", row
        assert row["seconds_per_image"] > 0
    # A measured difference of two timings (first call minus second), so only its presence and sign are
    # checked; that the compile really happened shows in the cold start finding a compile cache.
    compile_seconds = rows["exact (compile + fused QKV + FP8)"]["compile_seconds"]
    assert isinstance(compile_seconds, float) and compile_seconds >= 0
    assert rows["exact (compile + fused QKV + FP8)"]["detail"]["without_fp8"].startswith("FP8 needs")
    # At threshold 0.95 every step after the first reuses the cache; without caching all 3 run.
    assert rows["exact + step cache (forced hits)"]["transformer_passes"] < 3
    assert rows["stock"]["transformer_passes"] == 3
    # Utilisation is measured on a shared CPU, so its size says nothing about the code (`npm run bench`
    # reports it); only that it is computed, and only where every step does a full pass.
    mfu = rows["stock"]["mfu"]
    assert isinstance(mfu, float) and math.isfinite(mfu) and mfu > 0, mfu
    assert rows["exact + step cache"]["mfu"] is None and rows["exact + step cache (forced hits)"]["mfu"] is None
    flops = results["flops_per_step"]
    assert abs(flops["estimated"] - flops["counted"]) / flops["counted"] < 0.01
    cold = rows["cold start, warm compile cache"]["detail"]
    assert cold["process_start_to_first_image_seconds"] >= cold["first_image_seconds"] > 0
    assert "| stock |" in finished.stdout
