"""The training loss of the brief: L1 + λ_p·perceptual + λ_m·masked L1.

The perceptual term is one of: VGG16 features, when a torchvision-format VGG16 weights file is given
(``vgg16-397923af.pth`` or any state dict with ``features.N.weight`` keys; no package ships them);
EfficientNet-Lite0 ImageNet features (``perceptual="efficientnet"``, the weights `make models` fetches); or, by
default, structural — one minus SSIM, weighted towards the person. The choice is logged, never silent.
"""

from __future__ import annotations

import logging
import os

import torch
import torch.nn.functional as F
from torch import nn

from relive.errors import InvalidInput, ModelUnavailable

log = logging.getLogger(__name__)

# VGG16 "features" as torchvision numbers them: conv layers (in, out) and where the max-pools sit.
VGG16_LAYOUT = [(3, 64), (64, 64), "M", (64, 128), (128, 128), "M", (128, 256), (256, 256), (256, 256), "M",
                (256, 512), (512, 512), (512, 512), "M", (512, 512), (512, 512), (512, 512), "M"]
VGG16_TAPS = (3, 8, 15, 22)  # relu1_2, relu2_2, relu3_3, relu4_3 in torchvision's numbering
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class VGG16Features(nn.Module):
    """VGG16's convolutional part in plain torch, returning the activations at ``VGG16_TAPS``; frozen."""

    def __init__(self, taps: tuple[int, ...] = VGG16_TAPS):
        super().__init__()
        layers: list[nn.Module] = []
        for item in VGG16_LAYOUT:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(item[0], item[1], 3, padding=1), nn.ReLU(inplace=False)]
            if len(layers) > max(taps):
                break
        self.features = nn.Sequential(*layers)
        self.taps = set(taps)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> VGG16Features:
        """Load the ``features.*`` tensors of a torchvision-format VGG16 state dict."""
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:
            raise ModelUnavailable(f"cannot read VGG16 weights from {os.fspath(path)!r} ({err}); give a "
                                   "torchvision-format vgg16 .pth file, or leave --vgg-weights out") from None
        model = cls()
        wanted = model.features.state_dict()
        picked = {k.removeprefix("features."): v for k, v in state.items() if k.removeprefix("features.") in wanted}
        missing = sorted(set(wanted) - set(picked))
        if missing:
            raise ModelUnavailable(f"{os.fspath(path)!r} is not a torchvision VGG16 state dict "
                                   f"(missing features.{missing[0]})")
        model.features.load_state_dict(picked)
        model.requires_grad_(False)
        return model.eval()

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        """The activations at the perceptual loss's taps, for an RGB [0, 1] batch."""
        x = (image - self.mean) / self.std
        taps = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in self.taps:
                taps.append(x)
        return taps

    def train(self, mode: bool = True) -> VGG16Features:
        """Stays in eval mode: a frozen feature extractor."""
        return super().train(False)  # a frozen feature extractor stays in eval mode


class EfficientNetFeatures(nn.Module):
    """The first three stages of ImageNet EfficientNet-Lite0 (strides 2, 4, 8: colour, edges, textures), frozen:
    the perceptual measure where no VGG16 weights exist."""

    STAGES = 3

    def __init__(self, path: str | os.PathLike | None = None):
        super().__init__()
        from relive.backends.fusion.efficientnet import load_efficientnet_lite0

        self.net = load_efficientnet_lite0(path).requires_grad_(False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        """The activations of the first stages, for an RGB [0, 1] batch."""
        from relive.backends.fusion.efficientnet import normalise

        return self.net.features(normalise(image))[: self.STAGES]

    def train(self, mode: bool = True) -> EfficientNetFeatures:
        """Stays in eval mode: a frozen feature extractor."""
        return super().train(False)  # a frozen feature extractor stays in eval mode


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """The 1-D Gaussian of SSIM; applied along rows then columns (separable: 2·11 instead of 121 taps)."""
    coords = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def ssim_map(a: torch.Tensor, b: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Per-pixel SSIM (Wang et al. 2004, Gaussian window, images in [0, 1]), averaged over channels: B×1×H×W."""
    channels = a.shape[1]
    pad = window.shape[-1] // 2
    rows = window.to(a).view(1, 1, 1, -1).expand(channels, 1, 1, -1)
    cols = window.to(a).view(1, 1, -1, 1).expand(channels, 1, -1, 1)

    def blur(x):
        x = F.conv2d(F.pad(x, (pad, pad, 0, 0), mode="reflect"), rows, groups=channels)
        return F.conv2d(F.pad(x, (0, 0, pad, pad), mode="reflect"), cols, groups=channels)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return ssim.mean(dim=1, keepdim=True)


def masked_mean(values: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Mean of ``values`` weighted by ``weight`` (broadcast over channels), per image, then over the batch."""
    weight = weight.expand_as(values)
    per_image = (values * weight).flatten(1).sum(1) / (weight.flatten(1).sum(1) + eps)
    return per_image.mean()


class FusionLoss(nn.Module):
    """``l1 + lambda_p · perceptual + lambda_m · masked_l1``; ``forward`` returns (total, parts for logging).

    ``perceptual`` is VGG16 feature L1 when ``vgg_weights`` is given, EfficientNet-Lite0 feature L1 when
    ``perceptual == "efficientnet"``, else 1 − SSIM weighted towards the mask (the person counts fully, the rest of
    the picture a little, so a missing mask is still defined).
    """

    DESCRIPTIONS = {"vgg16": "VGG16 perceptual (relu1_2/2_2/3_3/4_3 feature L1)",
                    "efficientnet": "EfficientNet-Lite0 perceptual (stride 2/4/8 feature L1)",
                    "ssim": "structural 1 − SSIM (no perceptual network chosen)"}

    def __init__(self, lambda_p: float = 0.2, lambda_m: float = 2.0, vgg_weights: str | os.PathLike | None = None,
                 perceptual: str = "ssim"):
        super().__init__()
        if perceptual not in self.DESCRIPTIONS or perceptual == "vgg16":
            raise InvalidInput(f"perceptual={perceptual!r}: use 'ssim' or 'efficientnet' (VGG16: give --vgg-weights)")
        self.lambda_p, self.lambda_m = lambda_p, lambda_m
        self.features = (VGG16Features.from_file(vgg_weights) if vgg_weights
                         else EfficientNetFeatures() if perceptual == "efficientnet" else None)
        self.kind = "vgg16" if vgg_weights else perceptual
        self.register_buffer("window", gaussian_window(), persistent=False)

    def describe(self) -> str:
        """The loss as a formula, for the training log."""
        return f"loss = L1 + {self.lambda_p}·{self.DESCRIPTIONS[self.kind]} + {self.lambda_m}·masked L1"

    def forward(self, output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """The total loss and its parts (L1, perceptual, masked L1) for logging."""
        output, target, mask = output.float(), target.float(), mask.float()
        error = (output - target).abs()
        l1 = error.mean()
        masked_l1 = masked_mean(error, mask)
        perceptual = self._perceptual(output, target, mask) if self.lambda_p else output.new_zeros(())
        total = l1 + self.lambda_p * perceptual + self.lambda_m * masked_l1
        parts = {"l1": l1.detach(), "masked_l1": masked_l1.detach(), self.kind: perceptual.detach()}
        return total, parts

    def _perceptual(self, output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.features is not None:
            with torch.no_grad():
                target_features = self.features(target)
            return sum(F.l1_loss(a, b) for a, b in zip(self.features(output), target_features))
        weight = mask * 0.95 + 0.05
        return masked_mean(1 - ssim_map(output, target, self.window), weight)
