"""Avatar generators: the whole two-stage SDXL path on the tiny random pipeline (real diffusers code), LoRA loaded
once through peft and switched per call, honest unavailability of the real weights, and friendly OOM errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from diffusers import StableDiffusionXLImg2ImgPipeline
from PIL import Image

from relive import config
from relive.avatar import generator as gen_module
from relive.avatar import tiny
from relive.avatar.generator import GENERATORS, SDXL, GeneratorOutOfMemory, Tiny
from relive.avatar.lora import save_lora
from relive.errors import InvalidInput, ModelUnavailable, ReliveError, UnknownName

pytestmark = pytest.mark.usefixtures("one_torch_thread")

PROMPT, NEGATIVE = "a person in a red festival hat", "blurry"
SDXL_VARS = ("RELIVE_SDXL_BASE", "RELIVE_SDXL_REFINER", "RELIVE_SDXL_VAE", "RELIVE_SDXL_FAST", "RELIVE_LORA",
             "RELIVE_LORA_SCALE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No RELIVE_* model settings from the caller, and an empty Hugging Face cache: honest on every machine."""
    for name in SDXL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()


@pytest.fixture
def photo() -> Image.Image:
    y, x = np.mgrid[0:tiny.SIZE, 0:tiny.SIZE]
    rgb = np.stack([x * 4, y * 4, (x + y) * 2], axis=-1).clip(0, 255).astype(np.uint8)
    return Image.fromarray(rgb)


@pytest.fixture(scope="module")
def random_lora(tmp_path_factory):
    """A real peft LoRA on the tiny UNet with random, non-zero weights, saved in diffusers' LoRA format."""
    from peft import LoraConfig

    unet = tiny.build_base().unet
    torch.manual_seed(1)
    unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights=False,  # False: random A and B, not B = 0
                                target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    return save_lora(unet, tmp_path_factory.mktemp("lora"))


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def test_tiny_two_stage_gives_a_deterministic_picture_of_its_size(photo):
    generator = GENERATORS.session("tiny")
    first = generator.generate(photo, PROMPT, NEGATIVE, seed=1)
    assert isinstance(first, Image.Image) and first.mode == "RGB" and first.size == (Tiny.size, Tiny.size)
    assert np.array_equal(pixels(first), pixels(generator.generate(photo, PROMPT, NEGATIVE, seed=1)))
    assert not np.array_equal(pixels(first), pixels(generator.generate(photo, PROMPT, NEGATIVE, seed=2)))


def test_refiner_shares_text_encoder_2_and_vae_with_the_base():
    base, refiner = GENERATORS.session("tiny").load()
    assert refiner.text_encoder_2 is base.text_encoder_2
    assert refiner.vae is base.vae
    assert refiner.text_encoder is None and refiner.tokenizer is None
    assert refiner.config.requires_aesthetics_score and not base.config.requires_aesthetics_score


def test_progress_counts_every_denoising_step_over_both_stages(photo):
    calls = []
    GENERATORS.session("tiny").generate(photo, PROMPT, seed=3, progress=lambda *step: calls.append(step))
    assert calls == [(1, 3, "base"), (2, 3, "base"), (3, 3, "refiner")]


def test_a_photo_that_is_not_square_is_fitted(photo):
    wide = photo.resize((96, 48))
    assert GENERATORS.session("tiny").generate(wide, PROMPT, seed=1).size == (Tiny.size, Tiny.size)


def test_lora_loads_once_changes_the_picture_and_switches_off_exactly(photo, random_lora, monkeypatch):
    loads = []
    real_load = StableDiffusionXLImg2ImgPipeline.load_lora_weights
    monkeypatch.setattr(StableDiffusionXLImg2ImgPipeline, "load_lora_weights",
                        lambda self, *a, **k: (loads.append(a), real_load(self, *a, **k))[1])
    plain = pixels(GENERATORS.session("tiny").generate(photo, PROMPT, seed=5))

    with_lora = GENERATORS.new_session("tiny", lora=str(random_lora))
    on = pixels(with_lora.generate(photo, PROMPT, seed=5))
    assert np.abs(on - plain).max() > 10  # a LoRA that changes nothing would prove nothing
    assert np.array_equal(pixels(with_lora.generate(photo, PROMPT, seed=5, lora_scale=0)), plain)
    assert np.array_equal(pixels(GENERATORS.session("tiny").generate(photo, PROMPT, seed=5)), plain)
    assert np.array_equal(pixels(with_lora.generate(photo, PROMPT, seed=5)), on)  # back on, no reload
    half = pixels(with_lora.generate(photo, PROMPT, seed=5, lora_scale=0.5))
    assert not np.array_equal(half, on) and not np.array_equal(half, plain)
    assert len(loads) == 1


