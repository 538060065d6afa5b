"""Avatar generators: the whole two-stage SDXL path on the tiny random pipeline (real diffusers code), LoRA loaded
once through peft and switched per call, honest unavailability of the real weights, and friendly OOM errors."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from diffusers import StableDiffusionXLImg2ImgPipeline
from PIL import Image

from relive import config
from relive.backends import generators as gen_module
from relive.backends import tiny_sdxl as tiny
from relive.backends.generators import GENERATORS, SDXL, GeneratorOutOfMemory, Tiny
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
    real_load = gen_module._load_lora
    monkeypatch.setattr(gen_module, "_load_lora", lambda *a: (loads.append(a), real_load(*a))[1])
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
    refiner_folder = SDXL.weights()[1].folder()
    for shared in gen_module.SHARED_WITH_BASE:  # never fetched: the refiner runs on the base's own modules
        shutil.rmtree(refiner_folder / shared)
    assert SDXL.available()
    monkeypatch.setattr(SDXL, "size", Tiny.size)  # the tiny UNet at 1024 px would only be slow
    monkeypatch.setattr(SDXL, "stages", Tiny.stages)
    generator = GENERATORS.new_session("sdxl")
    # fp16 files loaded in fp32: twice their size; the base whole, of the refiner only what it does not borrow
    files = [*(hf_home / "hub").rglob("*.safetensors")]
    assert generator.memory_needed() == 2 * sum(f.stat().st_size for f in files) + SDXL.working_memory
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

    def fake_stylize(image, genres, *, seed, size, mask, face, look):
        seen.update(size=image.size, genres=genres, seed=seed, mask=mask, face=face, look=look)
        return Image.new("RGB", (size, size), "orange")

    monkeypatch.setattr("relive.avatar.stylize.stylize", fake_stylize)
    session = GENERATORS.new_session("instant")
    result = session.generate(photo, "ignored", seed=3, genres=["Rock", "Punk"])
    assert seen == {"size": (instant.size, instant.size), "genres": ["Rock", "Punk"], "seed": 3, "mask": None,
                    "face": "crop", "look": None}  # no hints: stylize assumes the face where face_square_crop puts it
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
    code = ("import sys, relive.backends.generators as g; g.GENERATORS.available(); "
            "print(sorted({'torch', 'diffusers', 'transformers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_space_may_download_missing_weights_with_huggingface_hub(monkeypatch, tmp_path):
    import huggingface_hub

    from relive.backends.weights import DOWNLOAD_PATTERNS, Weights

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


# --- the published SDXL architectures with random weights (relive.avatar.random_sdxl) --------------------------


def test_published_configs_give_the_published_parameter_counts():
    """Built on the meta device from the JSON configs: no memory, the real sizes."""
    from relive.avatar import random_sdxl

    models = random_sdxl.build_models()
    counts = models.parameter_counts()
    assert round(sum(counts.values()) / 1e9, 2) == 5.73
    assert round(counts["unet"] / 1e9, 2) == 2.57
    assert all(p.is_meta for module in vars(models).values() for p in module.parameters())


@pytest.mark.slow
def test_random_weights_run_through_the_sdxl_two_stage_code(photo):
    """Materialised (buffers restored after to_empty) at a sixteenth of the widths, through SDXL's own code."""
    from relive.avatar.random_sdxl import RandomSDXL

    generator = RandomSDXL(shrink=16, size=tiny.SIZE, stages=Tiny.stages)
    assert generator.stages == Tiny.stages and SDXL.stages[0].steps == 30  # the class keeps the real stages
    calls = []
    picture = generator.generate(photo, PROMPT, NEGATIVE, seed=1, progress=lambda *step: calls.append(step))
    assert calls == [(1, 3, "base"), (2, 3, "base"), (3, 3, "refiner")]
    assert picture.size == (tiny.SIZE, tiny.SIZE) and np.asarray(picture).std() > 0
    base, refiner = generator.load()
    assert refiner.text_encoder_2 is base.text_encoder_2 and refiner.vae is base.vae
    assert refiner.config.requires_aesthetics_score
    for encoder in (base.text_encoder, base.text_encoder_2):
        ids = next(buffer for name, buffer in encoder.named_buffers() if name.endswith("position_ids"))
        assert torch.equal(ids.flatten(), torch.arange(77))  # to_empty leaves garbage; it must be put back
    assert not any(p.is_meta for p in base.unet.parameters())
    generator.close()


