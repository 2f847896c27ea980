"""The FLUX.1 Kontext [dev] architecture as configs, full size and tiny, and random-weight builders.

The full-size configs are those of black-forest-labs/FLUX.1-Kontext-dev in diffusers layout (the
transformer is FLUX.1's: 19 double-stream + 38 single-stream blocks, 24 heads x 128, joint attention
dim 4096 from T5-XXL, pooled projection 768 from CLIP-L). The benchmark builds them with random
weights directly on the GPU; the tests build the tiny ones on the CPU and save them in diffusers
layout (``kontext_engine.testing.tiny``). Nothing here downloads anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FULL_TRANSFORMER: dict[str, Any] = {
    "patch_size": 1,
    "in_channels": 64,
    "out_channels": None,
    "num_layers": 19,
    "num_single_layers": 38,
    "attention_head_dim": 128,
    "num_attention_heads": 24,
    "joint_attention_dim": 4096,
    "pooled_projection_dim": 768,
    "guidance_embeds": True,
    "axes_dims_rope": (16, 56, 56),
}

FULL_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "act_fn": "silu",
    "latent_channels": 16,
    "norm_num_groups": 32,
    "sample_size": 1024,
    "scaling_factor": 0.3611,
    "shift_factor": 0.1159,
    "force_upcast": True,
    "use_quant_conv": False,
    "use_post_quant_conv": False,
    "mid_block_add_attention": True,
}

# openai/clip-vit-large-patch14's text tower.
FULL_CLIP: dict[str, Any] = {
    "vocab_size": 49408,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "projection_dim": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "max_position_embeddings": 77,
    "hidden_act": "quick_gelu",
    "layer_norm_eps": 1e-5,
}

# google/t5-v1_1-xxl's encoder.
FULL_T5: dict[str, Any] = {
    "vocab_size": 32128,
    "d_model": 4096,
    "d_kv": 64,
    "d_ff": 10240,
    "num_layers": 24,
    "num_heads": 64,
    "relative_attention_num_buckets": 32,
    "relative_attention_max_distance": 128,
    "dropout_rate": 0.0,
    "layer_norm_epsilon": 1e-6,
    "feed_forward_proj": "gated-gelu",
    "tie_word_embeddings": False,
    "use_cache": False,
}

TINY_TRANSFORMER: dict[str, Any] = {
    **FULL_TRANSFORMER,
    "num_layers": 1,
    "num_single_layers": 2,
    "attention_head_dim": 16,
    "num_attention_heads": 2,
    "joint_attention_dim": 32,
    "pooled_projection_dim": 32,
    "axes_dims_rope": (4, 6, 6),  # sums to attention_head_dim, as in the full model (16 + 56 + 56 = 128)
}

TINY_VAE: dict[str, Any] = {
    **FULL_VAE,
    "block_out_channels": (8, 16, 16, 16),  # four levels: the same 8x downsampling as the real VAE
    "layers_per_block": 1,
    "norm_num_groups": 8,
    "sample_size": 64,
    "mid_block_add_attention": False,  # attention over 128x128 latents is the slow part on a CPU
}

TINY_CLIP: dict[str, Any] = {
    **FULL_CLIP,
    "hidden_size": 32,
    "intermediate_size": 37,
    "projection_dim": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
}

TINY_T5: dict[str, Any] = {
    **FULL_T5,
    "d_model": 32,
    "d_kv": 8,
    "d_ff": 37,
    "num_layers": 2,
    "num_heads": 4,
    "relative_attention_num_buckets": 8,
    "relative_attention_max_distance": 32,
}

# black-forest-labs/FLUX.1-Kontext-dev's scheduler/scheduler_config.json.
SCHEDULER: dict[str, Any] = {
    "base_image_seq_len": 256,
    "base_shift": 0.5,
    "max_image_seq_len": 4096,
    "max_shift": 1.15,
    "num_train_timesteps": 1000,
    "shift": 3.0,
    "use_dynamic_shifting": True,
}


@dataclass(frozen=True)
class Architecture:
    name: str
    transformer: dict[str, Any]
    vae: dict[str, Any]
    clip: dict[str, Any]
    t5: dict[str, Any]
    scheduler: dict[str, Any] = field(default_factory=lambda: dict(SCHEDULER))


FULL = Architecture("flux.1-kontext-dev", FULL_TRANSFORMER, FULL_VAE, FULL_CLIP, FULL_T5)
TINY = Architecture("tiny", TINY_TRANSFORMER, TINY_VAE, TINY_CLIP, TINY_T5)


# --- tokenizers, built in code -----------------------------------------------------------------

_CLIP_MERGES = [("t", "h"), ("th", "e</w>"), ("a", "n"), ("an", "d</w>"), ("i", "n"), ("o", "n</w>"),
                ("e", "r</w>"), ("a", "t</w>"), ("o", "f</w>"), ("c", "at</w>")]
_T5_WORDS = ["the", "a", "and", "of", "to", "in", "make", "it", "cat", "dog", "red", "blue", "night", "photo",
             "with", "on", "style", "image", "person", "keep", "everything", "else"]


def build_clip_tokenizer():
    """A byte-level BPE in CLIP's scheme (``</w>`` word ends, start/end-of-text tokens): every byte is in
    the vocabulary, so any prompt tokenizes; a handful of merges make common words one token."""
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab: dict[str, int] = {}
    for token in ["<|startoftext|>", "<|endoftext|>", *alphabet, *(c + "</w>" for c in alphabet)]:
        vocab.setdefault(token, len(vocab))
    for left, right in _CLIP_MERGES:
        vocab.setdefault(left + right, len(vocab))
    merges = list(_CLIP_MERGES)
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def build_t5_tokenizer():
    """A small Unigram in T5's scheme (``<pad>`` 0, ``</s>`` 1, ``<unk>`` 2, ``▁`` word starts)."""
    import string

    from transformers import T5TokenizerFast

    pieces: list[tuple[str, float]] = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    pieces += [("\u2581" + word, -3.0) for word in _T5_WORDS]
    chars = string.ascii_lowercase + string.ascii_uppercase + string.digits + string.punctuation
    pieces += [("\u2581" + c, -6.0) for c in chars]
    pieces += [(c, -5.0) for c in chars]
    return T5TokenizerFast(vocab=pieces, extra_ids=0, model_max_length=512)