def test_lora_from_the_environment_and_by_folder(photo, random_lora, monkeypatch):
    monkeypatch.setenv("RELIVE_LORA", str(random_lora.parent))  # a folder with pytorch_lora_weights.safetensors
    monkeypatch.setenv("RELIVE_LORA_SCALE", "0")
    config.settings.cache_clear()
    generator = GENERATORS.new_session("tiny")
    assert generator.lora == random_lora and generator.lora_scale == 0
    plain = pixels(GENERATORS.new_session("tiny", lora="").generate(photo, PROMPT, seed=6))
    assert np.array_equal(pixels(generator.generate(photo, PROMPT, seed=6)), plain)
    assert not np.array_equal(pixels(generator.generate(photo, PROMPT, seed=6, lora_scale=1.0)), plain)


def test_missing_lora_is_unavailable_with_the_setting_named(tmp_path):
    with pytest.raises(ModelUnavailable, match="RELIVE_LORA"):
        GENERATORS.new_session("tiny", lora=str(tmp_path / "nope.safetensors"))
    assert not GENERATORS.get("tiny").available(lora="someone/not-cached-lora")


def test_a_lora_for_another_model_is_a_clear_error(photo, tmp_path):
    from safetensors.torch import save_file

    save_file({"unet.no_such_block.to_q.lora.down.weight": torch.ones(4, 7)}, tmp_path / "alien.safetensors")
    generator = GENERATORS.new_session("tiny", lora=str(tmp_path / "alien.safetensors"))
    with pytest.raises(InvalidInput, match="alien.safetensors"):
        generator.generate(photo, PROMPT, seed=1)
    assert generator.generate(photo, PROMPT, seed=1, lora_scale=0).size == (Tiny.size, Tiny.size)


@pytest.mark.parametrize("name, repo, setting", [
    ("sdxl", "stabilityai/stable-diffusion-xl-base-1.0", "RELIVE_SDXL_BASE"),
    ("sdxl", "stabilityai/stable-diffusion-xl-refiner-1.0", "RELIVE_SDXL_REFINER"),
    ("sdxl-fast", "stabilityai/sdxl-turbo", "RELIVE_SDXL_FAST"),
])
def test_real_weights_missing_name_the_command_and_the_setting(name, repo, setting):
    ok, reason = GENERATORS.get(name).available()
    assert not ok
    assert f"hf download {repo}" in reason and setting in reason
    with pytest.raises(ModelUnavailable, match=setting):
        GENERATORS.new_session(name)


def test_offline_mode_and_bad_folders_are_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert "HF_HUB_OFFLINE" in GENERATORS.get("sdxl-fast").available().reason
    monkeypatch.setenv("RELIVE_SDXL_FAST", str(tmp_path / "missing"))
    config.settings.cache_clear()  # settings() is cached; it must see the patched environment
    assert "RELIVE_SDXL_FAST" in GENERATORS.get("sdxl-fast").available().reason
    half = tmp_path / "half"
    half.mkdir()
    (half / "model_index.json").write_text('{"_class_name": "X", "unet": ["diffusers", "UNet2DConditionModel"]}')
    monkeypatch.setenv("RELIVE_SDXL_FAST", str(half))
    config.settings.cache_clear()
    assert "unet/ is missing" in GENERATORS.get("sdxl-fast").available().reason


def _cache_pipeline(pipe, hf_home, repo: str) -> None:
    """Save ``pipe`` into a Hugging Face cache laid out as `hf download` leaves it (refs/main → snapshot)."""
    root = hf_home / "hub" / ("models--" + repo.replace("/", "--"))
    pipe.save_pretrained(root / "snapshots" / ("0" * 40), variant="fp16")
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text("0" * 40)


def test_sdxl_loads_base_and_refiner_from_the_hub_cache(photo, tmp_path, monkeypatch):
    """The real ``sdxl`` loading code (cache lookup, fp16 variant files, shared modules) on tiny weights."""
    hf_home = tmp_path / "hf-home"
    base, refiner = tiny.build_pipelines()
    base.vae.register_to_config(force_upcast=True)  # as SDXL's own VAE config says
    _cache_pipeline(base, hf_home, gen_module.SDXL_BASE)
    _cache_pipeline(refiner, hf_home, gen_module.SDXL_REFINER)
    assert SDXL.available()
    monkeypatch.setattr(SDXL, "size", Tiny.size)  # the tiny UNet at 1024 px would only be slow
    monkeypatch.setattr(SDXL, "stages", Tiny.stages)
    generator = GENERATORS.new_session("sdxl")
    try:
        loaded_base, loaded_refiner = generator.load()
        assert loaded_refiner.text_encoder_2 is loaded_base.text_encoder_2 and loaded_refiner.vae is loaded_base.vae
        assert not loaded_base.vae.config.force_upcast  # pointless in fp32, and diffusers 0.42 warns on each cast
        expected = pixels(GENERATORS.session("tiny").generate(photo, PROMPT, NEGATIVE, seed=4))
        # the same weights, reloaded: equal up to float rounding (1e-5 in the latents, a level or two in uint8)
        assert np.abs(pixels(generator.generate(photo, PROMPT, NEGATIVE, seed=4)) - expected).max() <= 3
    finally:
        generator.close()


