"""A tiny, random SDXL img2img pipeline pair (base + refiner) built locally from config: tests, CI, benchmarks.

Same classes and code paths as the real SDXL pair — ``StableDiffusionXLImg2ImgPipeline`` with a
``UNet2DConditionModel`` (``text_time`` added conditioning), an ``AutoencoderKL``, a ``CLIPTextModel`` and a
``CLIPTextModelWithProjection`` and an ``EulerDiscreteScheduler`` — only tiny (UNet blocks 32/64, VAE 16/32,
text encoders of width 32) and random. Its pictures are noise: it proves the plumbing, never the looks.

The refiner is built as the real one is: no first text encoder, ``requires_aesthetics_score=True`` (5 time ids
instead of 6) and a UNet that reads only ``text_encoder_2``'s width; it shares ``text_encoder_2`` and the VAE with
the base. Weights come from a fixed torch seed, so every build is identical. No download: the CLIP tokenizer is
made from a 54-token character vocabulary shipped in ``assets/tiny_clip`` (a–z, a–z at word end, BOS, EOS).

Dimensions follow diffusers' own SDXL img2img fast tests (``get_dummy_components``), with a smaller VAE.
"""

from __future__ import annotations

from pathlib import Path

TOKENIZER_DIR = Path(__file__).resolve().parent / "assets" / "tiny_clip"
SIZE = 64  # working resolution in pixels; the VAE halves it once (latents 32×32), the UNet downsamples once more
SEED = 0  # fixed: every build has the same weights
TEXT_WIDTH = 32  # hidden size of each text encoder; the base UNet reads both, concatenated (64)
TIME_EMBED_DIM = 8  # per added time id; SDXL's real value is 256
BASE_TIME_IDS = 6  # original size (2) + crop top-left (2) + target size (2)
REFINER_TIME_IDS = 5  # original size (2) + crop top-left (2) + aesthetic score (1)


def tokenizer():
    """CLIP BPE tokenizer over the shipped 54-token vocabulary, with CLIP's 77-token window."""
    from transformers import CLIPTokenizer

    return CLIPTokenizer(
        vocab=str(TOKENIZER_DIR / "vocab.json"), merges=str(TOKENIZER_DIR / "merges.txt"), model_max_length=77
    )


def _text_config(vocab_size: int, bos: int, eos: int):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=vocab_size,
        bos_token_id=bos,
        eos_token_id=eos,  # not 2, so CLIP pools at the first EOS token, as for the real tokenizer
        pad_token_id=eos,
        hidden_size=TEXT_WIDTH,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,  # SDXL reads the penultimate layer, so at least 2
        max_position_embeddings=77,
        hidden_act="gelu",
        projection_dim=TEXT_WIDTH,
    )


def _unet(cross_attention_dim: int, time_ids: int):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=SIZE // 2,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        transformer_layers_per_block=(1, 2),
        cross_attention_dim=cross_attention_dim,
        addition_embed_type="text_time",
        addition_time_embed_dim=TIME_EMBED_DIM,
        # the added embedding is the time ids (each embedded to TIME_EMBED_DIM) plus text_encoder_2's pooled output
        projection_class_embeddings_input_dim=time_ids * TIME_EMBED_DIM + TEXT_WIDTH,
    )


def _vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        block_out_channels=(16, 32),
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=8,  # the default 32 groups cannot divide 16 channels
        sample_size=SIZE,
        # The fp16 overflow that upcasting guards against is a property of SDXL's trained VAE, not of random
        # weights; and diffusers 0.42 logs a warning on every upcast, twice per call.
        force_upcast=False,
    )


def _scheduler():
    from diffusers import EulerDiscreteScheduler

    # SDXL's own scheduler settings (scheduler_config.json of stable-diffusion-xl-base-1.0)
    return EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1, timestep_spacing="leading"
    )


def build_base(device: str = "cpu", dtype=None):
    """The tiny base pipeline alone (``StableDiffusionXLImg2ImgPipeline``), on ``device`` in ``dtype``."""
    return build_pipelines(device, dtype, refiner=False)[0]


def build_pipelines(device: str = "cpu", dtype=None, *, refiner: bool = True) -> list:
    """``[base, refiner]`` (or ``[base]``): fresh modules with seeded weights, progress bars off."""
    import torch
    from diffusers import StableDiffusionXLImg2ImgPipeline
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    tok = tokenizer()
    with torch.random.fork_rng(devices=[]):  # seed the weights without disturbing the caller's random state
        torch.manual_seed(SEED)
        # one config object each: transformers writes the model class into its config
        text_encoder = CLIPTextModel(_text_config(len(tok), tok.bos_token_id, tok.eos_token_id))
        text_encoder_2 = CLIPTextModelWithProjection(_text_config(len(tok), tok.bos_token_id, tok.eos_token_id))
        vae = _vae()
        base_unet = _unet(cross_attention_dim=2 * TEXT_WIDTH, time_ids=BASE_TIME_IDS)
        refiner_unet = _unet(cross_attention_dim=TEXT_WIDTH, time_ids=REFINER_TIME_IDS) if refiner else None
    pipes = [
        StableDiffusionXLImg2ImgPipeline(
            vae=vae, text_encoder=text_encoder, text_encoder_2=text_encoder_2, tokenizer=tok, tokenizer_2=tok,
            unet=base_unet, scheduler=_scheduler(),
        )
    ]
    if refiner:
        pipes.append(
            StableDiffusionXLImg2ImgPipeline(
                vae=vae, text_encoder=None, text_encoder_2=text_encoder_2, tokenizer=None, tokenizer_2=tok,
                unet=refiner_unet, scheduler=_scheduler(), requires_aesthetics_score=True,
            )
        )
    # built in fp32; cast only when asked, since diffusers 0.42 logs a warning on every dtype cast of a model
    cast = () if dtype in (None, torch.float32) else (dtype,)
    for pipe in pipes:
        pipe.to(device, *cast)
        pipe.set_progress_bar_config(disable=True)
    return pipes
