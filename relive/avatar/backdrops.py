"""Genre-themed backdrops drawn in code (no downloaded images, no fonts), and the sticker-style composite.

The top genre sets the scene (Reggae sun rays, Electronic laser grid, Jazz smoky spotlights, Classical gold
frame, Rock lightning, Pop confetti…), the second scatters its emblem (stars, bolts, notes…) in its accents
round the edges, where the person does not stand. Colours come from :data:`relive.avatar.stylize.LOOKS`, so
backdrop and avatar match. Deterministic for a seed; drawn at 2× and reduced, for smooth edges.

    bg = genre_backdrop(["Reggae", "Jazz"], 1024, seed=1)                 # PIL RGB
    framed = compose_on_backdrop(avatar_rgba, bg)                       # PIL RGBA, opaque
    alone = sticker(avatar_rgba)                                        # PIL RGBA, transparent around the outline
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from relive import imaging
from relive.avatar.stylize import LOOKS, NEUTRAL, GenreLook, seed_entropy
from relive.errors import InvalidImage, InvalidInput
from relive.genres import canonical_genre

RGB = tuple[int, int, int]
SS = 2  # supersampling factor for shapes


class Canvas:
    """A backdrop being drawn: an RGBA ``base`` (PIL) that gradients, numpy layers and 2×-drawn shape layers are
    composited onto, in uint8 (Pillow's alpha_composite is several times quicker than float numpy)."""

    GRADIENT_RES = 128  # gradients are computed this size and scaled up: they are smooth anyway

    def __init__(self, size: int, rng: np.random.Generator):
        self.size, self.rng = size, rng
        self.base = Image.new("RGBA", (size, size), (0, 0, 0, 255))
        self.big = size * SS

    def gradient(self, top: RGB, bottom: RGB, *, radial: tuple[float, float] | None = None, power: float = 1.0):
        """Vertical gradient top → bottom; or, with ``radial=(cx, cy)`` (fractions), centre → corners."""
        n = self.GRADIENT_RES
        yy, xx = (np.mgrid[0:n, 0:n].astype(np.float32) + 0.5) / n
        t = yy if radial is None else np.clip(np.hypot(xx - radial[0], yy - radial[1]) / 0.75, 0, 1)
        t = t[..., None] ** power
        rgb = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
        small = Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8), "RGB")
        self.base = small.resize((self.size, self.size), Image.BILINEAR).convert("RGBA")

    def layer(self, draw: Callable[[ImageDraw.ImageDraw, int], None], *, opacity: float = 1.0, blur: float = 0.0,
              glow: float = 0.0) -> None:
        """Draw on a transparent 2× layer (``draw(d, big_side)``), then reduce and composite it over the base.
        ``blur`` softens it (px at output size); ``glow`` adds a blurred copy underneath (neon)."""
        # Drawn premultiplied ("RGBa", see _rgba), so that reduce() needs no conversion of the big layer.
        big = Image.new("RGBa", (self.big, self.big), (0, 0, 0, 0))
        draw(ImageDraw.Draw(big), self.big)
        small = (big.reduce(SS) if SS > 1 else big).convert("RGBA")
        if blur:
            small = _blur(small, blur)
        if opacity < 1:
            small.putalpha(small.getchannel("A").point(lambda v: round(v * opacity)))
        if glow:
            halo = _blur(small, glow)
            halo.putalpha(halo.getchannel("A").point(lambda v: min(255, round(v * 1.6))))
            self.base.alpha_composite(halo)
        self.base.alpha_composite(small)

    def paint(self, rgb: np.ndarray, alpha: np.ndarray, at: tuple[int, int] = (0, 0)) -> None:
        """Composite a numpy patch at ``at`` (left, top): ``rgb`` (h, w, 3) 0..255 and ``alpha`` (h, w) 0..1."""
        rgba = np.dstack([np.clip(rgb + 0.5, 0, 255), np.clip(alpha * 255 + 0.5, 0, 255)]).astype(np.uint8)
        self.base.alpha_composite(Image.fromarray(rgba, "RGBA"), at)

    def image(self) -> Image.Image:
        return self.base.convert("RGB")


def _blur(img: Image.Image, radius: float) -> Image.Image:
    """Gaussian blur; wide ones run on a quarter-size copy (4× faster, and a wide blur hides the scaling)."""
    if radius < 6:
        return img.filter(ImageFilter.GaussianBlur(radius))
    small = img.reduce(4).filter(ImageFilter.GaussianBlur(radius / 4))
    return small.resize(img.size, Image.BILINEAR)


def _rgba(colour: RGB, alpha: int = 255) -> tuple[int, int, int, int]:
    """A fill for the premultiplied ("RGBa") shape layers."""
    return (*(round(v * alpha / 255) for v in colour), alpha)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


# --- shapes ---------------------------------------------------------------------------------------------------