# --- random-weight models ----------------------------------------------------------------------


def build_components(
    arch: Architecture, *, device: str = "cpu", dtype=None, seed: int = 0, with_transformer: bool = True
) -> dict[str, Any]:
    """Every component of a FluxKontextPipeline with random weights, created directly on ``device`` in
    ``dtype`` (no float32 copy on the way), seeded so the same call builds the same weights. Without
    the transformer (``None``) for callers that build it themselves (``build_transformer``, same seed)."""
    import torch
    from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    dtype = dtype or torch.float32
    tokenizer = build_clip_tokenizer()
    tokenizer_2 = build_t5_tokenizer()

    clip_config = CLIPTextConfig(
        **arch.clip,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    if arch is TINY:
        clip_config.vocab_size = len(tokenizer)
    t5_config = T5Config(**arch.t5, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    if arch is TINY:
        t5_config.vocab_size = len(tokenizer_2)

    transformer = build_transformer(arch, device=device, dtype=dtype, seed=seed) if with_transformer else None
    previous_dtype = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            torch.manual_seed(seed + 1)
            vae = AutoencoderKL(**arch.vae)
            torch.manual_seed(seed + 2)
            text_encoder = CLIPTextModel(clip_config)
            torch.manual_seed(seed + 3)
            text_encoder_2 = T5EncoderModel(t5_config)
    finally:
        torch.set_default_dtype(previous_dtype)
    modules = {"vae": vae, "text_encoder": text_encoder, "text_encoder_2": text_encoder_2}
    for module in modules.values():
        module.to(device=device, dtype=dtype)
        module.eval().requires_grad_(False)
    return {
        "transformer": transformer,
        **modules,
        "tokenizer": tokenizer,
        "tokenizer_2": tokenizer_2,
        "scheduler": FlowMatchEulerDiscreteScheduler(**arch.scheduler),
    }


def build_transformer(arch: Architecture, *, device: str = "cpu", dtype=None, seed: int = 0):
    """The FluxTransformer2DModel alone, with random weights made on ``device`` in ``dtype`` from
    ``seed``: the benchmark rebuilds it per configuration with the same weights."""
    import torch
    from diffusers import FluxTransformer2DModel

    dtype = dtype or torch.float32
    previous_dtype = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            torch.manual_seed(seed)
            transformer = FluxTransformer2DModel(**arch.transformer)
    finally:
        torch.set_default_dtype(previous_dtype)
    return transformer.to(device=device, dtype=dtype).eval().requires_grad_(False)


def parameter_count(module) -> int:
    return sum(p.numel() for p in module.parameters())
