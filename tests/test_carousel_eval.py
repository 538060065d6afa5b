"""CAROUSEL evaluation: metrics against hand-computed values, the baselines, evaluate() and its report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from relive.carousel.training import baselines, collage, evaluate, metrics
from relive.carousel.training.perturb import lab_stats
from relive.errors import InvalidInput

# --- metrics ---------------------------------------------------------------------------------------------------------

def test_mse_and_psnr_by_hand():
    gt = np.full((2, 2, 3), 0.1, np.float32)
    out = np.zeros_like(gt)
    assert metrics.mse(out, gt) == pytest.approx(25.5**2)                  # 0.1 on 0–255 is 25.5
    assert metrics.psnr(out, gt) == pytest.approx(10 * math.log10(255**2 / 25.5**2))  # = 20 dB
    assert metrics.psnr(out, gt) == pytest.approx(20.0)
    assert metrics.psnr(gt, gt) == metrics.PSNR_CAP and metrics.mse(gt, gt) == 0.0


def test_fmse_counts_only_masked_pixels():
    gt = np.zeros((2, 3, 3), np.float32)
    out = gt.copy()
    mask = np.zeros((2, 3), np.float32)
    mask[0, :2] = 1                        # two foreground pixels
    out[1, 2] = 1.0                        # an error outside the mask: ignored by fMSE
    assert metrics.fmse(out, gt, mask) == 0.0
    out[0, 0] = 0.2                        # 51 on 0–255 in all three channels of one of the two pixels
    assert metrics.fmse(out, gt, mask) == pytest.approx(51**2 / 2)
    assert metrics.mse(out, gt) == pytest.approx((255**2 * 3 + 51**2 * 3) / 18)
    assert metrics.fmse(out, gt, np.zeros((2, 3))) == 0.0  # no foreground, no error


def test_ssim_of_identical_images_is_one_and_matches_scikit_image():
    rng = np.random.default_rng(0)
    a = rng.random((48, 64, 3)).astype(np.float32)
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1).astype(np.float32)
    assert metrics.ssim(a, a) == pytest.approx(1.0)
    assert metrics.ssim(a, b) < 0.99
    skm = pytest.importorskip("skimage.metrics")
    reference = skm.structural_similarity(a, b, channel_axis=2, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                          use_sample_covariance=False)
    assert metrics.ssim(a, b) == pytest.approx(reference, abs=0.02)  # skimage also crops the border


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(InvalidInput, match="must match"):
        metrics.mse(np.zeros((2, 2, 3)), np.zeros((3, 2, 3)))


# --- baselines -------------------------------------------------------------------------------------------------------

def scene(seed: int = 0, shape=(64, 80)):
    """A smooth background, a person box whose avatar is off in colour."""
    import cv2

    rng = np.random.default_rng(seed)
    bg = cv2.GaussianBlur(rng.random((*shape, 3)).astype(np.float32), (0, 0), 3)
    bg = 0.3 + 0.4 * (bg - bg.min()) / (bg.max() - bg.min())
    mask = np.zeros(shape, np.float32)
    mask[20:50, 25:55] = 1
    avatar = np.clip(bg * np.array([1.5, 0.7, 0.6], np.float32) + 0.1, 0, 1) * mask[..., None]
    return bg.astype(np.float32), avatar.astype(np.float32), mask


def test_copy_paste_is_exact():
    bg, avatar, mask = scene()
    out = baselines.copy_paste(bg, avatar, mask)
    inside = mask > 0
    assert np.array_equal(out[inside], avatar[inside]) and np.array_equal(out[~inside], bg[~inside])


def test_reinhard_moves_colour_statistics_toward_the_context():
    bg, avatar, mask = scene()
    out = baselines.reinhard(bg, avatar, mask)
    inside = mask > 0
    context_mean, _ = lab_stats(bg, baselines.context_band(mask))
    before, _ = lab_stats(avatar, inside)
    after, _ = lab_stats(out, inside)
    assert np.linalg.norm(after - context_mean) < 0.2 * np.linalg.norm(before - context_mean)
    assert np.array_equal(out[~inside], bg[~inside])


@pytest.mark.parametrize("box", [(20, 50, 25, 55), (0, 30, 0, 40), (34, 64, 50, 80), (0, 64, 10, 41)])
def test_poisson_stays_in_place_and_handles_masks_touching_the_border(box):
    bg, _, _ = scene(1)
    mask = np.zeros(bg.shape[:2], np.float32)
    y0, y1, x0, x1 = box
    mask[y0:y1, x0:x1] = 1
    # An avatar that *is* the background: blending it must give the background back (no shift, no error).
    out = baselines.poisson(bg, bg * mask[..., None], mask)
    assert out.shape == bg.shape and out.dtype == np.float32
    assert np.abs(out - bg).max() < 3 / 255
    inside = mask > 0
    assert np.array_equal(out[~inside], bg[~inside])


def test_poisson_and_reinhard_with_an_empty_mask_return_the_background():
    bg, avatar, _ = scene()
    empty = np.zeros(bg.shape[:2], np.float32)
    for method in (baselines.poisson, baselines.reinhard):
        assert np.array_equal(method(bg, avatar, empty), bg)


def test_baselines_reject_mismatched_inputs():
    bg, avatar, mask = scene()
    with pytest.raises(InvalidInput, match="one size"):
        baselines.copy_paste(bg, avatar[:10], mask)


# --- evaluate() and the report -----------------------------------------------------------------------------------------

@pytest.fixture
def tiny_root(tmp_path):
    """Three val collages written the way the builder writes them."""
    (tmp_path / "collages").mkdir()
    for i in range(3):
        bg, avatar, mask = scene(i)
        gt = np.where(mask[..., None] > 0, bg * 0.9, bg)
        to_u8 = lambda a: (np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)
        pair = collage.Pair(gt=to_u8(gt), bg=to_u8(bg), avatar=to_u8(avatar), mask=(mask * 255).astype(np.uint8))
        row = {"id": f"tiny-{i}", "source": f"tiny/{i}", "person": 0, "x": 25, "y": 20, "w": 30, "h": 30, "split": "val"}
        collage.write_collage(pair, tmp_path / "collages" / f"tiny-{i}.png", row)
    collage.rebuild_manifest(tmp_path)
    return tmp_path


def test_evaluate_averages_per_image_metrics_and_writes_the_report(tiny_root, tmp_path):
    results = evaluate.evaluate(tiny_root, baselines.BASELINES, split="val", progress=False)
    assert results["n"] == 3 and set(results["metrics"]) == set(baselines.BASELINES)
    by_hand = []
    for i in range(3):
        bg, avatar, mask, gt = evaluate.pair_arrays(collage.load_collage(tiny_root / "collages" / f"tiny-{i}.png"))
        by_hand.append(metrics.all_metrics(baselines.copy_paste(bg, avatar, mask), gt, mask))
    for key in evaluate.METRICS:
        assert results["metrics"]["copy_paste"][key] == pytest.approx(np.mean([m[key] for m in by_hand]))
    md, js = evaluate.write_report(results, tmp_path / "report")
    table = md.read_text()
    assert "| copy_paste |" in table and "fMSE" in table and "0-255" in table
    wins = sum(p > c for p, c in zip(results["psnr_per_image"]["poisson"], results["psnr_per_image"]["copy_paste"]))
    poisson_row = next(line for line in table.splitlines() if line.startswith("| poisson |"))
    worst = min(0.0, min(p - c for p, c in zip(results["psnr_per_image"]["poisson"], results["psnr_per_image"]["copy_paste"])))
    assert f"| {wins} / 3 (worst {worst:+.2f} dB) |" in poisson_row
    assert json.loads(js.read_text())["metrics"]["poisson"]["psnr"] == pytest.approx(results["metrics"]["poisson"]["psnr"])


def test_evaluate_rejects_bad_methods_and_empty_splits(tiny_root):
    with pytest.raises(InvalidInput, match="returned"):
        evaluate.evaluate(tiny_root, {"bad": lambda bg, avatar, mask: bg[:5]}, progress=False)
    with pytest.raises(InvalidInput, match="no 'train' collages"):
        evaluate.evaluate(tiny_root, baselines.BASELINES, split="train", progress=False)
    with pytest.raises(InvalidInput, match="no methods"):
        evaluate.evaluate(tiny_root, {}, progress=False)


def test_heldout_people_pairs_are_real_people_with_perturbed_appearance():
    from relive.backends.segmentation import SEGMENTERS

    ok, reason = SEGMENTERS.get("mediapipe").available()
    if not ok:
        pytest.skip(f"mediapipe segmenter: {reason}")
    pairs = evaluate.heldout_people_pairs(seed=0, variants=1, photos=("skimage:astronaut",), max_side=256)
    assert len(pairs) == 1
    bg, avatar, mask, gt = pairs[0]
    assert bg.shape == avatar.shape == gt.shape == (256, 256, 3) and mask.shape == (256, 256)
    inside = mask > 0
    assert 0.1 < inside.mean() < 0.9
    assert np.array_equal(bg[~inside], gt[~inside]) and not avatar[~inside].any()
    assert np.abs(avatar[inside] - gt[inside]).mean() * 255 >= 6.0
