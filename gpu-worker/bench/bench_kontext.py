"""FLUX.1 Kontext [dev] speed on one GPU: stock diffusers, each speed-up alone, the exact ones together,
and the step-caching profile, through the engine's own prediction path.

The full-size architecture is built with random weights directly on the device (no weights can be
downloaded where this runs; the compute per step is the same as with the released weights). The
workload is the platform's default edit: a 1024x1024 output from one 1024x1024 context image, 28 steps.

For each configuration it reports seconds per step and per image (median of --runs timed images after
warm-up), peak GPU memory, compile time, and model FLOP utilisation: FLOPs per step estimated from the
architecture (and checked against torch's FLOP counter on one transformer call), divided by the step
time and by the bf16 matmul rate this script measures on the same device. A child process then
measures cold start to the first image with the compile cache the exact configuration left behind.

    python gpu-worker/bench/bench_kontext.py --out results.json            # the GPU run
    python gpu-worker/bench/bench_kontext.py --tiny --device cpu           # the dry run, a minute on a CPU

Configurations run in order of importance and each is skipped (and reported as such) when it would
not finish inside --budget-seconds, so a run always ends in time with the most important rows.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

ENGINE_DIR = Path(__file__).resolve().parent.parent / "engine"
sys.path.insert(0, str(ENGINE_DIR))

from kontext_engine.options import DEFAULT_STEP_CACHE_THRESHOLD, EngineOptions  # noqa: E402
from kontext_engine.pipeline import prepare_environment  # noqa: E402
from kontext_engine.sizes import context_size  # noqa: E402

TEXT_TOKENS = 512  # the pipeline's max_sequence_length: T5 tokens are always padded to 512


@dataclass(frozen=True)
class Config:
    name: str
    compile: bool = False
    fuse_qkv: bool = False
    fp8: bool = False
    step_cache: bool = False
    reuses: str | None = None  # run on the pipeline of this configuration (step caching is per request)
    step_cache_threshold: float | None = None  # None: --step-cache-threshold


# In order of importance: the budget cuts from the end.
CONFIGS = [
    Config("stock"),
    Config("exact (compile + fused QKV + FP8)", compile=True, fuse_qkv=True, fp8=True),
    Config("exact + step cache", compile=True, fuse_qkv=True, fp8=True, step_cache=True,
           reuses="exact (compile + fused QKV + FP8)"),
    # Random weights do not change between steps the way trained ones do, so the cache may hit rarely
    # at the production threshold. A threshold near 1 makes most steps hits: what a cached step costs.
    Config("exact + step cache (forced hits)", compile=True, fuse_qkv=True, fp8=True, step_cache=True,
           reuses="exact (compile + fused QKV + FP8)", step_cache_threshold=0.95),
    Config("regional compile", compile=True),
    Config("fused QKV", fuse_qkv=True),
    Config("FP8 (torchao)", fp8=True),
]
COLD_START = "cold start, warm compile cache"


@dataclass
class Row:
    name: str
    status: str = "ok"  # ok | skipped: ... | failed: ...
    seconds_per_step: float | None = None
    seconds_per_image: float | None = None
    image_seconds: list[float] = field(default_factory=list)
    speedup_vs_stock: float | None = None
    peak_memory_gib: float | None = None
    compile_seconds: float | None = None
    setup_seconds: float | None = None
    transformer_passes: int | None = None
    mfu: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- FLOPs -----------------------------------------------------------------------------------------


def transformer_flops_per_step(transformer_config: dict[str, Any], image_tokens: int, context_tokens: int) -> float:
    """Multiply-adds x 2 of one FluxTransformer2DModel call (one denoising step; [dev] is guidance
    distilled, so there is one call per step). Per token, a double-stream block has q, k, v and out
    projections (4 d^2) and a 4x MLP (8 d^2) in whichever stream the token is in; a single-stream block
    has q, k, v (3 d^2), the MLP in (4 d^2) and the joint out projection (5 d^2). Attention over the
    joint sequence L costs QK^T and AV: 4 L^2 d per block. The embedders and the final projection are
    counted too; the per-sample modulation layers (one token each) are negligible and left out."""
    d = transformer_config["num_attention_heads"] * transformer_config["attention_head_dim"]
    in_channels = transformer_config["in_channels"]
    joint_dim = transformer_config["joint_attention_dim"]
    blocks = transformer_config["num_layers"] + transformer_config["num_single_layers"]
    image_side = image_tokens + context_tokens
    length = TEXT_TOKENS + image_side
    per_block = 2 * 12 * d * d * length + 4 * length * length * d
    embed = 2 * image_side * in_channels * d + 2 * TEXT_TOKENS * joint_dim * d
    out = 2 * image_side * d * in_channels
    return float(blocks * per_block + embed + out)


def counted_transformer_flops(torch, pipe, run_once) -> float | None:
    """torch's FLOP counter over the first transformer call of a 1-step prediction (the same inputs a
    denoising step gets): the cross-check for the estimate. None where the counter is unavailable."""
    try:
        from torch.utils.flop_counter import FlopCounterMode
    except ImportError:
        return None
    captured: dict[str, Any] = {}

    def capture(_module, args, kwargs):
        captured.setdefault("call", (args, kwargs))

    handle = pipe.transformer.register_forward_pre_hook(capture, with_kwargs=True)
    try:
        run_once()
    finally:
        handle.remove()
    if "call" not in captured:
        return None
    args, kwargs = captured["call"]
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        pipe.transformer(*args, **kwargs)
    return float(counter.get_total_flops())


def matmul_rate(torch, device: str, dtype) -> dict[str, Any]:
    """Dense matmul FLOP/s on this device in the engine's dtype: the denominator of the utilisation."""
    n = 8192 if device == "cuda" else 1024
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    repeats = 10
    synchronize(torch, device)
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronize(torch, device)
    seconds = (time.perf_counter() - started) / repeats
    del a, b
    return {"n": n, "dtype": str(dtype).replace("torch.", ""), "flops_per_second": 2 * n**3 / seconds}


