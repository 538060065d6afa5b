"""Procedural festival scenes with lit people, and person-shaped silhouettes — training data without downloads.

Harmonisation needs a foreground whose appearance fits its scene. Photos of people are scarce offline, so scenes
are rendered here (numpy + PIL + OpenCV): a stage under coloured beams, a sunset crowd, food trucks under string
lights, a beach stage at night, a field of tents and flags, a fairground wheel at dusk. Each scene places one or
more people lit by the scene's own light (ambient colour, a coloured key light, a rim from the light behind), so
the ground truth is *harmonised* by construction and a perturbed copy of the person is not.

    scene = render_scene("stage", 768, 512, np.random.default_rng(0), n_people=2)
    scene.image            # uint8 (512, 768, 3)
    scene.people[0]        # uint8 mask (512, 768), 255 = the first person
    mask = person_mask(640, 480, rng)   # a standalone random silhouette, e.g. for a mask over any photo
    picture, front = render_layers("main_stage", 4, 1536, 1024, FrontRow(0.8, 0.05, 1.5))  # a gallery background
                                        # and its front layer (RGBA: the crowd's front row, over a placed person)

Rendering works on float32 RGB canvases in [0, 1+] (light adds up) and tone-maps once at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from relive.errors import InvalidInput, UnknownName

Colour = tuple[float, float, float]


@dataclass
class Scene:
    """A drawn festival scene: its kind, the picture and one mask per person in it."""
    kind: str
    image: np.ndarray                                            # uint8 (H, W, 3)
    people: list[np.ndarray] = field(default_factory=list)       # uint8 (H, W) masks, 255 = person


# --- small drawing kit -----------------------------------------------------------------------------------------

SUPERSAMPLE = 2  # shapes are drawn at 2× and averaged down: soft, anti-aliased edges


def polygon_cover(height: int, width: int, polygons=(), ellipses=(), lines=()) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of polygons [(x, y)…], ellipses (cx, cy, rx, ry) and thick lines
    ((x0, y0, x1, y1), width) with round caps, in pixel coordinates of a (height, width) frame."""
    s = SUPERSAMPLE
    layer = Image.new("L", (width * s, height * s), 0)
    draw = ImageDraw.Draw(layer)
    for points in polygons:
        draw.polygon([(x * s, y * s) for x, y in points], fill=255)
    for cx, cy, rx, ry in ellipses:
        draw.ellipse([(cx - rx) * s, (cy - ry) * s, (cx + rx) * s, (cy + ry) * s], fill=255)
    for (x0, y0, x1, y1), thick in lines:
        draw.line([(x0 * s, y0 * s), (x1 * s, y1 * s)], fill=255, width=max(1, round(thick * s)))
        for x, y in ((x0, y0), (x1, y1)):  # round joints
            r = thick * s / 2
            draw.ellipse([x * s - r, y * s - r, x * s + r, y * s + r], fill=255)
    small = layer.resize((width, height), Image.BOX)
    return np.asarray(small, np.float32) / 255.0


def paint(canvas: np.ndarray, cover: np.ndarray, colour) -> None:
    """Alpha-blend ``colour`` (an RGB triple or an image) over ``canvas`` where ``cover`` (0..1) says, in place."""
    import cv2

    x, y, w, h = cv2.boundingRect((cover > 0).view(np.uint8) if cover.dtype == bool else (cover > 0).astype(np.uint8))
    if w == 0 or h == 0:
        return
    region = (slice(y, y + h), slice(x, x + w))  # work on the shape's box only: most shapes are small
    a = cover[region][..., None]
    colour = np.asarray(colour, np.float32)
    colour = colour[region] if colour.ndim == 3 else colour
    canvas[region] = canvas[region] * (1.0 - a) + a * colour


def add_light(canvas: np.ndarray, cover: np.ndarray, colour, intensity: float = 1.0) -> None:
    """Additive light (glows, beams, bulbs), in place."""
    canvas += cover[..., None] * (np.asarray(colour, np.float32) * intensity)


def vertical_gradient(height: int, width: int, stops: list[tuple[float, Colour]]) -> np.ndarray:
    """A (height, width, 3) gradient through colour ``stops`` [(position 0..1 from the top, rgb)…]."""
    positions = np.array([p for p, _ in stops], np.float32)
    colours = np.array([c for _, c in stops], np.float32)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)
    column = np.stack([np.interp(y, positions, colours[:, c]) for c in range(3)], axis=1)
    return np.repeat(column[:, None, :], width, axis=1).astype(np.float32)


def radial(height: int, width: int, cx: float, cy: float, radius: float, sy: float = 1.0) -> np.ndarray:
    """A Gaussian blob (peak 1) centred at (cx, cy); ``sy`` stretches it vertically."""
    y, x = np.ogrid[:height, :width]
    return np.exp(-(((x - cx) ** 2) + ((y - cy) / sy) ** 2) / (2.0 * radius**2)).astype(np.float32)


def smooth_noise(height: int, width: int, rng: np.random.Generator, cells: int) -> np.ndarray:
    """Value noise in [-1, 1] with about ``cells`` blobs across the width (clouds, haze, fabric, grass)."""
    import cv2

    gh, gw = max(2, round(cells * height / width)), max(2, cells)
    grid = rng.uniform(-1.0, 1.0, (gh, gw)).astype(np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)


def fractal_noise(height: int, width: int, rng: np.random.Generator, base: int = 4, octaves: int = 4) -> np.ndarray:
    """Smooth noise summed over octaves, in [0, 1]: clouds, crowds, textures."""
    total = np.zeros((height, width), np.float32)
    for octave in range(octaves):
        total += smooth_noise(height, width, rng, base * 2**octave) * 0.5**octave
    return total / 1.9


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``sigma`` pixels (never below 0.1)."""
    import cv2

    return cv2.GaussianBlur(img, (0, 0), max(sigma, 0.1))


def hsv(h: float, s: float, v: float) -> Colour:
    """An RGB colour in [0, 1] from hue (wrapping), saturation and value."""
    import colorsys

    return colorsys.hsv_to_rgb(h % 1.0, s, v)


def finish(canvas: np.ndarray, rng: np.random.Generator, grain: float = 0.018) -> np.ndarray:
    """Tone-map (soft shoulder so lights bloom instead of clipping), vignette, sensor grain → uint8."""
    height, width = canvas.shape[:2]
    bloom = blur(np.maximum(canvas - 0.8, 0.0), 0.02 * max(height, width))
    img = canvas + 0.6 * bloom
    img = 1.0 - np.exp(-1.6 * img)  # filmic-ish shoulder; 1 - e^-1.6 ≈ 0.8 for a mid-bright 1.0
    img /= 1.0 - math.exp(-1.6 * 1.25)
    vignette = 1.0 - 0.35 * (1.0 - radial(height, width, width / 2, height / 2, 0.6 * max(height, width)))
    img = img * vignette[..., None]
    img += rng.normal(0.0, grain, img.shape).astype(np.float32)
    return (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


# --- people --------------------------------------------------------------------------------------------------

SKIN = [(0.96, 0.80, 0.69), (0.92, 0.72, 0.56), (0.80, 0.58, 0.42), (0.62, 0.42, 0.29), (0.44, 0.29, 0.20),
        (0.30, 0.20, 0.14)]
HAIR = [(0.08, 0.06, 0.05), (0.25, 0.16, 0.09), (0.55, 0.38, 0.20), (0.85, 0.72, 0.45), (0.65, 0.22, 0.10),
        (0.55, 0.55, 0.58), (0.85, 0.25, 0.55), (0.20, 0.55, 0.80)]
TROUSERS = [(0.15, 0.22, 0.40), (0.08, 0.08, 0.09), (0.55, 0.50, 0.38), (0.35, 0.38, 0.42), (0.25, 0.35, 0.60),
            (0.75, 0.72, 0.68)]


@dataclass
class Figure:
    """A person drawn as coverage layers (float (H, W) in [0, 1]) in painting order, with their colours."""

    layers: list[tuple[np.ndarray, Colour]]
    bbox: tuple[int, int, int, int]  # x, y, w, h of the whole figure (may extend past the frame)

    @property
    def cover(self) -> np.ndarray:
        """Where the figure covers the picture: the maximum over its layers' masks."""
        return np.maximum.reduce([layer for layer, _ in self.layers])


def _limb(x: float, y: float, angle_deg: float, length: float) -> tuple[float, float]:
    """The end of a limb from (x, y) at ``angle_deg`` from straight down (positive = towards +x)."""
    a = math.radians(angle_deg)
    return x + length * math.sin(a), y + length * math.cos(a)


ARM_POSES = {  # (upper-arm angle from down, forearm angle from down), for the figure's right arm (mirrored left)
    "down": ((8, 20), (0, 15)),
    "cheer": ((140, 175), (150, 185)),
    "wave": ((100, 140), (150, 200)),
    "hip": ((25, 45), (-60, -30)),
    "out": ((60, 95), (60, 110)),
}


