"""The fusion model's checkpoint format, without torch: a folder with ``config.json`` (a :class:`FusionConfig`)
and ``model.safetensors``. The app checks the shipped checkpoint at start-up with :func:`check_checkpoint`, so
that it can say what is missing before torch is ever imported (start-up stays fast); loading is in
:mod:`relive.backends.fusion.model`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from relive.errors import ModelUnavailable, UnknownName

ARCHS = ("compact", "resnet50-transformer")
ENCODERS = ("resnet50", "efficientnet-lite0")  # resnet50-transformer's encoder
MODEL_TYPE = "relive-carousel-fusion"
FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
TORCH_WEIGHTS_NAME = "model.pt"  # used only where safetensors is not installed


@dataclass
class FusionConfig:
    """Everything needed to rebuild a fusion model; saved as ``config.json`` beside the weights."""

    arch: str = "compact"
    in_channels: int = 7
    # The working resolution: the picture's longest side is brought down to it (aspect kept) before the network
    # sees it. compact: always; resnet50-transformer: only in `fuse` above 1024 px (training runs at the crop size).
    work_size: int = 256
    # compact: encoder widths, one per level (the first level runs at work_size/2).
    widths: tuple[int, ...] = (24, 48, 96, 192)
    curve_knots: int = 16  # segments of the per-channel tone curve
    global_hidden: int = 128
    # resnet50-transformer: its encoder, ResNet-50-shaped (base_width=64, blocks (3, 4, 6, 3) is ResNet-50), or
    # EfficientNet-Lite0, whose ImageNet weights are at hand where ResNet-50's cannot be had.
    encoder: str = "resnet50"
    base_width: int = 64
    blocks: tuple[int, ...] = (3, 4, 6, 3)
    d_model: int = 256
    n_heads: int = 8
    n_layers: int = 4
    pos_grid: int = 8  # learned positional embeddings on an 8×8 grid (a 256 px input), resized for other sizes
    dropout: float = 0.0

    def __post_init__(self):
        if self.arch not in ARCHS:
            raise UnknownName("fusion architecture", self.arch, ARCHS)
        if self.encoder not in ENCODERS:
            raise UnknownName("fusion encoder", self.encoder, ENCODERS)
        self.widths = tuple(int(w) for w in self.widths)
        self.blocks = tuple(int(b) for b in self.blocks)
        if self.in_channels != 7:
            raise ValueError(f"fusion models take 7 input channels (background, avatar, mask), not {self.in_channels}")

    def to_dict(self) -> dict:
        """The config as written to ``config.json``, with the format's type and version."""
        return {"model_type": MODEL_TYPE, "format_version": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict, source: str = "the config") -> FusionConfig:
        """Build from ``config.json`` contents; anything unknown raises ModelUnavailable naming it."""
        data = dict(data)
        if data.pop("model_type", MODEL_TYPE) != MODEL_TYPE:
            raise ModelUnavailable(f"{source} is not a relive carousel fusion model (model_type != {MODEL_TYPE!r})")
        version = data.pop("format_version", FORMAT_VERSION)
        if version > FORMAT_VERSION:
            raise ModelUnavailable(f"{source} has format_version {version}; this relive reads up to {FORMAT_VERSION}: "
                                   "upgrade relive")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelUnavailable(f"{source} has settings this relive does not know: {', '.join(unknown)}")
        if data.get("arch", "compact") not in ARCHS:
            raise ModelUnavailable(f"{source} asks for architecture {data['arch']!r}, which does not exist; "
                                   f"known architectures: {', '.join(ARCHS)}")
        try:
            return cls(**data)
        except (TypeError, ValueError) as err:
            raise ModelUnavailable(f"{source} is not a valid fusion config: {err}") from None


def read_config(directory: Path) -> FusionConfig:
    """The :class:`FusionConfig` of a checkpoint folder; a missing or bad config.json raises ModelUnavailable."""
    config_file = directory / CONFIG_NAME
    if not config_file.is_file():
        raise ModelUnavailable(f"no fusion model at {os.fspath(directory)!r}: {CONFIG_NAME} is missing "
                               "(a checkpoint folder holds config.json + model.safetensors)")
    try:
        data = json.loads(config_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelUnavailable(f"{os.fspath(config_file)!r} is corrupt ({err}); restore or retrain the checkpoint") from None
    if not isinstance(data, dict):
        raise ModelUnavailable(f"{os.fspath(config_file)!r} is not a JSON object; restore or retrain the checkpoint")
    return FusionConfig.from_dict(data, source=repr(os.fspath(config_file)))


def check_checkpoint(directory: Path) -> FusionConfig:
    """The checkpoint's config, after checking that the folder holds a valid ``config.json`` and a weights file;
    every problem → ModelUnavailable. Whether the weights fit the config is checked when the model loads."""
    if not directory.is_dir():
        raise ModelUnavailable(f"no fusion model at {os.fspath(directory)!r}")
    config = read_config(directory)
    if not any((directory / name).is_file() for name in (WEIGHTS_NAME, TORCH_WEIGHTS_NAME)):
        raise ModelUnavailable(f"no weights in {os.fspath(directory)!r}: {WEIGHTS_NAME} is missing")
    return config
