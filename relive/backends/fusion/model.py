"""The CAROUSEL fusion network: put a cut-out person into a scene so that it looks lit by that scene.

Input convention (training and inference): ``x`` is B×7×H×W float in [0, 1] — background RGB, avatar RGB (the
person's pixels, anything outside the mask is ignored), mask (1 = person). The copy-paste composite is
``bg·(1−m) + avatar·m``; every model returns B×3×H×W in [0, 1] and keeps the pixels outside the mask equal to the
background (it composes with the mask at the end).

Two architectures behind :class:`FusionConfig` ``arch``:

- ``compact`` (the default, fit for a CPU kiosk; in the spirit of PCT-Net and Harmonizer): a small CNN looks at
  the composite, the mask and the background at a low working resolution and predicts a *colour transform* —
  one tone curve per channel for the whole person plus a 3×4 affine colour matrix per pixel. The matrices are
  upsampled bilinearly and applied at full resolution, so a 4096 px photo costs one 256 px network pass plus a
  few multiply-adds per pixel. The output layers start at zero, which makes the transform the identity: the
  untrained model *is* copy-paste, and training can only move it away from there when that lowers the loss.
- ``resnet50-transformer`` (the original brief's architecture): a 7-channel ResNet-50-shaped encoder
  (bottleneck blocks [3, 4, 6, 3]), a Transformer over the stride-32 features with learned positional
  embeddings, and a skip-connected decoder that predicts the image (as a correction of the composite, again
  zero at the start). Trainable with the same script; too slow to ship for a CPU.

Checkpoints are folders, diffusers style: ``config.json`` (the :class:`FusionConfig`) + ``model.safetensors``.
:meth:`FusionModel.from_pretrained` rebuilds the model from the config and refuses weights that do not fit it.
"""

from __future__ import annotations

import abc
import json
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from relive import imaging
from relive.backends import Backend, Registry
from relive.backends.fusion.checkpoint import CONFIG_NAME, TORCH_WEIGHTS_NAME, WEIGHTS_NAME, FusionConfig, read_config
from relive.errors import ModelUnavailable

FULL_FORWARD_MAX_SIDE = 1024  # image models (not the compact one) run at full resolution up to this size

# ``correction(r0, r1, colours)``: the corrected colours of the avatar box's rows r0..r1 (box-relative), given
# their original colours (h×w×3 uint8 or float) → 3×h×w float tensor in [0, 1].
Correction = Callable[[int, int, np.ndarray], torch.Tensor]

FUSION: Registry[FusionModel] = Registry("fusion architecture")

# ---------------------------------------------------------------------------------------------------------------
# Shared pieces


