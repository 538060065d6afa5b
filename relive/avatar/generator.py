"""Avatar generators behind a registry: a square photo and a prompt become a stylized picture.

Every generator answers one call (the avatar pipeline, the CLI and the UI use nothing else)::

    gen = GENERATORS.session("sdxl")                       # or session() for the best available one
    picture = gen.generate(photo, prompt, negative, seed=7, genres=["Rock", "Punk"], progress=report)
    styled = GENERATORS.session("sdxl", lora="my-lora/", lora_scale=0.8)   # LoRA: a session option, loaded once
    plain = styled.generate(photo, prompt, negative, seed=7, lora_scale=0)  # … and switched off for one call

``photo`` is a square RGB image (any :data:`relive.imaging.ImageSource`); it is fitted to ``gen.size`` and the
result is a PIL RGB image of ``gen.size`` × ``gen.size``. ``progress(step, total, stage)`` is called after every
denoising step, counted over all stages. Each class also says ``name``, ``label`` (what the UI shows),
``size``, ``is_diffusion`` and ``available()`` (are the dependencies and weights here? if not, why and how to fix).

Generators:

- ``sdxl`` — SDXL base img2img (strength 0.7, guidance 8.5, 30 steps) then the SDXL refiner img2img (strength 0.3,
  30 steps) on the base's latents; the refiner shares ``text_encoder_2`` and the VAE with the base; on CUDA the
  fp16-fix VAE. Optional LoRA on the base UNet, loaded once with peft and switched per call.
- ``sdxl-fast`` — SDXL-Turbo img2img, 512 px, 4 steps × strength 0.5 = 2 denoising steps, no guidance: previews and
  CPU kiosks. Chosen over SDXL-Lightning and LCM-LoRA because it is one self-contained diffusers repository (no
  base + LoRA + scheduler surgery) and works at 512 px, a quarter of the pixels per step — what decides speed on a
  CPU. Unlike SDXL 1.0 (openrail++) its licence is Stability AI's own: check its terms before commercial use, or
  point ``RELIVE_SDXL_FAST`` at another SDXL-architecture checkpoint in diffusers format.
- ``tiny`` — the random tiny SDXL pair of :mod:`relive.avatar.tiny`, through the same two-stage code: tests and CI.
- ``instant`` — :func:`relive.avatar.stylize.stylize`, a cartoon filter that needs no weights (no diffusion).

Weights are never downloaded here: a hub id counts as available only when the Hugging Face cache already holds it
(checked without network), and then it loads from that folder. The message of an unavailable generator names the
``hf download`` command to run or the ``RELIVE_*`` variable to point at a local folder (the refiner's fetch skips
its ``text_encoder_2`` and VAE, which relive never loads: the refiner runs on the base's).

Memory: pipelines load lazily into one cache (:data:`PIPELINES`) that holds one family (weights, device, dtype,
memory savers) at a time: loading another unloads the one before, so the app never holds what it is not using.
Before loading, the memory the pipelines need is checked against what is free (RAM on a CPU host, where running out
means the kernel kills the process) and refused with :class:`NotEnoughMemory`; on a host without an accelerator the
default generator is ``instant`` (SDXL is still there when asked by name). Running out of GPU memory mid-call
unloads any other family and tries once more, else raises :class:`GeneratorOutOfMemory` (a :class:`ReliveError`
saying what to switch). Calls on one pipeline are serialised. ``RELIVE_VAE_TILING`` decodes in tiles of
:data:`VAE_TILE_PX` (diffusers alone would not tile a 1024 px picture with SDXL's VAE).

LoRAs go into the base UNet only (never the text encoders: the refiner shares ``text_encoder_2``).
"""

from __future__ import annotations

import abc
import gc
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from PIL import Image, ImageOps

from relive import imaging
from relive.avatar import tiny  # cheap: it imports torch/diffusers only inside its builders
from relive.backends import Availability, Backend, Registry
from relive.config import Settings, resolve_device, resolve_dtype, settings
from relive.errors import InvalidInput, ModelUnavailable, ReliveError
from relive.messages import Message

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]  # (steps done, steps in all, stage name)

# The hub ids are defined once, as the settings' defaults (relive.config.Settings); these names only point at them.
SDXL_BASE = Settings.sdxl_base
SDXL_REFINER = Settings.sdxl_refiner
SDXL_VAE_FP16_FIX = Settings.sdxl_vae
SDXL_TURBO = Settings.sdxl_fast
# Switching generators unloads the one before (one pipeline family in memory at a time), so sdxl-fast never loads
# beside sdxl.
OOM_FIX = Message("the GPU ran out of memory; try the sdxl-fast generator (relive unloads the others first), "
                  "or set RELIVE_CPU_OFFLOAD=1 (and RELIVE_VAE_TILING=1)")
GiB = 2**30


class GeneratorOutOfMemory(ReliveError):
    """The accelerator ran out of memory during a generation; the generator stays usable."""


