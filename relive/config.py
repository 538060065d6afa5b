"""Settings from ``RELIVE_*`` environment variables (CLI flags override them), paths, and the device policy.

Nothing heavy is imported here: torch is imported only when a device is actually resolved.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from relive.errors import InvalidInput

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in {"1", "true", "yes", "on"}


def _env_float(name: str, default: float, *, positive: bool = False) -> float:
    value = os.environ.get(name)
    try:
        number = float(value) if value else default
    except ValueError:
        raise InvalidInput(f"{name}={value!r} is not a number") from None
    if not math.isfinite(number) or (positive and number <= 0):
        raise InvalidInput(f"{name}={value!r} must be a {'positive' if positive else 'finite'} number")
    return number


def _env_int(name: str, default: int) -> int:
    """A positive whole number from the environment (every int setting is a count or a limit)."""
    value = os.environ.get(name)
    try:
        number = int(value) if value else default
    except ValueError:
        raise InvalidInput(f"{name}={value!r} is not a whole number") from None
    if number <= 0:
        raise InvalidInput(f"{name}={value!r} must be above 0")
    return number


def _env_url(name: str) -> str:
    value = os.environ.get(name, "").strip().rstrip("/")
    if value and not value.lower().startswith(("http://", "https://")):
        raise InvalidInput(f"{name}={value!r} must be a full address such as http://192.168.1.20:7860")
    return value


@dataclass(frozen=True)
class Settings:
    """Where things live and how relive runs. Build with :func:`settings` (cached) or ``Settings.from_env()``."""

    assets_dir: Path = REPO_ROOT / "assets"
    models_dir: Path = REPO_ROOT / "models"
    # Per-process scratch space for results handed to users; emptied on delivery/expiry (privacy).
    temp_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "relive")
    retention_s: float = 600.0  # results (and uploads in Gradio's cache) are deleted this long after delivery
    device: str = "auto"
    kiosk: bool = False  # touch-screen booth: full screen, big targets, no API, idle reset (``python app.py --kiosk``)
    idle_s: float = 90.0  # kiosk: seconds without a touch before the page starts over (a fresh session)
    # Base URL phones reach this app at (e.g. the kiosk's LAN address ``http://192.168.1.20:7860``), for the QR code
    # on the album; "" = the address the browser used.
    public_url: str = ""
    dev: bool = False  # also offer generators made for tests (``tiny``) in the UI
    # AVATAR: look at every photo's face and pre-fill the gender/age choices (still editable). Off by default: a
    # guess shown at a public booth can embarrass; the visitor can still ask for it with a tap.
    face_analysis: bool = False
    # AVATAR generators: hub ids (looked up in the local HF cache, never downloaded) or local folders
    sdxl_base: str = "stabilityai/stable-diffusion-xl-base-1.0"
    sdxl_refiner: str = "stabilityai/stable-diffusion-xl-refiner-1.0"
    sdxl_vae: str = "madebyollin/sdxl-vae-fp16-fix"  # used in fp16 (CUDA) only
    sdxl_fast: str = "stabilityai/sdxl-turbo"
    lora: str = ""  # .safetensors file, folder or cached hub id; "" = none
    lora_scale: float = 1.0
    cpu_offload: bool = False  # enable_model_cpu_offload (CUDA only)
    download_weights: bool = False  # fetch missing hub weights with huggingface_hub (a Space); off: cache only
    vae_tiling: bool = False
    # CAROUSEL fusion model folder (config.json + model.safetensors); the shipped one by default
    fusion_model: Path = REPO_ROOT / "checkpoints" / "carousel-compact"
    # Pillow's decompression-bomb limit, set on purpose (about 16k × 16k).
    max_image_pixels: int = 268_000_000

    @classmethod
    def from_env(cls) -> Settings:
        """The settings the ``RELIVE_*`` environment variables describe (defaults for the unset ones)."""
        defaults = cls()
        return cls(
            assets_dir=_env_path("RELIVE_ASSETS", defaults.assets_dir),
            models_dir=_env_path("RELIVE_MODELS", defaults.models_dir),
            temp_dir=_env_path("RELIVE_TMP", defaults.temp_dir),
            retention_s=_env_float("RELIVE_RETENTION_S", defaults.retention_s, positive=True),
            device=os.environ.get("RELIVE_DEVICE", defaults.device),
            kiosk=_env_bool("RELIVE_KIOSK"),
            idle_s=_env_float("RELIVE_IDLE_S", defaults.idle_s, positive=True),
            public_url=_env_url("RELIVE_PUBLIC_URL"),
            dev=_env_bool("RELIVE_DEV"),
            face_analysis=_env_bool("RELIVE_FACE_ANALYSIS"),
            sdxl_base=os.environ.get("RELIVE_SDXL_BASE") or defaults.sdxl_base,
            sdxl_refiner=os.environ.get("RELIVE_SDXL_REFINER") or defaults.sdxl_refiner,
            sdxl_vae=os.environ.get("RELIVE_SDXL_VAE") or defaults.sdxl_vae,
            sdxl_fast=os.environ.get("RELIVE_SDXL_FAST") or defaults.sdxl_fast,
            lora=os.environ.get("RELIVE_LORA", ""),
            lora_scale=_env_float("RELIVE_LORA_SCALE", defaults.lora_scale),
            cpu_offload=_env_bool("RELIVE_CPU_OFFLOAD"),
            download_weights=_env_bool("RELIVE_DOWNLOAD_WEIGHTS"),
            vae_tiling=_env_bool("RELIVE_VAE_TILING"),
            fusion_model=_env_path("RELIVE_FUSION_MODEL", defaults.fusion_model),
            max_image_pixels=_env_int("RELIVE_MAX_IMAGE_PIXELS", defaults.max_image_pixels),
        )

    def with_(self, **changes) -> Settings:
        """A copy with some fields replaced (CLI flags)."""
        return replace(self, **changes)

    @property
    def pet_dir(self) -> Path:
        """The pet art: accessories.csv, creatures and accessory PNGs."""
        return self.assets_dir / "pet"


@lru_cache(maxsize=1)
def settings() -> Settings:
    """This process's settings, read once from the environment (``settings.cache_clear()`` re-reads)."""
    return Settings.from_env()


