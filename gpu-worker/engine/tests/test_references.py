"""Multi-reference at unit level: the reference tokens get RoPE offsets 2, 3 on the first axis, their own
h/w grids, and the sequence grows by their token counts; one image is exactly the stock edit path."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from kontext_engine import sizes
from kontext_engine.references import KontextReferencePipeline


@pytest.fixture(scope="module")
def pipe(tiny_model_dir):
    from diffusers.utils import logging

    logging.set_verbosity_error()
    pipe = KontextReferencePipeline.from_pretrained(str(tiny_model_dir), local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def tokens(width: int, height: int) -> int:
    return (width // 16) * (height // 16)


def test_reference_offsets_and_sequence_growth(pipe):
    context = Image.new("RGB", (640, 480), (10, 20, 30))
    references = [Image.new("RGB", (300, 600), (200, 0, 0)), Image.new("RGB", (500, 500), (0, 200, 0))]
    ctx_w, ctx_h = sizes.context_size(*context.size)
    ctx_tensor = pipe.image_processor.preprocess(pipe.image_processor.resize(context, ctx_h, ctx_w), ctx_h, ctx_w)

    pipe._reference_images = references
    try:
        latents, image_latents, latent_ids, image_ids = pipe.prepare_latents(
            ctx_tensor, 1, 16, 256, 256, torch.float32, torch.device("cpu"), torch.Generator().manual_seed(0)
        )
    finally:
        pipe._reference_images = []

    ref_sizes = [sizes.context_size(*r.size) for r in references]
    counts = [tokens(ctx_w, ctx_h)] + [tokens(w, h) for w, h in ref_sizes]
    assert latents.shape == (1, tokens(256, 256), 64)
    assert (latent_ids[:, 0] == 0).all()
    assert image_latents.shape == (1, sum(counts), 64)
    assert image_ids.shape == (sum(counts), 3)

    start = 0
    for offset, ((w, h), count) in enumerate(zip([(ctx_w, ctx_h), *ref_sizes], counts), start=1):
        segment = image_ids[start:start + count]
        assert (segment[:, 0] == offset).all(), f"image {offset - 1} should sit at offset {offset}"
        # Each image keeps its own 2-D grid starting at (0, 0).
        assert segment[:, 1].min() == 0 and segment[:, 1].max() == h // 16 - 1
        assert segment[:, 2].min() == 0 and segment[:, 2].max() == w // 16 - 1
        start += count
    assert sorted(set(image_ids[:, 0].tolist())) == [1, 2, 3]


def test_transformer_sees_the_longer_sequence(pipe):
    seen: list[tuple[int, int]] = []
    original = pipe.transformer.forward

    def spy(*args, **kwargs):
        seen.append((kwargs["hidden_states"].shape[1], kwargs["img_ids"].shape[0]))
        return original(*args, **kwargs)

    pipe.transformer.forward = spy
    try:
        context = Image.new("RGB", (512, 512), (10, 20, 30))
        reference = Image.new("RGB", (1000, 500), (0, 0, 200))
        out = pipe(image=context, reference_images=[reference], prompt="a cat", height=256, width=256,
                   max_area=256 * 256, num_inference_steps=1, generator=torch.Generator().manual_seed(0),
                   output_type="latent")
    finally:
        del pipe.transformer.forward
    expected = tokens(256, 256) + tokens(1024, 1024) + tokens(*sizes.context_size(1000, 500))
    assert seen == [(expected, expected)]
    assert out.images.shape == (1, tokens(256, 256), 64)  # only the target tokens come out


def test_one_image_is_exactly_the_stock_edit_path(pipe, tiny_model_dir):
    from diffusers import FluxKontextPipeline

    stock = FluxKontextPipeline.from_pretrained(str(tiny_model_dir), local_files_only=True)
    stock.set_progress_bar_config(disable=True)
    context = Image.new("RGB", (700, 500), (90, 20, 30))
    kwargs = dict(image=context, prompt="a red cat", height=256, width=256, max_area=256 * 256,
                  num_inference_steps=2, output_type="latent")
    ours = pipe(**kwargs, generator=torch.Generator().manual_seed(7)).images
    theirs = stock(**kwargs, generator=torch.Generator().manual_seed(7)).images
    assert torch.equal(ours, theirs)


def test_references_need_a_context_image(pipe):
    with pytest.raises(ValueError, match="context"):
        pipe(prompt="x", reference_images=[Image.new("RGB", (64, 64))], height=256, width=256, num_inference_steps=1)
    with pytest.raises(ValueError, match="at most 3"):
        pipe(image=Image.new("RGB", (64, 64)), prompt="x", reference_images=[Image.new("RGB", (64, 64))] * 4,
             height=256, width=256, num_inference_steps=1)