def star(cx: float, cy: float, r: float, points: int = 5, inner: float = 0.45, turn: float = 0.0) -> list[tuple]:
    return [(cx + (r if i % 2 == 0 else r * inner) * math.sin(turn + i * math.pi / points),
             cy - (r if i % 2 == 0 else r * inner) * math.cos(turn + i * math.pi / points)) for i in range(2 * points)]


def bolt(cx: float, cy: float, r: float, turn: float = 0.0) -> list[tuple]:
    shape = [(-0.15, -1), (0.45, -1), (0.1, -0.15), (0.45, -0.15), (-0.3, 1), (-0.05, 0.15), (-0.4, 0.15)]
    c, s = math.cos(turn), math.sin(turn)
    return [(cx + r * (x * c - y * s), cy + r * (x * s + y * c)) for x, y in shape]


def rays(cx: float, cy: float, count: int, length: float, turn: float = 0.0) -> list[list[tuple]]:
    """``count`` wedges round (cx, cy): every other sector of a sunburst."""
    out = []
    for i in range(count):
        a0 = turn + 2 * math.pi * (2 * i) / (2 * count)
        a1 = turn + 2 * math.pi * (2 * i + 1) / (2 * count)
        out.append([(cx, cy), (cx + length * math.cos(a0), cy + length * math.sin(a0)),
                    (cx + length * math.cos(a1), cy + length * math.sin(a1))])
    return out


def note(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill) -> None:
    """A quaver: a tilted head, a stem and a flag."""
    d.ellipse([cx - r, cy - 0.7 * r, cx + r, cy + 0.7 * r], fill=fill)
    d.rectangle([cx + 0.75 * r, cy - 3.2 * r, cx + r, cy], fill=fill)
    d.polygon([(cx + 0.75 * r, cy - 3.2 * r), (cx + 2.0 * r, cy - 2.2 * r), (cx + 1.9 * r, cy - 1.7 * r),
               (cx + 0.9 * r, cy - 2.4 * r)], fill=fill)


def heart(cx: float, cy: float, r: float) -> list[tuple]:
    return [(cx + r * 0.9 * math.sin(t) ** 3,
             cy - r * 0.8 * (13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)) / 16)
            for t in np.linspace(0, 2 * math.pi, 40)]


def leaf(cx: float, cy: float, r: float, turn: float) -> list[tuple]:
    pts = [(r * math.cos(t), 0.72 * r * math.sin(t) * abs(math.cos(t / 2)))
           for t in np.linspace(0, 2 * math.pi, 30)]
    c, s = math.cos(turn), math.sin(turn)
    return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in pts]


# --- emblems (the second genre's accents) ----------------------------------------------------------------------


def _emblem(name: str) -> Callable[[ImageDraw.ImageDraw, float, float, float, float, tuple], None]:
    def poly(shape):
        return lambda d, x, y, r, turn, fill: d.polygon(shape(x, y, r, turn), fill=fill)

    def dot(d, x, y, r, turn, fill):
        d.ellipse([x - r * 0.6, y - r * 0.6, x + r * 0.6, y + r * 0.6], fill=fill)

    def ring(d, x, y, r, turn, fill):
        d.ellipse([x - r, y - r, x + r, y + r], outline=fill, width=max(2, int(r * 0.3)))

    def square_(d, x, y, r, turn, fill):
        d.polygon([(x + r * 0.7 * math.cos(turn + k * math.pi / 2), y + r * 0.7 * math.sin(turn + k * math.pi / 2))
                   for k in range(4)], fill=fill)

    def triangle(d, x, y, r, turn, fill):
        d.polygon([(x + r * math.cos(turn + k * 2 * math.pi / 3), y + r * math.sin(turn + k * 2 * math.pi / 3))
                   for k in range(3)], fill=fill)

    def bars(d, x, y, r, turn, fill):
        for k, h in enumerate((0.6, 1.0, 0.4, 0.8)):
            d.rectangle([x - r + k * r * 0.5, y + r - 2 * r * h, x - r + k * r * 0.5 + r * 0.35, y + r], fill=fill)

    def wave(d, x, y, r, turn, fill):
        pts = [(x - r + 2 * r * t, y + 0.35 * r * math.sin(t * 2 * math.pi * 1.5)) for t in np.linspace(0, 1, 20)]
        d.line(pts, fill=fill, width=max(2, int(r * 0.28)), joint="curve")

    return {
        "star": poly(lambda x, y, r, t: star(x, y, r, 5, 0.45, t)),
        "sparkle": poly(lambda x, y, r, t: star(x, y, r, 4, 0.28, 0)),
        "burst": poly(lambda x, y, r, t: star(x, y, r, 9, 0.6, t)),
        "bolt": poly(lambda x, y, r, t: bolt(x, y, r, t * 0.3)),
        "heart": poly(lambda x, y, r, t: heart(x, y, r)),
        "leaf": poly(lambda x, y, r, t: leaf(x, y, r, t)),
        "note": lambda d, x, y, r, turn, fill: note(d, x, y, r * 0.45, fill),
        "dot": dot, "ring": ring, "square": square_, "triangle": triangle, "bars": bars, "wave": wave,
    }[name]