def split_input(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """B×7×H×W → background, avatar, mask."""
    return x[:, 0:3], x[:, 3:6], x[:, 6:7]


def composite(bg: torch.Tensor, avatar: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The copy-paste composite: what the fusion model starts from."""
    return bg * (1 - mask) + avatar * mask


def fusion_input(bg: torch.Tensor, avatar: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Stack (B×)3/3/1×H×W tensors into the 7-channel model input."""
    return torch.cat([bg, avatar, mask], dim=-3)


class FusionModel(Backend, nn.Module):
    """Base class of the fusion architectures (registered in :data:`FUSION` under their ``arch`` name): config,
    parameter count, the checkpoint folder format, and :meth:`correction`, the one call ``fuse`` makes."""

    config: FusionConfig
    # Fine-tuning: BatchNorm layers keep the running statistics the model shipped with (see :meth:`train`).
    frozen_statistics: bool = False

    def train(self, mode: bool = True) -> FusionModel:
        """Training or inference mode, as torch's; with ``frozen_statistics`` the BatchNorm layers stay in inference
        mode, so a fine-tune on another mix of pictures cannot move the statistics every layer is normalised with."""
        super().train(mode)
        if mode and self.frozen_statistics:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    @abc.abstractmethod
    def correction(self, comp: np.ndarray, bg: np.ndarray, alpha: np.ndarray, origin: tuple[int, int],
                   box_size: tuple[int, int]) -> Correction:
        """How this model corrects the avatar's box (``box_size`` = (h, w), top-left ``origin``) of a full-size
        composite ``comp`` over ``bg`` (uint8 or float, the same for both) with ``alpha`` (float [0, 1]): run the
        network once here, then correct the box strip by strip at full resolution. Call under inference mode."""

    def num_parameters(self) -> int:
        """How many parameters the model has (for its description and model card)."""
        return sum(p.numel() for p in self.parameters())

    def save_pretrained(self, directory: str | os.PathLike) -> Path:
        """Write ``config.json`` + ``model.safetensors`` (``model.pt`` where safetensors is missing)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / CONFIG_NAME).write_text(json.dumps(self.config.to_dict(), indent=2) + "\n")
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        try:
            from safetensors.torch import save_file
        except ImportError:
            torch.save(state, directory / TORCH_WEIGHTS_NAME)
        else:
            save_file(state, os.fspath(directory / WEIGHTS_NAME), metadata={"format": "pt", "arch": self.config.arch})
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike, map_location: str = "cpu") -> FusionModel:
        """Rebuild the model ``config.json`` describes and load its weights; every problem → ModelUnavailable."""
        directory = Path(directory)
        config = read_config(directory)
        model = build_model(config)
        state = _read_weights(directory, map_location)
        _check_weights_fit(model, state, directory, config)
        model.load_state_dict(state)
        return model.eval()


def _read_weights(directory: Path, map_location: str) -> dict[str, torch.Tensor]:
    safetensors_file, torch_file = directory / WEIGHTS_NAME, directory / TORCH_WEIGHTS_NAME
    try:
        if safetensors_file.is_file():
            from safetensors.torch import load_file

            return load_file(os.fspath(safetensors_file), device=map_location)
        if torch_file.is_file():
            return torch.load(torch_file, map_location=map_location, weights_only=True)
    except Exception as err:  # safetensors and torch raise many kinds of errors for a damaged file
        raise ModelUnavailable(f"the weights in {os.fspath(directory)!r} are corrupt ({type(err).__name__}: {err}); "
                               "restore the checkpoint or retrain it") from None
    raise ModelUnavailable(f"no weights in {os.fspath(directory)!r}: {WEIGHTS_NAME} is missing")


def _check_weights_fit(model: nn.Module, state: dict, directory: Path, config: FusionConfig) -> None:
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [(k, tuple(state[k].shape), tuple(v.shape)) for k, v in expected.items()
             if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if not (missing or unexpected or wrong):
        return
    problems = []
    if wrong:
        k, got, want = wrong[0]
        problems.append(f"{len(wrong)} tensor(s) of the wrong shape, e.g. {k!r} is {list(got)} in the file but "
                        f"{list(want)} for this config")
    if missing:
        problems.append(f"{len(missing)} missing tensor(s), e.g. {missing[0]!r}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected tensor(s), e.g. {unexpected[0]!r}")
    raise ModelUnavailable(f"the weights in {os.fspath(directory)!r} do not match its config.json "
                           f"(arch={config.arch!r}): {'; '.join(problems)}. Save config and weights together "
                           "with save_pretrained()")


def build_model(config: FusionConfig | None = None, **overrides) -> FusionModel:
    """A freshly initialised model for ``config`` (default: the compact model)."""
    if config is None:
        config = FusionConfig(**overrides)
    elif overrides:
        config = FusionConfig(**{**asdict(config), **overrides})
    return FUSION.new_session(config.arch, config=config)


def conv_bn_relu(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """A 3×3 convolution, batch norm and ReLU: the building block of both architectures."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def zero_init(layer: nn.Module) -> nn.Module:
    """Output layers start at zero so that an untrained model returns the copy-paste composite exactly."""
    nn.init.zeros_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


# ---------------------------------------------------------------------------------------------------------------
# compact: a colour transform predicted at low resolution, applied at full resolution


@dataclass
class ColourTransform:
    """What the compact model predicts for a batch: per-channel tone curves and a low-resolution affine map.

    ``curves``: B×3×(K+1) offsets of the curve at K+1 evenly spaced knots (0 = identity).
    ``affine``: B×12×h×w offsets of a 3×4 colour matrix [A | b] from the identity (0 = identity).
    """

    curves: torch.Tensor
    affine: torch.Tensor

    def apply(self, fg: torch.Tensor, affine_full: torch.Tensor) -> torch.Tensor:
        """Transform B×3×… foreground colours with ``affine_full`` (B×12×…, already at the colours' resolution)."""
        return apply_affine(apply_curves(fg, self.curves), affine_full)

    def curve_table(self, levels: int = 256) -> torch.Tensor:
        """The tone curves evaluated at every 8-bit level, B×3×levels: exact for uint8 pixels, and far cheaper
        than interpolating per pixel at full resolution."""
        # k / (levels - 1) in float32, the same numbers as uint8 pixels divided by 255
        grey = torch.arange(levels, device=self.curves.device, dtype=self.curves.dtype) / (levels - 1)
        return apply_curves(grey.expand(self.curves.shape[0], 3, levels).contiguous(), self.curves)

    def affine_for_region(self, full_hw: tuple[int, int], rows: tuple[int, int], cols: tuple[int, int]) -> torch.Tensor:
        """The affine map upsampled to a ``full_hw`` picture, only for a rows×cols window of it."""
        return sample_region(self.affine, full_hw, rows, cols)


def sample_region(low: torch.Tensor, full_hw: tuple[int, int], rows: tuple[int, int], cols: tuple[int, int]) -> torch.Tensor:
    """A B×C×h×w map bilinearly upsampled to ``full_hw``, computed only for the window ``rows`` × ``cols``.

    Same sampling as ``F.interpolate(low, full_hw, mode="bilinear", align_corners=False)`` (pixel centres, border
    clamped), so strips of a 4096 px picture get exactly what training computed on whole crops.
    """
    height, width = full_hw
    ys = (torch.arange(rows[0], rows[1], device=low.device, dtype=torch.float64) + 0.5) * (2.0 / height) - 1.0
    xs = (torch.arange(cols[0], cols[1], device=low.device, dtype=torch.float64) + 0.5) * (2.0 / width) - 1.0
    grid = torch.empty(low.shape[0], len(ys), len(xs), 2, device=low.device, dtype=low.dtype)
    grid[..., 0] = xs.to(low.dtype)[None, None, :]
    grid[..., 1] = ys.to(low.dtype)[None, :, None]
    return F.grid_sample(low, grid, mode="bilinear", padding_mode="border", align_corners=False)


def apply_curves(colours: torch.Tensor, curves: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear per-channel tone curves: y = x + offset(x), offsets linear between K+1 knots."""
    batch, knots = colours.shape[0], curves.shape[-1]
    segments = knots - 1
    flat = colours.reshape(batch, 3, -1).clamp(0.0, 1.0)
    position = flat * segments
    index = position.floor().clamp(max=segments - 1)
    frac = position - index
    index = index.long()
    low = torch.gather(curves, 2, index)
    high = torch.gather(curves, 2, index + 1)
    return (flat + low + (high - low) * frac).reshape(colours.shape)


def apply_affine(colours: torch.Tensor, affine: torch.Tensor) -> torch.Tensor:
    """y = (I + dA)·x + db per pixel; ``affine`` holds dA row-major (9 channels) then db (3 channels).

    Written as in-place multiply-adds into one output: at 4096 px the temporaries of the naive form cost more
    than the arithmetic (autograd handles the in-place updates: nothing they overwrite is needed backwards).
    """
    out = colours + affine[:, 9:12]
    for i in range(3):
        row = out[:, i:i + 1]
        for j in range(3):
            row.addcmul_(affine[:, 3 * i + j:3 * i + j + 1], colours[:, j:j + 1])
    return out


def dilate(mask: torch.Tensor, width: int) -> torch.Tensor:
    """Square dilation as two 1-D max-pools (a width×width pool costs width² per pixel, this 2·width)."""
    mask = F.max_pool2d(mask, (1, width), stride=1, padding=(0, width // 2))
    return F.max_pool2d(mask, (width, 1), stride=1, padding=(width // 2, 0))


def working_size(height: int, width: int, work_size: int) -> tuple[int, int]:
    """The size the compact network sees: the longest side brought down to ``work_size``, aspect kept (never
    enlarged: a small picture is seen as it is)."""
    scale = min(1.0, work_size / max(height, width))
    return max(8, round(height * scale)), max(8, round(width * scale))


def area_resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """H×W(×C) uint8 or float32 array → ``size`` = (h, w): pixel-area averaging when shrinking (OpenCV INTER_AREA,
    exact for any factor), bilinear when enlarging. The one resize of the network's input, in training and use."""
    import cv2

    if image.shape[:2] == tuple(size):
        return image
    shrinking = size[0] * size[1] < image.shape[0] * image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    if image.ndim == 2:
        return cv2.resize(np.ascontiguousarray(image), (size[1], size[0]), interpolation=interpolation)
    # OpenCV resizes at most 4 channels at a time with some interpolations: stack of ≤ 4-channel slices
    parts = [cv2.resize(np.ascontiguousarray(image[..., c:c + 4]), (size[1], size[0]), interpolation=interpolation)
             for c in range(0, image.shape[2], 4)]
    return np.concatenate([p.reshape(size[0], size[1], -1) for p in parts], axis=2)


def network_view(comp: np.ndarray, alpha: np.ndarray, bg: np.ndarray, work_size: int) -> torch.Tensor:
    """The compact network's input, built by this one function in training and in use: the copy-paste composite,
    the mask and the background (H×W×3, H×W, H×W×3; uint8 or float [0, 1]) brought to the working size by
    :func:`area_resize` → 1×7×h×w float32 tensor. Resized before the float conversion: at 4096 px a float copy
    of the full picture would cost more than the network."""
    size = working_size(*alpha.shape[:2], work_size)

    def small(image: np.ndarray) -> np.ndarray:
        return imaging.to_float(area_resize(image, size))

    seen = np.concatenate([small(comp), small(alpha)[..., None], small(bg)], axis=2)
    return torch.from_numpy(np.ascontiguousarray(seen.transpose(2, 0, 1)))[None]


def channels_first(image: np.ndarray) -> torch.Tensor:
    """H×W×3 uint8/float array → 3×H×W float32 [0, 1] tensor."""
    chw = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    return chw.float().div_(255.0) if image.dtype == np.uint8 else chw.float()


def region_statistics(image: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Weighted per-channel mean and standard deviation: B×C×H×W, B×1×H×W → B×2C."""
    total = weight.sum(dim=(2, 3)) + eps
    mean = (image * weight).sum(dim=(2, 3)) / total
    var = ((image - mean[..., None, None]) ** 2 * weight).sum(dim=(2, 3)) / total
    return torch.cat([mean, (var + eps).sqrt()], dim=1)


@FUSION.register
class CompactFusion(FusionModel):
    """A small U-Net that predicts a :class:`ColourTransform`; see the module docstring."""

    name = "compact"

    N_STATS = 18  # mean + std of RGB over: the person, the whole scene, a ring of scene around the person

    def __init__(self, config: FusionConfig):
        super().__init__()
        self.config = config
        widths = config.widths
        # The network sees composite (3) + mask (1) + background (3); the first conv halves the resolution.
        self.stem = nn.Sequential(conv_bn_relu(7, widths[0], stride=2), conv_bn_relu(widths[0], widths[0]))
        self.down = nn.ModuleList(
            nn.Sequential(conv_bn_relu(widths[i - 1], widths[i], stride=2), conv_bn_relu(widths[i], widths[i]))
            for i in range(1, len(widths)))
        deepest = widths[-1]
        # Harmonising is mostly matching the person's statistics to the scene's: hand them to a global head.
        self.global_mlp = nn.Sequential(
            nn.Linear(2 * deepest + self.N_STATS, config.global_hidden), nn.ReLU(inplace=True),
            nn.Linear(config.global_hidden, config.global_hidden), nn.ReLU(inplace=True))
        self.global_to_features = nn.Linear(config.global_hidden, deepest)
        self.curve_head = zero_init(nn.Linear(config.global_hidden, 3 * (config.curve_knots + 1)))
        self.up = nn.ModuleList(
            conv_bn_relu(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(len(widths) - 1)))
        self.affine_head = nn.Sequential(nn.Conv2d(widths[0], widths[0], 3, 1, 1), nn.ReLU(inplace=True),
                                         zero_init(nn.Conv2d(widths[0], 12, 1)))

    def network_input(self, x: torch.Tensor) -> torch.Tensor:
        """B×7 model input → the B×7 working-resolution picture the CNN sees (composite, mask, background), made
        per item by :func:`network_view`, the function `fuse` uses too."""
        bg, avatar, mask = (part.detach().float().cpu() for part in split_input(x))
        comp = composite(bg, avatar, mask)
        channels_last = lambda t: t.permute(1, 2, 0).numpy()
        views = [network_view(channels_last(c), m[0].numpy(), channels_last(b), self.config.work_size)
                 for c, m, b in zip(comp, mask, bg)]
        return torch.cat(views).to(device=x.device, dtype=x.dtype)

    def predict_transform(self, seen: torch.Tensor) -> ColourTransform:
        """Working-resolution picture (from :meth:`network_input`) → the colour transform."""
        comp, mask, bg = seen[:, 0:3], seen[:, 3:4], seen[:, 4:7]
        skips = [self.stem(seen)]
        for block in self.down:
            skips.append(block(skips[-1]))
        deepest = skips[-1]
        small_mask = F.adaptive_avg_pool2d(mask, deepest.shape[-2:])
        ring = (dilate(mask, 2 * max(1, self.config.work_size // 16) + 1) - mask).clamp(min=0)
        stats = torch.cat([region_statistics(comp, mask), region_statistics(bg, torch.ones_like(mask)),
                           region_statistics(bg, ring)], dim=1)
        pooled = torch.cat([region_statistics(deepest, small_mask)[:, :deepest.shape[1]],
                            region_statistics(deepest, 1 - small_mask)[:, :deepest.shape[1]], stats], dim=1)
        context = self.global_mlp(pooled)
        features = deepest + self.global_to_features(context)[..., None, None]
        for block, skip in zip(self.up, reversed(skips[:-1])):
            features = F.interpolate(features, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            features = block(torch.cat([features, skip], dim=1))
        curves = self.curve_head(context).view(-1, 3, self.config.curve_knots + 1)
        return ColourTransform(curves=curves, affine=self.affine_head(features))

    def correction(self, comp, bg, alpha, origin, box_size) -> Correction:
        """The colour transform predicted once from the :func:`network_view` of the picture, its curves applied
        through a 256-level table (uint8) and its affine map sampled for each strip."""
        top, left = origin
        box_w = box_size[1]
        seen = network_view(comp, alpha, bg, self.config.work_size).to(next(self.parameters()).device)
        transform = self.predict_transform(seen)
        table = transform.curve_table()[0].float().cpu().numpy()  # 3×256: the curves for every 8-bit level

        def correct(r0: int, r1: int, colours: np.ndarray) -> torch.Tensor:
            affine = transform.affine_for_region(alpha.shape, (top + r0, top + r1), (left, left + box_w)).float().cpu()
            if colours.dtype == np.uint8:
                curved = torch.from_numpy(np.stack([table[c][colours[..., c]] for c in range(3)]))
            else:
                curved = apply_curves(channels_first(colours)[None], transform.curves.float().cpu())[0]
            return apply_affine(curved[None], affine)[0].clamp_(0.0, 1.0)

        return correct

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """B×7 input → the harmonised picture, with the transform applied at the input's resolution (training)."""
        bg, avatar, mask = split_input(x)
        transform = self.predict_transform(self.network_input(x))
        affine = F.interpolate(transform.affine, size=x.shape[-2:], mode="bilinear", align_corners=False)
        corrected = transform.apply(avatar, affine).clamp(0.0, 1.0)
        return composite(bg, corrected, mask)


# ---------------------------------------------------------------------------------------------------------------
# resnet50-transformer: the brief's architecture, in plain torch (module names follow torchvision's ResNet so a
# torchvision-format ResNet-50 state dict can initialise the encoder, see `load_resnet50_weights`)


class Bottleneck(nn.Module):
    """ResNet's bottleneck block (1×1, 3×3, 1×1 convolutions with a residual), named as torchvision's."""
    expansion = 4

    def __init__(self, cin: int, width: int, stride: int = 1):
        super().__init__()
        cout = width * self.expansion
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output: its three convolutions plus the (downsampled) input."""
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class ResNetEncoder(nn.Module):
    """ResNet-50 layout with a 7-channel stem; returns the features at strides 2, 4, 8, 16 and 32."""

    def __init__(self, in_channels: int, base_width: int, blocks: tuple[int, ...]):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, base_width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(base_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin, self.channels = base_width, [base_width]
        for i, count in enumerate(blocks):
            width = base_width * 2**i
            layer = nn.Sequential(*(Bottleneck(cin if j == 0 else width * 4, width, 2 if (j == 0 and i > 0) else 1)
                                    for j in range(count)))
            self.add_module(f"layer{i + 1}", layer)
            cin = width * 4
            self.channels.append(cin)
        self.n_layers = len(blocks)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The features at strides 2, 4, 8, 16 and 32, for the decoder's skips."""
        stem = self.relu(self.bn1(self.conv1(x)))
        features, out = [stem], self.maxpool(stem)
        for i in range(self.n_layers):
            out = getattr(self, f"layer{i + 1}")(out)
            features.append(out)
        return features


class EfficientNetEncoder(nn.Module):
    """EfficientNet-Lite0's body with a 7-channel stem; returns the features at strides 2, 4, 8, 16 and 32 (the
    :class:`ResNetEncoder` contract). The colour channels are brought to the ImageNet network's input scale."""

    def __init__(self, in_channels: int):
        super().__init__()
        from relive.backends.fusion.efficientnet import STEM, Conv2dSame, EfficientNetLite0

        self.body = EfficientNetLite0()
        self.body._conv_stem = Conv2dSame(in_channels, STEM, 3, 2, bias=False)
        del self.body._conv_head, self.body._bn1, self.body._fc  # the classifier is not used
        self.channels = [self.body._blocks[i]._bn2.num_features for i in self.body.feature_blocks]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The features at strides 2 to 32, with the colour channels normalised as ImageNet expects."""
        from relive.backends.fusion.efficientnet import normalise

        return self.body.features(torch.cat([normalise(x[:, :6]), x[:, 6:]], dim=1))


class TransformerBottleneck(nn.Module):
    """Self-attention over the stride-32 grid, with learned positional embeddings resized to any grid."""

    def __init__(self, channels: int, config: FusionConfig):
        super().__init__()
        d = config.d_model
        self.project_in = nn.Conv2d(channels, d, 1)
        self.position = nn.Parameter(torch.randn(1, d, config.pos_grid, config.pos_grid) * 0.02)
        layer = nn.TransformerEncoderLayer(d, config.n_heads, 4 * d, config.dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, config.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The deepest features after self-attention over every position (positional embeddings resized to fit)."""
        x = self.project_in(x)
        batch, d, h, w = x.shape
        position = self.position
        if position.shape[-2:] != (h, w):
            position = F.interpolate(position, size=(h, w), mode="bicubic", align_corners=False)
        tokens = (x + position).flatten(2).transpose(1, 2)
        tokens = self.norm(self.transformer(tokens))
        return tokens.transpose(1, 2).reshape(batch, d, h, w)


@FUSION.register
class ResNetTransformerFusion(FusionModel):
    """Encoder → Transformer → decoder with skips from every encoder stage and the input itself."""

    name = "resnet50-transformer"

    STRIDE = 32

    def __init__(self, config: FusionConfig):
        super().__init__()
        self.config = config
        if config.encoder == "efficientnet-lite0":
            self.encoder = EfficientNetEncoder(config.in_channels)
        else:
            self.encoder = ResNetEncoder(config.in_channels, config.base_width, config.blocks)
        channels = self.encoder.channels  # strides 2, 4, 8, 16, 32
        self.bottleneck = TransformerBottleneck(channels[-1], config)
        scale = config.base_width / 64
        decoder_widths = [max(8, int(w * scale)) for w in (256, 128, 64, 32, 16)]
        skip_channels = channels[-2::-1] + [config.in_channels]
        self.decoder = nn.ModuleList()
        cin = config.d_model
        for skip, width in zip(skip_channels, decoder_widths):
            self.decoder.append(nn.Sequential(conv_bn_relu(cin + skip, width), conv_bn_relu(width, width)))
            cin = width
        self.head = zero_init(nn.Conv2d(cin, 3, 3, 1, 1))

    def correction(self, comp, bg, alpha, origin, box_size) -> Correction:
        """An image-predicting model: full resolution for small pictures; otherwise it runs at its working size
        and its correction (output − composite) is upsampled and added to the avatar's colours."""
        top, left = origin
        box_w = box_size[1]
        height, width = alpha.shape
        device = next(self.parameters()).device
        if max(height, width) <= FULL_FORWARD_MAX_SIDE:
            size = (height, width)
        else:
            ratio = self.config.work_size / max(height, width)
            size = (max(32, round(height * ratio)), max(32, round(width * ratio)))
        bg_low, comp_low, alpha_low = (imaging.to_float(area_resize(a, size)) for a in (bg, comp, alpha))
        x = torch.from_numpy(np.concatenate([bg_low, comp_low, alpha_low[..., None]], axis=2)).permute(2, 0, 1)[None]
        x = x.to(device)
        delta_low = (self(x).float() - x[:, 3:6]).clamp(-1, 1)  # inside the mask the composite is the avatar

        def correct(r0: int, r1: int, colours: np.ndarray) -> torch.Tensor:
            if size == (height, width):
                delta = delta_low[0, :, top + r0:top + r1, left:left + box_w]
            else:
                delta = sample_region(delta_low, (height, width), (top + r0, top + r1), (left, left + box_w))[0]
            return (channels_first(colours) + delta.cpu()).clamp_(0.0, 1.0)

        return correct

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """B×7 input → the harmonised picture: the composite plus the predicted correction inside the mask."""
        bg, avatar, mask = split_input(x)
        height, width = x.shape[-2:]
        padded = _pad_to_multiple(x, self.STRIDE)
        skips = self.encoder(padded)
        out = self.bottleneck(skips[-1])
        for block, skip in zip(self.decoder, skips[-2::-1] + [padded]):
            out = F.interpolate(out, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            out = block(torch.cat([out, skip], dim=1))
        correction = self.head(out)[..., :height, :width]
        predicted = (composite(bg, avatar, mask) + correction).clamp(0.0, 1.0)
        return composite(bg, predicted, mask)


def _pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    pad_h, pad_w = (-x.shape[-2]) % multiple, (-x.shape[-1]) % multiple
    if not (pad_h or pad_w):
        return x
    return F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")


def load_resnet50_weights(model: ResNetTransformerFusion, path: str | os.PathLike) -> int:
    """Initialise the encoder from a torchvision-format ResNet-50 state dict; returns how many tensors loaded.

    The RGB stem filters are shared by the background and avatar channels (halved, so the response to a plain
    composite stays the same) and the mask channel starts at zero.
    """
    if model.config.base_width != 64 or model.config.blocks != (3, 4, 6, 3):
        raise ModelUnavailable("ResNet-50 weights fit only base_width=64, blocks=(3, 4, 6, 3)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ModelUnavailable(f"cannot read ResNet-50 weights from {os.fspath(path)!r}: {err}") from None
    state = state.get("state_dict", state)
    target = model.encoder.state_dict()
    rgb = state.get("conv1.weight")
    if rgb is None or tuple(rgb.shape) != (64, 3, 7, 7):
        raise ModelUnavailable(f"{os.fspath(path)!r} is not a torchvision ResNet-50 state dict (no 64×3×7×7 conv1)")
    stem = torch.zeros_like(target["conv1.weight"])
    stem[:, 0:3], stem[:, 3:6] = rgb / 2, rgb / 2
    loaded = {"conv1.weight": stem}
    for key, value in state.items():
        if key in target and key != "conv1.weight" and tuple(value.shape) == tuple(target[key].shape):
            loaded[key] = value
    model.encoder.load_state_dict(loaded, strict=False)
    return len(loaded)


def load_efficientnet_encoder_weights(model: ResNetTransformerFusion, path: str | os.PathLike | None = None) -> int:
    """Initialise an EfficientNet-Lite0 encoder from the ImageNet weights (:mod:`relive.backends.fusion.efficientnet`);
    returns how many tensors loaded. As for ResNet-50, the RGB stem filters are shared by background and avatar
    (halved) and the mask channel starts at zero."""
    from relive.backends.fusion.efficientnet import load_efficientnet_lite0

    if not isinstance(model.encoder, EfficientNetEncoder):
        raise ModelUnavailable("EfficientNet-Lite0 weights fit only a model built with encoder='efficientnet-lite0'")
    pretrained = load_efficientnet_lite0(path).state_dict()
    target = model.encoder.body.state_dict()
    rgb = pretrained["_conv_stem.weight"]
    stem = torch.zeros_like(target["_conv_stem.weight"])
    stem[:, 0:3], stem[:, 3:6] = rgb / 2, rgb / 2
    loaded = {"_conv_stem.weight": stem, **{k: v for k, v in pretrained.items() if k in target and k != "_conv_stem.weight"}}
    model.encoder.body.load_state_dict(loaded)
    return len(loaded)


def count_parameters(config: FusionConfig) -> int:
    """How many parameters a model of ``config`` has, without training it."""
    return build_model(config).num_parameters()


def describe(model: FusionModel) -> str:
    """One line naming the architecture, its size and its fp32 weight in MB, for logs."""
    millions = model.num_parameters() / 1e6
    return f"{model.config.arch} fusion model, {millions:.2f} M parameters ({math.ceil(millions * 4)} MB in fp32)"