class NotEnoughMemory(GeneratorOutOfMemory):
    """Refused before loading: the pipelines would not fit in the memory that is available now."""


# --- settings ----------------------------------------------------------------------------------------------------


def _setting(name: str, default: str = "") -> str:
    """A generator setting from :func:`relive.config.settings` (``RELIVE_<NAME>`` in the environment)."""
    value = getattr(settings(), name)
    return str(value) if value not in (None, "") else default


# --- weights: hub ids in the local cache, or local folders, checked without downloading --------------------------

DOWNLOAD_PATTERNS = ("*.json", "*.txt", "*.fp16.safetensors")  # configs, tokenizers, fp16 weights: ~7 GB for SDXL
# The refiner runs on the base's text_encoder_2 and VAE: its own copies (~1.6 GB of fp16 weights) are never loaded,
# so they are neither fetched nor required.
SHARED_WITH_BASE = ("text_encoder_2", "vae")
REFINER_PATTERNS = ("model_index.json", "scheduler/*", "tokenizer_2/*", "unet/*.json", "unet/*.fp16.safetensors")


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment now (huggingface_hub freezes it at import)."""
    for env in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(env):
            return Path(os.environ[env]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return Path(home).expanduser() / "hub"


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Weights:
    """Model weights named by a setting: a hub id (looked up in the local cache) or a local folder."""

    value: str  # hub id ("owner/name") or a folder
    setting: str  # the variable that chose it, named in messages
    patterns: tuple[str, ...] = DOWNLOAD_PATTERNS  # what `hf download` should fetch
    borrowed: tuple[str, ...] = ()  # pipeline components taken from another pipeline: never loaded from here

    @property
    def is_folder(self) -> bool:
        return not is_hub_id(self.value)

    def folder(self) -> Path:
        """The folder that holds the weights (a cache snapshot for hub ids). Missing → ModelUnavailable."""
        folder = self._local_folder() if self.is_folder else self._cached_snapshot()
        problem = _incomplete(folder, self.borrowed)
        if problem:
            raise ModelUnavailable(f"{self.value} in {folder} is incomplete ({problem}); {self.fix()}")
        return folder

    def missing(self) -> str:
        """'' when the weights are here, else the reason and the fix."""
        try:
            self.folder()
        except ModelUnavailable as err:
            return str(err)
        return ""

    def fix(self) -> str:
        if self.is_folder:
            return f"set {self.setting} to a folder in diffusers format (with model_index.json or config.json)"
        include = " ".join(f"--include '{p}'" for p in self.patterns)
        command = f"run `hf download {self.value} {include}`"
        if hub_offline():
            command += " on a machine with network access and copy its Hugging Face cache here (HF_HUB_OFFLINE is set)"
        return f"{command}, or set {self.setting} to a local folder with the weights"

    def _local_folder(self) -> Path:
        folder = Path(self.value).expanduser()
        if not folder.is_dir():
            raise ModelUnavailable(f"{self.setting}={self.value!r} is not a folder; {self.fix()}")
        return folder

    def _cached_snapshot(self) -> Path:
        from huggingface_hub import snapshot_download

        cache = hub_cache_dir()
        try:  # local_files_only: only looks in the cache, never on the network
            return Path(snapshot_download(self.value, cache_dir=cache, local_files_only=True))
        except Exception:  # noqa: BLE001 — any failure here means "not in the cache"; the message says what to do
            if not (settings().download_weights and not hub_offline()):
                raise ModelUnavailable(f"{self.value} is not in the Hugging Face cache ({cache}); {self.fix()}") from None
        try:  # a Space (RELIVE_DOWNLOAD_WEIGHTS=1): fetch once into the cache, only the files the pipeline needs
            return Path(snapshot_download(self.value, cache_dir=cache, allow_patterns=list(self.patterns)))
        except Exception as err:  # noqa: BLE001 — network, auth or disk: the message carries the cause
            raise ModelUnavailable(f"downloading {self.value} failed ({err}); {self.fix()}") from None


def is_hub_id(value: str) -> bool:
    """``owner/name`` that is not an existing folder: looked up in the hub cache; anything else is a path."""
    shaped = re.fullmatch(r"[\w.-]+/[\w.-]+", value) and not value.endswith(".safetensors")
    return bool(shaped) and not Path(value).exists()


def _incomplete(folder: Path, borrowed: Sequence[str] = ()) -> str:
    """'' when ``folder`` holds a loadable pipeline (model_index.json) or model (config.json), else what is missing.
    ``borrowed`` components come from another pipeline and need not be there."""
    if (folder / "model_index.json").is_file():
        components = [c for c in pipeline_components(folder) if c not in borrowed]
        return "; ".join(p for p in (_component_missing(folder / c) for c in components) if p)
    if (folder / "config.json").is_file():
        return "" if _has_weights(folder) else "no .safetensors/.bin weights next to config.json"
    return "neither model_index.json nor config.json"


def pipeline_components(folder: Path) -> list[str]:
    """The component folders a diffusers pipeline folder names in its model_index.json (null ones left out)."""
    index = json.loads((folder / "model_index.json").read_text())
    return [k for k, v in index.items() if not k.startswith("_") and isinstance(v, list) and v[0]]


def _component_missing(folder: Path) -> str:
    if not folder.is_dir() or not any(folder.glob("*.json")):
        return f"{folder.name}/ is missing"
    needs_weights = (folder / "config.json").is_file() and not folder.name.startswith(("tokenizer", "scheduler"))
    return f"{folder.name}/ has no weights" if needs_weights and not _has_weights(folder) else ""


def _has_weights(folder: Path) -> bool:
    return any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))


def _variant(folder: Path, want_fp16: bool) -> str | None:
    """Which weight files to load: the fp16 ones on CUDA, the full ones elsewhere, whichever exist."""
    probe = folder / "unet" if (folder / "unet").is_dir() else folder
    has_fp16 = any(probe.glob("*.fp16.safetensors")) or any(probe.glob("*.fp16.bin"))
    has_full = any(p for p in probe.glob("*.safetensors") if ".fp16." not in p.name)
    return "fp16" if has_fp16 and (want_fp16 or not has_full) else None


def load_pipeline(cls, weights: Weights, dtype, **components):
    """``cls.from_pretrained`` on the checked local folder (no network), in ``dtype``, with ``components`` given."""
    import torch

    folder = weights.folder()
    return cls.from_pretrained(
        folder, dtype=dtype, variant=_variant(folder, dtype == torch.float16), local_files_only=True,
        **components,
    )


# --- LoRA ---------------------------------------------------------------------------------------------------------


def lora_file(source: str) -> Path:
    """The .safetensors file of a LoRA given as a file, a folder or a cached hub id. Missing → ModelUnavailable."""
    path = Path(source).expanduser()
    if path.is_file():
        return path
    if not path.is_dir() and not is_hub_id(source):
        raise ModelUnavailable(f"no LoRA file or folder at {source!r}; check RELIVE_LORA (or --lora)")
    hub = Weights(source, "RELIVE_LORA (or --lora)", ("*.safetensors",))
    folder = path if path.is_dir() else hub._cached_snapshot()
    files = sorted(folder.glob("*.safetensors"))
    preferred = [f for f in files if f.name == "pytorch_lora_weights.safetensors"]
    if len(preferred or files) != 1:
        found = ", ".join(f.name for f in files) or "none"
        raise ModelUnavailable(f"LoRA folder {folder} needs exactly one .safetensors file (found: {found}); "
                               "give the file's path instead")
    return (preferred or files)[0]


# --- the generators -----------------------------------------------------------------------------------------------


class Generator(Backend):
    """Base of every avatar generator; subclasses set the class attributes and implement :meth:`_generate`."""

    label: ClassVar[str] = ""  # what the UI shows
    size: ClassVar[int] = 1024  # working resolution: input fitted to size × size, output the same
    is_diffusion: ClassVar[bool] = True
    for_tests: ClassVar[bool] = False  # never offered as a default

    def generate(
        self,
        image: imaging.ImageSource,
        prompt: str = "",
        negative: str = "",
        *,
        seed: int = 0,
        genres: Sequence[str] = (),
        lora_scale: float | None = None,
        progress: Progress | None = None,
        person_mask=None,
        face: tuple[float, float, float, float] | None = None,
        style: str | None = None,
    ) -> Image.Image:
        """A stylized RGB picture of ``size`` × ``size`` from a square photo.

        ``genres`` (strongest first) is read by generators that use it (``instant``); ``lora_scale`` overrides the
        session's LoRA scale for this call (0 switches the LoRA off); ``person_mask`` (uint8, 255 = person, any
        size) and ``face`` ((x, y, w, h) in the square's pixels) are hints from the avatar pipeline for generators
        that keep the photo's geometry (``instant``); ``style`` is the look of a generator that draws without a
        prompt (``instant``: :data:`relive.avatar.stylize.OFFLINE_LOOKS`, None for its default). Each is ignored
        where it does not apply.
        """
        square = fit_square(image, self.size)
        return self._generate(square, prompt, negative, seed=int(seed), genres=list(genres), lora_scale=lora_scale,
                              progress=progress, hints={"mask": person_mask, "face": face, "style": style})

    @abc.abstractmethod
    def _generate(self, image: Image.Image, prompt: str, negative: str, *, seed: int, genres: list[str], hints: dict,
                  lora_scale: float | None, progress: Progress | None) -> Image.Image:
        """The picture from an RGB photo already fitted to ``size``."""


def fit_square(image: imaging.ImageSource, size: int) -> Image.Image:
    """RGB, size × size. A photo that is not square is centre-cropped (the avatar pipeline crops around the face
    first, so this only guards direct callers)."""
    rgb = imaging.load_image(image, "RGB")
    if rgb.size == (size, size):
        return rgb
    return ImageOps.fit(rgb, (size, size), Image.LANCZOS)


class GeneratorRegistry(Registry[Generator]):
    """The backends' registry; its default skips generators made for tests (``tiny``)."""

    def default_name(self) -> str:
        """The first available generator in preference order; on a host without an accelerator the first that is
        not diffusion (``instant``): SDXL there takes minutes per avatar and ~21 GiB of RAM. Asking by name still
        gets any generator."""
        order = [n for n in self.preference if not self.get(n).for_tests]
        usable = [n for n in order if self.get(n).available()]
        if not usable:
            return order[0]
        if self.get(usable[0]).is_diffusion and resolve_device() == "cpu":  # torch is imported only here
            return next((n for n in usable if not self.get(n).is_diffusion), usable[0])
        return usable[0]

    def choices(self, include_tests: bool = False) -> list[tuple[str, str]]:
        """``(label, name)`` of the generators that can run here, for a dropdown."""
        return [(cls.label, name) for name, cls in self._classes.items()
                if (include_tests or not cls.for_tests) and cls.available()]


GENERATORS = GeneratorRegistry("avatar generator", preference=("sdxl", "sdxl-fast", "instant"))


@dataclass(frozen=True)
class Stage:
    """One img2img pass: ``steps`` scheduler steps of which img2img runs ``steps × strength`` (rounded down)."""

    name: str
    strength: float
    guidance: float
    steps: int

    @property
    def denoising_steps(self) -> int:
        return min(int(self.steps * self.strength), self.steps)  # as diffusers' get_timesteps counts them


@dataclass
class _Loaded:
    """Pipelines loaded once (one per stage), the lock that serialises calls, and the LoRAs loaded into them."""

    pipes: list
    lock: threading.Lock = field(default_factory=threading.Lock)
    adapters: dict[Path, str] = field(default_factory=dict)  # LoRA file → peft adapter name in pipes[0]
    attempts: int = 0  # adapter names are never reused, not even after a failed load


class PipelineCache:
    """Every loaded diffusion pipeline of the process, under one eviction policy: one family at a time.

    A visitor's avatar runs one generator, so loading another (a different generator, other weights, another
    device or memory saver) first unloads the one before: sdxl-fast never sits beside sdxl + refiner, and an
    out-of-memory error leaves nothing else behind to blame. A call already running on an evicted family finishes
    (it holds its own reference); its memory goes back when it returns.
    """

    def __init__(self):
        self._entries: dict[tuple, _Loaded] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, load: Callable[[], list]) -> _Loaded:
        """The pipelines under ``key``; on a miss every other family is unloaded first, then ``load()`` runs."""
        with self._lock:
            if key not in self._entries:
                if self._entries:
                    self._entries.clear()
                    _free_memory()
                self._entries[key] = _Loaded(load())
            return self._entries[key]

    def families(self) -> list[tuple]:
        """The keys of the loaded pipeline families."""
        with self._lock:
            return list(self._entries)

    def evict(self, keep: tuple | None = None) -> int:
        """Unload every family but ``keep``; how many were unloaded."""
        with self._lock:
            gone = [key for key in self._entries if key != keep]
            for key in gone:
                del self._entries[key]
        if gone:
            _free_memory()
        return len(gone)

    def evict_where(self, predicate: Callable[[tuple], bool]) -> None:
        with self._lock:
            for key in [k for k in self._entries if predicate(k)]:
                del self._entries[key]
        _free_memory()