EMBLEMS = {
    "Comedy": "burst", "Art": "dot", "Chill": "wave", "Food": "dot", "Social": "heart", "Rock": "bolt",
    "Pop": "star", "Soul": "ring", "Jazz": "note", "Electronic": "square", "Folk": "leaf", "Reggae": "star",
    "Hip-hop": "sparkle", "Punk": "bolt", "Rap": "bars", "Classical": "note", "Indie": "triangle", "Other": "sparkle",
}


def scatter_emblems(c: Canvas, look: GenreLook, emblem: str, count: int = 12) -> None:
    """``count`` emblems in the look's accents, in the top corners and down the sides (not behind the face)."""
    draw_one = _emblem(emblem)
    rng = c.rng
    spots = []
    while len(spots) < count:
        x, y = rng.random(2)
        if (abs(x - 0.5) > 0.3 and y < 0.75) or (y < 0.14 and abs(x - 0.5) > 0.12):
            if all(math.hypot(x - a, y - b) > 0.11 for a, b, _ in spots):
                spots.append((x, y, rng.random()))

    def draw(d, s):
        for i, (x, y, t) in enumerate(spots):
            r = s * (0.022 + 0.02 * t)
            fill = _rgba(look.accent if i % 2 == 0 else look.accent2)
            draw_one(d, x * s, y * s, r, t * math.tau, fill)

    c.layer(draw, glow=c.size / 200)


# --- scenes (the top genre's theme) ----------------------------------------------------------------------------


def _sunburst(c: Canvas, colours: list[RGB], centre=(0.5, 0.62), count=18, opacity=1.0, turn=None):
    turn = c.rng.random() * math.tau if turn is None else turn

    def draw(d, s):
        for i, wedge in enumerate(rays(centre[0] * s, centre[1] * s, count, 1.6 * s, turn)):
            d.polygon(wedge, fill=_rgba(colours[i % len(colours)]))
    c.layer(draw, opacity=opacity)


def _halftone_corner(c: Canvas, colour: RGB, corner=(1.0, 1.0), period=0.03, opacity=0.5):
    def draw(d, s):
        step = period * s
        for gy in np.arange(step / 2, s, step):
            for gx in np.arange(step / 2, s, step):
                t = 1 - math.hypot(gx / s - corner[0], gy / s - corner[1]) / 0.7
                if t > 0:
                    r = step * 0.48 * t ** 0.8
                    d.ellipse([gx - r, gy - r, gx + r, gy + r], fill=_rgba(colour))
    c.layer(draw, opacity=opacity)


def scene_comedy(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], look.tones[1], radial=(0.5, 0.55))
    _sunburst(c, [_mix(look.tones[2], look.tones[1], 0.5)], count=16, opacity=0.7)
    _halftone_corner(c, look.accent, (0, 0), opacity=0.6)
    _halftone_corner(c, look.accent2, (1, 1), opacity=0.6)

    def draw(d, s):
        d.polygon(star(0.86 * s, 0.16 * s, 0.1 * s, 11, 0.62, 0.2), fill=_rgba(look.accent))
        d.polygon(star(0.86 * s, 0.16 * s, 0.065 * s, 11, 0.62, 0.2), fill=_rgba(look.tones[2]))
    c.layer(draw)


def scene_art(c: Canvas, look: GenreLook):
    c.gradient((250, 244, 230), (238, 228, 208))
    colours = [look.tones[0], look.tones[1], look.accent, look.accent2, look.tones[2]]

    def draw(d, s):
        for k in range(9):
            x, y = c.rng.random() * s, c.rng.random() * s * 0.8
            r = s * (0.05 + 0.09 * c.rng.random())
            col = _rgba(colours[k % len(colours)], 235)
            d.ellipse([x - r, y - r, x + r, y + r], fill=col)
            for _ in range(7):  # splatter
                a, dist = c.rng.random() * math.tau, r * (1.1 + 0.8 * c.rng.random())
                rr = r * (0.05 + 0.15 * c.rng.random())
                px, py = x + dist * math.cos(a), y + dist * math.sin(a)
                d.ellipse([px - rr, py - rr, px + rr, py + rr], fill=col)
            drip = r * (0.8 + 1.5 * c.rng.random())
            d.rounded_rectangle([x - r * 0.15, y, x + r * 0.15, y + r + drip], radius=int(r * 0.15), fill=col)
        for k in range(3):  # brush strokes
            y = s * (0.15 + 0.3 * k + 0.1 * c.rng.random())
            pts = [(s * t, y + s * 0.03 * math.sin(t * 7 + k)) for t in np.linspace(-0.05, 1.05, 30)]
            d.line(pts, fill=_rgba(colours[(k + 2) % len(colours)], 150), width=int(s * 0.035), joint="curve")
    c.layer(draw)


