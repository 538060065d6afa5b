"""Baselines of the fusion network, with the model's call signature: ``method(bg, avatar, mask) -> out``.

``bg`` and ``avatar`` are float32 H×W×3 in [0, 1] (the avatar is black outside the mask), ``mask`` float32 H×W in
{0, 1}; ``out`` is float32 H×W×3 in [0, 1].

- ``copy_paste``: the avatar over the background, as is (what the network starts from);
- ``reinhard``: the avatar's Lab statistics matched to the background's in a band around the person
  (Reinhard et al. 2001), then pasted;
- ``poisson``: gradient-domain blending with ``cv2.seamlessClone`` (NORMAL_CLONE); masks that touch the image
  border are handled by padding both images first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from relive.carousel.training.perturb import lab_stats, match_lab_stats
from relive.errors import InvalidImage

Method = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]

# The "background around the person" for Reinhard: a band this fraction of the person's box diagonal wide (≥ 8 px).
CONTEXT_BAND = 0.15
# seamlessClone needs the mask's box strictly inside the image; this many pixels of reflected border give it room.
POISSON_PAD = 16


def _check(bg: np.ndarray, avatar: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bg, avatar, mask = (np.asarray(a, np.float32) for a in (bg, avatar, mask))
    if bg.ndim != 3 or bg.shape[2] != 3 or avatar.shape != bg.shape or mask.shape != bg.shape[:2]:
        raise InvalidImage(f"baselines take bg and avatar (H, W, 3) and a mask (H, W) of one size; got "
                           f"{bg.shape}, {avatar.shape}, {mask.shape}")
    return bg, avatar, (mask > 0.5).astype(np.float32)


def copy_paste(bg: np.ndarray, avatar: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The plain composite, no harmonisation: the floor every method must beat."""
    bg, avatar, mask = _check(bg, avatar, mask)
    m = mask[..., None]
    return avatar * m + bg * (1.0 - m)


def context_band(mask: np.ndarray, fraction: float = CONTEXT_BAND) -> np.ndarray:
    """Boolean ring of background around the mask (the whole background if the ring is empty)."""
    import cv2

    inside = mask > 0.5
    ys, xs = np.nonzero(inside)
    if len(xs) == 0:
        return ~inside
    diagonal = float(np.hypot(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1))
    grow = max(8, round(fraction * diagonal))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    ring = (cv2.dilate(inside.astype(np.uint8), kernel) > 0) & ~inside
    return ring if ring.any() else ~inside


def reinhard(bg: np.ndarray, avatar: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Reinhard colour transfer: the person's Lab mean and spread matched to the background's."""
    bg, avatar, mask = _check(bg, avatar, mask)
    inside = mask > 0.5
    if not inside.any():
        return bg.copy()
    mean, std = lab_stats(bg, context_band(mask))
    matched = match_lab_stats(avatar, inside, mean, std)
    return copy_paste(bg, matched, mask)


def poisson(bg: np.ndarray, avatar: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """OpenCV's Poisson (seamless) cloning of the person into the background."""
    import cv2

    bg, avatar, mask = _check(bg, avatar, mask)
    inside = (mask > 0.5).astype(np.uint8) * 255
    if not inside.any():
        return bg.copy()
    p = POISSON_PAD
    to_u8 = lambda a: (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    # Padding (reflected images, empty mask border) keeps the mask's box off the image edge, where seamlessClone
    # would otherwise shift or reject it; the result is cropped back.
    src = cv2.copyMakeBorder(to_u8(avatar)[..., ::-1], p, p, p, p, cv2.BORDER_REFLECT)
    dst = cv2.copyMakeBorder(to_u8(bg)[..., ::-1], p, p, p, p, cv2.BORDER_REFLECT)
    padded_mask = cv2.copyMakeBorder(inside, p, p, p, p, cv2.BORDER_CONSTANT, value=0)
    x, y, w, h = cv2.boundingRect(padded_mask)
    # seamlessClone centres the mask's box on `center`; this centre puts it back exactly where it was.
    center = (x + w // 2, y + h // 2)
    blended = cv2.seamlessClone(np.ascontiguousarray(src), np.ascontiguousarray(dst), padded_mask, center, cv2.NORMAL_CLONE)
    out = blended[p:-p, p:-p, ::-1].astype(np.float32) / 255.0
    m = mask[..., None]
    return out * m + bg * (1.0 - m)  # outside the mask the background stays exact


BASELINES: dict[str, Method] = {"copy_paste": copy_paste, "reinhard": reinhard, "poisson": poisson}