PIPELINES = PipelineCache()


def unload_all() -> None:
    """Unload every generator's pipelines (before something else needs the memory, e.g. LoRA training)."""
    PIPELINES.evict()


class DiffusionGenerator(Generator):
    """Img2img through one or more SDXL-family pipelines in a row; the first stage takes the optional LoRA."""

    stages: ClassVar[tuple[Stage, ...]] = ()

    @classmethod
    def available(cls, lora: str | None = None, lora_scale: float | None = None) -> Availability:
        """Weights, libraries and the LoRA (``lora`` or ``RELIVE_LORA``) present? Nothing is loaded."""
        reason = cls._weights_missing() or _diffusers_missing() or _lora_missing(lora)
        return Availability(not reason, reason)

    @classmethod
    @abc.abstractmethod
    def _weights_missing(cls) -> str:
        """'' when the model weights are here, else why and how to fix it."""

    def __init__(self, lora: str | None = None, lora_scale: float | None = None):
        """``lora``: a .safetensors file, a folder or a cached hub id; None → ``RELIVE_LORA`` ('' → none)."""
        source = _setting("lora") if lora is None else lora
        self.lora = lora_file(source) if source else None  # checked now: a wrong path fails before any loading
        self.lora_scale = settings().lora_scale if lora_scale is None else float(lora_scale)
        self.device = resolve_device()
        self.dtype = resolve_dtype(self.device)
        self.cpu_offload = settings().cpu_offload and self.device.startswith("cuda")
        self.vae_tiling = settings().vae_tiling

    @abc.abstractmethod
    def _sources(self) -> tuple:
        """What identifies the weights (part of the cache key of the loaded pipelines)."""

    @abc.abstractmethod
    def _build(self) -> list:
        """The pipelines, one per stage, on the CPU or already typed; :meth:`_place` puts them on the device."""

    def load(self) -> list:
        """The pipelines, loaded on first use and shared by every session with the same weights and device."""
        return self._loaded().pipes

    def _key(self) -> tuple:
        return (type(self).__name__, self._sources(), self.device, str(self.dtype), self.cpu_offload, self.vae_tiling)

    def _loaded(self) -> _Loaded:
        def load() -> list:
            self._check_memory()  # the cache has just unloaded the others: what is free now is what we get
            return _guard_out_of_memory(lambda: self._place(self._build()))

        return PIPELINES.get(self._key(), load)

    def memory_needed(self) -> int:
        """About how many bytes the pipelines take once loaded (weights + :attr:`working_memory`); 0 = unknown."""
        return 0

    working_memory: ClassVar[int] = 0  # activations at ``size`` px on top of the weights, in bytes (an estimate)

    def _check_memory(self) -> None:
        """Refuse, before loading anything, pipelines that cannot fit: on a CPU host the kernel would kill the
        process instead (SDXL base + refiner in fp32 is ~21 GiB), which no exception handler catches."""
        needed = self.memory_needed()
        available, where = memory_available(self.device, self.cpu_offload)
        if needed and available is not None and needed > available:
            raise NotEnoughMemory(
                "the {generator} generator needs about {needed:.1f} GiB of {where} ({dtype} weights + working memory) "
                "but {available:.1f} GiB is available; use the instant generator, free memory, or run on a GPU",
                generator=self.name, needed=needed / GiB, where=where, dtype=str(self.dtype).removeprefix("torch."),
                available=available / GiB)

    def _place(self, pipes: list) -> list:
        for pipe in pipes:
            if self.cpu_offload:  # each model moves to the GPU only while it runs: ~half the VRAM, slower
                pipe.enable_model_cpu_offload(device=self.device)
            else:
                pipe.to(self.device)
            if self.vae_tiling:  # decodes in tiles: flat VRAM at 1024 px and above
                tile_vae(pipe.vae)
            pipe.set_progress_bar_config(disable=True)
        return pipes

    def close(self) -> None:
        """Forget this generator's pipelines (the next call reloads them) and give their memory back."""
        PIPELINES.evict_where(lambda key: key[:2] == (type(self).__name__, self._sources()))

    def _generate(self, image, prompt, negative, *, seed, genres, lora_scale, progress, hints):
        loaded = self._loaded()
        scale = self.lora_scale if lora_scale is None else float(lora_scale)

        def run() -> Image.Image:
            self._switch_lora(loaded, scale)  # inside the guard too: loading a LoRA can run out of memory
            return self._denoise(loaded.pipes, image, prompt, negative, seed, progress)

        with loaded.lock:  # diffusers pipelines keep per-call state (scheduler, adapters): one call at a time
            return _guard_out_of_memory(run, unload_others=lambda: PIPELINES.evict(keep=self._key()))

    def _switch_lora(self, loaded: _Loaded, scale: float) -> None:
        """This session's LoRA on at ``scale`` (loading it the first time only), or every LoRA off."""
        unet = loaded.pipes[0].unet  # LoRAs live in the base UNet only (see _load_lora)
        if self.lora is None or scale == 0:
            if loaded.adapters:
                unet.disable_lora()  # bypasses the LoRA layers: exactly the base model's output
            return
        if self.lora not in loaded.adapters:
            loaded.attempts += 1
            name = f"relive_lora_{loaded.attempts}"
            _load_lora(loaded.pipes[0], self.lora, name)
            loaded.adapters[self.lora] = name
        unet.enable_lora()
        unet.set_adapters([loaded.adapters[self.lora]], weights=[scale])

    def _denoise(self, pipes, image, prompt, negative, seed, progress) -> Image.Image:
        import torch

        generator = torch.Generator("cpu").manual_seed(seed)  # CPU noise: the same picture on any device
        steps = _StepCounter(progress, sum(stage.denoising_steps for stage in self.stages))
        current: Any = image
        for index, (pipe, stage) in enumerate(zip(pipes, self.stages, strict=True)):
            last = index == len(self.stages) - 1
            current = pipe(
                prompt=prompt, negative_prompt=negative or None, image=current, strength=stage.strength,
                guidance_scale=stage.guidance, num_inference_steps=stage.steps, generator=generator,
                # between stages the latents go straight on: no VAE decode + encode round trip
                output_type="pil" if last else "latent", callback_on_step_end=steps.callback(stage.name),
            ).images
        return current[0]