def figure(height: int, width: int, rng: np.random.Generator, foot_x: float, foot_y: float, person_h: float) -> Figure:
    """A standing person ``person_h`` pixels tall with feet at (foot_x, foot_y): head, hair, torso, arms and legs
    in a random pose (arms down, cheering, waving, hands on hips, out), random build and clothes."""
    H = person_h
    top = foot_y - H
    build = rng.uniform(0.85, 1.2)
    shoulder_w, hip_w = 0.125 * H * build, 0.095 * H * build
    shoulder_y, waist_y, hip_y = top + 0.17 * H, top + 0.42 * H, top + 0.52 * H
    cx = foot_x + rng.normal(0.0, 0.01 * H)
    lean = rng.normal(0.0, 0.015 * H)
    limb_w = 0.055 * H * build
    leg_w = 0.07 * H * build

    head = (cx + lean, top + 0.065 * H, 0.048 * H, 0.064 * H)
    hair_len = rng.uniform(0.0, 0.12) * H  # short to shoulder-length
    hair = [(head[0], head[1] - 0.012 * H, head[2] * 1.12, head[3] * 1.0)]
    hair_poly = [[(head[0] - head[2] * 1.1, head[1] - 0.01 * H), (head[0] + head[2] * 1.1, head[1] - 0.01 * H),
                  (head[0] + head[2] * 1.05, head[1] + hair_len), (head[0] - head[2] * 1.05, head[1] + hair_len)]]
    neck = [[(cx + lean - 0.02 * H, head[1]), (cx + lean + 0.02 * H, head[1]), (cx + 0.022 * H, shoulder_y),
             (cx - 0.022 * H, shoulder_y)]]
    torso = [[(cx + lean - shoulder_w, shoulder_y), (cx + lean + shoulder_w, shoulder_y),
              (cx + 0.8 * shoulder_w, waist_y), (cx + hip_w, hip_y + 0.03 * H), (cx - hip_w, hip_y + 0.03 * H),
              (cx - 0.8 * shoulder_w, waist_y)]]
    torso_round = [(cx + lean - shoulder_w * 0.75, shoulder_y + 0.02 * H, shoulder_w * 0.3, 0.03 * H),
                   (cx + lean + shoulder_w * 0.75, shoulder_y + 0.02 * H, shoulder_w * 0.3, 0.03 * H)]

    sleeves, forearms, hands = [], [], []
    pose = str(rng.choice(list(ARM_POSES)))
    for side in (-1, 1):
        this_pose = pose if rng.random() < 0.75 else str(rng.choice(list(ARM_POSES)))
        (u0, u1), (f0, f1) = ARM_POSES[this_pose]
        sx, sy = cx + lean + side * (shoulder_w - 0.3 * limb_w), shoulder_y + 0.3 * limb_w
        ex, ey = _limb(sx, sy, side * rng.uniform(u0, u1), 0.17 * H)
        hx, hy = _limb(ex, ey, side * rng.uniform(f0, f1), 0.15 * H)
        short_sleeve = rng.random() < 0.6
        mid = (sx + 0.55 * (ex - sx), sy + 0.55 * (ey - sy)) if short_sleeve else (ex, ey)
        sleeves.append(((sx, sy, *mid), limb_w * 1.05))
        forearms.append(((sx, sy, ex, ey), limb_w * 0.9))
        forearms.append(((ex, ey, hx, hy), limb_w * 0.8))
        hands.append((hx, hy, 0.03 * H, 0.034 * H))

    stance = rng.uniform(0.03, 0.14) * H
    legs = []
    for side in (-1, 1):
        hipx = cx + side * 0.55 * hip_w
        fx = cx + side * stance * rng.uniform(0.6, 1.0)
        kx, ky = (hipx + fx) / 2 + side * rng.uniform(0.0, 0.02) * H, (hip_y + foot_y) / 2
        legs += [((hipx, hip_y, kx, ky), leg_w), ((kx, ky, fx, foot_y - 0.02 * H), leg_w * 0.85)]
    shoes = [(cx + side * stance * 0.8 + side * 0.02 * H, foot_y - 0.015 * H, 0.04 * H, 0.018 * H) for side in (-1, 1)]

    skin = SKIN[rng.integers(len(SKIN))]
    shirt = hsv(rng.random(), rng.uniform(0.0, 0.9), rng.uniform(0.25, 0.95))
    trousers = TROUSERS[rng.integers(len(TROUSERS))]
    hair_colour = HAIR[rng.integers(len(HAIR))]
    shoe_colour = hsv(rng.random(), rng.uniform(0.0, 0.5), rng.uniform(0.1, 0.9))
    cover = lambda **k: polygon_cover(height, width, **k)
    layers = [
        (cover(lines=legs), trousers),
        (cover(ellipses=shoes), shoe_colour),
        (cover(lines=forearms, ellipses=hands), skin),
        (cover(polygons=neck), skin),
        (cover(polygons=torso, ellipses=torso_round, lines=sleeves), shirt),
        (cover(ellipses=[head]), skin),
        (cover(ellipses=hair, polygons=hair_poly) * _hair_cut(height, width, head, hair_len), hair_colour),
    ]
    x0 = cx - max(0.45 * H, stance + 0.1 * H)
    return Figure(layers, (int(x0), int(top - 0.02 * H), int(0.9 * H), int(1.02 * H)))


def _hair_cut(height: int, width: int, head, hair_len: float) -> np.ndarray:
    """Hair covers the top of the head and falls behind it, leaving the face (a band in front of it) bare."""
    hx, hy, rx, ry = head
    face = polygon_cover(height, width, ellipses=[(hx, hy + 0.35 * ry, rx * 0.85, ry * 0.75)])
    return 1.0 - face


@dataclass
class Light:
    """How a scene lights its people: a dim ambient colour, a key light from one side, a rim from behind."""

    ambient: Colour
    key: Colour
    key_side: float  # -1 = light from the left, +1 = from the right
    rim: Colour
    rim_strength: float = 0.6