def scene_chill(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], _mix(look.tones[1], look.tones[2], 0.4))

    def draw(d, s):
        d.ellipse([0.62 * s, 0.08 * s, 0.9 * s, 0.36 * s], fill=_rgba(look.accent2, 220))
        for k in range(5):
            base = s * (0.55 + 0.1 * k)
            col = _mix(look.tones[1], look.tones[0], k / 5)
            phase = c.rng.random() * math.tau
            pts = [(x, base + s * 0.025 * math.sin(x / s * math.tau * 2 + phase)) for x in np.linspace(0, s, 60)]
            d.polygon(pts + [(s, s), (0, s)], fill=_rgba(col, 230))
            d.line(pts, fill=_rgba(look.tones[2], 200), width=int(s * 0.006))
    c.layer(draw)


def scene_food(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], _mix(look.tones[2], look.accent, 0.3))

    def draw(d, s):
        step = s / 9
        for row in range(11):
            for col in range(11):
                x = (col + (0.5 if row % 2 else 0)) * step
                y = row * step
                r = step * 0.26
                fill = _rgba(look.tones[1] if (row + col) % 3 else look.accent2)
                d.ellipse([x - r, y - r, x + r, y + r], fill=fill)
    c.layer(draw)


def scene_social(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], look.tones[1], radial=(0.5, 0.4))
    colours = [look.accent, look.accent2, look.tones[1], look.tones[0]]

    def bokeh(d, s):
        for k in range(22):
            x, y, r = c.rng.random() * s, c.rng.random() * s, s * (0.03 + 0.08 * c.rng.random())
            d.ellipse([x - r, y - r, x + r, y + r], fill=_rgba(_mix(colours[k % 3], (255, 255, 255), 0.3), 110))
    c.layer(bokeh, blur=c.size / 300)

    def bubbles(d, s):
        for (x, y, w, flip) in ((0.05, 0.06, 0.26, False), (0.72, 0.14, 0.22, True), (0.04, 0.42, 0.16, False)):
            box = [x * s, y * s, (x + w) * s, (y + w * 0.62) * s]
            d.rounded_rectangle(box, radius=int(w * s * 0.2), fill=_rgba((255, 255, 255), 235))
            tx = box[2] - w * s * 0.3 if flip else box[0] + w * s * 0.3
            d.polygon([(tx - w * s * 0.08, box[3] - 2), (tx + w * s * 0.08, box[3] - 2),
                       (tx + (-0.12 if flip else 0.12) * w * s, box[3] + w * s * 0.16)],
                      fill=_rgba((255, 255, 255), 235))
            for k in range(3):
                cx, cy, r = box[0] + w * s * (0.3 + 0.2 * k), (box[1] + box[3]) / 2, w * s * 0.05
                d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=_rgba(colours[k]))
    c.layer(bubbles)


def scene_rock(c: Canvas, look: GenreLook):
    c.gradient(look.tones[1], look.tones[0], radial=(0.5, 0.45), power=0.8)
    _sunburst(c, [look.tones[0]], centre=(0.5, 0.45), count=24, opacity=0.35)

    def draw(d, s):
        for (x, y, r, t) in ((0.12, 0.2, 0.16, 0.25), (0.88, 0.3, 0.14, -0.3), (0.1, 0.72, 0.1, 0.1),
                             (0.9, 0.75, 0.11, -0.1)):
            d.polygon(bolt(x * s, y * s, r * s, t), fill=_rgba(look.accent))
            d.polygon(bolt(x * s, y * s, r * s * 0.6, t), fill=_rgba(look.tones[2]))
    c.layer(draw, glow=c.size / 60)


def scene_pop(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], _mix(look.tones[1], look.tones[2], 0.35), radial=(0.5, 0.5))
    colours = [look.tones[1], look.accent, look.accent2, look.tones[0]]

    def draw(d, s):
        for k in range(90):
            x, y = c.rng.random() * s, c.rng.random() * s
            w, h, a = s * (0.008 + 0.01 * c.rng.random()), s * 0.022, c.rng.random() * math.pi
            pts = [(x + dx * math.cos(a) - dy * math.sin(a), y + dx * math.sin(a) + dy * math.cos(a))
                   for dx, dy in ((-w, -h), (w, -h), (w, h), (-w, h))]
            d.polygon(pts, fill=_rgba(colours[k % 4]))
        for k in range(9):
            x, y = c.rng.random() * s, c.rng.random() * s * 0.9
            d.polygon(star(x, y, s * (0.025 + 0.035 * c.rng.random()), turn=c.rng.random()), fill=_rgba(colours[k % 3]))
    c.layer(draw)


