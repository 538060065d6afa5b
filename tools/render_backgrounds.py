"""Draw the CAROUSEL's gallery of festival backgrounds into ``assets/backgrounds``.

Every background is a procedural scene (:mod:`relive.carousel.training.scenes`) with no people in front, drawn from a fixed
seed, so the gallery is the same on every machine: ``<slug>.jpg`` (1536×1024, JPEG quality 90), ``backgrounds.csv``
(``slug,title,kind,seed,foot_x,foot_y``; the feet position is where a standing person goes by default, as fractions
of the width and height, on the floor) and ``contact_sheet.jpg`` (every background with its feet spot marked).

Usage: python tools/render_backgrounds.py [--root assets/backgrounds] [--only SLUG ...]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relive.carousel.backgrounds import COLUMNS, CSV_NAME, SIZE  # noqa: E402
from relive.carousel.training.scenes import render_background  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent / "assets" / "backgrounds"

# slug, title, scene kind, seed, feet (x, y). The first four are ticked for the album by default: the best first.
GALLERY = [
    ("main-stage", "Main stage: lasers & confetti", "main_stage", 4, 0.50, 0.93),
    ("sunset-crowd", "Sunset over the crowd", "sunset_crowd", 9, 0.56, 0.95),
    ("festival-gate", "Festival gate", "festival_gate", 2, 0.50, 0.92),
    ("silent-disco", "Silent disco under UV", "silent_disco", 1, 0.50, 0.93),
    ("fairground", "Fairground wheel at dusk", "fairground", 4, 0.62, 0.95),
    ("food-trucks", "Food trucks & fairy lights", "food_trucks", 8, 0.50, 0.90),
    ("campsite-dawn", "Campsite at dawn", "campsite_dawn", 0, 0.50, 0.92),
    ("rainy-mud", "Rain, mud & umbrellas", "rainy_mud", 1, 0.50, 0.92),
    ("beach-night", "Beach stage at night", "beach_night", 8, 0.50, 0.90),
    ("stage-lights", "Stage lights", "stage", 10, 0.50, 0.95),
    ("tent-field", "Field of tents", "field_tents", 4, 0.50, 0.90),
]

TILE = (360, 240)
LABEL = 26
GAP = 8
COLUMNS_PER_ROW = 4


def font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed bitmap font
        return ImageFont.load_default()


def write_images(root: Path, only: set[str]) -> None:
    for slug, title, kind, seed, *_ in GALLERY:
        if only and slug not in only:
            continue
        render_background(kind, seed, *SIZE).save(root / f"{slug}.jpg", quality=90, optimize=True)
        print(f"{slug}.jpg  {title}")


def write_csv(root: Path) -> None:
    with (root / CSV_NAME).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for slug, title, kind, seed, foot_x, foot_y in GALLERY:
            writer.writerow([slug, title, kind, seed, f"{foot_x:.2f}", f"{foot_y:.2f}"])


def contact_sheet(root: Path) -> Image.Image:
    """Every background as a labelled tile, a ring where the feet go."""
    rows = -(-len(GALLERY) // COLUMNS_PER_ROW)
    tw, th = TILE
    sheet = Image.new("RGB", (GAP + COLUMNS_PER_ROW * (tw + GAP), GAP + rows * (th + LABEL + GAP)), (22, 18, 30))
    draw = ImageDraw.Draw(sheet)
    for index, (slug, title, _, _, foot_x, foot_y) in enumerate(GALLERY):
        x = GAP + (index % COLUMNS_PER_ROW) * (tw + GAP)
        y = GAP + (index // COLUMNS_PER_ROW) * (th + LABEL + GAP)
        with Image.open(root / f"{slug}.jpg") as image:
            sheet.paste(image.convert("RGB").resize(TILE, Image.LANCZOS), (x, y))
        fx, fy = x + foot_x * tw, y + foot_y * th
        draw.ellipse([fx - 7, fy - 4, fx + 7, fy + 4], outline=(255, 230, 60), width=2)
        draw.line([fx, fy - 30, fx, fy], fill=(255, 230, 60), width=1)
        draw.text((x + 2, y + th + 5), f"{title}  ({slug})", fill=(235, 230, 245), font=font(13))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="output folder (default assets/backgrounds)")
    parser.add_argument("--only", nargs="*", default=[], help="draw only these slugs' images (CSV and sheet: all)")
    args = parser.parse_args()
    unknown = set(args.only) - {g[0] for g in GALLERY}
    if unknown:
        parser.error(f"unknown slug(s) {', '.join(sorted(unknown))}; choose from {', '.join(g[0] for g in GALLERY)}")
    args.root.mkdir(parents=True, exist_ok=True)
    write_images(args.root, set(args.only))
    write_csv(args.root)
    contact_sheet(args.root).save(args.root / "contact_sheet.jpg", quality=85, optimize=True)
    total = sum(p.stat().st_size for p in args.root.iterdir() if p.is_file())
    print(f"wrote {len(GALLERY)} backgrounds, {CSV_NAME} and contact_sheet.jpg to {args.root} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
