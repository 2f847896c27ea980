"""Multi-reference FLUX.1 Kontext: extra reference images as extra latent tokens with their own RoPE offset.

FLUX.1 Kontext conditions on an image by appending its VAE latent tokens to the sequence after the
tokens being denoised, with position ids ``(t, h, w)`` whose first (time/index) axis is 1 instead of
0 (the target) -- a constant offset that tells the model "this is a context image", while the h and
w axes keep the 2-D layout. The Kontext paper describes the same scheme for several context images:
image i gets offset i. :class:`KontextReferencePipeline` extends diffusers' ``FluxKontextPipeline``
that way:

* no image -> text-to-image, exactly the stock pipeline;
* one image (the context) -> exactly the stock edit path (offset 1);
* 2-4 images -> the context as in the stock path (offset 1) and each further reference image resized
  to its own preferred Kontext resolution, VAE-encoded and packed the same way, its tokens appended
  after the context's with offset 2, 3, 4 on the first axis (h and w restart at 0 for each image).

Only ``prepare_latents`` (and ``__call__``, to take the references) is overridden: the denoising loop
concatenates the target and the conditioning tokens, runs the transformer and keeps the first
``latents.size(1)`` outputs, which is already right for any number of appended images.

Limits: FLUX.1 Kontext [dev] was trained with a single context image; several references at
distinct offsets follow the paper's description but are not what the released weights were trained
on, so quality is not guaranteed (it works best when each reference is clearly described in the
prompt). Every reference adds its own tokens (about 4096 at ~1 MP), so sequence length, attention
cost (quadratic) and activation memory grow with each one.
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers import FluxKontextPipeline

from .sizes import context_size

# Offset of the first reference on the RoPE time/index axis; the context image has 1, the target 0.
FIRST_REFERENCE_OFFSET = 2
MAX_REFERENCES = 3


class KontextReferencePipeline(FluxKontextPipeline):
    """FluxKontextPipeline plus ``reference_images``: further images appended as conditioning tokens."""

    _reference_images: list[Any] = []

    def __call__(self, *args: Any, reference_images: list[Any] | None = None, **kwargs: Any):
        references = list(reference_images or [])
        if len(references) > MAX_REFERENCES:
            raise ValueError(f"at most {MAX_REFERENCES} reference images, got {len(references)}")
        if references and kwargs.get("image") is None and not args:
            raise ValueError("reference images need a context image (`image`)")
        self._reference_images = references
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self._reference_images = []

    def preprocess_reference(self, image: Any) -> torch.Tensor:
        """A reference image resized to its own snapped preferred resolution, as the stock pipeline does
        for the context image, then normalised to [-1, 1]: a (1, 3, H, W) tensor."""
        image_height, image_width = self.image_processor.get_default_height_width(image)
        width, height = context_size(image_width, image_height)
        image = self.image_processor.resize(image, height, width)
        return self.image_processor.preprocess(image, height, width)

    def encode_reference(
        self,
        image: torch.Tensor,
        offset: int,
        batch_size: int,
        num_channels_latents: int,
        dtype: torch.dtype,
        device: torch.device,
        generator: torch.Generator | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Packed latent tokens (batch, n, 64) and position ids (n, 3) of one preprocessed reference image,
        with ``offset`` on the first (time/index) axis."""
        image = image.to(device=device, dtype=dtype)
        latents = self._encode_vae_image(image=image, generator=generator)
        if batch_size > latents.shape[0]:
            latents = torch.cat([latents] * (batch_size // latents.shape[0]), dim=0)
        latent_height, latent_width = latents.shape[2:]
        tokens = self._pack_latents(latents, batch_size, num_channels_latents, latent_height, latent_width)
        ids = self._prepare_latent_image_ids(batch_size, latent_height // 2, latent_width // 2, device, dtype)
        ids[..., 0] = offset
        return tokens, ids

    def prepare_latents(
        self,
        image: torch.Tensor | None,
        batch_size: int,
        num_channels_latents: int,
        height: int,
        width: int,
        dtype: torch.dtype,
        device: torch.device,
        generator: torch.Generator | list[torch.Generator] | None = None,
        latents: torch.Tensor | None = None,
    ):
        latents, image_latents, latent_ids, image_ids = super().prepare_latents(
            image, batch_size, num_channels_latents, height, width, dtype, device, generator, latents
        )
        references = self._reference_images
        if not references:
            return latents, image_latents, latent_ids, image_ids
        if image_latents is None or image_ids is None:
            raise ValueError("reference images need a context image")
        if isinstance(generator, list):
            generator = generator[0]
        token_chunks = [image_latents]
        id_chunks = [image_ids]
        for offset, reference in enumerate(references, start=FIRST_REFERENCE_OFFSET):
            if not isinstance(reference, torch.Tensor):
                reference = self.preprocess_reference(reference)
            tokens, ids = self.encode_reference(
                reference, offset, batch_size, num_channels_latents, dtype, device, generator
            )
            token_chunks.append(tokens)
            id_chunks.append(ids)
        return latents, torch.cat(token_chunks, dim=1), latent_ids, torch.cat(id_chunks, dim=0)
