"""Fuse an RGBA avatar into a background photo with the trained fusion model (``relive fuse``).

    from relive.carousel.fuse import fuse
    result = fuse("stage.jpg", "avatar.png")                      # default placement
    result = fuse("stage.jpg", "avatar.png", position=(640, 700), scale=0.5, shadow=False)
    result.image, result.composite                                 # fused RGB, copy-paste RGB (before/after)

Placement (all in background pixels):

- default: the avatar's visible part (its alpha's bounding box) is scaled to 60 % of the background's height and
  stands centred horizontally with its feet at 95 % of the height (raised if needed so the head stays in frame);
  a bust (cut off at the bottom, as avatars made from selfies are: :func:`is_bust`) rises from the bottom edge;
- ``scale``: the avatar's height as a fraction of the background's height (0.6 is the default look);
- ``position=(X, Y)``: where the avatar's feet — the bottom-centre of its visible part — go. A position outside the
  frame (X not in 0…width or Y not in 0…height) is an error, not silently clamped: a typo should not move the
  avatar somewhere unexpected. Parts of the avatar that reach past the edges are cut off;
- an avatar larger than the frame at the asked scale is scaled down to fit, with a notice in ``result.notices``;
- an avatar exactly the size of the background, with neither position nor scale, is used in place, as is
  (it was cut from, or made for, that picture).

Backgrounds up to 4096 px on the long side are used as they are; larger ones are scaled down to 4096 px (notice).
The optional soft contact shadow (default: on for placed avatars, off for in-place ones) darkens the ground under
the feet before the model looks at the picture. A gallery background's front layer (``front``: RGBA, the crowd's
front row) goes over the placed person after the model, so they stand *in* the crowd; ``match_scene`` gives the
person the scene's softness and sensor grain (measured around them) so a crisp cut-out does not read as a sticker.
The model sees the picture at its working resolution (its config's ``work_size``: 128 px for the shipped
checkpoint) and its colour correction is applied at full resolution, in strips, only inside the avatar's box.

torch is imported only when a model is loaded, so importing this module is cheap.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from relive import imaging
from relive.backends.fusion import load_fusion_model
from relive.errors import InvalidImage, InvalidInput
from relive.messages import Message

MAX_SIDE = 4096
DEFAULT_SCALE = 0.6  # avatar height / background height
DEFAULT_FEET = 0.95  # feet at this fraction of the background's height
BUST_BOTTOM = 0.5  # share of the lowest row that is opaque in a bust cut-out (see is_bust)
STRIP_ROWS = 256  # full-resolution rows corrected at a time: bounds the memory at 4096 px
SHADOW_DARKNESS = 0.45
SCENE_SOFTNESS = 0.5  # px: the gallery's scenes are drawn at 2× and averaged down (scenes.SUPERSAMPLE): edges this soft
GRAIN_MARGIN = 64  # px around the person where the scene's grain is measured

@dataclass(frozen=True)
class Placement:
    """Where the avatar went: feet at (x, y); its placed size; its top-left corner (may lie outside the frame)."""

    x: float
    y: float
    width: int
    height: int
    left: int
    top: int
    scale: float  # placed height / background height
    in_place: bool


@dataclass
class FusedImage:
    """A fused picture with its copy-paste 'before', the avatar's mask, its placement and any notices."""
    image: Image.Image  # the fused picture, RGB
    composite: Image.Image  # plain copy-paste with the same placement and shadow: the "before"
    mask: np.ndarray  # H×W uint8, the placed avatar's alpha (255 = avatar)
    placement: Placement
    notices: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------------
# Harmonising: the model's correction, applied at full resolution