def scene_soul(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], look.tones[1])

    def draw(d, s):
        cx, cy, r = 0.5 * s, 0.48 * s, 0.46 * s
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=_rgba(look.tones[0]))
        for k in range(14):
            rr = r * (0.95 - k * 0.045)
            d.ellipse([cx - rr, cy - rr, cx + rr, cy + rr], outline=_rgba(_mix(look.tones[0], look.tones[1], 0.35)),
                      width=max(1, int(s * 0.002)))
        rl = r * 0.3
        d.ellipse([cx - rl, cy - rl, cx + rl, cy + rl], fill=_rgba(look.accent))
        for rr in (r * 0.8, r * 0.7, r * 0.6):  # the sheen of the grooves
            d.arc([cx - rr, cy - rr, cx + rr, cy + rr], 200, 240, fill=_rgba(look.tones[2], 110), width=int(s * 0.006))
    c.layer(draw)


def scene_jazz(c: Canvas, look: GenreLook):
    c.gradient(look.tones[0], _mix(look.tones[0], look.tones[1], 0.5))

    def beams(d, s):  # two spotlights from the top corners, meeting on the singer
        for x0 in (0.08, 0.92):
            d.polygon([(x0 * s - 0.03 * s, -10), (x0 * s + 0.03 * s, -10), (0.5 * s + 0.3 * s, 1.05 * s),
                       (0.5 * s - 0.3 * s, 1.05 * s)], fill=_rgba(look.tones[2], 45))
        d.ellipse([0.15 * s, 0.82 * s, 0.85 * s, 1.12 * s], fill=_rgba(look.tones[2], 60))
    c.layer(beams, blur=c.size / 40)

    def smoke(d, s):
        for _ in range(14):
            x, y, r = c.rng.random() * s, (0.3 + 0.7 * c.rng.random()) * s, s * (0.06 + 0.1 * c.rng.random())
            d.ellipse([x - r * 1.6, y - r, x + r * 1.6, y + r], fill=_rgba(look.tones[2], 28))
    c.layer(smoke, blur=c.size / 30)

    def notes(d, s):
        for x, y, r in ((0.1, 0.22, 0.028), (0.2, 0.1, 0.02), (0.86, 0.18, 0.03), (0.92, 0.45, 0.02)):
            note(d, x * s, y * s, r * s, _rgba(look.accent, 230))
    c.layer(notes, glow=c.size / 150)


def scene_electronic(c: Canvas, look: GenreLook):
    c.gradient(look.tones[0], _mix(look.tones[0], look.accent2, 0.35))

    # the synthwave sun: a magenta → gold disc with cuts across its lower half, in a soft glow
    n = c.size
    cx, cy, r = 0.5, 0.46, 0.28
    g = Canvas.GRADIENT_RES  # the glow is smooth: computed small, scaled up
    yy, xx = (np.mgrid[0:g, 0:g].astype(np.float32) + 0.5) / g
    glow = np.clip(1 - (np.hypot(xx - cx, yy - cy) - r) / 0.2, 0, 1) ** 2 * 0.55
    halo = np.dstack([np.broadcast_to(np.asarray(look.accent2, np.float32), (g, g, 3)), glow * 255])
    c.base.alpha_composite(Image.fromarray(halo.astype(np.uint8), "RGBA").resize((n, n), Image.BILINEAR))
    left, top, side = round((cx - r) * n), round((cy - r) * n), round(2 * r * n) + 1
    yy, xx = (np.mgrid[top:top + side, left:left + side].astype(np.float32) + 0.5) / n
    dist = np.hypot(xx - cx, yy - cy)
    t = np.clip((yy - (cy - r)) / (2 * r), 0, 1)[..., None]
    colour = np.asarray(look.accent2, np.float32) * (1 - t) + np.asarray((255, 210, 80), np.float32) * t
    disc = np.clip((r - dist) * n + 0.5, 0, 1)
    phase = (yy - cy) / r  # 0 at the centre, 1 at the bottom
    cuts = np.where(phase > 0.05, np.clip(np.sin(phase * 9 * math.pi) * 3 * n / 400 - (1 - phase) * 2.2 + 0.5, 0, 1), 0)
    c.paint(colour, disc * (1 - cuts), at=(left, top))

    def grid(d, s):
        horizon, vx = 0.62 * s, 0.5 * s
        d.rectangle([0, horizon, s, s], fill=_rgba(look.tones[0], 255))
        w = max(2, int(s * 0.004))
        for k in range(-12, 13):
            d.line([(vx + k * s * 0.02, horizon), (vx + k * s * 0.2, s)], fill=_rgba(look.accent), width=w)
        for k in range(1, 12):
            y = horizon + (s - horizon) * (k / 11) ** 2.2
            d.line([(0, y), (s, y)], fill=_rgba(look.accent), width=w)
    c.layer(grid, glow=c.size / 120)


