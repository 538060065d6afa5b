"""The published SDXL base + refiner architectures with random weights, built from the configs kept in the repo.

``sdxl_configs/`` holds the published ``config.json`` values of stabilityai/stable-diffusion-xl-base-1.0 (UNet,
VAE, both CLIP text encoders, scheduler, model_index) and of the refiner (UNet, scheduler, model_index; its
``text_encoder_2`` and VAE configs are the base's, and relive's refiner runs on the base's own modules), plus
SDXL-Turbo's scheduler (Turbo is the base architecture, distilled). No weights exist here, so this builds the real
architectures with random weights to measure what they cost — time and memory per avatar — through relive's own
two-stage code (:class:`RandomSDXL` is the ``sdxl`` generator with only its loading replaced):

- on the **meta** device (no memory at all) for parameter counts: 5.73 B in all, base UNet 2.57 B;
- **materialised** on a device in a dtype: each module is cast on meta, ``to_empty``'d, then every layer's own
  ``reset_parameters`` draws its random weights. Buffers are built for real (never on meta) and put back after
  ``to_empty``, which leaves them as garbage — CLIP's ``position_ids`` would index out of range otherwise.

``shrink`` divides every width of the configs (channels, hidden sizes, group counts) and keeps every depth, so a
CPU smoke test runs the same code on a model about ``shrink²`` times smaller. The pictures are noise.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from relive.backends.generators import SDXL, SDXLFast, Stage

CONFIG_DIR = Path(__file__).resolve().parent / "sdxl_configs"
# Config keys that are widths (divided by ``shrink``); every other key (depths, head counts, sizes) is kept.
WIDTH_KEYS = ("block_out_channels", "cross_attention_dim", "addition_time_embed_dim",
              "projection_class_embeddings_input_dim", "norm_num_groups", "hidden_size", "intermediate_size",
              "projection_dim")


def config(stage: str, component: str, shrink: int = 1) -> dict:
    """The published config of ``component`` (``unet``, ``vae``, ``text_encoder``, ``text_encoder_2``,
    ``scheduler``, ``model_index``) for ``stage`` (``base``, ``refiner`` or ``turbo``), widths divided by
    ``shrink``. The refiner's shared modules and Turbo's models are the base's."""
    folder = CONFIG_DIR / stage
    if not (folder / f"{component}.json").is_file():
        folder = CONFIG_DIR / "base"
    values = json.loads((folder / f"{component}.json").read_text())
    return {key: _divide(value, shrink) if key in WIDTH_KEYS else value for key, value in values.items()}


def _divide(value, shrink: int):
    if isinstance(value, list):
        return [_divide(v, shrink) for v in value]
    if value % shrink:
        raise ValueError(f"shrink={shrink} does not divide the width {value}")
    return value // shrink


@dataclass
class Models:
    """The networks of an SDXL base + refiner pair (the refiner's text encoder and VAE are the base's)."""

    unet: object
    refiner_unet: object
    vae: object
    text_encoder: object
    text_encoder_2: object

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per model, by name (the models built, not loaded)."""
        return {name: sum(p.numel() for p in module.parameters()) for name, module in vars(self).items()
                if module is not None}


def build_models(shrink: int = 1, *, refiner: bool = True, on_meta: bool = True) -> Models:
    """The networks from the configs: parameters on the meta device (no memory) unless ``on_meta`` is False;
    buffers always real. ``refiner=False`` leaves ``refiner_unet`` None."""
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    def text(component: str):
        return CLIPTextConfig(**{k: v for k, v in config("base", component, shrink).items() if k != "architectures"})

    with init_empty_weights(include_buffers=False) if on_meta else contextlib.nullcontext():
        return Models(
            unet=UNet2DConditionModel.from_config(config("base", "unet", shrink)),
            refiner_unet=UNet2DConditionModel.from_config(config("refiner", "unet", shrink)) if refiner else None,
            vae=AutoencoderKL.from_config(config("base", "vae", shrink)),
            text_encoder=CLIPTextModel(text("text_encoder")),
            text_encoder_2=CLIPTextModelWithProjection(text("text_encoder_2")),
        )


def materialise(module, device: str, dtype, seed: int = 0):
    """``module``'s meta parameters made real on ``device`` in ``dtype``, with random weights from ``seed``."""
    import torch

    buffers = {name: buffer.clone() for name, buffer in module.named_buffers()}  # real: built off meta
    module.to(dtype)  # cast while on meta: free, and the full-size fp32 copy never exists
    module.to_empty(device=device)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        drawn = set()
        for layer in module.modules():
            if hasattr(layer, "reset_parameters"):  # Linear, Conv2d, norms, Embedding: their own initialisation
                layer.reset_parameters()
                drawn.update(id(p) for p in layer.parameters(recurse=False))
        for parameter in module.parameters():  # anything no layer initialises (none in SDXL today)
            if id(parameter) not in drawn:
                parameter.normal_(0.0, 0.02)
        for name, value in buffers.items():  # to_empty left them uninitialised: position_ids, time projections
            _set_buffer(module, name, value.to(device, dtype if value.is_floating_point() else value.dtype))
    return module.eval()


