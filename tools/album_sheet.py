"""Draw ``docs/carousel_album.png``: a full-body and a bust avatar staged on every gallery background, before
(copy-paste) and after (fused by the shipped model), as the memory album makes them — spot and side changing from
page to page, the crowd's front row in front of the standing person.

The full-body avatar is a person rendered by :mod:`relive.carousel.training.scenes` and cut out (its coverage is
the alpha); the bust is the example avatar (``assets/examples/avatar-astronaut.png``).

Usage: python tools/album_sheet.py [--out docs/carousel_album.png] [--tile 320] [--seed 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relive.carousel.album import make_album
from relive.carousel.backgrounds import list_backgrounds
from relive.backends.fusion import load_fusion_model
from relive.carousel.training import scenes

REPO = Path(__file__).resolve().parent.parent
BUST = REPO / "assets" / "examples" / "avatar-astronaut.png"
NEUTRAL = scenes.Light(ambient=(0.45, 0.45, 0.45), key=(0.6, 0.6, 0.6), key_side=1.0, rim=(1.0, 1.0, 1.0),
                       rim_strength=0.15)  # an even daylight: the scene's own light is the model's job
COLUMNS = ("full body: before", "full body: fused", "bust: before", "bust: fused")
LABEL = 22
GAP = 6


def standing_person(seed: int, height: int = 1024) -> Image.Image:
    """A full-body festival-goer as an RGBA cut-out (height px tall canvas, transparent around them)."""
    width = height * 7 // 10  # room for raised arms
    canvas = np.zeros((height, width, 3), np.float32)
    rng = np.random.default_rng(seed)
    figure = scenes.figure(height, width, rng, width / 2, 0.97 * height, 0.85 * height)
    scenes.light_figure(canvas, figure, NEUTRAL, rng)
    cover = np.clip(figure.cover, 0.0, 1.0)
    colour = canvas / np.maximum(cover, 1e-3)[..., None]  # light_figure paints premultiplied by the coverage
    rgb = (np.clip(colour, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb, (cover * 255 + 0.5).astype(np.uint8)]), "RGBA")


def sheet(pages_by_avatar: list[list], tile: int) -> Image.Image:
    """One row per background: each avatar's before and after, side by side."""
    rows = len(pages_by_avatar[0])
    tw, th = tile, tile * 2 // 3
    out = Image.new("RGB", (GAP + 4 * (tw + GAP), LABEL + GAP + rows * (th + LABEL + GAP)), (22, 18, 30))
    draw = ImageDraw.Draw(out)
    font = ImageFont.load_default(size=14)
    for column, name in enumerate(COLUMNS):
        draw.text((GAP + column * (tw + GAP) + 4, 4), name, fill=(255, 230, 120), font=font)
    for row in range(rows):
        y = LABEL + GAP + row * (th + LABEL + GAP)
        for a, pages in enumerate(pages_by_avatar):
            page = pages[row]
            for b, image in enumerate((page.fused.composite, page.fused.image)):
                out.paste(image.resize((tw, th), Image.LANCZOS), (GAP + (2 * a + b) * (tw + GAP), y))
        draw.text((GAP + 4, y + th + 4), pages_by_avatar[0][row].title, fill=(235, 230, 245), font=font)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "carousel_album.png")
    parser.add_argument("--tile", type=int, default=320, help="tile width in px (height: two thirds of it)")
    parser.add_argument("--seed", type=int, default=3, help="which rendered person stands in the scenes")
    args = parser.parse_args()
    slugs = [b.slug for b in list_backgrounds()]
    model = load_fusion_model()
    avatars = (standing_person(args.seed), Image.open(BUST).convert("RGBA"))
    pages = [make_album(avatar, slugs, model=model) for avatar in avatars]
    sheet(pages, args.tile).save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): {len(slugs)} backgrounds × 2 avatars")


if __name__ == "__main__":
    main()