class _StepCounter:
    """Turns diffusers' per-stage ``callback_on_step_end`` into one ``progress(done, total, stage)`` count."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def callback(self, stage: str):
        def on_step_end(pipe, step, timestep, tensors):
            self.done += 1
            if self.progress:
                self.progress(self.done, self.total, stage)
            return tensors

        return on_step_end if self.progress else None


T = TypeVar("T")


def _guard_out_of_memory(run: Callable[[], T], unload_others: Callable[[], int] | None = None) -> T:
    """``run()``; on an accelerator out-of-memory error ``unload_others()`` unloads the other pipelines and, if it
    unloaded any, ``run()`` is tried once more. Still out of memory → :class:`GeneratorOutOfMemory`, raised once the
    memory is freed, so the next (smaller) request can run."""
    for attempt in range(2):
        try:
            return run()
        except RuntimeError as err:
            if not _is_out_of_memory(err):
                raise
            log.warning("generation ran out of memory: %s", err)
        # Freed only here, after the except block: until then the traceback's frames keep the activations alive.
        _free_memory()
        if attempt or unload_others is None or not unload_others():
            break
    raise GeneratorOutOfMemory(OOM_FIX)


LORA_FIX = "use a LoRA trained for SDXL (e.g. with `relive avatar train-lora`)"


def _load_lora(pipe, path: Path, adapter_name: str) -> None:
    """The LoRA into ``pipe``'s UNet only, through peft; a file that does not fit becomes :class:`InvalidInput`
    saying why.

    Only the UNet: ``load_lora_weights`` would also write a LoRA's text-encoder layers into ``text_encoder_2``,
    which the refiner shares, and the pipeline's ``set_adapters``/``disable_lora`` act on both encoders, so the
    refiner would change with the LoRA too. Text-encoder layers of third-party LoRAs are left out (logged)."""
    try:
        state, alphas, metadata = pipe.lora_state_dict(str(path.parent), weight_name=path.name,
                                                       unet_config=pipe.unet.config, return_lora_metadata=True)
    except Exception as err:
        if _is_out_of_memory(err):
            raise
        raise InvalidInput("the LoRA {path} cannot be read ({error}); check that it is a complete .safetensors file, "
                           "or {fix}", path=path, error=f"{type(err).__name__}: {err}", fix=LORA_FIX) from err
    _check_lora_keys(path, state)
    try:
        pipe.load_lora_into_unet(state, network_alphas=alphas, unet=pipe.unet, adapter_name=adapter_name,
                                 metadata=metadata, _pipeline=pipe)
    except Exception as err:
        if isinstance(err, ReliveError) or _is_out_of_memory(err):
            raise
        _forget_adapter(pipe.unet, adapter_name)
        raise InvalidInput("the LoRA {path} {problem} ({error}); {fix}", path=path, problem=_lora_mismatch(err),
                           error=f"{type(err).__name__}: {err}", fix=LORA_FIX) from err


def _check_lora_keys(path: Path, state: dict) -> None:
    """A LoRA file must hold LoRA layers, some of them for the UNet."""
    if not state or not all("lora" in key for key in state):
        raise InvalidInput("the LoRA {path} holds no LoRA layers (its tensor names lack 'lora'): it may be a full "
                           "model checkpoint, which relive does not load as a LoRA; {fix}", path=path, fix=LORA_FIX)
    unet_keys = [key for key in state if key.startswith("unet.")]
    if not unet_keys:
        raise InvalidInput("the LoRA {path} has layers for the text encoders only; relive loads LoRAs into the "
                           "UNet only (the refiner shares text_encoder_2), so it would change nothing; {fix}",
                           path=path, fix=LORA_FIX)
    if len(unet_keys) < len(state):
        log.info("LoRA %s: %d text-encoder tensors left out (LoRAs go into the UNet only)",
                 path.name, len(state) - len(unet_keys))


def _lora_mismatch(err: Exception) -> str:
    """What a failed load says about the LoRA, in words."""
    text = str(err)
    if "size mismatch" in text:
        return "was trained for a model of another size (its layer shapes differ from SDXL's: an SD 1.5/2.x LoRA?)"
    if "not found in the base model" in text or "Target modules" in text or "No LoRA keys" in text:
        return "names layers this UNet does not have (a LoRA for another architecture?)"
    return "does not load into this model"


def _forget_adapter(unet, adapter_name: str) -> None:
    """Remove what a failed load may have injected, so the UNet stays as it was."""
    try:
        unet.delete_adapters(adapter_name)
    except Exception:  # noqa: BLE001 — nothing was injected: nothing to remove
        log.debug("no partial adapter %s to remove", adapter_name)


def _is_out_of_memory(err: BaseException) -> bool:
    import torch

    # torch.cuda.OutOfMemoryError is torch.OutOfMemoryError; MPS reports a plain RuntimeError
    return isinstance(err, torch.OutOfMemoryError) or (isinstance(err, RuntimeError) and "out of memory" in str(err))


VAE_TILE_PX = 512  # decoded tile size when RELIVE_VAE_TILING is on (diffusers blends 25 % overlaps)


def tile_vae(vae) -> None:
    """Tiled decoding that really tiles at 1024 px. diffusers' ``enable_tiling`` sizes tiles to the VAE's
    ``sample_size``, which is 1024 for SDXL's VAE: a 1024 px picture (128-wide latents) would never be split.
    Tiles of :data:`VAE_TILE_PX` cut the decoder's activations to about a quarter."""
    vae.enable_tiling()
    factor = 2 ** (len(vae.config.block_out_channels) - 1)  # pixels per latent
    vae.tile_sample_min_size = min(vae.tile_sample_min_size, VAE_TILE_PX)
    vae.tile_latent_min_size = vae.tile_sample_min_size // factor


