"""`relive fuse` as a library: placement, odd sizes and modes, the shadow, big backgrounds, the model cache.

Mechanics are tested with a freshly initialised compact model whose output layers are nudged (so the correction
is visible); the last tests use the shipped checkpoint (checkpoints/carousel-compact, see its model card).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from relive.backends import fusion
from relive.backends.fusion import load_fusion_model
from relive.carousel.fuse import fuse, harmonise, parse_position
from relive.backends.fusion.model import FusionConfig, build_model
from relive.errors import InvalidImage, InvalidInput, ModelUnavailable


@pytest.fixture(scope="module")
def model():
    """A compact model whose colour transform is not the identity: warmer and brighter everywhere."""
    model = build_model(FusionConfig(work_size=64, widths=(8, 16, 32))).eval()
    with torch.no_grad():
        model.affine_head[-1].bias.copy_(torch.tensor([0.1, 0, 0, 0, 0, 0, 0, 0, -0.1, 0.05, 0.02, 0.0]))
    return model


def cutout(width: int, height: int, colour=(200, 140, 110)) -> Image.Image:
    """A person-ish RGBA cut-out: an opaque ellipse on a transparent canvas with margins."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((width * 0.3, height * 0.1, width * 0.7, height * 0.95), fill=colour + (255,))
    return image


