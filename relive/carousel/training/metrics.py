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

from relive import imaging
from relive.errors import InvalidImage

PSNR_CAP = 100.0  # dB reported for identical images: finite, so averages over a split stay finite


def _as_pair(out: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out, gt = np.asarray(out, np.float64), np.asarray(gt, np.float64)
    if out.shape != gt.shape:
        raise InvalidImage(f"the output is {out.shape} but the ground truth is {gt.shape}; they must match")
    return out, gt


def mse(out: np.ndarray, gt: np.ndarray) -> float:
    """Mean squared error in 8-bit levels² over the whole picture."""
    out, gt = _as_pair(out, gt)
    return float(np.mean(((out - gt) * 255.0) ** 2))


def fmse(out: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    """Foreground MSE: the error inside the mask only, where harmonisation acts."""
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
    """Peak signal-to-noise ratio in dB, from the MSE."""
    return psnr_from_mse(mse(out, gt))


def ssim(out: np.ndarray, gt: np.ndarray) -> float:
    """Structural similarity (Gaussian window, as in the original paper), averaged over channels."""
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


# --- the booth's check: does the fused person take on the scene's light? ----------------------------------------

def _lab(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(imaging.to_float(rgb)), cv2.COLOR_RGB2Lab)


def light_response(scene: np.ndarray, before: np.ndarray, after: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """How the person's colour moved from copy-paste (``before``) to fused (``after``) against the ``scene``'s
    light; RGB images of one size, ``mask`` H×W (>0.5 or >127 = person). In CIELab, over the person's pixels:

    - ``toward``: how much nearer (in a*b*) the person's mean colour came to the scene's mean colour (its light),
      in Lab units; > 0 when the person took on the scene's light;
    - ``chroma_before`` / ``chroma_after``: the person's mean chroma (colourfulness) before and after;
    - ``scene_chroma``: the scene's mean chroma, so "duller than copy-paste" can be excused by a dull scene.
    """
    inside = np.asarray(mask) > (127 if np.asarray(mask).dtype == np.uint8 else 0.5)
    if not inside.any():
        raise InvalidImage("light_response needs a mask with at least one person pixel")
    scene_lab, before_ab, after_ab = _lab(scene)[..., 1:], _lab(before)[inside][:, 1:], _lab(after)[inside][:, 1:]
    light = scene_lab.reshape(-1, 2).mean(axis=0)
    distance = lambda ab: float(np.linalg.norm(ab.mean(axis=0) - light))
    chroma = lambda ab: float(np.linalg.norm(ab, axis=-1).mean())
    return {"toward": distance(before_ab) - distance(after_ab), "chroma_before": chroma(before_ab),
            "chroma_after": chroma(after_ab), "scene_chroma": chroma(scene_lab.reshape(-1, 2))}


def fused_light_response(background, avatar, model=None):
    """Fuse ``avatar`` into the gallery ``background`` (a :class:`~relive.carousel.backgrounds.Background`) with
    ``model`` (default: the shipped one) and measure :func:`light_response` against the scene: (fused, response)."""
    from PIL import Image

    from relive.carousel.fuse import fuse

    fused = fuse(background.path, avatar, model=model)
    scene = np.asarray(Image.open(background.path).convert("RGB"))
    return fused, light_response(scene, np.asarray(fused.composite), np.asarray(fused.image), fused.mask)


CHROMA_TOLERANCE = 1.0  # Lab units: below a just-noticeable difference


def light_problems(response: dict[str, float], tolerance: float = CHROMA_TOLERANCE) -> list[str]:
    """What is wrong with a fusion by the booth's rule (empty: nothing), from :func:`light_response`: the person
    must move toward the scene's light, and must not end duller than copy-paste unless the scene is duller."""
    problems = []
    if response["toward"] <= 0:
        problems.append(f"moved {-response['toward']:.1f} Lab away from the scene's light")
    lost = response["chroma_before"] - response["chroma_after"]
    if lost > tolerance and response["scene_chroma"] >= response["chroma_before"]:
        problems.append(f"duller than copy-paste (chroma {response['chroma_before']:.1f} -> "
                        f"{response['chroma_after']:.1f}) in a scene that is not (chroma {response['scene_chroma']:.1f})")
    return problems
