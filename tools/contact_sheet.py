"""Build contact sheets that show every pet accessory worn by every creature.

``assets/pet/contact_sheet.png``: one block per accessory (grouped by slot
Head, Face, Torso), each block a labelled row of cells, one per creature.
``assets/pet/contact_sheet_full.png``: one row per genre wearing that genre's
flagship head, face and torso accessory (highest weight in each slot), on
every creature. Layers are stacked creature → Torso → Face → Head with
``PIL.Image.alpha_composite``; run ``tools/render_pet_art.py`` first.

Usage: python tools/contact_sheet.py [--out PATH] [--full-out PATH] [--cell 160] [--per-row 3]
"""

from __future__ import annotations

import argparse
import csv
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent / "assets" / "pet"
SLOTS = ("Head", "Face", "Torso")
LAYER_ORDER = ("Torso", "Face", "Head")
BACKGROUND = (255, 248, 238, 255)
CELL_BACKGROUND = (255, 255, 255, 255)
INK = (43, 33, 53, 255)
LABEL_HEIGHT = 22
GAP = 8


def read_rows(path: Path) -> list[dict[str, str]]:
    """Read a CSV file into a list of dict rows."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=None)
def font(size: int = 14) -> ImageFont.ImageFont:
    """Pillow's default font at ``size`` (older Pillow: fixed bitmap font)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


class Wardrobe:
    """Loads creature and accessory PNGs once and dresses creatures."""

    def __init__(self, root: Path, cell: int) -> None:
        self.root = root
        self.cell = cell
        self.creatures = read_rows(root / "creatures.csv")
        self.accessories = read_rows(root / "accessories.csv")
        self.genres = [c for c in self.accessories[0] if c not in ("FileName", "Type")]
        self._cache: dict[Path, Image.Image] = {}

    def _load(self, path: Path) -> Image.Image:
        if path not in self._cache:
            self._cache[path] = Image.open(path).convert("RGBA")
        return self._cache[path]

    def dress(self, creature: dict[str, str], outfit: list[dict[str, str]]) -> Image.Image:
        """Return a ``cell``-sized tile of ``creature`` wearing ``outfit``."""
        image = self._load(self.root / "creatures" / creature["FileName"]).copy()
        for slot in LAYER_ORDER:
            for item in outfit:
                if item["Type"] == slot:
                    layer = self._load(self.root / slot.lower() / item["FileName"])
                    image = Image.alpha_composite(image, layer)
        tile = Image.new("RGBA", (self.cell, self.cell), CELL_BACKGROUND)
        tile.alpha_composite(image.resize((self.cell, self.cell), Image.LANCZOS))
        return tile

    def flagship(self, genre: str, slot: str) -> dict[str, str]:
        """The ``slot`` accessory with the highest ``genre`` weight."""
        items = [a for a in self.accessories if a["Type"] == slot]
        return max(items, key=lambda a: float(a[genre]))


def draw_block(sheet: Image.Image, wardrobe: Wardrobe, xy: tuple[int, int],
               label: str, outfit: list[dict[str, str]]) -> None:
    """Draw a label and one dressed tile per creature starting at ``xy``."""
    x, y = xy
    ImageDraw.Draw(sheet).text((x + 4, y + 3), label, fill=INK, font=font())
    for i, creature in enumerate(wardrobe.creatures):
        sheet.alpha_composite(wardrobe.dress(creature, outfit), (x + i * wardrobe.cell, y + LABEL_HEIGHT))


def accessory_sheet(wardrobe: Wardrobe, per_row: int) -> Image.Image:
    """Every accessory on every creature, grouped by slot."""
    block_w = len(wardrobe.creatures) * wardrobe.cell + GAP * 3
    block_h = LABEL_HEIGHT + wardrobe.cell + GAP
    layout: list[tuple[str, list[dict[str, str]]]] = []
    height = GAP
    for slot in SLOTS:
        items = [a for a in wardrobe.accessories if a["Type"] == slot]
        layout.append((slot, items))
        height += LABEL_HEIGHT + 10 + -(-len(items) // per_row) * block_h
    sheet = Image.new("RGBA", (GAP + per_row * block_w, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    y = GAP
    for slot, items in layout:
        draw.text((GAP, y), f"{slot} ({len(items)})", fill=INK, font=font(18))
        y += LABEL_HEIGHT + 10
        for i, item in enumerate(items):
            xy = (GAP + (i % per_row) * block_w, y + (i // per_row) * block_h)
            draw_block(sheet, wardrobe, xy, Path(item["FileName"]).stem, [item])
        y += -(-len(items) // per_row) * block_h
    return sheet


def outfit_sheet(wardrobe: Wardrobe, per_row: int) -> Image.Image:
    """One flagship outfit per genre, worn by every creature."""
    block_w = len(wardrobe.creatures) * wardrobe.cell + GAP * 3
    block_h = LABEL_HEIGHT + wardrobe.cell + GAP
    rows = -(-len(wardrobe.genres) // per_row)
    sheet = Image.new("RGBA", (GAP + per_row * block_w, GAP + rows * block_h), BACKGROUND)
    for i, genre in enumerate(wardrobe.genres):
        outfit = [wardrobe.flagship(genre, slot) for slot in SLOTS]
        label = f"{genre}: " + " + ".join(Path(a["FileName"]).stem for a in outfit)
        xy = (GAP + (i % per_row) * block_w, GAP + (i // per_row) * block_h)
        draw_block(sheet, wardrobe, xy, label, outfit)
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="assets/pet folder")
    parser.add_argument("--out", type=Path, help="accessory sheet (default <root>/contact_sheet.png)")
    parser.add_argument("--full-out", type=Path, help="outfit sheet (default <root>/contact_sheet_full.png)")
    parser.add_argument("--cell", type=int, default=160, help="tile edge in pixels")
    parser.add_argument("--per-row", type=int, default=3, help="accessory blocks per sheet row")
    args = parser.parse_args()
    wardrobe = Wardrobe(args.root, args.cell)
    out = args.out or args.root / "contact_sheet.png"
    full_out = args.full_out or args.root / "contact_sheet_full.png"
    accessory_sheet(wardrobe, args.per_row).save(out, optimize=True)
    outfit_sheet(wardrobe, args.per_row).save(full_out, optimize=True)
    print(f"wrote {out} and {full_out}")


if __name__ == "__main__":
    main()