def memory_available(device: str, cpu_offload: bool = False) -> tuple[int | None, str]:
    """Bytes free now where the weights will live, and its name: the GPU's free memory on CUDA; RAM on the CPU,
    on MPS (unified memory) and with CPU offload (the weights wait in RAM). ``None`` when it cannot be known."""
    if device.startswith("cuda") and not cpu_offload:
        import torch

        return torch.cuda.mem_get_info(torch.device(device))[0], "GPU memory"
    try:
        import psutil  # comes with accelerate, which diffusers needs for low-memory loading
    except ImportError:
        return None, "RAM"
    return psutil.virtual_memory().available, "RAM"


def weights_bytes(weights: Weights, dtype) -> int:
    """About how many bytes ``weights`` take once loaded in ``dtype``: the size of the files :func:`load_pipeline`
    picks, rescaled from the precision they are stored in (``.fp16.`` files: 2 bytes a value; the others 4, as
    SDXL's full-precision files are). Borrowed components are not counted."""
    import torch

    folder = weights.folder()
    variant = _variant(folder, dtype == torch.float16)
    if (folder / "model_index.json").is_file():
        folders = [folder / c for c in pipeline_components(folder) if c not in weights.borrowed]
    else:
        folders = [folder]
    itemsize = torch.empty((), dtype=dtype).element_size()
    files = [f for sub in folders for f in _weight_files(sub, variant)]
    return sum(f.stat().st_size * itemsize // (2 if ".fp16." in f.name else 4) for f in files)


def _weight_files(folder: Path, variant: str | None) -> list[Path]:
    files = [*folder.glob("*.safetensors"), *folder.glob("*.bin")]
    chosen = [f for f in files if (".fp16." in f.name) == (variant == "fp16")]
    return chosen or files  # diffusers falls back to the other files when the variant is missing


def _free_memory() -> None:
    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if torch.backends.mps.is_available():
        torch.mps.empty_cache()


def _fp32_vae_without_upcast(pipe) -> None:
    """In fp32 the VAE's fp16 upcast is a no-op, but diffusers 0.42 still casts (and logs a warning) each call."""
    import torch

    if pipe.vae.dtype == torch.float32:
        pipe.vae.register_to_config(force_upcast=False)


@GENERATORS.register
class SDXL(DiffusionGenerator):
    """SDXL base + refiner, the brief's pipeline."""

    name = "sdxl"
    label = "SDXL base + refiner (best; GPU)"
    size = 1024
    stages = (Stage("base", strength=0.7, guidance=8.5, steps=30),
              Stage("refiner", strength=0.3, guidance=5.0, steps=30))

    working_memory = 3 * GiB  # 1024 px: UNet activations for the guided batch of 2, and the VAE decode

    @staticmethod
    def weights() -> tuple[Weights, Weights]:
        return (Weights(_setting("sdxl_base", SDXL_BASE), "RELIVE_SDXL_BASE"),
                Weights(_setting("sdxl_refiner", SDXL_REFINER), "RELIVE_SDXL_REFINER", REFINER_PATTERNS,
                        borrowed=SHARED_WITH_BASE))

    def memory_needed(self) -> int:
        return sum(weights_bytes(w, self.dtype) for w in self.weights()) + self.working_memory

    @classmethod
    def _weights_missing(cls) -> str:
        return "; ".join(r for r in (w.missing() for w in cls.weights()) if r)

    def _sources(self) -> tuple:
        return tuple(w.value for w in self.weights()) + (_fp16_vae().value,)

    def _build(self) -> list:
        from diffusers import StableDiffusionXLImg2ImgPipeline as Img2Img

        base_weights, refiner_weights = self.weights()
        base = load_pipeline(Img2Img, base_weights, self.dtype, **_fp16_fix_vae(self.dtype))
        _fp32_vae_without_upcast(base)
        # the refiner reuses the base's second text encoder and VAE: ~1.5 GB less, and one VAE to tile
        refiner = load_pipeline(Img2Img, refiner_weights, self.dtype, text_encoder_2=base.text_encoder_2, vae=base.vae)
        return [base, refiner]


@GENERATORS.register
class SDXLFast(DiffusionGenerator):
    """SDXL-Turbo img2img: 2 denoising steps at 512 px, no classifier-free guidance."""

    name = "sdxl-fast"
    label = "SDXL-Turbo (fast preview)"
    size = 512  # Turbo's training resolution
    stages = (Stage("turbo", strength=0.5, guidance=0.0, steps=4),)  # steps × strength ≥ 1, as img2img needs

    working_memory = 1 * GiB  # 512 px, no guidance: a quarter of the pixels and half the batch of sdxl

    @staticmethod
    def weights() -> Weights:
        return Weights(_setting("sdxl_fast", SDXL_TURBO), "RELIVE_SDXL_FAST")

    def memory_needed(self) -> int:
        return weights_bytes(self.weights(), self.dtype) + self.working_memory

    @classmethod
    def _weights_missing(cls) -> str:
        return cls.weights().missing()

    def _sources(self) -> tuple:
        return (self.weights().value, _fp16_vae().value)

    def _build(self) -> list:
        from diffusers import StableDiffusionXLImg2ImgPipeline as Img2Img

        pipe = load_pipeline(Img2Img, self.weights(), self.dtype, **_fp16_fix_vae(self.dtype))
        _fp32_vae_without_upcast(pipe)
        return [pipe]


def _fp16_vae() -> Weights:
    return Weights(_setting("sdxl_vae", SDXL_VAE_FP16_FIX), "RELIVE_SDXL_VAE",
                   ("config.json", "diffusion_pytorch_model.safetensors"))


def _fp16_fix_vae(dtype) -> dict:
    """``{"vae": fp16-fix VAE}`` in fp16 (SDXL's own VAE overflows to NaN there); ``{}`` in fp32 or when missing,
    and then diffusers upcasts the stock VAE to fp32 for each decode — correct, slower, more memory."""
    import torch

    if dtype != torch.float16:
        return {}
    weights = _fp16_vae()
    reason = weights.missing()
    if reason:
        log.warning("fp16-fix VAE not found, decoding in fp32 instead: %s", reason)
        return {}
    from diffusers import AutoencoderKL

    return {"vae": AutoencoderKL.from_pretrained(weights.folder(), dtype=dtype, local_files_only=True)}


def _lora_missing(lora: str | None) -> str:
    source = _setting("lora") if lora is None else lora
    if not source:
        return ""
    try:
        lora_file(source)
    except ModelUnavailable as err:
        return str(err)
    return ""


def _diffusers_missing() -> str:
    from relive.backends import module_missing

    return module_missing("diffusers") or module_missing("transformers") or module_missing("peft")


@GENERATORS.register
class Tiny(DiffusionGenerator):
    """The random tiny SDXL pair (:mod:`relive.avatar.tiny`) through the same two-stage code as ``sdxl``."""

    name = "tiny"
    label = "tiny (test)"
    size = tiny.SIZE
    for_tests = True
    # strengths and guidance as sdxl; 3 × 0.7 → 2 base steps, 4 × 0.3 → 1 refiner step
    stages = (Stage("base", strength=0.7, guidance=8.5, steps=3), Stage("refiner", strength=0.3, guidance=5.0, steps=4))

    @classmethod
    def _weights_missing(cls) -> str:
        return ""  # built from config and the shipped tokenizer files

    def _sources(self) -> tuple:
        return ("tiny",)

    def _build(self) -> list:
        return tiny.build_pipelines("cpu", self.dtype)  # _place moves them to the device

    def _generate(self, *args, **kwargs):
        import torch

        # Tiny models are all per-op overhead: a second CPU thread only adds synchronisation (measured about
        # 10x slower on a busy 2-core machine). Runs in the single GPU queue, so the global setting is safe.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return super()._generate(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)


@GENERATORS.register
class Instant(Generator):
    """The offline cartoon filter of :mod:`relive.avatar.stylize`: no weights, no diffusion, no prompt."""

    name = "instant"
    label = "instant (offline cartoon, no AI model)"
    size = 1024
    is_diffusion = False

    @classmethod
    def available(cls) -> Availability:
        import importlib.util

        found = importlib.util.find_spec("relive.avatar.stylize") is not None
        return Availability(found, "" if found else "relive.avatar.stylize is missing from this install")

    def _generate(self, image, prompt, negative, *, seed, genres, lora_scale, progress, hints):
        from relive.avatar.stylize import stylize  # imported on use: the registry stays cheap to import

        face = hints["face"] if hints["face"] is not None else "crop"  # "crop": where face_square_crop puts it
        result = stylize(image, genres, seed=seed, size=self.size, mask=hints["mask"], face=face, look=hints["style"])
        if progress:
            progress(1, 1, "stylize")
        return imaging.load_image(result, "RGB")


def generate(name: str | None, image: imaging.ImageSource, prompt: str = "", negative: str = "",
             **options) -> Image.Image:
    """One picture from the named generator's cached session (None → the best available).

    ``options`` are :meth:`Generator.generate`'s keywords (``seed``, ``genres``, ``lora_scale``, ``progress``)."""
    return GENERATORS.session(name).generate(image, prompt, negative, **options)