def model_slots() -> int:
    """How many model events (avatar, fuse, album: the ``"gpu"`` queue group) the app runs at once.

    ``RELIVE_MODEL_SLOTS`` if set. Otherwise one on a GPU (one diffusion at a time: a second would only share the
    same GPU and double its memory), and one per usable CPU core on a CPU-only box, where the instant avatar and the
    fusion model are CPU work and one slot left the second core idle (bench/load.py: /avatar waited 13 s at p50).
    Decided without importing torch (start-up stays fast): a GPU is CUDA or MPS asked for by ``RELIVE_DEVICE``,
    or, with ``auto``, an NVIDIA driver that lists a GPU (or macOS, for MPS).
    """
    if os.environ.get("RELIVE_MODEL_SLOTS"):
        return _env_int("RELIVE_MODEL_SLOTS", 1)
    device = settings().device.lower()
    gpu = device != "cpu" and (device != "auto" or _gpu_visible())
    return 1 if gpu else usable_cores()


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity, e.g. under ``taskset``), at least 1."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _gpu_visible() -> bool:
    import sys

    nvidia = Path("/proc/driver/nvidia/gpus")
    return sys.platform == "darwin" or (nvidia.is_dir() and any(nvidia.iterdir()))


def resolve_device(name: str | None = None) -> str:
    """``auto`` → cuda if available, else mps, else cpu. An explicit device that is not there raises."""
    import torch

    name = (name or settings().device).lower()
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidInput(f"device {name!r} asked for, but no CUDA GPU is visible; set RELIVE_DEVICE=auto or cpu")
    if name == "mps" and not torch.backends.mps.is_available():
        raise InvalidInput("device 'mps' asked for, but it is not available; set RELIVE_DEVICE=auto or cpu")
    if name.split(":")[0] not in {"cpu", "cuda", "mps"}:
        raise InvalidInput(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps")
    return name


def resolve_dtype(device: str):
    """fp16 only on CUDA; everything else runs in fp32."""
    import torch

    return torch.float16 if device.startswith("cuda") else torch.float32