@pytest.mark.slow
def test_random_turbo_is_the_base_architecture_with_turbos_scheduler(photo):
    from relive.avatar.random_sdxl import RandomSDXLFast

    generator = RandomSDXLFast(shrink=16, size=tiny.SIZE)
    calls = []
    picture = generator.generate(photo, PROMPT, seed=1, progress=lambda *step: calls.append(step))
    assert calls == [(1, 2, "turbo"), (2, 2, "turbo")] and picture.size == (tiny.SIZE, tiny.SIZE)
    (pipe,) = generator.load()
    assert type(pipe.scheduler).__name__ == "EulerAncestralDiscreteScheduler"
    assert pipe.scheduler.config.timestep_spacing == "trailing"
    generator.close()


# --- one cache, one eviction policy; out of memory; memory checks ------------------------------------------------


def test_loading_another_pipeline_family_unloads_the_one_before(photo, monkeypatch):
    import gc
    import weakref

    first = GENERATORS.new_session("tiny", lora="")
    first.generate(photo, PROMPT, seed=1)
    first_unet = weakref.ref(first.load()[0].unet)
    monkeypatch.setenv("RELIVE_VAE_TILING", "1")  # another family: the same weights with another memory saver
    config.settings.cache_clear()
    second = GENERATORS.new_session("tiny", lora="")
    second.generate(photo, PROMPT, seed=1)
    gc.collect()
    assert gen_module.MODELS.keys(gen_module.PIPELINES) == [second._key()]
    assert first_unet() is None  # really gone, not just forgotten


def test_out_of_memory_unloads_the_others_and_tries_once_more():
    runs, unloads = [], []

    def out_of_memory_once():
        runs.append(1)
        if len(runs) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return "picture"

    assert gen_module._guard_out_of_memory(out_of_memory_once, lambda: unloads.append(1) or 1) == "picture"
    assert len(runs) == 2 and len(unloads) == 1

    def always_out_of_memory():
        raise torch.OutOfMemoryError("CUDA out of memory")

    with pytest.raises(GeneratorOutOfMemory, match="relive unloads the others first"):
        gen_module._guard_out_of_memory(always_out_of_memory, lambda: 0)  # nothing else to unload: no retry


def test_a_pipeline_that_does_not_fit_is_refused_before_loading(photo, monkeypatch):
    builds = []
    monkeypatch.setattr(Tiny, "_build", lambda self: builds.append(1))
    monkeypatch.setattr(Tiny, "memory_needed", lambda self: 21 * gen_module.GiB)
    monkeypatch.setattr(gen_module, "memory_available", lambda device, offload=False: (6 * gen_module.GiB, "RAM"))
    generator = GENERATORS.new_session("tiny", lora="")
    with pytest.raises(gen_module.NotEnoughMemory) as err:
        generator.generate(photo, PROMPT, seed=1)
    assert isinstance(err.value, ReliveError)
    for words in ("about 21.0 GiB of RAM", "6.0 GiB is available", "instant generator"):
        assert words in str(err.value)
    assert builds == [] and generator._key() not in gen_module.MODELS.keys(gen_module.PIPELINES)


def test_on_a_cpu_only_host_instant_is_the_default_unless_sdxl_is_asked_for(monkeypatch):
    from relive.backends import Availability

    monkeypatch.setattr(SDXL, "available", classmethod(lambda cls, **kw: Availability(True)))
    monkeypatch.setattr(gen_module, "resolve_device", lambda name=None: "cpu")
    assert GENERATORS.default_name() == "instant"
    assert isinstance(GENERATORS.get("sdxl")(lora=""), SDXL)  # asked by name: still there
    monkeypatch.setattr(gen_module, "resolve_device", lambda name=None: "cuda")
    assert GENERATORS.default_name() == "sdxl"


def test_vae_tiling_really_tiles_at_1024_px_with_the_stock_sample_size():
    """SDXL's VAE says sample_size 1024, and diffusers sizes its tiles to that: a 1024 px decode is one tile."""
    from diffusers import AutoencoderKL

    from relive.avatar import random_sdxl

    stock = random_sdxl.config("base", "vae", shrink=32)  # the published config, a 32nd of the widths
    assert stock["sample_size"] == 1024
    torch.manual_seed(0)
    vae = AutoencoderKL.from_config(stock).eval()
    latents = torch.randn(1, 4, 128, 128)  # a 1024 px picture
    tiled = []
    real_tiled_decode = vae.tiled_decode
    vae.tiled_decode = lambda *a, **k: (tiled.append(1), real_tiled_decode(*a, **k))[1]
    vae.enable_tiling()  # diffusers alone
    assert vae.tile_latent_min_size == 128  # = the latent width: never split
    gen_module.tile_vae(vae)
    assert vae.use_tiling and vae.tile_sample_min_size == gen_module.VAE_TILE_PX
    with torch.no_grad():
        picture = vae.decode(latents).sample
    assert tiled == [1] and picture.shape == (1, 3, 1024, 1024)