def test_vae_tiling_is_switched_on_by_the_environment(photo, monkeypatch):
    monkeypatch.setenv("RELIVE_VAE_TILING", "1")
    config.settings.cache_clear()
    generator = GENERATORS.new_session("tiny")
    base, refiner = generator.load()
    assert base.vae.use_tiling and refiner.vae is base.vae
    assert generator.generate(photo, PROMPT, seed=1).size == (Tiny.size, Tiny.size)
    assert not GENERATORS.new_session("tiny", lora="").cpu_offload  # offload is for CUDA only


def test_unknown_generator_lists_the_valid_names():
    with pytest.raises(UnknownName) as err:
        GENERATORS.session("dall-e")
    for name in ("sdxl", "sdxl-fast", "tiny", "instant"):
        assert name in str(err.value)


def test_out_of_memory_is_friendly_and_the_generator_recovers(photo, monkeypatch):
    generator = GENERATORS.session("tiny")
    before = pixels(generator.generate(photo, PROMPT, seed=8))

    def out_of_memory(self, *args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(StableDiffusionXLImg2ImgPipeline, "__call__", out_of_memory)
    with pytest.raises(GeneratorOutOfMemory) as err:
        generator.generate(photo, PROMPT, seed=8)
    assert isinstance(err.value, ReliveError)
    for hint in ("ran out of memory", "sdxl-fast", "RELIVE_CPU_OFFLOAD"):
        assert hint in str(err.value)
    monkeypatch.undo()
    assert np.array_equal(pixels(generator.generate(photo, PROMPT, seed=8)), before)


def test_other_errors_are_not_disguised_as_out_of_memory(photo, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(StableDiffusionXLImg2ImgPipeline, "__call__", broken)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        GENERATORS.session("tiny").generate(photo, PROMPT, seed=1)


def test_instant_is_registered_without_diffusion_and_gets_the_genres(photo, monkeypatch):
    instant = GENERATORS.get("instant")
    assert instant.is_diffusion is False and "instant" in instant.label
    seen = {}

    def fake_stylize(image, genres, *, seed, size, mask, face):
        seen.update(size=image.size, genres=genres, seed=seed, mask=mask, face=face)
        return Image.new("RGB", (size, size), "orange")

    monkeypatch.setattr("relive.avatar.stylize.stylize", fake_stylize)
    session = GENERATORS.new_session("instant")
    result = session.generate(photo, "ignored", seed=3, genres=["Rock", "Punk"])
    assert seen == {"size": (instant.size, instant.size), "genres": ["Rock", "Punk"], "seed": 3, "mask": None,
                    "face": "crop"}  # no hints: stylize assumes the face where face_square_crop puts it
    hint = np.zeros((8, 8), np.uint8)
    session.generate(photo, seed=3, person_mask=hint, face=(1, 2, 3, 4))
    assert seen["mask"] is hint and seen["face"] == (1, 2, 3, 4)
    assert result.size == (instant.size, instant.size)


def test_the_default_is_never_the_test_pipeline():
    assert GENERATORS.default_name() != "tiny"
    assert "tiny" not in [name for _, name in GENERATORS.choices()]
    assert ("tiny (test)", "tiny") in GENERATORS.choices(include_tests=True)
    assert {GENERATORS.get(n).is_diffusion for n in ("sdxl", "sdxl-fast", "tiny")} == {True}


def test_importing_the_registry_loads_no_model_library():
    code = ("import sys, relive.avatar.generator as g; g.GENERATORS.available(); "
            "print(sorted({'torch', 'diffusers', 'transformers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_space_may_download_missing_weights_with_huggingface_hub(monkeypatch, tmp_path):
    import huggingface_hub

    from relive.avatar.generator import DOWNLOAD_PATTERNS, Weights

    calls = []
    fetched = tmp_path / "snapshot"
    fetched.mkdir()
    (fetched / "model_index.json").write_text('{"_class_name": "StableDiffusionXLPipeline"}')

    def fake_snapshot_download(repo, cache_dir=None, local_files_only=False, allow_patterns=None):
        calls.append((repo, local_files_only, allow_patterns))
        if local_files_only or repo == "owner/broken":
            raise OSError("not cached" if local_files_only else "connection refused")
        return str(fetched)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    weights = Weights("owner/model", "RELIVE_SDXL_BASE")
    with pytest.raises(ModelUnavailable, match="not in the Hugging Face cache"):
        weights.folder()  # default: the cache only, never the network
    monkeypatch.setenv("RELIVE_DOWNLOAD_WEIGHTS", "1")
    config.settings.cache_clear()
    assert weights.folder() == fetched
    assert calls[-1] == ("owner/model", False, list(DOWNLOAD_PATTERNS))
    with pytest.raises(ModelUnavailable, match="downloading owner/broken failed.*connection refused"):
        Weights("owner/broken", "RELIVE_SDXL_BASE").folder()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    calls.clear()
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE"):
        weights.folder()
    assert all(local for _, local, _ in calls)  # offline wins: no download attempted
