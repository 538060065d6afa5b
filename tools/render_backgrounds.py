"""Draw the CAROUSEL's gallery of festival backgrounds into ``assets/backgrounds``.

Every background is a procedural scene (:mod:`relive.carousel.training.scenes`) drawn from a fixed seed in depth
layers, so the gallery is the same on every machine: ``<slug>.jpg`` (1536×1024, JPEG quality 90: sky and stage, the
crowd behind and the crowd's front row), ``<slug>.front.webp`` (RGBA: the front row alone, which goes over a placed
person), ``backgrounds.csv`` (``slug,title,kind,seed,horizon,ground,person_height,spots``: the staging, see
:mod:`relive.carousel.backgrounds`) and ``contact_sheet.jpg`` (every background with its horizon, ground line and a
person-high bar at each spot).

Usage: python tools/render_backgrounds.py [--root assets/backgrounds] [--only SLUG ...]
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relive.carousel.backgrounds import COLUMNS, CSV_NAME, FRONT_SUFFIX, SIZE  # noqa: E402
from relive.carousel.training.scenes import FrontRow, render_layers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent / "assets" / "backgrounds"

EDGES = (0.22, 0.78)  # open scenes keep the front row to the edges of the frame: the middle stays open


@dataclass(frozen=True)
class Entry:
    """One gallery background: what to draw and how people are staged in it (see relive.carousel.backgrounds)."""

    slug: str
    title: str
    kind: str
    seed: int
    horizon: float
    ground: float
    person_height: float
    spots: tuple[tuple[float, float], ...]
    front: FrontRow


# The first four are ticked for the album by default: the best first. Staging was set by eye against each scene's
# crowd, tents, trucks and gate (a placed person about the size of the people around them at that depth).
GALLERY = [
    Entry("main-stage", "Main stage: lasers & confetti", "main_stage", 4, 0.50, 0.84, 0.50,
          ((0.34, 0.93), (0.68, 0.95), (0.52, 0.91)), FrontRow(0.80, 0.05, 1.5, 0.45)),
    Entry("sunset-crowd", "Sunset over the crowd", "sunset_crowd", 9, 0.55, 0.80, 0.52,
          ((0.30, 0.97), (0.70, 0.98)), FrontRow(0.86, 0.06, 1.6, 0.4)),
    Entry("festival-gate", "Festival gate", "festival_gate", 2, 0.61, 0.66, 0.55,
          ((0.50, 0.90), (0.40, 0.85), (0.60, 0.95)), FrontRow(0.96, 0.05, 0.8, 0.3, EDGES)),
    Entry("silent-disco", "Silent disco under UV", "silent_disco", 1, 0.55, 0.84, 0.50,
          ((0.28, 0.93), (0.72, 0.94)), FrontRow(0.80, 0.05, 1.5, 0.45)),
    Entry("fairground", "Fairground wheel at dusk", "fairground", 4, 0.45, 0.80, 0.52,
          ((0.25, 0.97), (0.78, 0.97)), FrontRow(0.88, 0.06, 1.6, 0.4)),
    Entry("food-trucks", "Food trucks & fairy lights", "food_trucks", 8, 0.45, 0.68, 0.50,
          ((0.30, 0.90), (0.70, 0.93), (0.50, 0.86)), FrontRow(0.97, 0.05, 0.8, 0.3, EDGES)),
    Entry("campsite-dawn", "Campsite at dawn", "campsite_dawn", 0, 0.54, 0.60, 0.40,
          ((0.50, 0.92), (0.30, 0.87), (0.56, 0.96)), FrontRow(0.97, 0.05, 0.8, 0.3, (0.15, 0.85))),
    Entry("rainy-mud", "Rain, mud & umbrellas", "rainy_mud", 1, 0.53, 0.73, 0.48,
          ((0.35, 0.92), (0.65, 0.94)), FrontRow(0.82, 0.05, 1.5, 0.35)),
    Entry("beach-night", "Beach stage at night", "beach_night", 8, 0.48, 0.62, 0.50,
          ((0.30, 0.90), (0.70, 0.92)), FrontRow(0.97, 0.05, 0.8, 0.3, EDGES)),
    Entry("stage-lights", "Stage lights", "stage", 10, 0.50, 0.80, 0.52,
          ((0.30, 0.97), (0.70, 0.97)), FrontRow(0.86, 0.055, 1.6, 0.45)),
    Entry("tent-field", "Field of tents", "field_tents", 4, 0.50, 0.60, 0.50,
          ((0.50, 0.88), (0.30, 0.92), (0.72, 0.90)), FrontRow(0.97, 0.05, 0.8, 0.3, EDGES)),
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
    for entry in GALLERY:
        if only and entry.slug not in only:
            continue
        picture, front = render_layers(entry.kind, entry.seed, *SIZE, entry.front)
        picture.save(root / f"{entry.slug}.jpg", quality=90, optimize=True)
        front.save(root / f"{entry.slug}{FRONT_SUFFIX}", quality=90, method=6, alpha_quality=100)  # alpha exact
        print(f"{entry.slug}.jpg, {entry.slug}{FRONT_SUFFIX}  {entry.title}")


def spots_text(spots: tuple[tuple[float, float], ...]) -> str:
    return " ".join(f"{x:.2f}:{y:.2f}" for x, y in spots)


def write_csv(root: Path) -> None:
    with (root / CSV_NAME).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for e in GALLERY:
            writer.writerow([e.slug, e.title, e.kind, e.seed, f"{e.horizon:.2f}", f"{e.ground:.2f}",
                             f"{e.person_height:.2f}", spots_text(e.spots)])


def contact_sheet(root: Path) -> Image.Image:
    """Every background as a labelled tile: the horizon (dashed), the ground line, a person-high bar at each spot."""
    rows = -(-len(GALLERY) // COLUMNS_PER_ROW)
    tw, th = TILE
    sheet = Image.new("RGB", (GAP + COLUMNS_PER_ROW * (tw + GAP), GAP + rows * (th + LABEL + GAP)), (22, 18, 30))
    draw = ImageDraw.Draw(sheet)
    for index, e in enumerate(GALLERY):
        x = GAP + (index % COLUMNS_PER_ROW) * (tw + GAP)
        y = GAP + (index // COLUMNS_PER_ROW) * (th + LABEL + GAP)
        with Image.open(root / f"{e.slug}.jpg") as image:
            sheet.paste(image.convert("RGB").resize(TILE, Image.LANCZOS), (x, y))
        for dash in range(0, tw, 12):
            draw.line([x + dash, y + e.horizon * th, x + dash + 6, y + e.horizon * th], fill=(120, 200, 255))
        draw.line([x, y + e.ground * th, x + tw, y + e.ground * th], fill=(120, 255, 140))
        for fx, fy in e.spots:
            px, py = x + fx * tw, y + fy * th
            tall = e.person_height * (fy - e.horizon) / (1 - e.horizon) * th
            draw.ellipse([px - 7, py - 3, px + 7, py + 3], outline=(255, 230, 60), width=2)
            draw.line([px, py - tall, px, py], fill=(255, 230, 60), width=2)
        draw.text((x + 2, y + th + 5), f"{e.title}  ({e.slug})", fill=(235, 230, 245), font=font(13))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="output folder (default assets/backgrounds)")
    parser.add_argument("--only", nargs="*", default=[], help="draw only these slugs' images (CSV and sheet: all)")
    args = parser.parse_args()
    slugs = [e.slug for e in GALLERY]
    unknown = set(args.only) - set(slugs)
    if unknown:
        parser.error(f"unknown slug(s) {', '.join(sorted(unknown))}; choose from {', '.join(slugs)}")
    args.root.mkdir(parents=True, exist_ok=True)
    write_images(args.root, set(args.only))
    write_csv(args.root)
    contact_sheet(args.root).save(args.root / "contact_sheet.jpg", quality=85, optimize=True)
    total = sum(p.stat().st_size for p in args.root.iterdir() if p.is_file())
    print(f"wrote {len(GALLERY)} backgrounds, {CSV_NAME} and contact_sheet.jpg to {args.root} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
