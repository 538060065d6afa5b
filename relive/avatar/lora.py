"""Fine-tune a LoRA for the avatar generator on a folder of images with same-name captions (diffusers + peft).

The standard SDXL text-to-image LoRA recipe (diffusers' ``train_text_to_image_lora_sdxl.py``), reduced to what
the avatar needs: rank-``r`` LoRA on the UNet's attention projections (``to_q``, ``to_k``, ``to_v``, ``to_out.0``),
both text encoders and the VAE frozen, noise-prediction MSE loss, SDXL's added conditioning (the pooled
``text_encoder_2`` embedding and the six size/crop time ids). Since nothing but the LoRA learns, every image is
encoded once up front (latents, prompt embeddings, time ids), so the VAE and text encoders can leave the GPU.

The result is ``pytorch_lora_weights.safetensors`` in diffusers' LoRA format (``save_lora_weights``), which the
``sdxl``/``sdxl-fast``/``tiny`` generators load into their base UNet (``load_lora_into_unet``)::

    result = train_lora("photos/", "my-lora/", base="tiny", steps=4)
    GENERATORS.session("tiny", lora=str(result.path)).generate(photo, prompt, seed=1)
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from relive import imaging
from relive.backends import tiny_sdxl
from relive.backends.generators import SDXL, unload_all
from relive.backends.weights import Weights, load_pipeline
from relive.config import resolve_device, resolve_dtype
from relive.errors import InvalidImage, InvalidInput

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
TARGET_MODULES = ["to_q", "to_k", "to_v", "to_out.0"]  # the UNet's attention projections
WEIGHT_NAME = "pytorch_lora_weights.safetensors"  # diffusers' default name, preferred in a folder by lora_file
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Example:
    """One training image and its caption."""
    image: Path
    caption: str


@dataclass(frozen=True)
class TrainedLora:
    """What :func:`train_lora` made: the LoRA file, its loss per step, how many examples and which base."""
    path: Path  # the .safetensors file
    losses: list[float]  # one per step
    examples: int
    base: str


def train_lora(
    images_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    base: str | None = None,
    rank: int = 4,
    steps: int = 500,
    lr: float = 1e-4,
    resolution: int | None = None,
    seed: int = 0,
    caption_ext: str = ".txt",
    batch_size: int = 1,
    progress: Progress | None = None,
) -> TrainedLora:
    """Train a LoRA on ``images_dir`` (images + same-name captions) and save it in ``out_dir``.

    ``base``: ``"tiny"`` (the random test pipeline), a hub id in the local cache, or a diffusers SDXL folder;
    None → the ``sdxl`` generator's base (``RELIVE_SDXL_BASE``), the model the LoRA will run on.
    ``resolution`` defaults to the base's own (64 for tiny, 1024 for SDXL). Bad input → :class:`InvalidInput`.
    """
    _check_numbers(rank=rank, steps=steps, lr=lr, batch_size=batch_size)
    weights = _base_weights(base)
    resolution = resolution or (tiny_sdxl.SIZE if weights is None else 1024)
    if resolution % 8:
        raise InvalidInput(f"resolution={resolution} must be a multiple of 8 (the VAE works on 8-pixel blocks)")
    examples = find_examples(images_dir, caption_ext)
    out = _check_output_folder(out_dir)

    device = resolve_device()
    dtype = resolve_dtype(device)
    unload_all()  # the generators' pipelines give their memory back: training loads its own copy of the base
    pipe = _load_base(weights, device, dtype)
    batch = _encode_examples(pipe, examples, resolution, seed)
    for frozen in (pipe.vae, pipe.text_encoder, pipe.text_encoder_2):
        frozen.to("cpu")  # only the UNet is needed from here on
    losses = _train(pipe, batch, rank=rank, steps=steps, lr=lr, seed=seed, batch_size=batch_size, progress=progress)
    path = save_lora(pipe.unet, out)
    log.info("LoRA trained on %d images for %d steps (last loss %.4g) → %s", len(examples), steps, losses[-1], path)
    return TrainedLora(path, losses, len(examples), weights.value if weights else "tiny")


# --- input -------------------------------------------------------------------------------------------------------


def find_examples(images_dir: str | os.PathLike, caption_ext: str = ".txt") -> list[Example]:
    """Every image of the folder with its caption. Empty folder, missing captions, non-images → clear errors."""
    folder = Path(images_dir).expanduser()
    if not folder.is_dir():
        raise InvalidInput(f"{os.fspath(images_dir)!r} is not a folder; "
                           f"give a folder of images with {caption_ext} captions")
    caption_ext = caption_ext if caption_ext.startswith(".") else "." + caption_ext
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    strangers = [p.name for p in files if p.suffix.lower() not in IMAGE_SUFFIXES and p.suffix != caption_ext]
    if strangers:
        raise InvalidImage(f"{folder} holds files that are neither images ({', '.join(IMAGE_SUFFIXES)}) nor "
                           f"{caption_ext} captions: {_listing(strangers)}; convert or remove them")
    if not images:
        raise InvalidInput(f"{folder} has no images; "
                           f"add JPEG, PNG or WebP images, each with a same-name {caption_ext} caption")
    uncaptioned = [p.name for p in images if not p.with_suffix(caption_ext).is_file()]
    if uncaptioned:
        raise InvalidInput(f"no caption for {_listing(uncaptioned)}; add a {caption_ext} file of the same name "
                           f"next to each image (e.g. {Path(uncaptioned[0]).stem}{caption_ext})")
    examples = [Example(p, p.with_suffix(caption_ext).read_text(encoding="utf-8").strip()) for p in images]
    empty = [e.image.with_suffix(caption_ext).name for e in examples if not e.caption]
    if empty:
        raise InvalidInput(f"empty caption in {_listing(empty)}; describe each image in a line of text")
    for example in examples:
        imaging.load_image(example.image, "RGB")  # unreadable, animated, too big … → InvalidImage naming the file
    return examples


def _listing(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _check_numbers(*, rank: int, steps: int, lr: float, batch_size: int) -> None:
    for name, value in (("rank", rank), ("steps", steps), ("batch_size", batch_size)):
        if not isinstance(value, int) or value < 1:
            raise InvalidInput(f"{name}={value!r} must be a whole number of at least 1")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise InvalidInput(f"lr={lr!r} must be a positive number (1e-4 is the usual LoRA learning rate)")


def _check_output_folder(out_dir: str | os.PathLike) -> Path:
    """Refuse a file before hours of training; the folder itself is made when the LoRA is saved."""
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{os.fspath(out_dir)!r} is a file; give a folder for the LoRA")
    return out


def _base_weights(base: str | None) -> Weights | None:
    """None for the tiny test pipeline; else the weights to train on (the ``sdxl`` generator's base by default)."""
    if base == "tiny":
        return None
    return Weights(base, "--base") if base else SDXL.weights()[0]


# --- model -------------------------------------------------------------------------------------------------------


def _load_base(weights: Weights | None, device: str, dtype):
    """A fresh SDXL text-to-image pipeline to train on (never the generators' cached one: training changes it);
    ``None`` → the tiny random one."""
    if weights is None:
        return tiny_sdxl.build_base(device, dtype)
    from diffusers import StableDiffusionXLPipeline

    return load_pipeline(StableDiffusionXLPipeline, weights, dtype).to(device)


def _encode_examples(pipe, examples: list[Example], resolution: int, seed: int) -> dict:
    """Latents, prompt embeddings, pooled embeddings and time ids of every example, computed once (all frozen)."""
    import torch

    generator = torch.Generator("cpu").manual_seed(seed)
    latents, embeds, pooled, time_ids = [], [], [], []
    with torch.no_grad():
        for example in examples:
            pixels, original_size, crop_top_left = _square_pixels(example.image, resolution)
            latents.append(_vae_latents(pipe, pixels, generator))
            prompt_embeds, _, pooled_embeds, _ = pipe.encode_prompt(
                example.caption, device=pipe.device, num_images_per_prompt=1, do_classifier_free_guidance=False
            )
            embeds.append(prompt_embeds[0].float().cpu())
            pooled.append(pooled_embeds[0].float().cpu())
            # SDXL's micro-conditioning: original size, crop top-left, target size
            time_ids.append(torch.tensor([*original_size, *crop_top_left, resolution, resolution], dtype=torch.float32))
    return {"latents": torch.stack(latents), "embeds": torch.stack(embeds), "pooled": torch.stack(pooled),
            "time_ids": torch.stack(time_ids)}


def _square_pixels(path: Path, resolution: int):
    """The image resized (short side = resolution) and centre-cropped, as a [-1, 1] tensor, with the original size
    and the crop's top-left corner (SDXL conditions on both)."""
    import numpy as np
    import torch
    from PIL import Image

    image = imaging.load_image(path, "RGB")
    original_size = (image.height, image.width)
    scale = resolution / min(image.size)
    resized = image.resize((max(resolution, round(image.width * scale)), max(resolution, round(image.height * scale))),
                           Image.LANCZOS)
    left, top = (resized.width - resolution) // 2, (resized.height - resolution) // 2
    crop = np.asarray(resized.crop((left, top, left + resolution, top + resolution)), dtype=np.float32)
    pixels = torch.from_numpy(crop).permute(2, 0, 1) / 127.5 - 1.0
    return pixels, original_size, (top, left)


def _vae_latents(pipe, pixels, generator):
    import torch

    vae = pipe.vae
    # SDXL's stock VAE overflows in fp16: encode in fp32 (a handful of images, once)
    if vae.dtype != torch.float32:
        vae.to(torch.float32)
    sample = vae.encode(pixels[None].to(pipe.device, torch.float32)).latent_dist.sample(generator=generator)
    return (sample[0] * vae.config.scaling_factor).cpu()


def _train(pipe, batch: dict, *, rank: int, steps: int, lr: float, seed: int, batch_size: int,
           progress: Progress | None) -> list[float]:
    import torch
    from diffusers import DDPMScheduler
    from diffusers.training_utils import cast_training_params
    from peft import LoraConfig

    unet, device = pipe.unet, pipe.device
    unet.requires_grad_(False)
    unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=TARGET_MODULES))
    cast_training_params(unet, torch.float32)  # the LoRA learns in fp32 even when the frozen UNet is fp16
    params = [p for p in unet.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr)
    # fp16 forward passes: small gradients underflow to zero without loss scaling. The scaler multiplies the loss,
    # unscales the gradients before clipping, and skips (and shrinks the scale on) steps with inf/NaN gradients.
    scaler = torch.amp.GradScaler(device.type, enabled=unet.dtype == torch.float16)
    noise_scheduler = DDPMScheduler.from_config(pipe.scheduler.config)  # the training-time noise schedule
    if device.type == "cuda":
        unet.enable_gradient_checkpointing()  # SDXL's UNet at 1024 px does not fit a 24 GB GPU otherwise
    unet.train()
    rng = torch.Generator("cpu").manual_seed(seed)
    count, losses = len(batch["latents"]), []
    for step in range(steps):
        pick = torch.randint(0, count, (batch_size,), generator=rng)
        loss = _step_loss(unet, noise_scheduler, {k: v[pick] for k, v in batch.items()}, rng, device)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        scaler.step(optimizer)
        scaler.update()
        losses.append(float(loss.detach()))
        if not math.isfinite(losses[-1]):
            raise InvalidInput(f"the loss became {losses[-1]} at step {step + 1}; lower the learning rate (lr={lr})")
        if progress:
            progress(step + 1, steps, "train")
    unet.eval()
    return losses


