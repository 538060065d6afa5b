"""Image-harmonisation metrics on float RGB images in [0, 1] (H×W×3) and binary masks (H×W, {0, 1}).

Scales, as in the iHarmony4 literature (DoveNet, PCT-Net…):

- ``mse``  mean squared error over all pixels and channels, on the **0–255** scale;
- ``fmse`` the same, but only over the pixels inside the mask (foreground MSE), on the **0–255** scale:
  Σ_mask Σ_c (out − gt)² / (3 · |mask|). An empty mask gives 0.0 (no foreground, no error);
- ``psnr`` 10·log10(255² / MSE) in dB (identical images: capped at :data:`PSNR_CAP`, not infinity);
- ``ssim`` Wang et al. (2004): Gaussian window σ = 1.5 (11×11), K1 = 0.01, K2 = 0.03, data range 1, the mean over
  the image of each channel, averaged over channels.
"""

from __future__ import annotations

import math

import numpy as np

from relive.errors import InvalidImage

PSNR_CAP = 100.0  # dB reported for identical images: finite, so averages over a split stay finite


def _as_pair(out: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out, gt = np.asarray(out, np.float64), np.asarray(gt, np.float64)
    if out.shape != gt.shape:
        raise InvalidImage(f"the output is {out.shape} but the ground truth is {gt.shape}; they must match")
    return out, gt


def mse(out: np.ndarray, gt: np.ndarray) -> float:
    out, gt = _as_pair(out, gt)
    return float(np.mean(((out - gt) * 255.0) ** 2))


def fmse(out: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    out, gt = _as_pair(out, gt)
    inside = np.asarray(mask) > 0.5
    if inside.shape != out.shape[:2]:
        raise InvalidImage(f"the mask is {inside.shape} but the images are {out.shape[:2]}")
    if not inside.any():
        return 0.0
    return float(np.mean(((out[inside] - gt[inside]) * 255.0) ** 2))


def psnr_from_mse(value: float) -> float:
    """PSNR in dB of an MSE on the 0–255 scale."""
    return PSNR_CAP if value <= 0 else min(PSNR_CAP, 10.0 * math.log10(255.0**2 / value))


def psnr(out: np.ndarray, gt: np.ndarray) -> float:
    return psnr_from_mse(mse(out, gt))


def ssim(out: np.ndarray, gt: np.ndarray) -> float:
    import cv2

    out, gt = _as_pair(out, gt)
    if out.ndim == 2:
        out, gt = out[..., None], gt[..., None]
    c1, c2 = 0.01**2, 0.03**2
    window = lambda a: cv2.GaussianBlur(a, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)
    scores = []
    for c in range(out.shape[2]):
        x, y = out[..., c], gt[..., c]
        mx, my = window(x), window(y)
        vx, vy, cov = window(x * x) - mx * mx, window(y * y) - my * my, window(x * y) - mx * my
        ssim_map = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
        scores.append(ssim_map.mean())
    return float(np.mean(scores))


def all_metrics(out: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """PSNR, SSIM, MSE and fMSE of one image (the names are the report's columns)."""
    error = mse(out, gt)
    return {"psnr": psnr_from_mse(error), "ssim": ssim(out, gt), "mse": error, "fmse": fmse(out, gt, mask)}