def scene_folk(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], _mix(look.tones[2], look.accent2, 0.25))

    def draw(d, s):
        d.ellipse([0.7 * s, 0.1 * s, 0.86 * s, 0.26 * s], fill=_rgba(look.accent2))
        for k, col in enumerate((_mix(look.accent, look.tones[2], 0.45), look.accent, look.tones[0])):
            base, amp = s * (0.45 + 0.16 * k), s * (0.12 - 0.03 * k)
            phase = c.rng.random() * math.tau
            pts = [(x, base - amp * abs(math.sin(x / s * math.pi * (1.4 + k * 0.5) + phase)))
                   for x in np.linspace(0, s, 50)]
            d.polygon(pts + [(s, s), (0, s)], fill=_rgba(col))
        for _ in range(9):
            x, y = c.rng.random() * s, c.rng.random() * s * 0.4
            d.polygon(leaf(x, y, s * 0.03, c.rng.random() * math.tau), fill=_rgba(look.accent, 220))
    c.layer(draw)


def scene_reggae(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], look.tones[1], radial=(0.5, 0.62))
    _sunburst(c, [look.accent, look.tones[1], look.accent2], centre=(0.5, 0.62), count=18, turn=-math.pi / 2)

    def draw(d, s):
        r = 0.22 * s
        d.ellipse([0.5 * s - r, 0.62 * s - r, 0.5 * s + r, 0.62 * s + r], fill=_rgba(look.tones[2]))
    c.layer(draw, glow=c.size / 30)


def scene_hiphop(c: Canvas, look: GenreLook):
    c.gradient(look.tones[1], look.tones[0])

    def bricks(d, s):
        h = s / 16
        mortar = _rgba(look.tones[0], 255)
        for row in range(17):
            y = row * h
            d.line([(0, y), (s, y)], fill=mortar, width=int(s * 0.004))
            off = (h if row % 2 else 0)
            for x in np.arange(-off, s, 2 * h):
                d.line([(x, y), (x, y + h)], fill=mortar, width=int(s * 0.004))
    c.layer(bricks, opacity=0.8)

    def spray(d, s):
        for k, (x, y, r) in enumerate(((0.14, 0.2, 0.11), (0.86, 0.26, 0.09), (0.12, 0.66, 0.07), (0.9, 0.7, 0.08))):
            col = _rgba(look.accent if k % 2 == 0 else look.accent2, 230)
            d.ellipse([(x - r) * s, (y - r) * s, (x + r) * s, (y + r) * s], fill=col)
            for j in range(3):
                dx = (x - r * 0.5 + j * r * 0.5) * s
                d.rounded_rectangle([dx - s * 0.006, y * s, dx + s * 0.006, (y + r + 0.04 + 0.06 * c.rng.random()) * s],
                                    radius=int(s * 0.006), fill=col)
    c.layer(spray, blur=c.size / 400)


def scene_punk(c: Canvas, look: GenreLook):
    c.gradient(look.tones[1], _mix(look.tones[1], look.tones[0], 0.25))
    _halftone_corner(c, look.tones[0], (1, 0), period=0.035, opacity=0.8)

    def draw(d, s):
        band = [(0, 0.7 * s), (s, 0.45 * s), (s, 0.6 * s), (0, 0.85 * s)]
        d.polygon(band, fill=_rgba(look.tones[0]))
        for k in range(-2, 14):  # hazard stripes on the band
            x = k * s * 0.09
            d.polygon([(x, 0.7 * s - x * 0.25), (x + s * 0.045, 0.7 * s - (x + s * 0.045) * 0.25),
                       (x + s * 0.045 - 0.04 * s, 0.85 * s - (x + s * 0.045) * 0.25),
                       (x - 0.04 * s, 0.85 * s - x * 0.25)],
                      fill=_rgba(look.accent2))
        edge = [(x, s * (0.1 + 0.04 * c.rng.random())) for x in np.linspace(0, s * 0.45, 18)]
        torn = [(0, 0), *edge, (s * 0.45, 0)]
        d.polygon(torn, fill=_rgba(look.tones[2]))
        for x, y, r in ((0.1, 0.3, 0.05), (0.88, 0.2, 0.04), (0.07, 0.5, 0.03)):
            d.polygon(star(x * s, y * s, r * s, turn=0.3), fill=_rgba(look.tones[0]))
    c.layer(draw)


def scene_rap(c: Canvas, look: GenreLook):
    c.gradient(_mix(look.tones[0], look.tones[1], 0.3), look.tones[0], radial=(0.5, 0.35))

    def beams(d, s):
        for x in (0.2, 0.5, 0.8):
            d.polygon([(x * s - 0.01 * s, -5), (x * s + 0.01 * s, -5), (x * s + 0.25 * s, s), (x * s - 0.25 * s, s)],
                      fill=_rgba(look.accent, 40))
    c.layer(beams, blur=c.size / 50)

    def bars(d, s):
        n = 28
        w = s / n
        for k in range(n):
            h = s * (0.08 + 0.3 * abs(math.sin(k * 0.7 + c.rng.random() * 0.6)) * (0.5 + 0.5 * c.rng.random()))
            for j in range(int(h / (w * 0.55))):  # segmented LED bars
                y = s - (j + 1) * w * 0.55
                col = look.accent2 if y < s - s * 0.28 else look.accent
                d.rectangle([k * w + w * 0.12, y, (k + 1) * w - w * 0.12, y + w * 0.4], fill=_rgba(col))
    c.layer(bars, glow=c.size / 150)


