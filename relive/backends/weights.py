"""Where model weights come from, resolved in one place: the models folder, Hugging Face hub ids in the local
cache, local diffusers folders, LoRA files, and how much memory a set of weights takes.

Nothing here downloads, except a Space that opts in (``RELIVE_DOWNLOAD_WEIGHTS=1``): a hub id counts as present
only when the Hugging Face cache already holds it (checked without network). A missing file raises
:class:`relive.errors.ModelUnavailable` whose text names the command to run or the ``RELIVE_*`` variable to set.
The hub ids themselves are defined once, as the defaults of :class:`relive.config.Settings`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from relive.config import Settings, settings
from relive.errors import ModelUnavailable

FETCH_HINT = "run `make models` (or `python tools/fetch_models.py`)"


def models_file(filename: str) -> Path:
    """Where a model file lives: the models folder (``RELIVE_MODELS``, default ``models/``)."""
    return settings().models_dir / filename


# The hub ids are defined once, as the settings' defaults (relive.config.Settings); these names only point at them.
SDXL_BASE = Settings.sdxl_base
SDXL_REFINER = Settings.sdxl_refiner
SDXL_VAE_FP16_FIX = Settings.sdxl_vae
SDXL_TURBO = Settings.sdxl_fast


def setting(name: str, default: str = "") -> str:
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
    """Whether HF_HUB_OFFLINE forbids the network (then a missing hub id can only be copied in)."""
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
        """True when the setting names a local folder rather than a hub id."""
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
        """How to get these weights: the `hf download` command, or the folder setting to point."""
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