def _set_buffer(module, dotted: str, value) -> None:
    owner_name, _, name = dotted.rpartition(".")
    owner = module.get_submodule(owner_name) if owner_name else module
    owner._buffers[name] = value  # keeps the buffer's persistence flag, unlike register_buffer


def build_pipelines(device: str, dtype, *, shrink: int = 1, refiner: bool = True, turbo: bool = False) -> list:
    """``[base, refiner]`` img2img pipelines (or ``[base]``; ``turbo``: the base with SDXL-Turbo's scheduler) of
    random weights, on ``device`` in ``dtype``, wired as the ``sdxl`` generator wires the real ones."""
    from diffusers import StableDiffusionXLImg2ImgPipeline, schedulers

    from relive.avatar.prompt import clip_tokenizer

    models = build_models(shrink, refiner=refiner and not turbo)
    for index, module in enumerate(vars(models).values()):
        if module is not None:
            materialise(module, device, dtype, seed=index)
    # SDXL's own VAE overflows in fp16 and asks to be upcast; on CUDA relive decodes with the fp16-fix VAE, the
    # same architecture with force_upcast off, so the random VAE stands in for that one (in fp32 it is moot).
    models.vae.register_to_config(force_upcast=False)
    tokenizer = clip_tokenizer()  # OpenAI's vocabulary (`make models`), the one both SDXL tokenizers use

    def scheduler(stage: str):
        values = config(stage, "scheduler")
        return getattr(schedulers, values["_class_name"]).from_config(values)

    stage = "turbo" if turbo else "base"
    index = config(stage, "model_index")
    base = StableDiffusionXLImg2ImgPipeline(
        vae=models.vae, text_encoder=models.text_encoder, text_encoder_2=models.text_encoder_2, tokenizer=tokenizer,
        tokenizer_2=tokenizer, unet=models.unet, scheduler=scheduler(stage),
        force_zeros_for_empty_prompt=index["force_zeros_for_empty_prompt"])
    pipes = [base]
    if models.refiner_unet is not None:
        refiner_index = config("refiner", "model_index")
        pipes.append(StableDiffusionXLImg2ImgPipeline(
            vae=models.vae, text_encoder=None, text_encoder_2=models.text_encoder_2, tokenizer=None,
            tokenizer_2=tokenizer, unet=models.refiner_unet, scheduler=scheduler("refiner"),
            requires_aesthetics_score=refiner_index["requires_aesthetics_score"],
            force_zeros_for_empty_prompt=refiner_index["force_zeros_for_empty_prompt"]))
    for pipe in pipes:
        pipe.set_progress_bar_config(disable=True)
    return pipes


class RandomSDXL(SDXL):
    """The ``sdxl`` generator (same stages, size and two-stage code) on random weights of the published
    architecture; ``shrink``, ``size`` and ``stages`` scale it down for a CPU smoke test. Not registered: the
    benchmark makes it directly."""

    name = "sdxl-random"
    label = "SDXL base + refiner, random weights (benchmark)"
    for_tests = True
    turbo: ClassVar[bool] = False

    def __init__(self, shrink: int = 1, size: int | None = None, stages: tuple[Stage, ...] | None = None,
                 dtype=None):
        """``dtype`` None: the device's (fp16 on CUDA, else fp32); bf16 fits the full size in 11 GiB of RAM."""
        super().__init__(lora="")
        self.dtype = dtype or self.dtype
        self.shrink = shrink
        self.size = size or type(self).size
        self.stages = stages or type(self).stages

    @classmethod
    def _weights_missing(cls) -> str:
        return ""  # built from the configs in the repo

    def _sources(self) -> tuple:
        return ("random", self.shrink, self.turbo)

    def memory_needed(self) -> int:
        """The bytes the random pipelines take: their parameters at this dtype plus the working memory."""
        counts = build_models(self.shrink, refiner=not self.turbo).parameter_counts()
        itemsize = self.dtype.itemsize
        return sum(counts.values()) * itemsize + self.working_memory // self.shrink

    def _build(self) -> list:
        return build_pipelines(self.device, self.dtype, shrink=self.shrink, turbo=self.turbo)


class RandomSDXLFast(RandomSDXL):
    """The ``sdxl-fast`` generator (SDXL-Turbo: the base architecture, Turbo's scheduler) on random weights."""

    name = "sdxl-fast-random"
    label = "SDXL-Turbo, random weights (benchmark)"
    size = SDXLFast.size
    stages = SDXLFast.stages
    working_memory = SDXLFast.working_memory
    turbo = True
