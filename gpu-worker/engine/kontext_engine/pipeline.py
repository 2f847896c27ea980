"""Loading the Kontext pipeline from local weights, applying the speed-ups, and running one prediction.

Import this module only after ``prepare_environment`` has run (the server does it in its loading
thread): it sets the offline and compile-cache variables that torch, diffusers and transformers read
at import time.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from .logs import route_library_logs
from .options import EngineOptions
from .weights import check_model_dir

OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "DIFFUSERS_OFFLINE")
MEGA_CACHE_FILE = "mega-cache.bin"
JPEG_QUALITY = 95
WEBP_QUALITY = 95


class LoadError(Exception):
    """Loading cannot succeed as configured; the message is the health detail."""


class Canceled(Exception):
    pass


class PredictionError(Exception):
    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass
class PredictOutput:
    data: bytes
    format: str
    width: int
    height: int
    seconds: float
    transformer_passes: int


def prepare_environment(options: EngineOptions) -> None:
    """Sets what must be set before torch/diffusers/transformers are imported: never go online, and
    where the compile caches live."""
    for name in OFFLINE_VARIABLES:
        os.environ[name] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    if options.compile_cache_dir:
        root = options.compile_cache_dir
        os.makedirs(root, exist_ok=True)
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(root, "inductor")
        os.environ["TRITON_CACHE_DIR"] = os.path.join(root, "triton")
        os.environ["TORCHINDUCTOR_FX_GRAPH_CACHE"] = "1"
        os.environ["TORCHINDUCTOR_AUTOGRAD_CACHE"] = "1"
        os.environ.setdefault("CUDA_CACHE_PATH", os.path.join(root, "cuda"))


def encode_image(image, output_format: str) -> bytes:
    buffer = io.BytesIO()
    if output_format == "png":
        image.save(buffer, format="PNG", compress_level=6)
    elif output_format == "jpeg":
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    elif output_format == "webp":
        image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=4)
    else:
        raise ValueError(f"unknown output format {output_format!r}")
    return buffer.getvalue()


class _CallCounter:
    """Wraps a block's forward to count how many times the whole transformer stack actually ran (the
    step cache skips the tail blocks on cached steps)."""

    def __init__(self, forward: Callable[..., Any]):
        self.forward = forward
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.forward(*args, **kwargs)


class KontextEngine:
    """One loaded pipeline on one device. ``predict`` must not be called concurrently."""

    def __init__(self, options: EngineOptions, log: Callable[..., None] | None = None):
        self.options = options
        self.log = log or (lambda level, message, **fields: None)
        self.pipe = None
        self.torch = None
        self.device = options.device
        self.compile_seconds: float | None = None
        self._tail_counter: _CallCounter | None = None
        self._compile_cache_saved = False

    # --- loading ---------------------------------------------------------------------------------

    def load(self) -> None:
        options = self.options
        model_dir = check_model_dir(options.model_dir)  # WeightsError: before anything heavy
        prepare_environment(options)

        import torch

        route_library_logs()
        self.torch = torch
        if options.device == "cuda":
            if not torch.cuda.is_available():
                raise LoadError(
                    "KONTEXT_DEVICE=cuda but CUDA is not available "
                    f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}); set KONTEXT_DEVICE=cpu to run on the CPU"
                )
        if options.quantize == "fp8":
            reason = fp8_unsupported_reason(torch, options.device)
            if reason:
                raise LoadError(f"KONTEXT_QUANTIZE=fp8 {reason}")
        if options.device == "cpu":
            torch.use_deterministic_algorithms(True, warn_only=True)
        else:
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        dtype = getattr(torch, options.dtype)

        import diffusers
        import transformers

        diffusers.utils.logging.disable_progress_bar()
        diffusers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()
        route_library_logs()

        from .references import KontextReferencePipeline

        started = time.monotonic()
        self.log("info", "loading pipeline", model_dir=str(model_dir), device=options.device, dtype=options.dtype)
        pipe = KontextReferencePipeline.from_pretrained(str(model_dir), dtype=dtype, local_files_only=True)
        pipe.to(options.device)
        self.log("info", "pipeline loaded", seconds=round(time.monotonic() - started, 3))

        if options.compile == "regional":
            load_mega_cache(options.compile_cache_dir, self.log)
        apply_speedups(pipe.transformer, options, self.log)
        self.attach(pipe, torch)

        if options.warmup:
            self.warmup()
            self._save_compile_cache_once()

    def attach(self, pipe, torch_module) -> None:
        """Uses ``pipe`` (speed-ups already applied) for predictions; ``load`` ends here, and the benchmark
        calls it with pipelines it builds itself."""
        pipe.set_progress_bar_config(disable=True)
        self.torch = torch_module
        self.pipe = pipe
        self._tail_counter = install_tail_counter(pipe.transformer)

    def warmup(self) -> None:
        """Runs the shapes a first request would hit (text-to-image and an edit with a context image, 2
        steps each) so that compilation and autotuning happen before READY, not in a user's request."""
        from PIL import Image

        from .protocol import InputImage, PredictRequest

        side = 1024 if self.options.device == "cuda" else 256
        context = Image.new("RGB", (side, side), (127, 127, 127))
        started = time.monotonic()
        never = lambda: False  # noqa: E731
        for images in ([], [InputImage("context", "png", context, context.size)]):
            request = PredictRequest(prompt="warm-up", images=images, seed=0, width=side, height=side, steps=2,
                                     guidance=2.5, output_format="png")
            self.predict(request, on_progress=lambda step, total: None, should_cancel=never)
        self.compile_seconds = time.monotonic() - started
        self.log("info", "warm-up done", seconds=round(self.compile_seconds, 3))

    def _save_compile_cache_once(self) -> None:
        """Saves the compile artifacts after the first run that compiled (the warm-up, or with
        KONTEXT_WARMUP=0 the first prediction), so that the next process starts from them."""
        if self.options.compile != "regional" or self._compile_cache_saved:
            return
        self._compile_cache_saved = True
        save_mega_cache(self.options.compile_cache_dir, self.log)

    # --- predicting ------------------------------------------------------------------------------

    def predict(
        self,
        request,
        on_progress: Callable[[int, int], None],
        should_cancel: Callable[[], bool],
        cancel_event: threading.Event | None = None,
    ) -> PredictOutput:
        torch = self.torch
        pipe = self.pipe
        assert torch is not None and pipe is not None, "load() first"
        delay = self.options.test_step_delay_ms / 1000.0
        total = request.steps

        def on_step_end(_pipe, index, _timestep, _tensors):
            if delay:
                if cancel_event is not None:
                    cancel_event.wait(delay)
                else:
                    time.sleep(delay)
            if should_cancel():
                raise Canceled()
            on_progress(index + 1, total)
            return {}

        context = request.images[0].image if request.images else None
        references = [image.image for image in request.images[1:]]
        generator = torch.Generator(device=self.options.device).manual_seed(request.seed)
        started = time.monotonic()
        counter = self._tail_counter
        calls_before = counter.calls if counter else 0
        try:
            with step_cache(pipe.transformer, self.options.step_cache_threshold, enabled=request.step_cache):
                result = pipe(
                    image=context,
                    reference_images=references,
                    prompt=request.prompt,
                    width=request.width,
                    height=request.height,
                    max_area=request.width * request.height,
                    num_inference_steps=request.steps,
                    guidance_scale=request.guidance,
                    generator=generator,
                    output_type="pil",
                    callback_on_step_end=on_step_end,
                    callback_on_step_end_tensor_inputs=[],
                )
            image = result.images[0]
        except Canceled:
            raise
        except torch.cuda.OutOfMemoryError as error:
            self._free_memory()
            raise PredictionError(
                f"CUDA out of memory at {request.width}x{request.height} with {len(request.images)} input image(s): "
                f"{str(error).splitlines()[0] if str(error) else 'no detail'}",
                retryable=False,
            ) from error
        except Exception as error:
            self._free_memory()
            raise PredictionError(f"prediction failed: {type(error).__name__}: {error}", retryable=True) from error

        if image.size != (request.width, request.height):
            raise PredictionError(
                f"the pipeline returned {image.size[0]}x{image.size[1]}, not the requested {request.width}x{request.height}",
                retryable=False,
            )
        data = encode_image(image, request.output_format)
        self._save_compile_cache_once()
        return PredictOutput(
            data=data,
            format=request.output_format,
            width=request.width,
            height=request.height,
            seconds=time.monotonic() - started,
            transformer_passes=(counter.calls - calls_before) if counter else -1,
        )

    def _free_memory(self) -> None:
        gc.collect()
        if self.options.device == "cuda" and self.torch is not None:
            self.torch.cuda.empty_cache()