def _step_loss(unet, noise_scheduler, examples: dict, rng, device):
    """Noise the latents at random timesteps and score the UNet's noise (or velocity) prediction by MSE."""
    import torch
    import torch.nn.functional as F

    latents = examples["latents"]
    noise = torch.randn(latents.shape, generator=rng)
    timesteps = torch.randint(0, noise_scheduler.config.num_train_timesteps, (len(latents),), generator=rng)
    noisy = noise_scheduler.add_noise(latents, noise, timesteps)
    if noise_scheduler.config.prediction_type == "v_prediction":
        target = noise_scheduler.get_velocity(latents, noise, timesteps)
    else:
        target = noise
    dtype = unet.dtype
    with torch.autocast(device.type, dtype=dtype, enabled=dtype == torch.float16):
        prediction = unet(
            noisy.to(device, dtype), timesteps.to(device), examples["embeds"].to(device, dtype),
            added_cond_kwargs={"text_embeds": examples["pooled"].to(device, dtype),
                               "time_ids": examples["time_ids"].to(device, dtype)},
        ).sample
    return F.mse_loss(prediction.float(), target.to(device).float())


def save_lora(unet, out_dir: str | os.PathLike) -> Path:
    """The UNet's peft LoRA as ``out_dir/pytorch_lora_weights.safetensors``, in diffusers' LoRA format."""
    from diffusers import StableDiffusionXLPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft.utils import get_peft_model_state_dict

    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(unet))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    StableDiffusionXLPipeline.save_lora_weights(
        out_dir, unet_lora_layers=layers, weight_name=WEIGHT_NAME,
        # the adapter's own config (rank, alpha, targets) travels with the weights, so it loads back exactly
        unet_lora_adapter_metadata=unet.peft_config["default"].to_dict(),
    )
    return Path(out_dir) / WEIGHT_NAME