# --- LoRA into the UNet only, and failures that say why ----------------------------------------------------------


@pytest.fixture(scope="module")
def lora_with_text_encoder_layers(tmp_path_factory):
    """A LoRA on the tiny UNet and on text_encoder_2, as third-party LoRAs often are."""
    from diffusers import StableDiffusionXLPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig, get_peft_model_state_dict, inject_adapter_in_model

    base = tiny.build_base()
    torch.manual_seed(2)
    lora = LoraConfig(r=4, lora_alpha=4, init_lora_weights=False, target_modules=["to_q", "to_v", "q_proj", "v_proj"])
    base.unet.add_adapter(lora)
    inject_adapter_in_model(lora, base.text_encoder_2)  # transformers' add_adapter wants peft >= 0.22
    folder = tmp_path_factory.mktemp("te-lora")
    unet_layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(base.unet))
    # peft's key format (".lora_A.weight"), which diffusers' text-encoder loader reads
    text_layers = {name.replace(".default", ""): value for name, value in base.text_encoder_2.state_dict().items()
                   if "lora_" in name}
    assert text_layers
    StableDiffusionXLPipeline.save_lora_weights(folder, unet_lora_layers=unet_layers,
                                                text_encoder_2_lora_layers=text_layers, weight_name="both.safetensors")
    StableDiffusionXLPipeline.save_lora_weights(folder, text_encoder_2_lora_layers=text_layers,
                                                weight_name="text-only.safetensors")
    return folder


def test_a_lora_goes_into_the_unet_only_and_never_changes_the_refiner(photo, lora_with_text_encoder_layers):
    generator = GENERATORS.new_session("tiny", lora=str(lora_with_text_encoder_layers / "both.safetensors"))
    plain = pixels(GENERATORS.new_session("tiny", lora="").generate(photo, PROMPT, seed=3))
    assert not np.array_equal(pixels(generator.generate(photo, PROMPT, seed=3)), plain)
    base, refiner = generator.load()
    assert refiner.text_encoder_2 is base.text_encoder_2
    assert not any("lora" in name for name, _ in base.text_encoder_2.named_modules())  # the shared encoder: untouched
    assert not any("lora" in name for name, _ in base.text_encoder.named_modules())
    assert any("lora" in name for name, _ in base.unet.named_modules())
    assert np.array_equal(pixels(generator.generate(photo, PROMPT, seed=3, lora_scale=0)), plain)


def _save(folder, name: str, tensors: dict):
    from safetensors.torch import save_file

    save_file(tensors, folder / name)
    return str(folder / name)


def test_lora_failures_say_what_is_wrong(photo, tmp_path, random_lora, lora_with_text_encoder_layers):
    from safetensors.torch import load_file

    (tmp_path / "cut.safetensors").write_bytes(random_lora.read_bytes()[:300])
    wrong_size = {k: torch.zeros(v.shape[0], v.shape[1] + 8) if "lora_A" in k or "lora.down" in k else v
                  for k, v in load_file(random_lora).items()}
    cases = {
        str(tmp_path / "cut.safetensors"): "cannot be read",
        _save(tmp_path, "full.safetensors", {"unet.conv_in.weight": torch.ones(2, 2)}): "holds no LoRA layers",
        str(lora_with_text_encoder_layers / "text-only.safetensors"): "text encoders only",
        _save(tmp_path, "sd15.safetensors", wrong_size): "another size",
    }
    for path, words in cases.items():
        generator = GENERATORS.new_session("tiny", lora=path)
        with pytest.raises(InvalidInput, match=words):
            generator.generate(photo, PROMPT, seed=1)
        assert generator.generate(photo, PROMPT, seed=1, lora_scale=0).size == (Tiny.size, Tiny.size)


def test_the_refiner_fetch_skips_the_files_it_never_loads():
    refiner = SDXL.weights()[1]
    assert refiner.borrowed == gen_module.SHARED_WITH_BASE and "hf download" in refiner.fix()

    def fetched(path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) for pattern in refiner.patterns)

    # the files of stabilityai/stable-diffusion-xl-refiner-1.0 that matter
    for path in ("model_index.json", "scheduler/scheduler_config.json", "tokenizer_2/vocab.json",
                 "tokenizer_2/merges.txt", "unet/config.json", "unet/diffusion_pytorch_model.fp16.safetensors"):
        assert fetched(path), path
    for path in ("text_encoder_2/model.fp16.safetensors", "vae/diffusion_pytorch_model.fp16.safetensors",
                 "vae_1_0/diffusion_pytorch_model.fp16.safetensors", "sd_xl_refiner_1.0.safetensors"):
        assert not fetched(path), path