# --- speed-ups -----------------------------------------------------------------------------------


def apply_speedups(transformer, options: EngineOptions, log: Callable[..., None] = lambda *_, **__: None) -> None:
    """The configured speed-ups, in the order they compose: fuse QKV (fewer, larger linears), then
    quantize those to FP8, then compile the blocks as they now are. Nothing compiles before the first
    call, so a compile cache loaded before this still applies."""
    if options.fuse_qkv:
        fuse_qkv(transformer)
        log("info", "fused QKV projections")
    if options.quantize == "fp8":
        quantize_fp8(transformer)
        log("info", "quantized the transformer's linear layers to FP8 (torchao, dynamic activations, per-row scales)")
    if options.compile == "regional":
        count = compile_regional(transformer)
        log("info", "regional compilation set up", blocks=count)


@contextlib.contextmanager
def step_cache(transformer, threshold: float, enabled: bool = True):
    """First-Block-Cache for one prediction: diffusers' hooks compare the first block's residual with the
    previous step's and, when the relative change is below ``threshold``, skip the remaining blocks and
    reuse their cached residual. Enabled for the duration of the ``with`` only; the hooks are removed
    afterwards, so the next request runs uncached unless it asks too."""
    if not enabled:
        yield
        return
    from diffusers.hooks import FirstBlockCacheConfig

    transformer.enable_cache(FirstBlockCacheConfig(threshold=threshold))
    try:
        # diffusers' Kontext pipeline does not open a cache context itself (FluxPipeline does): the whole
        # call is the one "cond" denoising stream.
        with transformer.cache_context("cond"):
            yield
    finally:
        transformer.disable_cache()