def scene(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(40, 200, width, dtype=np.float32)[None, :, None]
    pixels = ramp + rng.normal(0, 8, (height, width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def test_fuse_on_an_odd_sized_background(model):
    bg = scene(517, 333)
    result = fuse(bg, cutout(200, 400), model=model, shadow=False)
    assert result.image.mode == "RGB" and result.image.size == (517, 333) and result.composite.size == (517, 333)
    fused, comp, original = (np.asarray(i).astype(int) for i in (result.image, result.composite, bg))
    inside = result.mask > 0
    assert np.array_equal(fused[~inside], original[~inside])  # no shadow: the rest of the picture is untouched
    assert np.array_equal(comp[~inside], original[~inside])
    assert np.abs(fused[inside] - comp[inside]).mean() > 5  # the model's correction happened inside
    placement = result.placement
    assert placement.height == round(0.6 * 333) and not placement.in_place
    rows, cols = np.nonzero(inside)
    assert abs(rows.max() + 1 - 0.95 * 333) <= 2 and abs((cols.min() + cols.max() + 1) / 2 - 517 / 2) <= 2
    assert result.notices == []


def test_an_rgb_avatar_without_alpha_is_refused_with_the_fix(model, tmp_path):
    rgb = Image.new("RGB", (100, 200), (128, 128, 128))
    with pytest.raises(InvalidImage, match="RGBA cut-out"):
        fuse(scene(300, 200), rgb, model=model)
    rgb.save(tmp_path / "avatar.png")
    with pytest.raises(InvalidImage, match="RGBA cut-out"):
        fuse(scene(300, 200), tmp_path / "avatar.png", model=model)
    with pytest.raises(InvalidImage, match="fully transparent"):
        fuse(scene(300, 200), Image.new("RGBA", (50, 50)), model=model)


def test_an_avatar_larger_than_the_background(model):
    big = cutout(2000, 3000)
    result = fuse(scene(300, 200), big, model=model)
    assert result.placement.height == round(0.6 * 200) and result.notices == []
    result = fuse(scene(300, 200), big, model=model, scale=1.5)  # 150 % of the height cannot fit: shrunk
    assert result.placement.height <= 200 and result.placement.width <= 300
    assert len(result.notices) == 1 and "scaled down to fit" in result.notices[0]
    assert (result.mask > 0).any()


def test_position_and_scale(model):
    result = fuse(scene(400, 300), cutout(100, 200), model=model, position=(100, 250), scale=0.5)
    rows, cols = np.nonzero(result.mask)
    assert result.placement.height == 150
    assert abs(rows.max() + 1 - 250) <= 2 and abs((cols.min() + cols.max() + 1) / 2 - 100) <= 2
    edge = fuse(scene(400, 300), cutout(100, 200), model=model, position=(0, 300))  # half of it past the edge
    assert (edge.mask > 0).any() and edge.mask[:, 200:].max() == 0
    assert parse_position(" 12.5, 40") == (12.5, 40.0)
    with pytest.raises(InvalidInput, match="X,Y"):
        parse_position("12;40")


@pytest.mark.parametrize("position", [(-1, 100), (401, 100), (200, 301), (200, -5)])
def test_a_position_outside_the_frame_is_an_error(model, position):
    with pytest.raises(InvalidInput, match=r"outside the 400×300 background"):
        fuse(scene(400, 300), cutout(100, 200), model=model, position=position)


def test_bad_scale_is_an_error(model):
    with pytest.raises(InvalidInput, match="positive"):
        fuse(scene(400, 300), cutout(100, 200), model=model, scale=0)


def test_a_same_size_avatar_is_used_in_place(model):
    avatar = Image.new("RGBA", (320, 240), (0, 0, 0, 0))
    ImageDraw.Draw(avatar).rectangle((20, 30, 90, 200), fill=(250, 60, 60, 255))
    result = fuse(scene(320, 240), avatar, model=model)
    assert result.placement.in_place
    assert np.array_equal(result.mask, np.asarray(avatar.getchannel("A")))  # exactly where it was
    background = np.asarray(scene(320, 240))
    assert np.array_equal(np.asarray(result.image)[result.mask == 0], background[result.mask == 0])  # no shadow
    moved = fuse(scene(320, 240), avatar, model=model, position=(160, 240))  # a position means: place it
    assert not moved.placement.in_place


def test_shadow_on_and_off(model):
    bg, avatar = scene(400, 300), cutout(100, 200)
    with_shadow = fuse(bg, avatar, model=model)  # placed avatars get a shadow by default
    without = fuse(bg, avatar, model=model, shadow=False)
    outside = (with_shadow.mask == 0)
    a, b = (np.asarray(r.composite).astype(int) for r in (with_shadow, without))
    darker = (b - a)[outside].sum(axis=-1)
    assert darker.min() >= 0 and darker.max() > 30  # only ever darkens, and visibly
    rows = np.nonzero((b - a).sum(axis=-1) > 0)[0]
    feet = with_shadow.placement.y
    assert rows.min() > feet - 0.25 * with_shadow.placement.height and rows.max() < feet + 20  # at the feet


def test_a_4096_px_background(model):
    result = fuse(Image.new("RGB", (4096, 3072), (70, 90, 120)), cutout(1024, 1024), model=model)
    assert result.image.size == (4096, 3072) and result.placement.height == round(0.6 * 3072)
    assert result.notices == []


def test_a_background_over_4096_px_is_scaled_down_with_a_notice(model):
    result = fuse(Image.new("RGB", (5000, 400), (70, 90, 120)), cutout(100, 200), model=model)
    assert result.image.size == (4096, round(400 * 4096 / 5000)) and "scaled down" in result.notices[0]


def test_harmonise_matches_the_model_and_keeps_the_background(model):
    rng = np.random.default_rng(0)
    bg, avatar = rng.random((64, 64, 3), dtype=np.float32), rng.random((64, 64, 3), dtype=np.float32)
    mask = np.zeros((64, 64), np.float32)
    mask[10:50, 20:40] = 1
    out = harmonise(model, bg, avatar, mask)
    assert out.dtype == np.float32 and out.shape == (64, 64, 3)
    assert np.array_equal(out[mask == 0], bg[mask == 0])
    x = torch.from_numpy(np.concatenate([bg, avatar, mask[..., None]], axis=2)).permute(2, 0, 1)[None]
    with torch.no_grad():
        expected = model(x)[0].permute(1, 2, 0).numpy()
    assert np.abs(out - expected).max() < 1e-5  # strips at full resolution = the training-time forward
    assert np.array_equal(harmonise(model, bg, avatar, np.zeros((64, 64))), bg)
    assert np.allclose(harmonise(model, bg, avatar, (mask * 255).astype(np.uint8)), out)
    with pytest.raises(InvalidInput, match="same size"):
        harmonise(model, bg, avatar[:32], mask)


def test_harmonise_with_the_image_predicting_architecture():
    model = build_model(FusionConfig(arch="resnet50-transformer", base_width=8, d_model=32, n_heads=4,
                                     n_layers=1)).eval()
    rng = np.random.default_rng(1)
    bg, avatar = rng.random((70, 90, 3), dtype=np.float32), rng.random((70, 90, 3), dtype=np.float32)
    mask = np.zeros((70, 90), np.float32)
    mask[10:60, 30:60] = 1
    out = harmonise(model, bg, avatar, mask)  # untrained = copy-paste
    assert np.abs(out - (bg * (1 - mask[..., None]) + avatar * mask[..., None])).max() < 1e-6
    result = fuse(scene(1500, 1000), cutout(100, 200), model=model)  # over 1024 px: working size + correction
    assert result.image.size == (1500, 1000)


def test_model_loading_errors_and_cache(tmp_path, model):
    with pytest.raises(ModelUnavailable, match="no fusion model.*relive train"):
        load_fusion_model(tmp_path / "missing")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{oops")
    with pytest.raises(ModelUnavailable, match="corrupt.*git checkout"):
        load_fusion_model(tmp_path / "broken")
    model.save_pretrained(tmp_path / "good")
    first = load_fusion_model(tmp_path / "good", device="cpu")
    assert load_fusion_model(tmp_path / "good", device="cpu") is first
    fusion.clear_model_cache()
    assert load_fusion_model(tmp_path / "good", device="cpu") is not first


def test_importing_fuse_does_not_import_torch():
    code = "import sys, relive.carousel.fuse; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fuse_with_the_shipped_checkpoint():
    model = load_fusion_model()
    assert model.config.arch == "compact"
    result = fuse(scene(517, 333), cutout(300, 600, colour=(90, 200, 90)))
    assert result.image.size == (517, 333)
    inside = result.mask > 0
    assert np.abs(np.asarray(result.image).astype(int) - np.asarray(result.composite))[inside].mean() > 0.5


@pytest.mark.slow  # 8.5 s of CPU (per-test CPU time, process + children)
def test_the_shipped_checkpoint_beats_copy_paste_on_real_people_it_never_saw():
    from relive.carousel.training import baselines, evaluate

    pairs = evaluate.heldout_people_pairs(seed=0, variants=3)
    methods = {"copy_paste": baselines.copy_paste, "model": lambda bg, av, m: harmonise(load_fusion_model(), bg, av, m)}
    scores = evaluate.evaluate_pairs(pairs, methods)["metrics"]
    assert scores["model"]["fmse"] < 0.9 * scores["copy_paste"]["fmse"]


def test_relive_fusion_model_points_at_another_checkpoint(tmp_path, monkeypatch):
    from relive.config import settings

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    monkeypatch.setenv("RELIVE_FUSION_MODEL", str(broken))
    settings.cache_clear()
    try:
        with pytest.raises(ModelUnavailable, match="corrupt.*restore"):
            load_fusion_model()
        monkeypatch.setenv("RELIVE_FUSION_MODEL", str(tmp_path / "absent"))
        settings.cache_clear()
        with pytest.raises(ModelUnavailable, match="no fusion model.*RELIVE_FUSION_MODEL"):
            fuse(scene(64, 64), cutout(20, 40))
    finally:
        settings.cache_clear()


def test_a_front_layer_goes_over_the_fused_person(model):
    bg = scene(320, 200)
    front = np.zeros((200, 320, 4), np.uint8)
    front[150:, :160] = (0, 0, 255, 255)  # opaque over the bottom-left
    front[150:, 160:] = (0, 0, 255, 0)  # transparent: colour there must not leak
    result = fuse(bg, cutout(100, 200), model=model, front=Image.fromarray(front, "RGBA"), shadow=False)
    fused, before = np.asarray(result.image), np.asarray(result.composite)
    assert (fused[150:, :160] == (0, 0, 255)).all() and (before[150:, :160] == (0, 0, 255)).all()
    assert (result.mask[150:, :160] == 0).all() and (result.mask[150:, 160:] > 0).any()
    plain = fuse(bg, cutout(100, 200), model=model, shadow=False)
    assert np.array_equal(fused[:150], np.asarray(plain.image)[:150])  # above the layer nothing changes
    assert np.array_equal(fused[150:, 160:], np.asarray(plain.image)[150:, 160:])


def test_a_front_layer_of_another_size_is_refused(model):
    with pytest.raises(InvalidInput, match="front layer is 100×100"):
        fuse(scene(320, 200), cutout(100, 200), model=model, front=Image.new("RGBA", (100, 100)))