def light_figure(canvas: np.ndarray, fig: Figure, light: Light, rng: np.random.Generator) -> np.ndarray:
    """Paint ``fig`` into ``canvas`` under ``light`` (in place); return the person's binary mask (uint8, 255)."""
    import cv2

    height, width = canvas.shape[:2]
    x, y, w, h = fig.bbox
    xs = (np.arange(width, dtype=np.float32) - (x + w / 2)) / max(w / 2, 1.0)
    # Lambert-like falloff across the body towards the key light, darker towards the feet.
    side = np.clip(0.55 + 0.45 * light.key_side * xs, 0.1, 1.0)[None, :]
    ys = np.clip((np.arange(height, dtype=np.float32) - y) / max(h, 1.0), 0.0, 1.0)[:, None]
    key = side * (1.0 - 0.35 * ys)
    shade = (np.asarray(light.ambient, np.float32) + key[..., None] * np.asarray(light.key, np.float32))
    texture = 1.0 + 0.05 * fractal_noise(height, width, rng, max(8, width // 40), 3)[..., None]
    person = np.zeros_like(canvas)
    for cover, colour in fig.layers:
        paint(person, cover, colour)
    lit = person * shade * texture

    full = fig.cover
    solid = (full > 0.5).astype(np.uint8)
    # Rim: a bright band just inside the silhouette's edge, strongest on the side facing away from the key light.
    inside_dist = cv2.distanceTransform(solid, cv2.DIST_L2, 3)
    rim = np.exp(-inside_dist / max(0.012 * h, 1.0)) * solid
    rim_side = np.clip(0.5 - 0.5 * light.key_side * xs, 0.0, 1.0)[None, :]
    lit += (rim * (0.35 + 0.65 * rim_side))[..., None] * np.asarray(light.rim, np.float32) * light.rim_strength
    paint(canvas, full, np.zeros(3, np.float32))
    canvas += lit * full[..., None]
    return solid * 255


def person_mask(width: int, height: int, rng: np.random.Generator, *, min_height: float = 0.4,
                max_height: float = 0.95, cut_at_bottom: float = 0.3) -> np.ndarray:
    """A random person-shaped silhouette (uint8 (height, width), 255 = person) standing in the frame; with
    probability ``cut_at_bottom`` the legs leave the bottom edge (a waist-up shot)."""
    fig = _random_figure(height, width, rng, min_height, max_height, cut_at_bottom)
    return ((fig.cover > 0.5) * 255).astype(np.uint8)


def _random_figure(height: int, width: int, rng: np.random.Generator, min_height: float, max_height: float,
                   cut_at_bottom: float, x_range: tuple[float, float] = (0.2, 0.8)) -> Figure:
    person_h = rng.uniform(min_height, max_height) * height
    foot_y = height * rng.uniform(0.9, 0.99)
    if rng.random() < cut_at_bottom:
        foot_y = height + rng.uniform(0.1, 0.4) * person_h  # legs out of frame; head stays inside
        person_h = min(person_h * 1.3, foot_y - 0.04 * height)
    return figure(height, width, rng, rng.uniform(*x_range) * width, foot_y, person_h)


def add_people(canvas: np.ndarray, rng: np.random.Generator, light: Light, n: int) -> list[np.ndarray]:
    """Place ``n`` lit people standing in the foreground (left to right, not overlapping much); their masks."""
    height, width = canvas.shape[:2]
    slots = np.sort(rng.permutation(np.linspace(0.15, 0.85, max(n, 1) * 2))[:n])
    masks = []
    for slot in slots:
        x_range = (slot - 0.06, slot + 0.06) if n > 1 else (0.2, 0.8)
        fig = _random_figure(height, width, rng, 0.45 if n == 1 else 0.4, 0.9 if n == 1 else 0.75, 0.3, x_range)
        masks.append(light_figure(canvas, fig, light, rng))
    # A later person may hide part of an earlier one: each mask keeps only what is visible.
    for i in range(len(masks) - 1):
        for later in masks[i + 1:]:
            masks[i] = np.where(later > 0, 0, masks[i]).astype(np.uint8)
    return masks


# --- scene pieces ------------------------------------------------------------------------------------------------

def crowd(canvas: np.ndarray, rng: np.random.Generator, base_y: float, head_r: float, colour: Colour,
          rim: Colour, density: float = 1.0) -> list[tuple[float, float, float, float]]:
    """A row of heads and shoulders (with some raised arms) from the back, dark, rim-lit by the light ahead; returns
    the heads as ellipses (cx, cy, rx, ry)."""
    height, width = canvas.shape[:2]
    ellipses, polygons, lines = [], [], []
    x = rng.uniform(-head_r, head_r)
    while x < width + head_r:
        r = head_r * rng.uniform(0.8, 1.2)
        y = base_y + rng.normal(0.0, 0.35 * r)
        ellipses.append((x, y, r * 0.85, r))
        polygons.append([(x - 2.4 * r, y + 1.4 * r), (x - 1.6 * r, y + 0.9 * r), (x + 1.6 * r, y + 0.9 * r),
                         (x + 2.4 * r, y + 1.4 * r), (x + 2.6 * r, height), (x - 2.6 * r, height)])
        if rng.random() < 0.15:
            side = rng.choice([-1, 1])
            lines.append(((x + side * 1.5 * r, y + r, x + side * rng.uniform(1.5, 3) * r, y - rng.uniform(2, 4) * r), 0.6 * r))
        x += r * rng.uniform(1.6, 2.6) / density
    cover = polygon_cover(height, width, polygons=polygons, ellipses=ellipses, lines=lines)
    shift = max(1, round(0.25 * head_r))  # rim on the upper edges only: the light is ahead and above
    below = np.zeros_like(cover)
    below[shift:] = cover[:-shift]
    edge = blur(np.clip(cover - below, 0.0, 1.0), 0.1 * head_r)
    paint(canvas, cover, colour)
    add_light(canvas, edge, rim, 0.8)
    return ellipses


def beam(canvas: np.ndarray, apex: tuple[float, float], angle_deg: float, spread_deg: float, length: float,
         colour: Colour, intensity: float) -> None:
    """A stage light's beam: a cone from ``apex`` at ``angle_deg`` from straight down, fading with distance."""
    height, width = canvas.shape[:2]
    ax, ay = apex
    left = _limb(ax, ay, angle_deg - spread_deg / 2, length)
    right = _limb(ax, ay, angle_deg + spread_deg / 2, length)
    cone = polygon_cover(height, width, polygons=[[apex, left, right]])
    cone = blur(cone, 0.01 * width)
    falloff = radial(height, width, ax, ay, length * 0.55)
    add_light(canvas, cone * (0.25 + 0.75 * falloff), colour, intensity)
    add_light(canvas, radial(height, width, ax, ay, 0.012 * width), colour, 1.5)


def string_lights(canvas: np.ndarray, rng: np.random.Generator, p0, p1, sag: float, n: int, colours: list[Colour]) -> None:
    """A wire hanging between ``p0`` and ``p1`` (a parabola sagging by ``sag`` px) with ``n`` glowing bulbs."""
    height, width = canvas.shape[:2]
    t = np.linspace(0.0, 1.0, 40)
    xs = p0[0] + (p1[0] - p0[0]) * t
    ys = p0[1] + (p1[1] - p0[1]) * t + 4 * sag * t * (1 - t)
    wire = polygon_cover(height, width, lines=[((xs[i], ys[i], xs[i + 1], ys[i + 1]), 1.2) for i in range(len(t) - 1)])
    paint(canvas, wire * 0.8, (0.03, 0.03, 0.03))
    bulb_r = max(1.5, 0.005 * width)
    by_colour: dict[int, list] = {}
    for k in np.linspace(0.03, 0.97, n):
        x = p0[0] + (p1[0] - p0[0]) * k
        y = p0[1] + (p1[1] - p0[1]) * k + 4 * sag * k * (1 - k) + bulb_r
        by_colour.setdefault(int(rng.integers(len(colours))), []).append((x, y, bulb_r, bulb_r * 1.2))
    glow = np.zeros((height, width, 3), np.float32)
    for index, ellipses in by_colour.items():  # one drawing pass per colour, not per bulb
        glow += polygon_cover(height, width, ellipses=ellipses)[..., None] * np.asarray(colours[index], np.float32)
    canvas += blur(glow, 4 * bulb_r) * 6.0 + glow * 1.2


def textured(height: int, width: int, rng: np.random.Generator, colour: Colour, amount: float, cells: int = 48) -> np.ndarray:
    """A colour with fractal texture (grass, sand, fabric, asphalt)."""
    noise = fractal_noise(height, width, rng, base=cells // 8, octaves=4)
    grain = rng.normal(0.0, 1.0, (height, width)).astype(np.float32)
    t = 1.0 + amount * (0.7 * noise + 0.3 * blur(grain, 0.8))
    return np.asarray(colour, np.float32) * t[..., None]


def rect(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    """An axis-aligned rectangle as a polygon, for :func:`polygon_cover`."""
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def ground(canvas: np.ndarray, top: float, colour, soft: float = 0.0) -> None:
    """Paint the ground (a colour or an image) from ``top`` down to the bottom edge; ``soft`` px blur its far edge
    (ground mist, or the open floor in front of a crowd fading into it)."""
    height, width = canvas.shape[:2]
    cover = polygon_cover(height, width, polygons=[[(0, top), (width, top), (width, height), (0, height)]])
    paint(canvas, blur(cover, soft) if soft else cover, colour)


def haze_band(canvas: np.ndarray, y: float, sigma: float, colour: Colour, alpha: float) -> None:
    """Mist or rain haze lying along the row ``y`` (a Gaussian band ``sigma`` px high), ``alpha`` at its densest."""
    height, width = canvas.shape[:2]
    band = np.exp(-0.5 * ((np.arange(height, dtype=np.float32) - y) / sigma) ** 2)[:, None]
    paint(canvas, np.broadcast_to(alpha * band, (height, width)), colour)


def reflection(canvas: np.ndarray, mirror_y: float, sigma: float) -> np.ndarray:
    """The canvas mirrored about the line ``mirror_y`` (a wet floor, a puddle), blurred by ``sigma`` px."""
    height = canvas.shape[0]
    rows = np.clip(np.round(2 * mirror_y - np.arange(height)).astype(int), 0, height - 1)
    return blur(canvas[rows], sigma)


def glow_lines(canvas: np.ndarray, lines, colour: Colour, intensity: float, spread: float) -> None:
    """Neon tubes, laser lines: bright cores (``lines`` as for :func:`polygon_cover`) with a halo ``spread`` px wide."""
    height, width = canvas.shape[:2]
    core = polygon_cover(height, width, lines=lines)
    add_light(canvas, core + 2.5 * blur(core, spread), colour, intensity)


def headphones(canvas: np.ndarray, heads, colour: Colour, intensity: float) -> None:
    """Glowing ear cups on each head (cx, cy, rx, ry): a silent disco's LED headphones."""
    height, width = canvas.shape[:2]
    cups = [(cx + side * rx, cy, 0.28 * rx, 0.3 * ry) for cx, cy, rx, ry in heads for side in (-1, 1)]
    cover = polygon_cover(height, width, ellipses=cups)
    add_light(canvas, cover + 2 * blur(cover, 0.5 * max([r for *_, r in heads], default=1.0)), colour, intensity)


def lasers(canvas: np.ndarray, origin: tuple[float, float], angles_deg, length: float, colour: Colour,
           intensity: float = 1.0) -> None:
    """A fan of laser lines from ``origin`` (angles from straight down, as for :func:`beam`), fading with distance."""
    height, width = canvas.shape[:2]
    ox, oy = origin
    thick = max(1.0, 0.0013 * width)
    core = polygon_cover(height, width, lines=[((ox, oy, *_limb(ox, oy, a, length)), thick) for a in angles_deg])
    fade = 0.25 + 0.75 * radial(height, width, ox, oy, 0.5 * length)
    add_light(canvas, (core + 2.5 * blur(core, 3 * thick)) * fade, colour, intensity)
    add_light(canvas, radial(height, width, ox, oy, 0.008 * width), colour, 2.0)


def confetti(canvas: np.ndarray, rng: np.random.Generator, n: int, colours: list[Colour], box, size: float,
             soft: float = 0.0, flat: float = 1.0) -> None:
    """``n`` paper pieces (small rectangles at random angles, some edge-on) in ``box`` (x0, y0, x1, y1), one drawing
    pass per colour; ``soft`` px of blur puts them out of focus (near the lens), ``flat`` < 1 squashes them vertically
    (lying on the floor)."""
    height, width = canvas.shape[:2]
    x0, y0, x1, y1 = box
    pieces: dict[int, list] = {}
    for _ in range(n):
        x, y, s, a = rng.uniform(x0, x1), rng.uniform(y0, y1), size * rng.uniform(0.6, 1.4), rng.uniform(0, math.pi)
        dx, dy = math.cos(a) * s, math.sin(a) * s * flat
        ex, ey = -math.sin(a) * s * rng.uniform(0.15, 0.5), dx * rng.uniform(0.15, 0.5) * flat  # turning: thinner
        quad = [(x - dx - ex, y - dy - ey), (x + dx - ex, y + dy - ey), (x + dx + ex, y + dy + ey),
                (x - dx + ex, y - dy + ey)]
        pieces.setdefault(int(rng.integers(len(colours))), []).append(quad)
    for index, quads in pieces.items():
        cover = polygon_cover(height, width, polygons=quads)
        paint(canvas, blur(cover, soft) if soft else cover, colours[index])


def streaks(canvas: np.ndarray, rng: np.random.Generator, n: int, angle_deg: float, length: float, colour: Colour,
            intensity: float, thick: float = 1.0) -> None:
    """``n`` thin light streaks (rain) falling at ``angle_deg`` from straight down, of about ``length`` px."""
    height, width = canvas.shape[:2]
    lines = []
    for _ in range(n):
        x, y = rng.uniform(-0.1 * width, 1.1 * width), rng.uniform(-length, height)
        lines.append(((x, y, *_limb(x, y, angle_deg, length * rng.uniform(0.5, 1.5))), thick))
    add_light(canvas, polygon_cover(height, width, lines=lines), colour, intensity)


def polyline(points, thick: float):
    """Line segments joining ``points`` in turn, ``thick`` px wide (for :func:`polygon_cover`'s ``lines``)."""
    return [((*p, *q), thick) for p, q in zip(points, points[1:])]


def arc_points(cx: float, cy: float, rx: float, ry: float, start_deg: float, end_deg: float, n: int = 32):
    """Points along an ellipse arc (angles in degrees, 0 = +x, 90 = up: image y grows downwards)."""
    return [(cx + rx * math.cos(math.radians(a)), cy - ry * math.sin(math.radians(a)))
            for a in np.linspace(start_deg, end_deg, n)]


def top_rim(cover: np.ndarray, size: float) -> np.ndarray:
    """The upper edges of a shape (where light from ahead and above catches it), softened by ``size`` px."""
    shift = max(1, round(size))
    below = np.zeros_like(cover)
    below[shift:] = cover[:-shift]
    return blur(np.clip(cover - below, 0.0, 1.0), 0.4 * size)


def waving_flag(pole_x: float, top: float, length: float, depth: float, phase: float, waves: float = 1.2):
    """A flag's outline hanging from a pole at (pole_x, top), ``length`` × ``depth`` px, rippling in the wind."""
    ts = np.linspace(0.0, 1.0, 16)
    ripple = [0.12 * depth * t * math.sin(2 * math.pi * waves * t + phase) for t in ts]
    upper = [(pole_x + length * t, top + r + 0.1 * depth * t) for t, r in zip(ts, ripple)]
    lower = [(pole_x + length * t, top + depth * (1 - 0.15 * t) + r + 0.1 * depth * t) for t, r in zip(ts, ripple)]
    return upper + lower[::-1]


def dome_tent(cx: float, base: float, width: float, height: float):
    """A dome tent standing on ``base``: its outline and door (polygons) and two pole seams (point lists)."""
    shell = arc_points(cx, base, width / 2, height, 0, 180)
    door = arc_points(cx, base, width * 0.13, height * 0.5, 0, 180, 16)
    poles = [arc_points(cx, base, width * f, height, 0, 180, 16) for f in (0.18, 0.36)]
    return shell, door, poles


def umbrella(cx: float, top: float, radius: float, panels: int = 6):
    """An open umbrella seen from the side: its canopy (with scalloped rim) and every other panel, as polygons."""
    rim_y = top + 0.55 * radius
    canopy = arc_points(cx, rim_y, radius, 0.55 * radius, 0, 180, 24)
    edge = [(cx - radius + 2 * radius * k / panels, rim_y) for k in range(panels + 1)]
    scallops = [(x + radius / panels, y - 0.12 * radius) for x, y in edge[:-1]]
    rim = [edge[0]] + [p for k in range(panels) for p in (scallops[k], edge[k + 1])]
    apex = (cx, top)
    alternate = [[apex, edge[k], edge[k + 1]] for k in range(0, panels, 2)]
    return canopy + rim, alternate


# --- scenes ------------------------------------------------------------------------------------------------------

def _palette(rng: np.random.Generator, n: int, sat=(0.6, 1.0)) -> list[Colour]:
    start = rng.random()
    return [hsv(start + k / n + rng.normal(0, 0.04), rng.uniform(*sat), 1.0) for k in range(n)]


def _festival_stage(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    colours = _palette(rng, rng.integers(2, 4))
    canvas = vertical_gradient(h, w, [(0.0, (0.01, 0.01, 0.03)), (0.6, hsv(rng.random(), 0.7, 0.12)), (1.0, (0.02, 0.02, 0.03))])
    # haze: light scatters in smoke, so beams look uneven
    haze = 0.6 + 0.4 * fractal_noise(h, w, rng, 3, 3)
    stage_y = h * rng.uniform(0.55, 0.68)
    screen = [(w * 0.22, h * 0.12), (w * 0.78, h * 0.12), (w * 0.78, stage_y - h * 0.12), (w * 0.22, stage_y - h * 0.12)]
    pattern = (0.5 + 0.5 * np.sin(np.linspace(0, rng.uniform(6, 30), w))[None, :] * np.cos(np.linspace(0, rng.uniform(4, 20), h))[:, None])
    screen_img = (pattern[..., None] * np.asarray(colours[0]) + (1 - pattern[..., None]) * np.asarray(colours[-1])) * 0.5
    paint(canvas, polygon_cover(h, w, polygons=[screen]), screen_img.astype(np.float32))
    beams = np.zeros_like(canvas)
    for k in range(rng.integers(4, 9)):
        x = w * (0.1 + 0.8 * k / 8 + rng.normal(0, 0.03))
        beam(beams, (x, h * 0.06), rng.uniform(-45, 45), rng.uniform(6, 16), h * 1.1, colours[k % len(colours)], rng.uniform(0.25, 0.6))
    canvas += beams * haze[..., None]
    truss = [((0, h * 0.06, w, h * 0.06), 0.012 * h)] + [((x, 0, x, stage_y), 0.012 * h) for x in (w * 0.08, w * 0.92)]
    paint(canvas, polygon_cover(h, w, lines=truss), (0.08, 0.08, 0.09))
    floor = vertical_gradient(h, w, [(0.0, (0.05, 0.05, 0.06)), (1.0, (0.02, 0.02, 0.02))])
    paint(canvas, polygon_cover(h, w, polygons=[[(0, stage_y), (w, stage_y), (w, h), (0, h)]]), floor)
    for x in (w * 0.1, w * 0.9):  # speaker stacks
        paint(canvas, polygon_cover(h, w, polygons=[[(x - w * 0.05, stage_y - h * 0.2), (x + w * 0.05, stage_y - h * 0.2),
                                                     (x + w * 0.05, stage_y), (x - w * 0.05, stage_y)]]), (0.04, 0.04, 0.045))
    crowd(canvas, rng, stage_y + h * rng.uniform(0.05, 0.12), h * 0.035, (0.02, 0.02, 0.025), colours[0])
    key = colours[rng.integers(len(colours))]
    light = Light(ambient=tuple(0.12 * np.asarray(colours[-1]) + 0.05), key=tuple(0.75 * np.asarray(key)),
                  key_side=rng.choice([-1.0, 1.0]), rim=colours[0], rim_strength=0.7)
    return canvas, light


def _sunset_crowd(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    horizon = h * rng.uniform(0.5, 0.68)
    hue = rng.uniform(-0.04, 0.05)
    canvas = vertical_gradient(h, w, [(0.0, hsv(0.68 + hue, 0.7, 0.35)), (0.35, hsv(0.9 + hue, 0.55, 0.65)),
                                      (horizon / h - 0.08, hsv(0.06 + hue, 0.8, 1.0)), (horizon / h, hsv(0.12 + hue, 0.7, 1.1)),
                                      (1.0, (0.1, 0.05, 0.05))])
    clouds = np.clip(fractal_noise(h, w, rng, 3, 4), 0, 1) * np.clip(1.0 - np.arange(h)[:, None] / horizon, 0, 1)
    paint(canvas, clouds * 0.5, hsv(0.95 + hue, 0.5, 0.9))
    sx = w * rng.uniform(0.2, 0.8)
    add_light(canvas, radial(h, w, sx, horizon - 0.03 * h, 0.04 * w), (1.0, 0.85, 0.5), 2.0)
    add_light(canvas, radial(h, w, sx, horizon, 0.25 * w), (1.0, 0.5, 0.2), 0.5)
    hills = smooth_noise(1, w, rng, 5)[0] * 0.04 * h + horizon
    paint(canvas, polygon_cover(h, w, polygons=[[(0, h)] + [(x, hills[x]) for x in range(0, w, 8)] + [(w, h)]]), (0.12, 0.05, 0.08))
    for pole_x in rng.uniform(0.05, 0.95, rng.integers(1, 4)) * w:  # flag poles
        top = horizon - rng.uniform(0.15, 0.35) * h
        flag = [(pole_x, top), (pole_x + 0.06 * w, top + 0.02 * h), (pole_x, top + 0.05 * h)]
        paint(canvas, polygon_cover(h, w, polygons=[flag], lines=[((pole_x, top, pole_x, h), 2)]), (0.05, 0.02, 0.04))
    crowd(canvas, rng, horizon + 0.06 * h, 0.03 * h, (0.05, 0.02, 0.04), (1.0, 0.55, 0.25))
    crowd(canvas, rng, horizon + 0.16 * h, 0.05 * h, (0.03, 0.015, 0.03), (1.0, 0.5, 0.2), density=0.8)
    light = Light(ambient=(0.18, 0.12, 0.2), key=(0.45, 0.3, 0.22), key_side=float(np.sign(sx - w / 2) or 1.0),
                  rim=(1.0, 0.6, 0.25), rim_strength=1.0)
    return canvas, light


def _food_trucks(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    ground_y = h * rng.uniform(0.62, 0.72)
    canvas = vertical_gradient(h, w, [(0.0, (0.05, 0.08, 0.22)), (ground_y / h, (0.3, 0.25, 0.4)), (1.0, (0.1, 0.1, 0.1))])
    paint(canvas, polygon_cover(h, w, polygons=[[(0, ground_y), (w, ground_y), (w, h), (0, h)]]),
          textured(h, w, rng, (0.16, 0.15, 0.15), 0.25))
    x = rng.uniform(-0.1, 0.05) * w
    while x < w:
        tw, th = rng.uniform(0.25, 0.38) * w, rng.uniform(0.28, 0.38) * h
        body = hsv(rng.random(), rng.uniform(0.4, 0.9), rng.uniform(0.5, 0.9))
        top, bottom = ground_y - th, ground_y - 0.03 * h
        shell = polygon_cover(h, w, polygons=[[(x, top + 0.04 * h), (x + 0.05 * w, top), (x + tw, top), (x + tw, bottom), (x, bottom)]])
        body_img = textured(h, w, rng, body, 0.08) * (0.7 + 0.3 * vertical_gradient(h, w, [(0, (1, 1, 1)), (1, (0.5, 0.5, 0.5))]))
        paint(canvas, shell, body_img)
        win = [(x + 0.18 * tw, top + 0.25 * th), (x + 0.85 * tw, top + 0.25 * th), (x + 0.85 * tw, top + 0.6 * th), (x + 0.18 * tw, top + 0.6 * th)]
        window = polygon_cover(h, w, polygons=[win])
        paint(canvas, window, (1.0, 0.8, 0.45))
        add_light(canvas, blur(window, 0.03 * w), (1.0, 0.7, 0.35), 0.8)
        stripes = (np.sin(np.arange(w) / (0.012 * w)) > 0).astype(np.float32)[None, :]
        awning = polygon_cover(h, w, polygons=[[(x + 0.12 * tw, top + 0.14 * th), (x + 0.92 * tw, top + 0.14 * th),
                                                (x + 0.96 * tw, top + 0.25 * th), (x + 0.08 * tw, top + 0.25 * th)]])
        paint(canvas, awning, (stripes[..., None] * np.asarray(hsv(rng.random(), 0.8, 0.9)) + (1 - stripes[..., None]) * 0.95).repeat(h, 0))
        paint(canvas, polygon_cover(h, w, ellipses=[(x + 0.2 * tw, bottom, 0.035 * h, 0.035 * h), (x + 0.8 * tw, bottom, 0.035 * h, 0.035 * h)]), (0.03, 0.03, 0.03))
        x += tw + rng.uniform(0.03, 0.1) * w
    warm = [(1.0, 0.78, 0.4), (1.0, 0.6, 0.3), (1.0, 0.9, 0.6)]
    if rng.random() < 0.3:
        warm = _palette(rng, 4, (0.5, 0.8))
    for k in range(rng.integers(2, 4)):
        y0 = rng.uniform(0.05, 0.3) * h
        string_lights(canvas, rng, (rng.uniform(-0.1, 0.3) * w, y0), (rng.uniform(0.7, 1.1) * w, y0 + rng.normal(0, 0.05) * h),
                      rng.uniform(0.05, 0.15) * h, int(rng.integers(12, 24)), warm)
    light = Light(ambient=(0.14, 0.14, 0.22), key=(0.75, 0.55, 0.32), key_side=rng.choice([-1.0, 1.0]),
                  rim=(1.0, 0.8, 0.5), rim_strength=0.4)
    return canvas, light


def _beach_night(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    horizon = h * rng.uniform(0.42, 0.55)
    canvas = vertical_gradient(h, w, [(0.0, (0.01, 0.02, 0.06)), (horizon / h, (0.06, 0.09, 0.2)), (1.0, (0.05, 0.05, 0.08))])
    stars = (rng.random((h, w)) > 0.9985).astype(np.float32) * np.clip(1 - np.arange(h)[:, None] / horizon, 0, 1)
    add_light(canvas, blur(stars, 0.6) * 4, (0.9, 0.9, 1.0), 1.0)
    mx, my = rng.uniform(0.1, 0.9) * w, rng.uniform(0.08, 0.25) * h
    paint(canvas, polygon_cover(h, w, ellipses=[(mx, my, 0.025 * w, 0.025 * w)]), (0.95, 0.95, 0.85))
    add_light(canvas, radial(h, w, mx, my, 0.08 * w), (0.5, 0.55, 0.7), 0.3)
    shore = horizon + rng.uniform(0.1, 0.2) * h
    ripples = 0.5 + 0.5 * np.sin(np.arange(h)[:, None] * 0.9 + smooth_noise(h, w, rng, 40) * 3)
    sea = vertical_gradient(h, w, [(0, (0.03, 0.06, 0.14)), (1, (0.02, 0.04, 0.1))]) * (0.8 + 0.3 * ripples[..., None])
    paint(canvas, polygon_cover(h, w, polygons=[[(0, horizon), (w, horizon), (w, shore), (0, shore)]]), sea)
    sand = textured(h, w, rng, (0.35, 0.28, 0.2), 0.3) * vertical_gradient(h, w, [(0, (0.4, 0.4, 0.45)), (1, (0.8, 0.75, 0.7))])
    paint(canvas, polygon_cover(h, w, polygons=[[(0, shore), (w, shore), (w, h), (0, h)]]), sand)
    colours = _palette(rng, 3)
    # a small stage (or a bonfire) on the beach, its light spilling on sand and sea
    fx = rng.uniform(0.15, 0.85) * w
    if rng.random() < 0.5:
        sw = 0.22 * w
        paint(canvas, polygon_cover(h, w, polygons=[[(fx - sw, shore - 0.18 * h), (fx + sw, shore - 0.18 * h), (fx + sw, shore), (fx - sw, shore)]]), (0.05, 0.05, 0.06))
        for k, c in enumerate(colours):
            beam(canvas, (fx - sw + 2 * sw * (k + 0.5) / len(colours), shore - 0.18 * h), rng.uniform(140, 220), 12, 0.5 * h, c, 0.4)
        key = colours[0]
    else:
        flame = radial(h, w, fx, shore + 0.02 * h, 0.02 * w, sy=1.8)
        add_light(canvas, flame, (1.0, 0.55, 0.15), 3.0)
        key = (1.0, 0.55, 0.2)
    add_light(canvas, radial(h, w, fx, shore, 0.3 * w, sy=0.4), key, 0.5)
    light = Light(ambient=(0.06, 0.08, 0.16), key=tuple(0.8 * np.asarray(key)), key_side=float(np.sign(fx - w / 2) or 1.0),
                  rim=(0.5, 0.6, 0.9), rim_strength=0.35)
    return canvas, light


def _field_tents(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    horizon = h * rng.uniform(0.4, 0.55)
    sky_top = hsv(0.58 + rng.normal(0, 0.02), rng.uniform(0.4, 0.7), rng.uniform(0.7, 0.9))
    canvas = vertical_gradient(h, w, [(0.0, sky_top), (horizon / h, (0.85, 0.9, 0.95)), (1.0, (0.3, 0.4, 0.2))])
    clouds = np.clip(fractal_noise(h, w, rng, 3, 5) * 1.5, 0, 1) * np.clip(1.2 - np.arange(h)[:, None] / horizon, 0, 1)
    paint(canvas, clouds, (0.97, 0.97, 0.98))
    grass = textured(h, w, rng, hsv(0.25 + rng.normal(0, 0.03), 0.55, 0.5), 0.35, 96)
    grass *= vertical_gradient(h, w, [(0, (0.8, 0.8, 0.8)), (horizon / h, (0.85, 0.85, 0.85)), (1, (1.15, 1.1, 1.0))])
    paint(canvas, polygon_cover(h, w, polygons=[[(0, horizon), (w, horizon), (w, h), (0, h)]]), grass)
    x = rng.uniform(-0.1, 0.05) * w
    while x < w:
        tw, th = rng.uniform(0.12, 0.25) * w, rng.uniform(0.1, 0.2) * h
        base = horizon + rng.uniform(0.0, 0.05) * h
        colour = (0.95, 0.95, 0.93) if rng.random() < 0.5 else hsv(rng.random(), 0.7, 0.85)
        tent = polygon_cover(h, w, polygons=[[(x, base), (x + 0.15 * tw, base - 0.6 * th), (x + 0.5 * tw, base - th),
                                              (x + 0.85 * tw, base - 0.6 * th), (x + tw, base)]])
        stripes = (np.sin(np.arange(w) / (0.01 * w)) > 0.3).astype(np.float32)[None, :, None] if rng.random() < 0.5 else 0.0
        fabric = np.broadcast_to(np.asarray(colour, np.float32), (h, w, 3)) * (1 - 0.3 * stripes)
        shade = 0.8 + 0.2 * np.clip((np.arange(w) - x) / tw, 0, 1)[None, :, None]
        paint(canvas, tent, np.ascontiguousarray(fabric * shade))
        x += tw * rng.uniform(0.9, 1.4)
    flags = _palette(rng, 6, (0.6, 0.9))
    for _ in range(rng.integers(1, 3)):  # bunting
        y0 = rng.uniform(0.05, 0.3) * h
        n = int(rng.integers(10, 20))
        tris = []
        for k in range(n):
            px = w * k / n
            py = y0 + 0.05 * h * math.sin(math.pi * k / n)
            tris.append(([(px, py), (px + w / n * 0.8, py), (px + w / n * 0.4, py + 0.05 * h)], flags[k % len(flags)]))
        for tri, colour in tris:
            paint(canvas, polygon_cover(h, w, polygons=[tri]), colour)
    for fx in rng.uniform(0, w, rng.integers(8, 20)):  # distant crowd: small figures
        fy = horizon + rng.uniform(0.04, 0.12) * h
        s = rng.uniform(0.02, 0.04) * h
        paint(canvas, polygon_cover(h, w, ellipses=[(fx, fy - 2.2 * s, 0.35 * s, 0.4 * s)],
                                    polygons=[[(fx - 0.5 * s, fy - 1.8 * s), (fx + 0.5 * s, fy - 1.8 * s), (fx + 0.4 * s, fy), (fx - 0.4 * s, fy)]]),
              hsv(rng.random(), 0.6, 0.6))
    sun_side = rng.choice([-1.0, 1.0])
    light = Light(ambient=(0.4, 0.45, 0.55), key=(0.75, 0.7, 0.6), key_side=sun_side, rim=(1.0, 0.95, 0.85), rim_strength=0.25)
    return canvas, light


def _fairground(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    canvas = vertical_gradient(h, w, [(0.0, (0.05, 0.05, 0.2)), (0.6, (0.45, 0.25, 0.45)), (0.75, (0.9, 0.5, 0.35)), (1.0, (0.1, 0.08, 0.1))])
    ground_y = h * rng.uniform(0.72, 0.8)
    cx, cy, r = rng.uniform(0.25, 0.75) * w, h * rng.uniform(0.3, 0.42), h * rng.uniform(0.25, 0.34)
    n = int(rng.integers(12, 20))
    spokes = [((cx, cy, cx + r * math.cos(2 * math.pi * k / n), cy + r * math.sin(2 * math.pi * k / n)), 0.004 * h) for k in range(n)]
    legs = [((cx, cy, cx - 0.5 * r, ground_y), 0.01 * h), ((cx, cy, cx + 0.5 * r, ground_y), 0.01 * h)]
    paint(canvas, polygon_cover(h, w, lines=spokes + legs), (0.12, 0.1, 0.14))
    colours = _palette(rng, 3)
    glow = np.zeros_like(canvas)
    for c, colour in enumerate(colours):  # one drawing pass per colour
        dots = [(cx + r * math.cos(a), cy + r * math.sin(a), 0.006 * h, 0.006 * h)
                for a in 2 * math.pi * np.arange(c, n * 3, len(colours)) / (n * 3)]
        glow += polygon_cover(h, w, ellipses=dots)[..., None] * np.asarray(colour, np.float32)
    canvas += blur(glow, 0.01 * h) * 5 + glow
    gondolas = [(cx + r * math.cos(a), cy + r * math.sin(a) + 0.03 * h, 0.02 * h, 0.025 * h) for a in 2 * math.pi * np.arange(n) / n]
    paint(canvas, polygon_cover(h, w, ellipses=gondolas), hsv(rng.random(), 0.6, 0.5))
    paint(canvas, polygon_cover(h, w, polygons=[[(0, ground_y), (w, ground_y), (w, h), (0, h)]]), textured(h, w, rng, (0.12, 0.1, 0.1), 0.3))
    add_light(canvas, radial(h, w, cx, ground_y, 0.4 * w, sy=0.3), colours[0], 0.25)
    crowd(canvas, rng, ground_y + 0.03 * h, 0.03 * h, (0.04, 0.03, 0.05), colours[1])
    light = Light(ambient=(0.16, 0.12, 0.2), key=tuple(0.6 * np.asarray(colours[0]) + 0.1), key_side=float(np.sign(cx - w / 2) or 1.0),
                  rim=colours[1], rim_strength=0.5)
    return canvas, light


def _main_stage(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    colours = _palette(rng, 3, (0.7, 1.0))
    canvas = vertical_gradient(h, w, [(0.0, (0.01, 0.01, 0.04)), (0.5, hsv(0.72 + rng.normal(0, 0.03), 0.8, 0.2)),
                                      (0.75, (0.04, 0.02, 0.06)), (1.0, (0.02, 0.02, 0.03))])
    deck_y = h * rng.uniform(0.56, 0.6)
    _stage_house(canvas, rng, deck_y, colours)
    haze = 0.55 + 0.45 * fractal_noise(h, w, rng, 3, 3)
    glow = np.zeros_like(canvas)
    for k in range(6):  # moving heads on the roof, beams down into the haze
        x = w * (0.2 + 0.6 * k / 5)
        beam(glow, (x, h * 0.15), rng.uniform(-35, 35), rng.uniform(5, 10), 0.8 * h, colours[k % 3], 0.45)
    for k, x in enumerate((0.3, 0.5, 0.7)):  # laser fans from the stage front into the sky
        spread = rng.uniform(40, 70)
        angles = 180 + np.linspace(-spread, spread, 7) + rng.normal(0, 4)
        colour = hsv(0.33 + 0.17 * k + rng.normal(0, 0.02), 0.8, 1.0)
        lasers(glow, (w * x, deck_y - 0.02 * h), angles, 1.2 * h, colour, 0.6)
    canvas += glow * haze[..., None]
    crowd(canvas, rng, deck_y + 0.08 * h, 0.018 * h, (0.02, 0.015, 0.03), colours[0], density=1.2)
    crowd(canvas, rng, deck_y + 0.15 * h, 0.026 * h, (0.015, 0.01, 0.02), colours[1])
    floor = vertical_gradient(h, w, [(0.0, (0.05, 0.03, 0.08)), (1.0, (0.02, 0.015, 0.03))])
    ground(canvas, deck_y + 0.25 * h, floor, 0.03 * h)
    add_light(canvas, radial(h, w, w / 2, 0.93 * h, 0.28 * w, sy=0.22), colours[0], 0.25)
    gold, white = (1.0, 0.85, 0.3), (0.95, 0.95, 1.0)
    confetti(canvas, rng, 260, colours + [gold, white], (0, 0, w, deck_y + 0.1 * h), 0.005 * w)
    in_shade = [tuple(0.45 * np.asarray(c)) for c in colours]
    confetti(canvas, rng, 50, in_shade, (0, deck_y + 0.3 * h, w, h), 0.005 * w, flat=0.35)  # lying on the floor
    confetti(canvas, rng, 14, colours + [gold], (0, 0, w, 0.5 * h), 0.012 * w, soft=0.004 * w)  # near the lens
    light = Light(ambient=(0.12, 0.08, 0.18), key=tuple(0.75 * np.asarray(colours[0])), key_side=1.0, rim=colours[1],
                  rim_strength=0.8)
    return canvas, light


def _stage_house(canvas: np.ndarray, rng: np.random.Generator, deck_y: float, colours: list[Colour]) -> None:
    """A big festival stage: arched roof truss, towers, line-array speakers, an LED wall and a lit deck front."""
    h, w = canvas.shape[:2]
    steel = (0.06, 0.06, 0.07)
    paint(canvas, polygon_cover(h, w, polygons=[rect(0.1 * w, 0.12 * h, 0.9 * w, deck_y)]), (0.02, 0.015, 0.03))
    _led_wall(canvas, (0.3 * w, 0.2 * h, 0.7 * w, deck_y - 0.08 * h), colours, rng)
    for x0, x1 in ((0.15, 0.26), (0.74, 0.85)):
        _led_wall(canvas, (x0 * w, 0.24 * h, x1 * w, 0.42 * h), colours[::-1], rng)
    outer = arc_points(w / 2, 0.16 * h, 0.44 * w, 0.13 * h, 0, 180)
    inner = arc_points(w / 2, 0.16 * h, 0.44 * w, 0.09 * h, 180, 0)
    zigzag = [((*outer[k], *inner[len(inner) - 2 - k]), 0.003 * h) for k in range(0, len(outer) - 1, 2)]
    paint(canvas, polygon_cover(h, w, polygons=[outer + inner], lines=zigzag), steel)
    towers = [((x * w, 0.16 * h, x * w, deck_y), 0.018 * w) for x in (0.07, 0.93)]
    speakers = [rect((x - 0.02) * w, (0.17 + 0.035 * k) * h, (x + 0.02) * w, (0.2 + 0.035 * k) * h)
                for x in (0.13, 0.87) for k in range(6)]
    paint(canvas, polygon_cover(h, w, lines=towers, polygons=speakers), steel)
    deck = rect(0.05 * w, deck_y, 0.95 * w, deck_y + 0.05 * h)
    paint(canvas, polygon_cover(h, w, polygons=[deck]), (0.03, 0.025, 0.04))
    glow_lines(canvas, [((0.05 * w, deck_y, 0.95 * w, deck_y), 0.003 * h)], colours[0], 0.8, 0.006 * h)


def _led_wall(canvas: np.ndarray, box, colours: list[Colour], rng: np.random.Generator) -> None:
    """An LED screen showing rings of colour, glowing onto what is around it."""
    h, w = canvas.shape[:2]
    x0, y0, x1, y1 = box
    y, x = np.ogrid[:h, :w]
    rings = 0.5 + 0.5 * np.sin(np.hypot(x - (x0 + x1) / 2, y - (y0 + y1) / 2) / (0.02 * w) + rng.uniform(0, 6))
    rings = rings[..., None].astype(np.float32)
    image = rings * np.asarray(colours[0], np.float32) + (1 - rings) * np.asarray(colours[-1], np.float32)
    screen = polygon_cover(h, w, polygons=[rect(x0, y0, x1, y1)])
    paint(canvas, screen, 0.5 * image)
    add_light(canvas, blur(screen, 0.03 * w), np.asarray(colours[0]) * 0.5 + 0.2, 0.35)


def _silent_disco(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    uv = [(1.0, 0.2, 0.75), (0.2, 1.0, 0.85), (0.75, 1.0, 0.2), (1.0, 0.55, 0.1), (0.45, 0.4, 1.0)]
    canvas = vertical_gradient(h, w, [(0.0, (0.06, 0.01, 0.12)), (0.5, (0.16, 0.04, 0.3)), (1.0, (0.03, 0.01, 0.06))])
    floor_y = 0.64 * h
    _tent_canopy(canvas, rng, 0.3 * h, uv)
    for k in range(5):  # UV paint rings on the back wall
        cx, r = w * (0.1 + 0.8 * k / 4) + rng.normal(0, 0.02 * w), rng.uniform(0.05, 0.08) * h
        rings = [polyline(arc_points(cx, 0.44 * h, f * r, f * r, 0, 360), 0.004 * h) for f in (1.0, 0.66, 0.33)]
        glow_lines(canvas, [segment for ring in rings for segment in ring], uv[k % len(uv)], 0.5, 0.01 * h)
    _dj_booth(canvas, w / 2, floor_y, uv)
    _disco_ball(canvas, rng, (w / 2, 0.16 * h), 0.04 * h)
    for k, (dy, r) in enumerate(((0.05, 0.02), (0.11, 0.027))):  # everyone dances to their own headphones
        dark = (0.03 - 0.01 * k, 0.01, 0.05 - 0.01 * k)
        heads = crowd(canvas, rng, floor_y + dy * h, r * h, dark, uv[1 - k], density=1.2 - 0.2 * k)
        for c in range(3):
            headphones(canvas, heads[c::3], uv[(c + 2 * k) % len(uv)], 0.55)
    shine = reflection(canvas, floor_y + 0.2 * h, 0.01 * w) * 0.35
    ground(canvas, floor_y + 0.2 * h, shine + np.asarray((0.04, 0.01, 0.07), np.float32), 0.025 * h)
    add_light(canvas, radial(h, w, w / 2, 0.92 * h, 0.3 * w, sy=0.2), (0.45, 0.2, 1.0), 0.35)
    light = Light(ambient=(0.14, 0.06, 0.28), key=(0.55, 0.25, 0.9), key_side=-1.0, rim=uv[1], rim_strength=0.8)
    return canvas, light


def _tent_canopy(canvas: np.ndarray, rng: np.random.Generator, eave_y: float, neon: list[Colour]) -> None:
    """The inside of a big top: striped panels from the king pole down to the eaves, seams glowing under UV."""
    h, w = canvas.shape[:2]
    apex, n = (w / 2, -0.05 * h), 14
    eaves = [(w * (-0.4 + 1.8 * k / n), eave_y) for k in range(n + 1)]
    dark = [[apex, eaves[k], eaves[k + 1]] for k in range(0, n, 2)]
    paint(canvas, polygon_cover(h, w, polygons=[[apex, eaves[0], eaves[-1]]]), (0.12, 0.03, 0.22))
    paint(canvas, polygon_cover(h, w, polygons=dark), (0.07, 0.015, 0.13))
    glow_lines(canvas, [((*apex, *p), 0.002 * h) for p in eaves], neon[0], 0.35, 0.008 * h)
    glow_lines(canvas, [((0, eave_y, w, eave_y), 0.003 * h)], neon[1], 0.6, 0.01 * h)
    for x in np.linspace(0.05, 0.95, 9) * w:  # hanging UV streamers
        tail = x + rng.normal(0, 0.01 * w), eave_y + rng.uniform(0.05, 0.12) * h
        glow_lines(canvas, [((x, eave_y, *tail), 0.004 * h)], neon[int(rng.integers(len(neon)))], 0.5, 0.006 * h)


def _dj_booth(canvas: np.ndarray, cx: float, floor_y: float, neon: list[Colour]) -> None:
    """A DJ behind a booth whose front glows in stripes, headphones and laptop lit."""
    h, w = canvas.shape[:2]
    head = (cx, floor_y - 0.2 * h, 0.022 * h, 0.028 * h)
    body = [(cx - 0.065 * h, floor_y - 0.08 * h), (cx - 0.045 * h, floor_y - 0.16 * h),
            (cx + 0.045 * h, floor_y - 0.16 * h), (cx + 0.065 * h, floor_y - 0.08 * h)]
    dj = polygon_cover(h, w, ellipses=[head], polygons=[body])
    paint(canvas, dj, (0.02, 0.01, 0.03))
    add_light(canvas, top_rim(dj, 0.005 * h), neon[1], 0.8)
    headphones(canvas, [head], neon[0], 1.0)
    booth = [(cx - 0.1 * w, floor_y - 0.09 * h), (cx + 0.1 * w, floor_y - 0.09 * h), (cx + 0.09 * w, floor_y),
             (cx - 0.09 * w, floor_y)]
    paint(canvas, polygon_cover(h, w, polygons=[booth]), (0.03, 0.01, 0.05))
    for k in range(3):
        y = floor_y - (0.07 - 0.02 * k) * h
        glow_lines(canvas, [((cx - 0.09 * w, y, cx + 0.09 * w, y), 0.003 * h)], neon[k + 2], 0.7, 0.006 * h)
    add_light(canvas, radial(h, w, cx, floor_y - 0.095 * h, 0.012 * w, sy=0.5), (0.8, 0.9, 1.0), 0.5)  # the laptop


def _disco_ball(canvas: np.ndarray, rng: np.random.Generator, centre: tuple[float, float], r: float) -> None:
    """A mirror ball on a wire, its facets glinting, throwing spots of light all over the tent."""
    h, w = canvas.shape[:2]
    cx, cy = centre
    paint(canvas, polygon_cover(h, w, lines=[((cx, 0, cx, cy), 1.0)], ellipses=[(cx, cy, r, r)]), (0.35, 0.33, 0.4))
    y, x = np.ogrid[:h, :w]
    facets = (np.sin((x - cx) / (0.04 * r)) * np.sin((y - cy) / (0.04 * r)) > 0.3).astype(np.float32)
    ball = polygon_cover(h, w, ellipses=[(cx, cy, r, r)])
    add_light(canvas, ball * facets * radial(h, w, cx - 0.4 * r, cy - 0.4 * r, r), (0.9, 0.9, 1.0), 1.2)
    spots = [(rng.uniform(0, w), rng.uniform(0, 0.6 * h), s, 0.6 * s) for s in rng.uniform(0.0015, 0.0035, 110) * w]
    add_light(canvas, blur(polygon_cover(h, w, ellipses=spots), 0.001 * w), (0.8, 0.75, 1.0), 0.35)
    add_light(canvas, radial(h, w, cx, cy, 2 * r), (0.7, 0.7, 1.0), 0.5)


def _campsite_dawn(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    horizon = h * rng.uniform(0.5, 0.56)
    hz = horizon / h
    canvas = vertical_gradient(h, w, [(0.0, (0.1, 0.12, 0.32)), (0.45 * hz, (0.5, 0.38, 0.62)),
                                      (0.8 * hz, (0.98, 0.6, 0.55)), (hz, (1.0, 0.82, 0.55)), (1.0, (0.2, 0.25, 0.12))])
    band = np.sin(np.clip(np.arange(h, dtype=np.float32)[:, None] / horizon, 0, 1) * math.pi)  # clouds mid-sky
    paint(canvas, np.clip(fractal_noise(h, w, rng, 2, 4) * 2 - 0.2, 0, 1) * band * 0.6, (1.0, 0.7, 0.65))
    sx = w * rng.choice([0.25, 0.75])
    add_light(canvas, radial(h, w, sx, horizon - 0.01 * h, 0.025 * w), (1.0, 0.9, 0.6), 2.5)
    add_light(canvas, radial(h, w, sx, horizon, 0.35 * w, sy=0.45), (1.0, 0.55, 0.3), 0.55)
    for k, colour in enumerate([(0.62, 0.45, 0.6), (0.42, 0.3, 0.45)]):  # far hills, hazier further away
        hills = horizon + 0.01 * h * k - np.abs(smooth_noise(1, w, rng, 4 + 3 * k)[0]) * 0.07 * h
        outline = [(0, h)] + [(x, hills[x]) for x in range(0, w, 8)] + [(w - 1, hills[-1]), (w, h)]
        paint(canvas, polygon_cover(h, w, polygons=[outline]), colour)
    light_by_depth = vertical_gradient(h, w, [(0, (1.6, 1.2, 1.0)), (hz, (1.6, 1.25, 1.0)), (1, (0.8, 0.9, 0.8))])
    ground(canvas, horizon, textured(h, w, rng, (0.24, 0.34, 0.14), 0.3, 96) * light_by_depth, 0.004 * h)
    colours = [(0.95, 0.45, 0.1), (0.1, 0.6, 0.65), (0.95, 0.8, 0.15), (0.85, 0.2, 0.25), (0.3, 0.65, 0.25),
               (0.35, 0.35, 0.8)]
    rows = [(0.015, 0.03, (0.5, 0.5)), (0.05, 0.05, (0.5, 0.5)), (0.12, 0.1, (0.3, 0.7)), (0.26, 0.19, (0.24, 0.76))]
    for dy, size, gap in rows:  # far to near; the near rows leave the middle free
        _tent_row(canvas, rng, horizon + dy * h, size * w, gap, colours, sx)
    haze_band(canvas, horizon + 0.02 * h, 0.04 * h, (1.0, 0.85, 0.8), 0.25)
    for x in (0.12, 0.4, 0.63, 0.9):
        _feather_flag(canvas, x * w, horizon + 0.1 * h, 0.28 * h, colours[int(rng.integers(len(colours)))])
    light = Light(ambient=(0.32, 0.26, 0.38), key=(0.9, 0.6, 0.4), key_side=float(np.sign(sx - w / 2)),
                  rim=(1.0, 0.75, 0.45), rim_strength=0.9)
    return canvas, light


def _tent_row(canvas: np.ndarray, rng: np.random.Generator, base: float, size: float, gap: tuple[float, float],
              colours: list[Colour], sun_x: float) -> None:
    """A row of dome tents ``size`` px wide on ``base``, none inside the ``gap`` (fractions of the width), back-lit
    by a low sun at ``sun_x``: shaded fronts, bright rims and long shadows towards us."""
    h, w = canvas.shape[:2]
    x = rng.uniform(-0.5, 0.2) * size
    while x < w + size:
        cx = x + size / 2
        if not gap[0] * w < cx < gap[1] * w:
            y = base + rng.normal(0, 0.05) * size
            shell, door, poles = dome_tent(cx, y, size * rng.uniform(0.85, 1.1), size * rng.uniform(0.45, 0.6))
            away = -np.sign(sun_x - cx)
            shadow = polygon_cover(h, w, ellipses=[(cx + 0.3 * away * size, y + 0.08 * size, 0.6 * size, 0.1 * size)])
            paint(canvas, blur(shadow, 0.03 * size) * 0.45, (0.05, 0.08, 0.04))
            cover = polygon_cover(h, w, polygons=[shell])
            side = np.clip(0.5 - 0.3 * away * (np.arange(w) - cx) / size, 0.25, 0.85)[None, :, None]
            colour = np.asarray(colours[int(rng.integers(len(colours)))], np.float32)
            paint(canvas, cover, np.broadcast_to(colour * side, (h, w, 3)))
            seams = [segment for pole in poles for segment in polyline(pole, max(1.0, 0.012 * size))]
            paint(canvas, polygon_cover(h, w, polygons=[door], lines=seams) * cover, tuple(colour * 0.3))
            add_light(canvas, top_rim(cover, 0.04 * size), (1.0, 0.8, 0.5), 0.8)
        x += size * rng.uniform(1.05, 1.6)


def _feather_flag(canvas: np.ndarray, x: float, base: float, height: float, colour: Colour) -> None:
    """A tall feather flag on a thin pole, its curved banner glowing with the light behind it."""
    h, w = canvas.shape[:2]
    top = base - height
    curve = [(x + 0.1 * height * math.sin(math.pi * t) ** 0.6 + 0.02 * height * t, top + height * 0.75 * t)
             for t in np.linspace(0, 1, 16)]
    cover = polygon_cover(h, w, polygons=[[(x, top)] + curve + [(x, top + 0.75 * height)]])
    paint(canvas, polygon_cover(h, w, lines=[((x, top, x, base), max(1.0, 0.004 * height))]), (0.1, 0.1, 0.1))
    paint(canvas, cover, np.asarray(colour, np.float32) * 0.75)
    add_light(canvas, blur(cover, 0.01 * height) * np.float32(0.3), np.asarray(colour) * 0.5 + 0.5, 0.6)


def _rainy_mud(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    horizon = h * rng.uniform(0.5, 0.56)
    canvas = vertical_gradient(h, w, [(0.0, (0.22, 0.24, 0.3)), (horizon / h, (0.52, 0.53, 0.58)),
                                      (1.0, (0.2, 0.15, 0.1))])
    paint(canvas, np.clip(fractal_noise(h, w, rng, 3, 5) + 0.3, 0, 1) * 0.6, (0.16, 0.17, 0.22))
    colours = _palette(rng, 3, (0.7, 0.9))
    _distant_stage(canvas, rng, w * rng.uniform(0.4, 0.6), horizon, colours)
    mud = textured(h, w, rng, (0.25, 0.19, 0.13), 0.4, 64)
    mud *= vertical_gradient(h, w, [(0, (1.2, 1.2, 1.2)), (1, (0.7, 0.65, 0.6))])
    ground(canvas, horizon, mud, 0.003 * h)
    haze_band(canvas, horizon, 0.05 * h, (0.5, 0.5, 0.55), 0.5)
    _umbrella_crowd(canvas, rng, horizon + 0.04 * h, 0.024 * h, 0.6)
    _umbrella_crowd(canvas, rng, horizon + 0.09 * h, 0.036 * h, 0.7)
    near = horizon + 0.2 * h
    sky = reflection(canvas, horizon, 0.004 * w)
    ground(canvas, near, 0.8 * mud + 0.2 * sky, 0.02 * h)  # wet: the sky shows faintly in the mud
    puddles = [(rng.uniform(0, w), y, rng.uniform(0.1, 0.25) * w * (y / h), rng.uniform(0.01, 0.03) * h * (y / h))
               for y in rng.uniform(near + 0.03 * h, h, 10)]
    water = blur(polygon_cover(h, w, ellipses=puddles), 0.003 * w)
    paint(canvas, blur(water, 0.006 * w) * 0.5, (0.1, 0.07, 0.05))  # dark wet rims
    paint(canvas, water * 0.8, sky * 0.9)
    streaks(canvas, rng, 900, 12, 0.03 * h, (0.7, 0.75, 0.85), 0.18)
    streaks(canvas, rng, 120, 14, 0.08 * h, (0.8, 0.85, 0.95), 0.12, thick=max(1.0, 0.0015 * w))
    light = Light(ambient=(0.3, 0.32, 0.38), key=tuple(0.35 * np.asarray(colours[0]) + 0.1), key_side=1.0,
                  rim=(0.75, 0.8, 0.9), rim_strength=0.3)
    return canvas, light


def _distant_stage(canvas: np.ndarray, rng: np.random.Generator, cx: float, base: float, colours: list[Colour]) -> None:
    """A far stage seen through rain: a dark shell, its lights and beams softened by the wet air."""
    h, w = canvas.shape[:2]
    sw, sh = 0.16 * w, 0.13 * h
    shell = [(cx - sw, base), (cx - sw, base - sh), (cx - 0.8 * sw, base - 1.2 * sh), (cx + 0.8 * sw, base - 1.2 * sh),
             (cx + sw, base - sh), (cx + sw, base)]
    paint(canvas, polygon_cover(h, w, polygons=[shell]), (0.12, 0.12, 0.15))
    glow = np.zeros_like(canvas)
    for k, c in enumerate(colours * 2):
        beam(glow, (cx - 0.8 * sw + 1.6 * sw * k / 5, base - 1.1 * sh), 180 + rng.uniform(-30, 30), 8, 0.5 * h, c, 0.35)
    add_light(glow, radial(h, w, cx, base - 0.5 * sh, 0.5 * sw, sy=0.5), colours[0], 0.8)
    canvas += blur(glow, 0.004 * w)
    add_light(canvas, radial(h, w, cx, base, 0.4 * w, sy=0.25), colours[1], 0.15)


def _umbrella_crowd(canvas: np.ndarray, rng: np.random.Generator, base_y: float, head_r: float, share: float) -> None:
    """A crowd from behind in the rain, a ``share`` of them under bright umbrellas."""
    h, w = canvas.shape[:2]
    crowd(canvas, rng, base_y, head_r, (0.07, 0.065, 0.075), (0.3, 0.32, 0.38), density=0.9)
    for cx in rng.uniform(0, w, int(share * w / (4 * head_r))):
        canopy, panels = umbrella(cx, base_y - rng.uniform(2.2, 2.6) * head_r, head_r * rng.uniform(2.2, 2.8))
        colour = np.asarray(hsv(rng.random(), rng.uniform(0.6, 0.9), rng.uniform(0.6, 0.9)), np.float32)
        cover = polygon_cover(h, w, polygons=[canopy])
        paint(canvas, cover, colour)
        second = colour * 0.75 if rng.random() < 0.5 else (0.92, 0.92, 0.9)
        paint(canvas, polygon_cover(h, w, polygons=panels) * cover, second)
        add_light(canvas, top_rim(cover, 0.15 * head_r), (0.8, 0.85, 0.95), 0.4)


def _festival_gate(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, Light]:
    horizon = h * rng.uniform(0.6, 0.64)
    hz = horizon / h
    canvas = vertical_gradient(h, w, [(0.0, (0.2, 0.38, 0.75)), (0.6 * hz, (0.6, 0.65, 0.85)), (hz, (1.0, 0.82, 0.6)),
                                      (1.0, (0.3, 0.35, 0.15))])
    sky = np.clip(1.1 - np.arange(h)[:, None] / horizon, 0, 1)
    paint(canvas, np.clip(fractal_noise(h, w, rng, 3, 5) * 1.4, 0, 1) * sky, (1.0, 0.92, 0.88))
    sx = w * rng.choice([0.12, 0.88])
    add_light(canvas, radial(h, w, sx, 0.12 * h, 0.03 * w), (1.0, 0.95, 0.75), 2.0)
    add_light(canvas, radial(h, w, sx, 0.12 * h, 0.3 * w), (1.0, 0.7, 0.4), 0.35)
    colours = _palette(rng, 6, (0.7, 0.95))
    _far_festival(canvas, rng, horizon, colours)
    crowd(canvas, rng, horizon - 0.006 * h, 0.008 * h, (0.3, 0.28, 0.35), (1.0, 0.85, 0.6), density=0.7)
    light_by_depth = vertical_gradient(h, w, [(0, (1.1, 1.0, 0.8)), (hz, (1.1, 1.0, 0.8)), (1, (0.8, 0.85, 0.8))])
    ground(canvas, horizon, textured(h, w, rng, (0.3, 0.45, 0.16), 0.3, 96) * light_by_depth, 0.003 * h)
    path = [(0.46 * w, horizon), (0.54 * w, horizon), (0.75 * w, h), (0.25 * w, h)]
    paint(canvas, polygon_cover(h, w, polygons=[path]), textured(h, w, rng, (0.72, 0.6, 0.45), 0.35, 128))
    _gate_arch(canvas, rng, w / 2, horizon + 0.07 * h, colours)
    for d in (0.19, 0.34):  # flags lining the path, smaller towards the gate
        for side in (-1, 1):
            colour = colours[int(rng.integers(len(colours)))]
            _flag_pole(canvas, rng, w / 2 + side * (0.12 + 0.95 * d) * w, horizon + d * h, 2.2 * d * h, colour, side)
    for side in (-1, 1):  # bulbs strung from the gate to the nearest flag poles, under their flags
        string_lights(canvas, rng, (w / 2 + side * 0.17 * w, 0.3 * h), (w / 2 + side * 0.44 * w, 0.4 * h), 0.05 * h, 14,
                      [(1.0, 0.85, 0.5), (1.0, 0.7, 0.4)])
    light = Light(ambient=(0.35, 0.35, 0.42), key=(0.85, 0.7, 0.5), key_side=float(np.sign(sx - w / 2)),
                  rim=(1.0, 0.85, 0.6), rim_strength=0.5)
    return canvas, light


def _far_festival(canvas: np.ndarray, rng: np.random.Generator, horizon: float, colours: list[Colour]) -> None:
    """What lies beyond the gate: marquee tops and a big wheel, pale in the distance."""
    h, w = canvas.shape[:2]
    cx, r = w * rng.choice([0.3, 0.7]), 0.12 * h
    hub = (cx, horizon - r)
    spokes = [((*hub, *_limb(*hub, a, r)), 0.002 * h) for a in range(0, 360, 20)]
    legs = [((*hub, cx + side * 0.4 * r, horizon), 0.004 * h) for side in (-1, 1)]
    rim = polyline(arc_points(*hub, r, r, 0, 360), 0.003 * h)
    paint(canvas, polygon_cover(h, w, lines=spokes + rim + legs), (0.55, 0.5, 0.6))
    x = 0.0
    while x < w:
        tw = rng.uniform(0.05, 0.1) * w
        peak = [(x, horizon), (x + 0.2 * tw, horizon - 0.04 * h), (x + 0.5 * tw, horizon - 0.07 * h),
                (x + 0.8 * tw, horizon - 0.04 * h), (x + tw, horizon)]
        pale = np.asarray(colours[int(rng.integers(len(colours)))]) * 0.45 + 0.4
        paint(canvas, polygon_cover(h, w, polygons=[peak]), pale)
        x += tw * rng.uniform(1.0, 1.8)


def _gate_arch(canvas: np.ndarray, rng: np.random.Generator, cx: float, base: float, colours: list[Colour]) -> None:
    """The entrance: two dressed towers and an arched banner of coloured panels, bulbs along its underside."""
    h, w = canvas.shape[:2]
    half, top = 0.17 * w, 0.24 * h
    feet = [(cx + s * half, base, 0.05 * w, 0.01 * h) for s in (-1, 1)]
    paint(canvas, polygon_cover(h, w, ellipses=feet) * 0.5, (0.05, 0.08, 0.03))  # their shadows
    stripes = (np.sin((np.arange(h)[:, None] + np.arange(w)[None, :]) / (0.012 * w)) > 0).astype(np.float32)[..., None]
    fabric = stripes * np.asarray(colours[0], np.float32) + (1 - stripes) * np.asarray((0.95, 0.92, 0.85), np.float32)
    towers = [rect(x - 0.025 * w, top, x + 0.025 * w, base) for x in (cx - half, cx + half)]
    paint(canvas, polygon_cover(h, w, polygons=towers), fabric * 0.85)
    shade = [rect(x + 0.005 * w, top, x + 0.025 * w, base) for x in (cx - half, cx + half)]
    paint(canvas, polygon_cover(h, w, polygons=shade) * 0.3, (0.1, 0.1, 0.2))
    outer = arc_points(cx, top + 0.03 * h, half + 0.04 * w, 0.16 * h, 0, 180, 13)
    inner = arc_points(cx, top + 0.03 * h, half - 0.03 * w, 0.1 * h, 0, 180, 13)
    for k in range(12):
        panel = [outer[k], outer[k + 1], inner[k + 1], inner[k]]
        paint(canvas, polygon_cover(h, w, polygons=[panel]), colours[k % len(colours)])
    glow_lines(canvas, polyline(outer, 0.002 * h), (1.0, 0.95, 0.8), 0.4, 0.003 * h)
    bulbs = [(x, y + 0.008 * h, 0.004 * w, 0.004 * w)
             for x, y in arc_points(cx, top + 0.03 * h, half - 0.03 * w, 0.1 * h, 0, 180, 25)]
    bulb = polygon_cover(h, w, ellipses=bulbs)
    add_light(canvas, bulb + 3 * blur(bulb, 0.006 * w), (1.0, 0.8, 0.45), 1.0)
    for s in (-1, 1):  # pennant flags on the tower tops
        x = cx + s * half
        paint(canvas, polygon_cover(h, w, lines=[((x, top, x, top - 0.08 * h), 0.002 * h)]), (0.2, 0.2, 0.2))
        pennant = waving_flag(x, top - 0.08 * h, 0.05 * w, 0.03 * h, rng.uniform(0, 6))
        paint(canvas, polygon_cover(h, w, polygons=[pennant]), colours[1])


def _flag_pole(canvas: np.ndarray, rng: np.random.Generator, x: float, base: float, height: float, colour: Colour,
               side: int) -> None:
    """A tall pole with a flag rippling away from the path (``side`` -1 = flying left), lit from the front."""
    h, w = canvas.shape[:2]
    top = base - height
    length, depth = 0.35 * height * -side, 0.2 * height
    cloth = waving_flag(x, top + 0.02 * height, length, depth, rng.uniform(0, 6))
    folds = 0.8 + 0.2 * np.sin((np.arange(w) - x) / max(abs(length), 1.0) * 2 * math.pi * 1.2)[None, :, None]
    paint(canvas, polygon_cover(h, w, lines=[((x, top, x, base), max(1.0, 0.008 * height))]), (0.25, 0.22, 0.2))
    cloth_shaded = np.broadcast_to(np.asarray(colour, np.float32) * folds, (h, w, 3))
    paint(canvas, polygon_cover(h, w, polygons=[cloth]), cloth_shaded)


KINDS = {
    "stage": _festival_stage,
    "sunset_crowd": _sunset_crowd,
    "food_trucks": _food_trucks,
    "beach_night": _beach_night,
    "field_tents": _field_tents,
    "fairground": _fairground,
}

# More kinds, drawn for the CAROUSEL gallery of backgrounds. They are not in KINDS, so synthetic training sets
# (which cycle through KINDS) stay exactly as they were; render_scene draws any kind in ALL_KINDS.
EXTRA_KINDS = {
    "main_stage": _main_stage,
    "silent_disco": _silent_disco,
    "campsite_dawn": _campsite_dawn,
    "rainy_mud": _rainy_mud,
    "festival_gate": _festival_gate,
}
ALL_KINDS = {**KINDS, **EXTRA_KINDS}


def render_scene(kind: str, width: int, height: int, rng: np.random.Generator, n_people: int = 1) -> Scene:
    """A festival scene of ``kind`` (see :data:`ALL_KINDS`) at width×height with ``n_people`` lit people in front."""
    if kind not in ALL_KINDS:
        raise UnknownName("scene kind", kind, ALL_KINDS)
    if not (64 <= width <= 4096 and 64 <= height <= 4096):
        raise InvalidInput(f"scene size {width}×{height} is out of range; use 64 to 4096 pixels a side")
    if not 0 <= n_people <= 6:
        raise InvalidInput(f"n_people={n_people} is out of range; use 0 to 6")
    canvas, light = ALL_KINDS[kind](height, width, rng)
    canvas = np.ascontiguousarray(canvas, np.float32)
    people = add_people(canvas, rng, light, n_people) if n_people else []
    return Scene(kind, finish(canvas, rng), people)


@dataclass(frozen=True)
class FrontRow:
    """The crowd's front row of a gallery background: people nearer the camera than anyone placed in the scene, seen
    from behind, their heads at ``head_y`` with radius ``head_r`` (fractions of the height), shoulders running off the
    bottom edge. ``density`` packs them closer, ``raised`` is the share with hands (or a phone) up, and no one stands
    inside ``clear`` (a span of the width, as fractions) so the middle of an open scene stays open."""

    head_y: float
    head_r: float
    density: float = 1.0
    raised: float = 0.35
    clear: tuple[float, float] = (0.0, 0.0)


def render_background(kind: str, seed: int, width: int, height: int) -> Image.Image:
    """Draw a gallery background afresh: the scene ``kind`` (see :data:`ALL_KINDS`) with no people in front, from
    ``seed``; the same arguments always give the same image (PIL RGB)."""
    return render_layers(kind, seed, width, height)[0]


def render_layers(kind: str, seed: int, width: int, height: int,
                  front: FrontRow | None = None) -> tuple[Image.Image, Image.Image | None]:
    """A gallery background in depth layers: the whole picture (sky and stage, the crowd behind, and the ``front``
    row; PIL RGB) and its front layer (PIL RGBA: the front row alone, the picture's own pixels where it stands, so
    that background → placed person → front layer puts the person *in* the crowd). Without ``front``: the picture of
    :func:`render_background` and None. The front row draws from its own random stream: the rest is unchanged."""
    if kind not in ALL_KINDS:
        raise UnknownName("scene kind", kind, ALL_KINDS)
    rng = np.random.default_rng(seed)
    canvas, light = ALL_KINDS[kind](height, width, rng)
    canvas = np.ascontiguousarray(canvas, np.float32)
    cover = None
    if front is not None:
        cover = front_row(canvas, np.random.default_rng([seed, 1]), light, front)
    picture = finish(canvas, rng)
    if cover is None:
        return Image.fromarray(picture, "RGB"), None
    alpha = (np.clip(cover, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    layer = np.where(alpha[..., None] > 0, picture, 0).astype(np.uint8)  # nothing kept under full transparency
    return Image.fromarray(picture, "RGB"), Image.fromarray(np.dstack([layer, alpha]), "RGBA")


def front_row(canvas: np.ndarray, rng: np.random.Generator, light: Light, row: FrontRow) -> np.ndarray:
    """Paint ``row`` over ``canvas`` (in place), lit by the scene's ``light`` (ambient and key on their backs, a rim
    from the light ahead) and a little out of focus (they are near the lens); return its coverage (H×W, 0..1)."""
    height, width = canvas.shape[:2]
    r0 = row.head_r * height
    people, x = [], rng.uniform(-r0, 2 * r0)
    while x < width + r0:
        if not row.clear[0] * width < x < row.clear[1] * width:
            people.append(_front_person(height, width, rng, x, row.head_y * height, r0, row.raised))
        x += r0 * rng.uniform(2.6, 4.2) / row.density
    colour = np.zeros_like(canvas)
    cover = np.zeros((height, width), np.float32)
    for layers in people:  # left to right, each over the last
        for shape, tint in layers:
            paint(colour, shape, tint)
            cover = np.maximum(cover, shape)
    fade = vertical_gradient(height, width, [(0.0, (1.0, 1.0, 1.0)), (1.0, (0.55, 0.55, 0.55))])  # into the dark
    # Their backs face us and the show's light is ahead of them: mostly ambient, a little key, a rim on the top edges.
    lit = colour * (np.asarray(light.ambient, np.float32) + 0.3 * np.asarray(light.key, np.float32)) * fade
    lit += top_rim(cover, 0.12 * r0)[..., None] * np.asarray(light.rim, np.float32) * (0.4 + 0.5 * light.rim_strength)
    defocus = 0.06 * r0
    cover = blur(cover, defocus)
    paint(canvas, cover, blur(lit, defocus) / np.maximum(cover, 1e-3)[..., None])
    return cover


def _front_person(height: int, width: int, rng: np.random.Generator, x: float, head_y: float, r: float,
                  raised: float) -> list[tuple[np.ndarray, Colour]]:
    """One front-row festival-goer from behind: shoulders and shirt, neck, head of hair, maybe an arm (hand or
    phone) up; coverage layers in painting order with their colours."""
    r *= rng.uniform(0.85, 1.15)
    y = head_y + rng.normal(0.0, 0.3 * r)
    x += rng.normal(0.0, 0.3 * r)
    cover = lambda **k: polygon_cover(height, width, **k)
    shirt = hsv(rng.random(), rng.uniform(0.1, 0.8), rng.uniform(0.3, 0.9))
    skin, hair = SKIN[rng.integers(len(SKIN))], HAIR[rng.integers(len(HAIR))]
    shoulders = [(x - 2.5 * r, y + 1.5 * r), (x - 1.7 * r, y + 1.0 * r), (x + 1.7 * r, y + 1.0 * r),
                 (x + 2.5 * r, y + 1.5 * r), (x + 2.8 * r, height + r), (x - 2.8 * r, height + r)]
    layers = [(cover(polygons=[shoulders]), shirt),
              (cover(polygons=[rect(x - 0.4 * r, y + 0.5 * r, x + 0.4 * r, y + 1.2 * r)]), tuple(0.8 * np.asarray(skin))),
              (cover(ellipses=[(x, y, 0.85 * r, r)]), hair)]
    if rng.random() < raised:
        side = float(rng.choice([-1.0, 1.0]))
        sx, sy = x + side * 1.6 * r, y + 1.2 * r
        ex, ey = sx + side * rng.uniform(0.2, 1.0) * r, y - rng.uniform(0.6, 1.4) * r
        hx, hy = ex + side * rng.uniform(-0.4, 0.4) * r, ey - rng.uniform(1.6, 2.4) * r
        layers.append((cover(lines=[((sx, sy, ex, ey), 0.6 * r)]), shirt if rng.random() < 0.5 else skin))
        layers.append((cover(lines=[((ex, ey, hx, hy), 0.5 * r)], ellipses=[(hx, hy, 0.35 * r, 0.4 * r)]), skin))
        if rng.random() < 0.35:  # filming the show: a phone held up, its screen lit
            phone = [rect(hx - 0.45 * r, hy - 1.3 * r, hx + 0.45 * r, hy - 0.1 * r)]
            layers.append((cover(polygons=phone), (0.75, 0.8, 0.9)))
    return layers
