"""Appearance perturbations inside a mask: what makes the harmonisation task real.

The ground truth's person already fits its scene; a perturbed copy of the person's pixels (another photo's colours,
a tone curve, exposure, contrast, saturation, white balance, softness) does not, and the network learns to undo
that relative to the scene — as the iHarmony4 data set does. Pixels outside the mask are never changed.

    rng = np.random.default_rng(0)
    avatar = perturb(gt, mask, rng, reference=other_photo)
    if appearance_gap(avatar, gt, mask) < MIN_GAP: ...  # a near-no-op: drop the pair

Everything here is numpy + OpenCV on uint8 RGB images and uint8 masks (255 = foreground).
"""

from __future__ import annotations

import numpy as np

from relive import imaging
from relive.errors import InvalidImage

# Mean absolute difference inside the mask (0–255 scale) below which a pair is a near-no-op and dropped: about
# 2.5 % of the range, where a perturbation stops being obvious side by side on a festival photo.
MIN_GAP = 6.0
# Above this the avatar no longer looks like a plausible photo of the same person (e.g. night-black or neon);
# such draws are redrawn rather than kept.
MAX_GAP = 70.0

# Ranges of the random adjustments, chosen so that every draw still looks like a photo taken somewhere else.
EXPOSURE_STOPS = 0.55
CONTRAST = (0.7, 1.35)
SATURATION = (0.45, 1.55)
TEMPERATURE = 0.14
TINT = 0.07
TRANSFER_STRENGTH = (0.35, 0.9)
STD_RATIO = (0.5, 2.0)


def perturb(rgb: np.ndarray, mask: np.ndarray, rng: np.random.Generator, reference: np.ndarray | None = None) -> np.ndarray:
    """``rgb`` with its appearance changed inside ``mask`` (uint8 H×W, >127 = inside); outside is untouched.

    With a ``reference`` photo the masked pixels usually take on part of its colour statistics (Reinhard transfer
    in Lab); then two to four of: a per-channel tone curve, exposure, contrast, saturation, temperature/tint,
    slight blur or sharpening, in random order.
    """
    rgb, inside = _check_pair(rgb, mask)
    img = rgb.astype(np.float32) / 255.0
    if reference is not None and rng.random() < 0.8:
        img = transfer_colour(img, inside, np.asarray(reference), strength=rng.uniform(*TRANSFER_STRENGTH))
    ops = list(ADJUSTMENTS)
    for index in rng.permutation(len(ops))[: rng.integers(2, 5)]:
        img = ops[index](img, rng)
    changed = (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return np.where(inside[..., None], changed, rgb)


def perturb_visible(rgb: np.ndarray, mask: np.ndarray, rng: np.random.Generator, reference: np.ndarray | None = None,
                    *, min_gap: float = MIN_GAP, max_gap: float = MAX_GAP, tries: int = 4) -> tuple[np.ndarray, float] | None:
    """The first of up to ``tries`` perturbations whose gap lies in [min_gap, max_gap], with its gap; None if none
    did (a near-no-op: e.g. a mask over flat black, which no tone change can move)."""
    for _ in range(tries):
        avatar = perturb(rgb, mask, rng, reference)
        gap = appearance_gap(avatar, rgb, mask)
        if min_gap <= gap <= max_gap:
            return avatar, gap
    return None


def appearance_gap(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute difference of ``a`` and ``b`` inside ``mask``, over pixels and channels, on the 0–255 scale
    (0.0 for an empty mask)."""
    a, inside = _check_pair(a, mask)
    b, _ = _check_pair(b, mask)
    if not inside.any():
        return 0.0
    diff = np.abs(a[inside].astype(np.float32) - b[inside].astype(np.float32))
    return float(diff.mean())


def _check_pair(rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rgb, mask = np.asarray(rgb), np.asarray(mask)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InvalidImage(f"perturb needs an RGB uint8 image (H, W, 3), got {rgb.dtype} {rgb.shape}; "
                           "load it with relive.imaging.load_image(..., 'RGB')")
    if mask.shape != rgb.shape[:2]:
        raise InvalidImage(f"the mask is {mask.shape} but the image is {rgb.shape[:2]}; use a mask of this very image")
    return rgb, mask > 127


# --- colour transfer ------------------------------------------------------------------------------------------

def lab_stats(img: np.ndarray, where: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation in CIELab of a float [0, 1] (or uint8) RGB image, optionally
    only over the pixels where ``where`` is true."""
    import cv2

    lab = cv2.cvtColor(np.ascontiguousarray(imaging.to_float(img)), cv2.COLOR_RGB2Lab)
    pixels = lab.reshape(-1, 3) if where is None else lab[where]
    if len(pixels) == 0:
        pixels = lab.reshape(-1, 3)
    return pixels.mean(axis=0), pixels.std(axis=0) + 1e-3


def match_lab_stats(img: np.ndarray, inside: np.ndarray, target_mean: np.ndarray, target_std: np.ndarray,
                    strength: float = 1.0, std_ratio: tuple[float, float] = (0.0, np.inf)) -> np.ndarray:
    """Reinhard et al. (2001): shift and scale the Lab statistics of ``img`` inside ``inside`` to the target's;
    ``strength`` blends between no change (0) and full matching (1). float [0, 1] RGB in and out."""
    import cv2

    lab = cv2.cvtColor(np.ascontiguousarray(img, dtype=np.float32), cv2.COLOR_RGB2Lab)
    mean, std = lab_stats(img, inside)
    scale = np.clip(target_std / std, *std_ratio)
    matched = (lab - mean) * scale + target_mean
    lab = lab + strength * (matched - lab)
    lab[..., 0] = np.clip(lab[..., 0], 0.0, 100.0)
    return np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), 0.0, 1.0)