def synchronize(torch, device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


# --- building ----------------------------------------------------------------------------------------


def engine_options(args, config: Config, cache_dir: str | None) -> EngineOptions:
    return EngineOptions(
        model_dir=None,
        device=args.device,
        dtype=args.dtype,
        compile="regional" if config.compile else "none",
        fuse_qkv=config.fuse_qkv,
        quantize="fp8" if config.fp8 else "none",
        step_cache_threshold=args.step_cache_threshold,
        compile_cache_dir=cache_dir,
        warmup=False,
        test_step_delay_ms=0,
    )


def edit_request(args, steps: int, step_cache: bool):
    from PIL import Image

    from kontext_engine.protocol import InputImage, PredictRequest

    # A smooth gradient, not a flat colour: the VAE encodes something image-like.
    side = args.size
    context = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    return PredictRequest(prompt="make it a watercolour painting, keep the composition", seed=7,
                          images=[InputImage("context", "png", context, context.size)],
                          width=side, height=side, steps=steps, guidance=2.5, output_format="png",
                          step_cache=step_cache)


def timed_prediction(engine, request) -> tuple[float, list[float], int]:
    """Seconds for the whole prediction (text encoding, context encoding, the steps, decoding and PNG
    encoding, as served) and the interval between successive step ends."""
    marks: list[float] = []
    started = time.perf_counter()
    output = engine.predict(request, on_progress=lambda step, total: marks.append(time.perf_counter()),
                            should_cancel=lambda: False)
    seconds = time.perf_counter() - started
    intervals = [later - earlier for earlier, later in zip(marks, marks[1:])]
    return seconds, intervals, output.transformer_passes


def measure(engine, torch, args, config: Config, row: Row) -> None:
    device = args.device
    # Warm-up: two 2-step predictions. The first compiles (regional compile) or autotunes; the second
    # costs what 2 steps cost, so their difference is the compile time.
    warm = edit_request(args, steps=2, step_cache=config.step_cache)
    first, _, _ = timed_prediction(engine, warm)
    second, _, _ = timed_prediction(engine, warm)
    row.compile_seconds = round(max(first - second, 0.0), 3) if config.compile and not config.reuses else None
    row.detail["first_call_seconds"] = round(first, 3)

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    request = edit_request(args, steps=args.steps, step_cache=config.step_cache)
    images, intervals, passes = [], [], []
    for index in range(args.runs):
        seconds, steps, passes_run = timed_prediction(engine, request)
        images.append(seconds)
        intervals.extend(steps)
        passes.append(passes_run)
        log(f"  {config.name}: image {index + 1}/{args.runs} in {seconds:.3f} s")
    if device == "cuda":
        row.peak_memory_gib = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    row.image_seconds = [round(s, 4) for s in images]
    row.seconds_per_image = round(statistics.median(images), 4)
    # With the step cache, skipped steps are cheaper than computed ones: its per-step figure is the mean.
    average = statistics.fmean if config.step_cache else statistics.median
    row.seconds_per_step = round(average(intervals), 5)
    row.transformer_passes = int(statistics.median(passes))


# --- the run -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="the tiny test architecture (dry run)")
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--dtype", default=None, help="default: bfloat16 on cuda, float32 on cpu")
    parser.add_argument("--size", type=int, default=None, help="output and context side (default 1024; 256 with --tiny)")
    parser.add_argument("--steps", type=int, default=28)
    parser.add_argument("--runs", type=int, default=3, help="timed images per configuration (median)")
    parser.add_argument("--budget-seconds", type=float, default=420.0,
                        help="skip configurations that would end after this many seconds from the start")
    parser.add_argument("--step-cache-threshold", type=float, default=DEFAULT_STEP_CACHE_THRESHOLD)
    parser.add_argument("--only", default=None, help="comma-separated configuration names (default: all)")
    parser.add_argument("--no-cold-start", action="store_true")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--cold-start-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.dtype = args.dtype or ("bfloat16" if args.device == "cuda" else "float32")
    args.size = args.size or (256 if args.tiny else 1024)
    if args.runs < 1 or args.steps < 2:
        parser.error("--runs must be >= 1 and --steps >= 2")
    if args.cold_start_child:
        return cold_start_child(args)

    started = time.perf_counter()
    cache_dir = tempfile.mkdtemp(prefix="kontext-bench-compile-cache-")
    # Inductor, Triton and the FX graph cache read their locations at import: a fresh directory, so
    # the first compile here is cold and the cold-start child finds exactly what this run left.
    prepare_environment(engine_options(args, Config("env"), cache_dir))

    import torch
    import diffusers

    from kontext_engine import pipeline as pipeline_module
    from kontext_engine.architecture import FULL, TINY, build_components, build_transformer, parameter_count
    from kontext_engine.references import KontextReferencePipeline

    diffusers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.set_verbosity_error()
    arch = TINY if args.tiny else FULL
    device, dtype = args.device, getattr(torch, args.dtype)
    if device == "cuda" and not torch.cuda.is_available():
        log("CUDA is not available; run with --device cpu --tiny for a dry run")
        return 2
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    environment = {
        "device": torch.cuda.get_device_name() if device == "cuda" else platform.processor() or platform.machine(),
        "device_kind": device,
        "architecture": arch.name,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "cuda": torch.version.cuda,
        "size": f"{args.size}x{args.size} output, one {args.size}x{args.size} context image",
        "steps": args.steps,
        "runs": args.runs,
        "dtype": args.dtype,
        "step_cache_threshold": args.step_cache_threshold,
    }
    try:
        import torchao

        environment["torchao"] = torchao.__version__
    except ImportError:
        environment["torchao"] = None
    log(f"environment: {json.dumps(environment)}")

    rate = matmul_rate(torch, device, dtype)
    log(f"matmul rate: {rate['flops_per_second'] / 1e12:.1f} TFLOP/s ({rate['dtype']}, n={rate['n']})")

    build_started = time.perf_counter()
    components = build_components(arch, device=device, dtype=dtype, seed=0, with_transformer=False)  # built per configuration
    gc.collect()
    log(f"text encoders and VAE built in {time.perf_counter() - build_started:.1f} s")

    # 8x VAE downsampling, then 2x2 patches: one token per 16x16 pixels. The pipeline resizes the
    # context image to its preferred Kontext resolution (about 1 MP) whatever the output size.
    image_tokens = (args.size // 16) ** 2
    context_width, context_height = context_size(args.size, args.size)
    context_tokens = (context_width // 16) * (context_height // 16)
    estimated_flops = transformer_flops_per_step(arch.transformer, image_tokens, context_tokens)

    wanted = set(args.only.split(",")) if args.only else None
    rows: list[Row] = []
    pipelines: dict[str, Any] = {}
    counted_flops: float | None = None
    stock_image: float | None = None
    for config in CONFIGS:
        if wanted and config.name not in wanted:
            continue
        row = Row(config.name)
        rows.append(row)
        if config.fp8:
            reason = pipeline_module.fp8_unsupported_reason(torch, device)
            if reason and not (config.compile or config.fuse_qkv):
                row.status = f"skipped: FP8 {reason}"
                log(f"{config.name}: {row.status}")
                continue
            if reason:
                # A dry run off the GPU still exercises the combination's other parts.
                config = replace(config, fp8=False)
                row.detail["without_fp8"] = f"FP8 {reason}"
        elapsed = time.perf_counter() - started
        # What a configuration costs: its images at the stock speed (an upper bound for the fast
        # ones), plus building and, with compile, compiling (about as long as 8 stock images here).
        expected = (stock_image or 0.0) * (args.runs + 1) * (1 if config.reuses else 1.2)
        if config.compile and not config.reuses:
            expected += (stock_image or 0.0) * 8
        if elapsed + expected > args.budget_seconds:
            row.status = f"skipped: would end after the {args.budget_seconds:.0f} s budget ({elapsed:.0f} s used)"
            log(f"{config.name}: {row.status}")
            continue

        log(f"{config.name}: setting up")
        setup_started = time.perf_counter()
        try:
            if config.reuses:
                if config.reuses not in pipelines:
                    row.status = f"skipped: needs {config.reuses!r}, which did not run"
                    continue
                engine = pipelines[config.reuses]
                engine.options = replace(engine.options, step_cache_threshold=config.step_cache_threshold or args.step_cache_threshold)
            else:
                for name in list(pipelines):  # one full-size transformer on the device at a time
                    del pipelines[name]
                gc.collect()
                if device == "cuda":
                    torch.cuda.empty_cache()
                torch._dynamo.reset()
                transformer = build_transformer(arch, device=device, dtype=dtype, seed=0)
                row.detail["transformer_parameters"] = parameter_count(transformer)
                pipeline_module.apply_speedups(transformer, engine_options(args, config, cache_dir))
                pipe = KontextReferencePipeline(**{**components, "transformer": transformer},
                                                image_encoder=None, feature_extractor=None)
                engine = pipeline_module.KontextEngine(engine_options(args, config, cache_dir))
                engine.attach(pipe, torch)
                pipelines[config.name] = engine
            row.setup_seconds = round(time.perf_counter() - setup_started, 3)
            if config.name == "stock":
                counted_flops = counted_transformer_flops(
                    torch, engine.pipe, lambda: timed_prediction(engine, edit_request(args, steps=1, step_cache=False)))
            measure(engine, torch, args, config, row)
            if config.compile and not config.reuses:
                pipeline_module.save_mega_cache(cache_dir, lambda *a, **k: None)
        except Exception as error:  # one configuration failing must not lose the others' rows
            row.status = f"failed: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            log(f"{config.name}: {row.status}")
            pipelines.pop(config.name, None)
            continue
        if config.name == "stock":
            stock_image = row.seconds_per_image
        row.mfu = round(estimated_flops / row.seconds_per_step / rate["flops_per_second"], 4) if not config.step_cache else None
        log(f"{config.name}: {row.seconds_per_step:.4f} s/step, {row.seconds_per_image:.3f} s/image")

    pipelines.clear()
    components.clear()
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()

    stock = next((row for row in rows if row.name == "stock" and row.status == "ok"), None)
    for row in rows:
        if stock and row.status == "ok" and row.seconds_per_image:
            row.speedup_vs_stock = round(stock.seconds_per_image / row.seconds_per_image, 3)

    if not args.no_cold_start and not (wanted and COLD_START not in wanted):
        rows.append(run_cold_start(args, cache_dir, started))

    results = {
        "environment": environment,
        "matmul": rate,
        "flops_per_step": {"estimated": estimated_flops, "counted": counted_flops,
                           "tokens": {"text": TEXT_TOKENS, "image": image_tokens, "context": context_tokens}},
        "rows": [asdict(row) for row in rows],
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    print(render_table(results))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
        log(f"wrote {args.out}")
    return 0 if all(not row["status"].startswith("failed") for row in results["rows"]) else 1


def run_cold_start(args, cache_dir: str, started: float) -> Row:
    """A fresh process with the exact configuration and the compile cache this run left: the time from
    process start to the first finished image (random weights are built, not read from disk; reading
    the real ~33 GB of bf16 weights adds the disk's time)."""
    row = Row(COLD_START)
    if not any(Path(cache_dir).iterdir()):
        row.status = "skipped: no compile cache was written (no compiled configuration ran)"
        return row
    elapsed = time.perf_counter() - started
    if elapsed > args.budget_seconds:
        row.status = f"skipped: the {args.budget_seconds:.0f} s budget is spent ({elapsed:.0f} s used)"
        return row
    command = [sys.executable, __file__, "--cold-start-child", cache_dir, "--device", args.device, "--dtype", args.dtype,
               "--size", str(args.size), "--steps", str(args.steps), "--step-cache-threshold", str(args.step_cache_threshold)]
    if args.tiny:
        command.append("--tiny")
    log(f"{COLD_START}: starting a fresh process")
    launched = time.perf_counter()
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=max(60.0, args.budget_seconds * 0.6))
    except subprocess.TimeoutExpired:
        row.status = "failed: the cold-start process timed out"
        return row
    sys.stderr.write(finished.stderr[-4000:])
    if finished.returncode != 0:
        row.status = f"failed: exit {finished.returncode}"
        return row
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    row.detail = report
    row.seconds_per_image = report["first_image_seconds"]
    row.setup_seconds = report["setup_seconds"]
    row.compile_seconds = report["warmup_seconds"]
    row.detail["process_to_first_image_seconds"] = round(time.perf_counter() - launched, 3)
    return row


def cold_start_child(args) -> int:
    process_started = time.perf_counter()
    cache_dir = args.cold_start_child
    fp8_wanted = args.device == "cuda"
    config = Config("cold", compile=True, fuse_qkv=True, fp8=fp8_wanted)
    prepare_environment(engine_options(args, config, cache_dir))
    import torch

    from kontext_engine import pipeline as pipeline_module
    from kontext_engine.architecture import FULL, TINY, build_components
    from kontext_engine.references import KontextReferencePipeline

    if config.fp8 and pipeline_module.fp8_unsupported_reason(torch, args.device):
        config = Config("cold", compile=True, fuse_qkv=True)
    imported = time.perf_counter()
    arch = TINY if args.tiny else FULL
    components = build_components(arch, device=args.device, dtype=getattr(torch, args.dtype), seed=0)
    built = time.perf_counter()
    pipeline_module.load_mega_cache(cache_dir, lambda *a, **k: None)
    pipeline_module.apply_speedups(components["transformer"], engine_options(args, config, cache_dir))
    pipe = KontextReferencePipeline(**components, image_encoder=None, feature_extractor=None)
    engine = pipeline_module.KontextEngine(engine_options(args, config, cache_dir))
    engine.attach(pipe, torch)
    ready = time.perf_counter()
    # The engine's own warm-up (what happens before READY), then the first real request.
    warm, _, _ = timed_prediction(engine, edit_request(args, steps=2, step_cache=False))
    first, _, _ = timed_prediction(engine, edit_request(args, steps=args.steps, step_cache=False))
    print(json.dumps({
        "configuration": "compile + fused QKV" + (" + FP8" if config.fp8 else ""),
        "import_seconds": round(imported - process_started, 3),
        "build_seconds": round(built - imported, 3),
        "setup_seconds": round(ready - built, 3),
        "warmup_seconds": round(warm, 3),
        "first_image_seconds": round(first, 3),
        "process_start_to_first_image_seconds": round(time.perf_counter() - process_started, 3),
    }))
    return 0


def render_table(results: dict[str, Any]) -> str:
    env = results["environment"]
    flops = results["flops_per_step"]
    lines = [
        f"FLUX.1 Kontext [dev] ({env['architecture']}, random weights) on {env['device']}: {env['size']}, "
        f"{env['steps']} steps, median of {env['runs']}; torch {env['torch']}, diffusers {env['diffusers']}, torchao {env['torchao']}",
        f"bf16/{env['dtype']} matmul rate measured: {results['matmul']['flops_per_second'] / 1e12:.1f} TFLOP/s; "
        f"transformer FLOPs per step: {flops['estimated'] / 1e12:.4g} T estimated"
        + (f", {flops['counted'] / 1e12:.4g} T counted by torch on one call" if flops["counted"] else "")
        + f" (tokens: {flops['tokens']['text']} text + {flops['tokens']['image']} output + {flops['tokens']['context']} context)",
        "",
        "| configuration | s/step | s/image | vs stock | peak GiB | compile s | passes | MFU | status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(value, digits=3):
        return "–" if value is None else (f"{value:.{digits}f}" if isinstance(value, float) else str(value))

    for row in results["rows"]:
        lines.append(
            f"| {row['name']} | {cell(row['seconds_per_step'], 4)} | {cell(row['seconds_per_image'])} | "
            f"{cell(row['speedup_vs_stock'], 2)}{'x' if row['speedup_vs_stock'] else ''} | {cell(row['peak_memory_gib'], 1)} | "
            f"{cell(row['compile_seconds'], 1)} | {cell(row['transformer_passes'])} | "
            f"{'–' if row['mfu'] is None else format(row['mfu'] * 100, '.1f') + '%'} | "
            f"{row['status']}{' (without FP8: not on this device)' if 'without_fp8' in row['detail'] else ''} |"
        )
    cold = next((row for row in results["rows"] if row["name"] == COLD_START and row["status"] == "ok"), None)
    if cold:
        d = cold["detail"]
        lines.append("")
        lines.append(
            f"cold start ({d['configuration']}, warm compile cache): process start -> first image "
            f"{d['process_start_to_first_image_seconds']:.1f} s = import {d['import_seconds']:.1f} + build {d['build_seconds']:.1f} "
            f"+ speed-ups {d['setup_seconds']:.1f} + warm-up {d['warmup_seconds']:.1f} + first image {d['first_image_seconds']:.1f}")
    lines.append(f"total {results['total_seconds']:.0f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