def scene_classical(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], _mix(look.tones[1], look.tones[2], 0.4), radial=(0.5, 0.42), power=1.4)
    gold, dark = look.accent, _mix(look.accent, look.tones[0], 0.45)

    def draw(d, s):
        for inset, width, col in ((0.025, 0.03, gold), (0.06, 0.006, dark), (0.075, 0.004, gold)):
            d.rectangle([inset * s, inset * s, (1 - inset) * s, (1 - inset) * s], outline=_rgba(col),
                        width=int(width * s))
        for cx, cy in ((0.075, 0.075), (0.925, 0.075), (0.075, 0.925), (0.925, 0.925)):
            r = 0.045 * s
            d.ellipse([cx * s - r, cy * s - r, cx * s + r, cy * s + r], fill=_rgba(gold), outline=_rgba(dark),
                      width=int(0.005 * s))
            d.polygon(star(cx * s, cy * s, r * 0.7, 8, 0.5), fill=_rgba(dark))
        for k in range(12):  # laurel dashes along the top
            x = s * (0.3 + 0.4 * k / 11)
            d.polygon(leaf(x, 0.045 * s, 0.014 * s, 0.5 if k % 2 else -0.5), fill=_rgba(dark))
    c.layer(draw)


def scene_indie(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], _mix(look.tones[2], look.accent, 0.4))

    def draw(d, s):
        cx, cy = 0.5 * s, 1.02 * s
        colours = [look.tones[1], look.accent, look.accent2, look.tones[0], look.tones[2]]
        for k, col in enumerate(colours):
            r = s * (0.78 - 0.11 * k)
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=_rgba(col))
        for k in range(8):
            x, y, r = c.rng.random() * s, c.rng.random() * s * 0.3, s * (0.015 + 0.02 * c.rng.random())
            t = c.rng.random() * math.tau
            d.polygon([(x + r * math.cos(t + j * math.tau / 3), y + r * math.sin(t + j * math.tau / 3))
                       for j in range(3)],
                      fill=_rgba(colours[k % 4]))
    c.layer(draw)


def scene_other(c: Canvas, look: GenreLook):
    c.gradient(look.tones[2], _mix(look.tones[1], look.tones[2], 0.45))
    colours = [look.accent, look.accent2, look.tones[1]]

    def bokeh(d, s):
        for k in range(26):
            x, y, r = c.rng.random() * s, c.rng.random() * s, s * (0.02 + 0.07 * c.rng.random())
            d.ellipse([x - r, y - r, x + r, y + r], fill=_rgba(colours[k % 3], 110))
    c.layer(bokeh, blur=c.size / 250)

    def sparkles(d, s):
        for _ in range(7):
            x, y = c.rng.random() * s, c.rng.random() * s * 0.5
            d.polygon(star(x, y, s * (0.015 + 0.02 * c.rng.random()), 4, 0.25), fill=_rgba((255, 255, 255)))
    c.layer(sparkles, glow=c.size / 150)


SCENES: dict[str, Callable[[Canvas, GenreLook], None]] = {
    "Comedy": scene_comedy, "Art": scene_art, "Chill": scene_chill, "Food": scene_food, "Social": scene_social,
    "Rock": scene_rock, "Pop": scene_pop, "Soul": scene_soul, "Jazz": scene_jazz, "Electronic": scene_electronic,
    "Folk": scene_folk, "Reggae": scene_reggae, "Hip-hop": scene_hiphop, "Punk": scene_punk, "Rap": scene_rap,
    "Classical": scene_classical, "Indie": scene_indie, "Other": scene_other,
}
assert set(SCENES) == set(LOOKS) == set(EMBLEMS)


def genre_backdrop(genres: list[str] | tuple[str, ...] = (), size: int = 1024, *, seed: int = 0) -> Image.Image:
    """A genre-themed backdrop, PIL RGB ``size``×``size``: the top genre's scene, the second genre's emblems.

    No genres: the neutral ("Other") scene. Deterministic for ``(genres[:2], size, seed)`` and cached.
    """
    if not isinstance(size, int) or not 16 <= size <= 4096:
        raise InvalidInput("size={size!r} is out of range; use a whole number of pixels from 16 to 4096", size=size)
    names = tuple(canonical_genre(g) for g in genres)[:2] or (NEUTRAL,)
    return _backdrop(names, size, seed_entropy(seed)).copy()


@lru_cache(maxsize=64)
def _backdrop(names: tuple[str, ...], size: int, seed: int) -> Image.Image:
    rng = np.random.default_rng([seed, *map(list(LOOKS).index, names)])
    canvas = Canvas(size, rng)
    SCENES[names[0]](canvas, LOOKS[names[0]])
    if len(names) > 1 and names[1] != names[0]:
        scatter_emblems(canvas, LOOKS[names[1]], EMBLEMS[names[1]])
    return canvas.image()


