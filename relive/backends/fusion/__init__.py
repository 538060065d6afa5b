"""The CAROUSEL fusion model family: trained networks that harmonise a cut-out person with a scene.

- :mod:`relive.backends.fusion.checkpoint` — the torch-free checkpoint format (``config.json`` + weights) and its
  checks, so the app can check the shipped model at start-up without importing torch;
- :mod:`relive.backends.fusion.model` — the architectures behind the :data:`~relive.backends.fusion.model.FUSION`
  registry (``compact``, shipped; ``resnet50-transformer``, the brief's design), each with the one call
  ``correction`` that ``relive.carousel.fuse`` makes;
- :mod:`relive.backends.fusion.efficientnet` — EfficientNet-Lite0 ImageNet features (an encoder, and the
  perceptual loss in training);
- here: loading a checkpoint folder once per folder and device, into the one model cache
  (:data:`relive.backends.cache.MODELS`).

Importing this package is cheap: torch is imported only when a model is loaded.
"""

from __future__ import annotations

import os
from pathlib import Path

from relive.backends.cache import MODELS
from relive.config import resolve_device, settings
from relive.errors import ModelUnavailable

FUSION_MODELS = "fusion model"  # the loaded checkpoints' family in the model cache
MODEL_FIX = ("restore the shipped model with `git checkout -- checkpoints/carousel-compact`, or train one with "
             "`relive train --data DIR --out RUN` and pass RUN/best (or set RELIVE_FUSION_MODEL to it)")


def load_fusion_model(path: str | os.PathLike | None = None, device: str | None = None):
    """The fusion model in checkpoint folder ``path`` (default: ``settings().fusion_model``, the shipped one unless
    RELIVE_FUSION_MODEL says otherwise), cached per folder and device.

    A missing or damaged checkpoint raises :class:`ModelUnavailable` saying how to get a good one.
    """
    directory = Path(path) if path is not None else settings().fusion_model
    device = resolve_device(device)
    key = (os.fspath(directory.resolve()), device)
    return MODELS.get(FUSION_MODELS, key, lambda: _load(directory, device))


def check_fusion_model(path: str | os.PathLike | None = None) -> None:
    """Raise :class:`ModelUnavailable`, with the fix, when the fusion checkpoint (as in :func:`load_fusion_model`)
    is missing or damaged, without importing torch: the app checks at start-up and loads on first use."""
    from relive.backends.fusion.checkpoint import check_checkpoint

    try:
        check_checkpoint(Path(path) if path is not None else settings().fusion_model)
    except ModelUnavailable as err:
        raise ModelUnavailable(f"{err}; {MODEL_FIX}") from None


def _load(directory: Path, device: str):
    from relive.backends.fusion.model import FusionModel

    if not directory.is_dir():
        raise ModelUnavailable(f"no fusion model at {os.fspath(directory)!r}; {MODEL_FIX}")
    try:
        model = FusionModel.from_pretrained(directory)
    except ModelUnavailable as err:
        raise ModelUnavailable(f"{err}; {MODEL_FIX}") from None
    return model.to(device).eval()


def clear_model_cache() -> None:
    """Forget the loaded fusion models (the next call loads again)."""
    MODELS.clear(FUSION_MODELS)