def fuse_qkv(transformer) -> None:
    """One matmul for q, k and v (and for the text stream's added q, k, v) instead of three. The unfused
    projections are dropped afterwards: diffusers keeps them, which would cost ~4 GB at full size."""
    transformer.fuse_qkv_projections()
    from diffusers.models.attention import AttentionModuleMixin

    for module in transformer.modules():
        if isinstance(module, AttentionModuleMixin) and getattr(module, "fused_projections", False):
            for name in ("to_q", "to_k", "to_v"):
                if hasattr(module, "to_qkv") and name in module._modules:
                    del module._modules[name]
            for name in ("add_q_proj", "add_k_proj", "add_v_proj"):
                if hasattr(module, "to_added_qkv") and name in module._modules:
                    del module._modules[name]


def fp8_unsupported_reason(torch_module, device: str) -> str | None:
    """None when FP8 matmuls can run on ``device``; else why not."""
    capability = torch_module.cuda.get_device_capability() if device == "cuda" and torch_module.cuda.is_available() else None
    if capability is None or capability < (8, 9):
        where = "the CPU" if capability is None else f"a GPU of compute capability {capability[0]}.{capability[1]}"
        return f"needs a CUDA GPU of compute capability 8.9 or newer (Ada, Hopper); this is {where}"
    return None


def quantize_fp8(transformer) -> None:
    """torchao FP8 (e4m3) weights and dynamically quantized FP8 activations with per-row scales for every
    linear layer of the transformer; the matmuls run on FP8 tensor cores (compute capability >= 8.9)."""
    from torchao.quantization import Float8DynamicActivationFloat8WeightConfig, PerRow, quantize_

    quantize_(transformer, Float8DynamicActivationFloat8WeightConfig(granularity=PerRow()))


def compile_regional(transformer) -> int:
    """Regional compilation: each repeated block (FluxTransformerBlock, FluxSingleTransformerBlock) is
    compiled with ``fullgraph=True``, as ``ModelMixin.compile_repeated_blocks`` does, so the 57 blocks
    share one compiled graph per block class. Unlike ``compile_repeated_blocks`` (which compiles each
    module's ``__call__`` and so would trace any hook layered on ``forward``), the compiled region is the
    block's own ``forward``: diffusers' cache hooks, which wrap ``forward`` when a request enables step
    caching, then stay outside the graph (their data-dependent skip decision cannot be in a full graph)."""
    import torch

    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, 64)
    names = set(getattr(transformer, "_repeated_blocks", None) or ("FluxTransformerBlock", "FluxSingleTransformerBlock"))
    count = 0
    for module in transformer.modules():
        if module.__class__.__name__ in names:
            module.forward = torch.compile(module.forward, fullgraph=True)
            count += 1
    if not count:
        raise LoadError(f"regional compilation found none of {sorted(names)} in the transformer")
    return count


def install_tail_counter(transformer) -> _CallCounter | None:
    blocks = list(getattr(transformer, "single_transformer_blocks", []) or getattr(transformer, "transformer_blocks", []))
    if not blocks:
        return None
    tail = blocks[-1]
    counter = _CallCounter(tail.forward)
    tail.forward = counter
    return counter


def load_mega_cache(cache_dir: str | None, log: Callable[..., None]) -> None:
    """Loads torch's portable compile cache ("mega cache") saved by an earlier process, if any."""
    if not cache_dir:
        return
    import torch

    path = os.path.join(cache_dir, MEGA_CACHE_FILE)
    loader = getattr(torch.compiler, "load_cache_artifacts", None)
    if loader is None or not os.path.isfile(path):
        return
    try:
        with open(path, "rb") as handle:
            loader(handle.read())
        log("info", "loaded compile cache artifacts", path=path)
    except Exception as error:  # a stale or foreign cache is not fatal: compile from scratch
        log("warn", "could not load compile cache artifacts; compiling from scratch", path=path, error=str(error))


def save_mega_cache(cache_dir: str | None, log: Callable[..., None]) -> None:
    if not cache_dir:
        return
    import torch

    saver = getattr(torch.compiler, "save_cache_artifacts", None)
    if saver is None:
        return
    try:
        saved = saver()
        if not saved:
            return
        artifacts = saved[0]
        path = os.path.join(cache_dir, MEGA_CACHE_FILE)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(artifacts)
        os.replace(temporary, path)
        log("info", "saved compile cache artifacts", path=path, bytes=len(artifacts))
    except Exception as error:
        log("warn", "could not save compile cache artifacts", error=str(error))