def harmonise(model, bg: np.ndarray, avatar: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Full-resolution fusion of arrays: H×W×3 float32 [0, 1] background and avatar, H×W mask → H×W×3 float32.

    The mask may be {0, 1} (or soft [0, 1]) float, or uint8 0/255. Outside the mask the result is ``bg``.
    This is the callable the evaluation uses: ``lambda bg, av, m: harmonise(model, bg, av, m)``.
    """
    bg, avatar, alpha = imaging.to_float(bg), imaging.to_float(avatar), _as_alpha(mask)
    if not (bg.shape == avatar.shape and bg.shape[:2] == alpha.shape and bg.ndim == 3 and bg.shape[2] == 3):
        raise InvalidInput("background {background}, avatar {avatar} and mask {mask} must be H×W×3, H×W×3 and H×W of "
                           "the same size", background=bg.shape, avatar=avatar.shape, mask=alpha.shape)
    out = bg.copy()
    box = _bounding_box(alpha > 0)
    if box is None:
        return out
    comp = bg * (1 - alpha[..., None]) + avatar * alpha[..., None]
    rows, cols = box
    for r0, r1, pixels in fused_strips(model, comp, bg, alpha, avatar[rows, cols], (rows.start, cols.start)):
        out[rows.start + r0:rows.start + r1, cols] = pixels
    return out


def fused_strips(model, comp: np.ndarray, bg: np.ndarray, alpha: np.ndarray, avatar_box: np.ndarray,
                 origin: tuple[int, int]) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(row0, row1, fused rows)`` of the avatar's box, box-relative rows, top to bottom.

    ``comp``/``bg`` (uint8 or float, the same for both) and ``alpha`` (float [0, 1]) are full-size; ``avatar_box``
    holds the avatar's colours inside the box whose top-left corner is ``origin``. The rows come back in the
    dtype of ``bg`` (uint8 rounded, or float [0, 1]); only one strip of the box is ever float at a time.
    """
    import torch

    from relive.backends.fusion.model import channels_first

    top, left = origin
    box_h, box_w = avatar_box.shape[:2]
    with torch.inference_mode():
        correct = model.correction(comp, bg, alpha, origin, (box_h, box_w))
        for r0 in range(0, box_h, STRIP_ROWS):
            r1 = min(box_h, r0 + STRIP_ROWS)
            rows, cols = slice(top + r0, top + r1), slice(left, left + box_w)
            corrected = correct(r0, r1, avatar_box[r0:r1])  # 3×h×w float tensor
            background = channels_first(bg[rows, cols])
            a = torch.from_numpy(np.ascontiguousarray(alpha[rows, cols]))[None]
            fused = corrected.sub_(background).mul_(a).add_(background)  # bg·(1−a) + corrected·a
            yield r0, r1, _channels_last(fused, bg.dtype)


def _channels_last(chw, dtype) -> np.ndarray:
    """3×H×W float [0, 1] tensor → H×W×3 array of ``dtype`` (uint8 rounded, or float32)."""
    import torch

    if dtype == np.uint8:
        chw = chw.mul_(255.0).add_(0.5).clamp_(0.0, 255.0).to(torch.uint8)
    return np.ascontiguousarray(chw.permute(1, 2, 0).cpu().numpy())


def _as_alpha(mask: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.ndim == 3 and mask.shape[2] == 1:
        mask = mask[..., 0]
    return np.clip(imaging.to_float(mask), 0.0, 1.0)


def _bounding_box(present: np.ndarray) -> tuple[slice, slice] | None:
    rows, cols = np.flatnonzero(present.any(axis=1)), np.flatnonzero(present.any(axis=0))
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


# ---------------------------------------------------------------------------------------------------------------
# Placing the avatar


def load_cutout(avatar: imaging.ImageSource) -> Image.Image:
    """The avatar as RGBA with real transparency; an image without it raises InvalidImage saying what is needed."""
    if isinstance(avatar, Image.Image):
        had_alpha = imaging.has_alpha(avatar)
    elif isinstance(avatar, np.ndarray):
        had_alpha = avatar.ndim == 3 and avatar.shape[2] == 4
    else:
        had_alpha = None  # a file: judged from its pixels below
    image = imaging.load_image(avatar, "RGBA")
    alpha = imaging.alpha_mask(image)
    if had_alpha is False or alpha.min() == 255:
        raise InvalidImage("the avatar has no transparency (an RGB image or a fully opaque one); fuse needs an RGBA "
                           "cut-out with a transparent background: make one with `relive avatar` or a background "
                           "remover and save it as PNG")
    if alpha.max() == 0:
        raise InvalidImage("the avatar is fully transparent; there is nothing to place")
    return image


def parse_position(text: str) -> tuple[float, float]:
    """``"X,Y"`` (background pixels, the avatar's feet) → (x, y); anything else raises InvalidInput."""
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise InvalidInput("position {text!r} is not X,Y (two numbers, the feet's pixel position)", text=text) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InvalidInput("position {text!r} must be two finite numbers", text=text)
    return x, y


def is_bust(avatar: Image.Image) -> bool:
    """True for a head-and-shoulders or half-body cut-out: its lowest row is opaque across at least
    ``BUST_BOTTOM`` of its width (a standing person's lowest row is just the feet)."""
    alpha = np.asarray(avatar.getchannel("A"))
    box = _bounding_box(alpha > 127)
    if box is None:
        return False
    rows, cols = box
    return float(np.mean(alpha[rows.stop - 1, cols] > 127)) >= BUST_BOTTOM


def place_avatar(avatar: Image.Image, frame: tuple[int, int], position: tuple[float, float] | None,
                 scale: float | None, notices: list[str]) -> tuple[np.ndarray, Placement]:
    """Scale and position the RGBA ``avatar`` on a ``frame`` = (width, height) background.

    Returns the placed avatar as an RGBA uint8 array at its placed size (it may reach past the frame's edges;
    :func:`visible_part` cuts it) and the :class:`Placement`.
    """
    frame_w, frame_h = frame
    if position is None and scale is None and avatar.size == frame:
        return np.asarray(avatar), Placement(frame_w / 2, frame_h, frame_w, frame_h, 0, 0, 1.0, True)
    if scale is not None and not (math.isfinite(scale) and scale > 0):
        raise InvalidInput("scale {scale!r} must be a positive number (the avatar's height as a fraction of the "
                           "background's, e.g. 0.6)", scale=scale)
    cutout = avatar.crop(avatar.getchannel("A").getbbox())
    fraction = DEFAULT_SCALE if scale is None else float(scale)
    height = fraction * frame_h
    width = height * cutout.width / cutout.height
    fit = min(1.0, frame_h / height, frame_w / width)
    if fit < 1.0:
        notices.append(Message("the avatar at scale {scale:g} ({width}×{height} px) is larger than the "
                               "{frame_w}×{frame_h} background; scaled down to fit (scale {fitted:.3g})",
                               scale=fraction, width=round(width), height=round(height), frame_w=frame_w,
                               frame_h=frame_h, fitted=fraction * fit))
        width, height = width * fit, height * fit
    size = (max(1, round(width)), max(1, round(height)))
    if position is None:
        feet = 1.0 if is_bust(cutout) else DEFAULT_FEET  # a bust has no feet: it rises from the frame's edge
        x, y = frame_w / 2, max(feet * frame_h, min(frame_h, size[1]))
    else:
        x, y = float(position[0]), float(position[1])
        if not (0 <= x <= frame_w and 0 <= y <= frame_h):
            raise InvalidInput("position ({x:g}, {y:g}) is outside the {frame_w}×{frame_h} background: X must be "
                               "0–{frame_w} and Y 0–{frame_h} (the pixel where the avatar's feet go)", x=x, y=y,
                               frame_w=frame_w, frame_h=frame_h)
    resized = np.asarray(cutout.resize(size, Image.LANCZOS))  # Pillow premultiplies alpha: no dark fringes
    left, top = round(x - size[0] / 2), round(y - size[1])
    placement = Placement(x, y, size[0], size[1], left, top, size[1] / frame_h, False)
    return resized, placement


def visible_part(rgba: np.ndarray, placement: Placement, frame: tuple[int, int]) -> tuple[np.ndarray, slice, slice]:
    """The part of the placed avatar inside the frame, trimmed to its non-transparent pixels, and the frame
    rows/cols it covers (so the correction never touches more than the avatar's own box)."""
    frame_w, frame_h = frame
    top, left = placement.top, placement.left
    r0, c0 = max(0, -top), max(0, -left)
    r1, c1 = min(rgba.shape[0], frame_h - top), min(rgba.shape[1], frame_w - left)
    box = _bounding_box(rgba[r0:r1, c0:c1, 3] > 0) if r1 > r0 and c1 > c0 else None
    if box is None:
        raise InvalidInput("the avatar lands entirely outside the background; choose another position")
    r0, r1 = r0 + box[0].start, r0 + box[0].stop
    c0, c1 = c0 + box[1].start, c0 + box[1].stop
    return rgba[r0:r1, c0:c1], slice(top + r0, top + r1), slice(left + c0, left + c1)


def add_contact_shadow(bg: np.ndarray, placement: Placement) -> None:
    """Darken the ground under the feet in place: a soft elliptical shadow a little wider than the feet."""
    frame_h, frame_w = bg.shape[:2]
    rx = max(2.0, 0.32 * placement.width)
    ry = max(1.5, 0.035 * placement.height)
    cx, cy = placement.x, placement.y - 0.4 * ry
    r0, r1 = max(0, int(cy - 3 * ry)), min(frame_h, int(cy + 3 * ry) + 1)
    c0, c1 = max(0, int(cx - 3 * rx)), min(frame_w, int(cx + 3 * rx) + 1)
    if r1 <= r0 or c1 <= c0:
        return
    dy = (np.arange(r0, r1, dtype=np.float32) + 0.5 - cy)[:, None] / ry
    dx = (np.arange(c0, c1, dtype=np.float32) + 0.5 - cx)[None, :] / rx
    shade = 1.0 - SHADOW_DARKNESS * np.exp(-1.5 * (dx**2 + dy**2))
    region = bg[r0:r1, c0:c1].astype(np.float32) * shade[..., None]
    bg[r0:r1, c0:c1] = (region + 0.5).astype(np.uint8)


# ---------------------------------------------------------------------------------------------------------------
# fuse


@dataclass
class PastedAvatar:
    """The avatar placed on the background, before the model: what :func:`fuse` harmonises."""

    scene: np.ndarray  # H×W×3 uint8 background, contact shadow included
    image: np.ndarray  # H×W×3 uint8 plain copy-paste
    avatar: np.ndarray  # the avatar's visible part, RGBA uint8, covering ``rows`` × ``cols`` of the frame
    rows: slice
    cols: slice
    placement: Placement
    notices: list[str] = field(default_factory=list)
    front: np.ndarray | None = None  # H×W×4 uint8 layer that goes over the person (the crowd's front row), or None

    @property
    def mask(self) -> np.ndarray:
        """H×W uint8, the placed avatar's alpha (255 = avatar), before any front layer hides part of it."""
        mask = np.zeros(self.scene.shape[:2], np.uint8)
        mask[self.rows, self.cols] = self.avatar[..., 3]
        return mask

    def in_front(self, image: np.ndarray) -> np.ndarray:
        """``image`` (H×W×3 uint8) with the front layer over it; ``image`` itself when there is none."""
        if self.front is None:
            return image
        rows = np.flatnonzero(self.front[..., 3].any(axis=1))  # the layer is a band along the bottom: work there
        band = slice(rows[0], rows[-1] + 1) if rows.size else slice(0, 0)
        f = self.front[band, :, 3:].astype(np.float32) / 255.0
        out = image.copy()
        out[band] = (image[band] * (1 - f) + self.front[band, :, :3] * f + 0.5).astype(np.uint8)
        return out

    @property
    def visible_mask(self) -> np.ndarray:
        """H×W uint8, the part of the avatar the picture shows: its alpha less what the front layer hides."""
        if self.front is None:
            return self.mask
        hidden = self.front[..., 3].astype(np.float32) / 255.0
        return (self.mask * (1.0 - hidden) + 0.5).astype(np.uint8)


def paste_avatar(background: imaging.ImageSource, avatar: imaging.ImageSource, *,
                 position: tuple[float, float] | None = None, scale: float | None = None,
                 shadow: bool | None = None, front: imaging.ImageSource | None = None,
                 match_scene: bool = False) -> PastedAvatar:
    """Place the RGBA ``avatar`` on ``background`` (placement rules in the module doc), no model: a cheap preview.
    ``front``: an RGBA layer the size of the background that stands in front of the avatar (a gallery background's
    front row); ``match_scene``: soften the avatar and add grain as the scene has. The defaults change nothing."""
    notices: list[str] = []
    scene = _load_background(background, notices)
    frame = scene.size
    layer = _front_layer(front, frame) if front is not None else None
    placed, placement = place_avatar(load_cutout(avatar), frame, position, scale, notices)
    rgba, rows, cols = visible_part(placed, placement, frame)
    bg = np.array(scene)  # a writable copy: the shadow is painted into it
    if match_scene:
        rgba = matched_to_scene(rgba, bg[_around(rows, cols, frame)])
    if (not placement.in_place) if shadow is None else shadow:
        add_contact_shadow(bg, placement)
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    comp = bg.copy()
    comp[rows, cols] = (bg[rows, cols] * (1 - a) + rgba[..., :3] * a + 0.5).astype(np.uint8)
    return PastedAvatar(bg, comp, rgba, rows, cols, placement, notices, layer)


def _front_layer(front: imaging.ImageSource, frame: tuple[int, int]) -> np.ndarray:
    layer = imaging.load_image(front, "RGBA")
    if layer.size != frame:
        raise InvalidInput("the front layer is {width}×{height} but the background is {frame_w}×{frame_h}; draw both "
                           "again with `python tools/render_backgrounds.py`", width=layer.width, height=layer.height,
                           frame_w=frame[0], frame_h=frame[1])
    return np.asarray(layer)


def _around(rows: slice, cols: slice, frame: tuple[int, int]) -> tuple[slice, slice]:
    """The frame rows/cols of a box grown by GRAIN_MARGIN px on every side (clipped to the frame)."""
    return (slice(max(0, rows.start - GRAIN_MARGIN), min(frame[1], rows.stop + GRAIN_MARGIN)),
            slice(max(0, cols.start - GRAIN_MARGIN), min(frame[0], cols.stop + GRAIN_MARGIN)))


def matched_to_scene(rgba: np.ndarray, surroundings: np.ndarray, seed: int = 0) -> np.ndarray:
    """The placed avatar (RGBA uint8) softened by SCENE_SOFTNESS and given the grain the scene has around it
    (``surroundings``, RGB uint8): Gaussian noise that lifts the avatar's own noise level to the scene's (both
    measured by :func:`noise_level`). Deterministic for a ``seed``, so preview and fuse agree."""
    import cv2

    premultiplied = rgba.astype(np.float32)
    premultiplied[..., :3] *= premultiplied[..., 3:] / 255.0  # blur colour with its alpha: no dark fringes
    soft = cv2.GaussianBlur(premultiplied, (0, 0), SCENE_SOFTNESS)
    alpha = soft[..., 3:]
    colour = soft[..., :3] / np.maximum(alpha, 1e-3) * 255.0
    inside = cv2.erode((rgba[..., 3] == 255).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    extra = math.sqrt(max(0.0, noise_level(surroundings) ** 2 - noise_level(rgba[..., :3], inside) ** 2))
    if extra > 0:
        colour += np.random.default_rng(seed).normal(0.0, extra, colour.shape[:2] + (1,)).astype(np.float32)
    return np.dstack([np.clip(colour, 0, 255), np.clip(alpha, 0, 255)]).round().astype(np.uint8)


def noise_level(image: np.ndarray, where: np.ndarray | None = None) -> float:
    """The standard deviation of an RGB uint8 image's noise, in 8-bit levels: the wavelet estimate of
    ``skimage.restoration.estimate_sigma`` (median absolute finest diagonal detail / 0.6745, channels averaged),
    over the pixels ``where`` is True only (a cut-out's edges are not noise); 0 when there is nothing to measure."""
    import pywt

    sigmas = []
    for channel in range(3):
        _, (_, _, diagonal) = pywt.dwt2(image[..., channel].astype(np.float32), "db2")
        if where is not None:  # the detail coefficients sit on a half-size grid (plus the filter's border)
            grid = where[::2, ::2][:diagonal.shape[0], :diagonal.shape[1]]
            diagonal = diagonal[:grid.shape[0], :grid.shape[1]][grid]
        if diagonal.size:
            sigmas.append(float(np.median(np.abs(diagonal))) / 0.6745)
    return float(np.mean(sigmas)) if sigmas else 0.0


def fuse(background: imaging.ImageSource, avatar: imaging.ImageSource, *, position: tuple[float, float] | None = None,
         scale: float | None = None, shadow: bool | None = None, model=None,
         model_path: str | os.PathLike | None = None, device: str | None = None,
         front: imaging.ImageSource | None = None, match_scene: bool = False) -> FusedImage:
    """Place the RGBA ``avatar`` on ``background`` and let the fusion model harmonise it (see the module doc); a
    ``front`` layer then goes over the fused person (and over the copy-paste "before").

    ``model``: an already loaded fusion model; otherwise :func:`load_fusion_model` (``model_path``, ``device``).
    """
    placed = paste_avatar(background, avatar, position=position, scale=scale, shadow=shadow, front=front,
                     match_scene=match_scene)
    if model is None:
        model = load_fusion_model(model_path, device)
    rows, cols, mask = placed.rows, placed.cols, placed.mask
    alpha = mask.astype(np.float32) / 255.0
    fused = placed.image.copy()
    for r0, r1, pixels in fused_strips(model, placed.image, placed.scene, alpha, placed.avatar[..., :3],
                                       (rows.start, cols.start)):
        fused[rows.start + r0:rows.start + r1, cols] = pixels
    return FusedImage(Image.fromarray(placed.in_front(fused)), Image.fromarray(placed.in_front(placed.image)),
                      placed.visible_mask, placed.placement, placed.notices)


def _load_background(background: imaging.ImageSource, notices: list[str]) -> Image.Image:
    scene = imaging.load_image(background, "RGB")
    longest = max(scene.size)
    if longest > MAX_SIDE:
        ratio = MAX_SIDE / longest
        size = (max(1, round(scene.width * ratio)), max(1, round(scene.height * ratio)))
        notices.append(Message("the background ({width}×{height}) is over {limit} px; scaled down to {new_w}×{new_h}",
                               width=scene.width, height=scene.height, limit=MAX_SIDE, new_w=size[0], new_h=size[1]))
        scene = scene.resize(size, Image.LANCZOS)
    return scene