def transfer_colour(img: np.ndarray, inside: np.ndarray, reference: np.ndarray, strength: float) -> np.ndarray:
    """Part of ``reference``'s colour statistics given to the masked pixels (std ratio bounded: plausible)."""
    mean, std = lab_stats(reference)
    return match_lab_stats(img, inside, mean, std, strength, STD_RATIO)


# --- random adjustments (float [0, 1] RGB in and out; the whole image, the mask is applied once at the end) ----

LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def random_tone_curve(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A smooth monotone curve per channel (shared bend + a little per-channel colour), like a LUT/film look."""
    knots = np.linspace(0.0, 1.0, 5)
    shared = rng.normal(0.0, 0.07, 5)
    out = np.empty_like(img)
    for c in range(3):
        values = knots + shared + rng.normal(0.0, 0.03, 5)
        values[0] = rng.uniform(0.0, 0.08)
        values[-1] = rng.uniform(0.9, 1.0)
        values = np.maximum.accumulate(np.clip(values, 0.0, 1.0))  # monotone: no solarised bands
        lut = np.interp(np.linspace(0.0, 1.0, 256), knots, values).astype(np.float32)
        out[..., c] = lut[np.clip(img[..., c] * 255.0 + 0.5, 0, 255).astype(np.uint8)]
    return out


def random_exposure(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The image brighter or darker by a random number of stops."""
    return img * np.float32(2.0 ** rng.uniform(-EXPOSURE_STOPS, EXPOSURE_STOPS))


def random_contrast(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The image's contrast scaled at random around its mean luma."""
    pivot = np.float32((img @ LUMA).mean())
    return (img - pivot) * np.float32(rng.uniform(*CONTRAST)) + pivot


def random_saturation(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The image's saturation scaled at random around its grey."""
    grey = (img @ LUMA)[..., None]
    return grey + (img - grey) * np.float32(rng.uniform(*SATURATION))


def random_white_balance(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Temperature (red against blue) and tint (green against magenta)."""
    t, g = rng.uniform(-TEMPERATURE, TEMPERATURE), rng.uniform(-TINT, TINT)
    return img * np.array([1.0 + t, 1.0 + g, 1.0 - t], np.float32)


def random_softness(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A slight Gaussian blur, or an unsharp mask: the avatar came from a different camera."""
    import cv2

    blurred = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.6, 1.4))
    if rng.random() < 0.5:
        return blurred
    return img + (img - blurred) * np.float32(rng.uniform(0.4, 1.0))


ADJUSTMENTS = (random_tone_curve, random_exposure, random_contrast, random_saturation, random_white_balance,
               random_softness)


# --- scene light: the whole picture under a coloured light, the person pasted unlit (the booth's case) ----------

# Festival lights as linear-light RGB gains (brightest channel 1) with the exposure range they come with:
# UV purple and night blue are dim, stage colours and amber middling, daylight bright.
SCENE_LIGHTS = {
    "uv": ((0.55, 0.15, 1.0), (-1.6, -0.4)),
    "night_blue": ((0.3, 0.5, 1.0), (-2.2, -0.9)),
    "amber": ((1.0, 0.6, 0.22), (-0.9, 0.1)),
    "stage_red": ((1.0, 0.2, 0.28), (-1.0, 0.0)),
    "stage_green": ((0.3, 1.0, 0.45), (-1.0, 0.0)),
    "stage_magenta": ((1.0, 0.25, 0.85), (-1.0, 0.0)),
    "stage_cyan": ((0.2, 0.85, 1.0), (-1.0, 0.0)),
    "sunset": ((1.0, 0.72, 0.45), (-0.6, 0.2)),
    "daylight": ((1.0, 0.97, 0.92), (0.2, 0.8)),
}
LIGHT_STRENGTH = (0.45, 0.95)  # how far from white light the gains go
LIGHT_TILT = 0.5  # up to this many stops brighter on one side than the other: the light comes from somewhere
GAMMA = 2.2


def random_scene_light(rng: np.random.Generator, name: str | None = None) -> dict:
    """One draw of a scene light (see :func:`apply_scene_light`); ``name`` picks the kind, else a random one."""
    name = name if name is not None else list(SCENE_LIGHTS)[int(rng.integers(len(SCENE_LIGHTS)))]
    colour, stops = SCENE_LIGHTS[name]
    strength = rng.uniform(*LIGHT_STRENGTH)
    gain = 1.0 + strength * (np.asarray(colour, np.float32) - 1.0)
    return {"name": name, "gain": gain.astype(np.float32), "stops": float(rng.uniform(*stops)),
            "tilt": float(rng.uniform(-LIGHT_TILT, LIGHT_TILT)), "angle": float(rng.uniform(0.0, 2 * np.pi))}


def apply_scene_light(img: np.ndarray, light: dict) -> np.ndarray:
    """float [0, 1] H×W×3 RGB as if lit by ``light``: in linear light, times the light's colour and exposure, with a
    gentle exposure gradient across the frame. Pixel by pixel, so a background and its ground truth stay equal
    outside the person when both get the same light."""
    height, width = img.shape[:2]
    ys, xs = np.linspace(-0.5, 0.5, height, dtype=np.float32), np.linspace(-0.5, 0.5, width, dtype=np.float32)
    ramp = np.cos(light["angle"]) * xs[None, :] + np.sin(light["angle"]) * ys[:, None]
    exposure = np.exp2(light["stops"] + light["tilt"] * ramp).astype(np.float32)
    linear = np.clip(img, 0.0, 1.0) ** GAMMA * light["gain"] * exposure[..., None]
    return np.clip(linear, 0.0, 1.0) ** (1.0 / GAMMA)