# --- the sticker and the composite ---------------------------------------------------------------------------

OUTLINE = 0.012  # sticker outline width, a fraction of the image side
INK = 0.003  # the contour inside the outline, a fraction of the image side
SHADOW = 0.018  # drop shadow offset and blur, a fraction of the image side


def sticker(avatar: Image.Image, *, outline: float = OUTLINE, colour: RGB = (255, 255, 255),
            ink: RGB | None = None) -> Image.Image:
    """``avatar`` (RGBA cut-out) as a die-cut sticker: a crisp ``colour`` outline ``outline``·side wide round the
    person, transparent elsewhere: RGBA. ``ink`` adds a thin contour of that colour just inside the silhouette,
    as an illustrator's outline. ``outline=0`` returns the cut-out unchanged.

    The person's own soft edge (segmenters leave a few pixels of half-transparent background) is tightened to a
    1–2 px antialiased edge first: over the outline it would show as a grey halo.
    """
    rgba = _rgba_array(avatar)
    if outline <= 0:
        return avatar.copy()
    alpha = rgba[..., 3]
    radius = max(1.0, outline * min(alpha.shape))
    solid = np.where(alpha >= 128, np.uint8(255), np.uint8(0))
    # Distances to the silhouette (px) give a round, antialiased outline of any width in one pass.
    # (the 5×5 mask's distances are within ~2 % of Euclidean: invisible on a 12 px outline, 4× quicker)
    outside = cv2.distanceTransform(255 - solid, cv2.DIST_L2, 5)
    grown = _ramp(radius - outside)
    person = rgba.copy()
    person[..., 3] = cv2.LUT(alpha, _TIGHTEN)
    if ink is not None:
        width = max(1.0, INK * min(alpha.shape))
        inside = cv2.distanceTransform(solid, cv2.DIST_L2, 5)
        ys, xs = np.nonzero((inside > 0) & (inside < width + 0.5))  # a thin band inside the edge: blend only there
        weight = np.clip(width - inside[ys, xs] + 0.5, 0, 1)[:, None]
        band = person[ys, xs, :3] * (1 - weight) + np.asarray(ink, np.float32) * weight
        person[ys, xs, :3] = (band + 0.5).astype(np.uint8)
    band = np.dstack([np.broadcast_to(np.asarray(colour, np.uint8), alpha.shape + (3,)), grown])
    return Image.alpha_composite(Image.fromarray(np.ascontiguousarray(band), "RGBA"), Image.fromarray(person, "RGBA"))


_TIGHTEN = np.clip((np.arange(256) - 96) * 4, 0, 255).astype(np.uint8)  # alpha 96..160 → 0..255


def _ramp(signed: np.ndarray) -> np.ndarray:
    """Signed distance (px, > 0 inside) → uint8 coverage with a 1 px antialiased edge."""
    return (np.clip(signed + 0.5, 0, 1) * 255 + 0.5).astype(np.uint8)


def compose_on_backdrop(avatar: Image.Image, backdrop: Image.Image, *, outline: float = OUTLINE,
                        shadow: float = SHADOW, ink: RGB | None = None) -> Image.Image:
    """The cut-out ``avatar`` (RGBA) as a :func:`sticker` (outline, optional ink contour, soft drop shadow) on
    ``backdrop``: an opaque RGBA image of the avatar's size (the backdrop is resized to it when needed)."""
    rgba = _rgba_array(avatar)
    size = (rgba.shape[1], rgba.shape[0])
    bg = imaging.load_image(backdrop, "RGB")
    if bg.size != size:
        bg = bg.resize(size, Image.LANCZOS)
    front = sticker(Image.fromarray(rgba, "RGBA"), outline=outline, ink=ink)
    out = bg.convert("RGBA")
    if shadow > 0:  # a soft drop shadow, down and a little right; it is blurry, so made at a quarter size
        offset = max(1, round(shadow * min(size)))
        small = front.getchannel("A").reduce(4)
        moved = Image.new("L", small.size, 0)
        moved.paste(small, (offset // 8, offset // 4))
        soft = cv2.GaussianBlur(np.asarray(moved), (0, 0), max(0.5, offset * 0.2))
        soft = cv2.resize((soft * 0.45).astype(np.uint8), size, interpolation=cv2.INTER_LINEAR)
        shade = Image.new("RGBA", size, (20, 20, 20, 0))
        shade.putalpha(Image.fromarray(soft, "L"))
        out.alpha_composite(shade)
    out.alpha_composite(front)
    return out


def _rgba_array(avatar: Image.Image) -> np.ndarray:
    if not isinstance(avatar, Image.Image) or avatar.mode != "RGBA":
        raise InvalidImage("the avatar must be a PIL RGBA cut-out (transparent around the person); "
                           "make one with relive.backends.segmentation.remove_background")
    return np.asarray(avatar, np.uint8)
