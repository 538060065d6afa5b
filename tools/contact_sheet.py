"""Build contact sheets: every pet accessory on every creature, and every offline avatar look on real people.

``assets/pet/contact_sheet.png``: one block per accessory (grouped by slot
Head, Face, Torso), each block a labelled row of cells, one per creature.
``assets/pet/contact_sheet_full.png``: one row per genre wearing that genre's
flagship head, face and torso accessory (highest weight in each slot), on
every creature. Layers are stacked creature → Torso → Face → Head with
``PIL.Image.alpha_composite``; run ``tools/render_pet_art.py`` first.

``--avatars docs/avatar_looks.png``: the instant avatar of each people photo (the real ones and the composed
group photos of :mod:`relive.avatar.sample_people`) in every offline look, one row per look, each cell labelled
with dlib's identity distance photo ↔ avatar when ``make models`` fetched its model. ``--before DIR`` adds a first
row drawn by another relive tree (e.g. ``git archive main relive | tar -x -C DIR``): today's look, before.

Usage: python tools/contact_sheet.py [--out PATH] [--full-out PATH] [--cell 160] [--per-row 3]
       python tools/contact_sheet.py --avatars docs/avatar_looks.png [--before DIR] [--cell 256]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
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


# --- the avatar looks ----------------------------------------------------------------------------------------

PEOPLE = ("astronaut", "camera", "grace_hopper", "two_touching", "near_and_far", "three_close")
# One taste per photo, so the sheet shows the genres' colours too.
TASTES = ("Reggae=1,Jazz=0.6", "Rock=1,Punk=0.5", "Jazz=1,Soul=0.5", "Electronic=1,Pop=0.6", "Folk=1,Indie=0.5",
          "Pop=1,Hip-hop=0.5")
# Run in a separate process on the tree given by --before: the instant avatars as that tree draws them, from the
# photos saved as 0.png, 1.png… (that tree may not have relive.avatar.sample_people).
BEFORE_SCRIPT = """
import sys
from PIL import Image
from relive import genres
from relive.avatar.pipeline import make_avatar
for index, taste in enumerate(sys.argv[2].split(";")):
    photo = Image.open(f"{sys.argv[1]}/{index}.png")
    make_avatar(photo, genres.parse(taste), generator="instant", seed=1).image.save(f"{sys.argv[1]}/{index}.png")
"""


def _people_photos() -> dict:
    from relive.avatar.sample_people import all_photos

    photos = all_photos()
    return {name: photos[name] for name in PEOPLE}


def _distance(photo: Image.Image, avatar: Image.Image) -> float | None:
    """dlib's identity distance, or None when its model is missing or a face is not found."""
    from relive.backends import identity

    if not identity.IDENTITY.get("dlib").available():
        return None
    try:
        return identity.identity_distance(photo, avatar)
    except identity.FaceNotFound:
        return None


def before_row(tree: Path, cell: int) -> list[Image.Image]:
    """The instant avatars of :data:`PEOPLE` drawn by the relive package in ``tree`` (a subprocess)."""
    from relive.config import settings

    with tempfile.TemporaryDirectory() as folder:
        for index, photo in enumerate(_people_photos().values()):
            photo.save(Path(folder) / f"{index}.png")
        env = {**os.environ, "PYTHONPATH": str(tree), "RELIVE_MODELS": str(settings().models_dir)}
        subprocess.run([sys.executable, "-c", BEFORE_SCRIPT, folder, ";".join(TASTES)], env=env, check=True,
                       cwd=tree)
        return [Image.open(Path(folder) / f"{i}.png").convert("RGB").resize((cell, cell), Image.LANCZOS)
                for i in range(len(PEOPLE))]


def look_rows(cell: int) -> tuple[dict[str, list[tuple[Image.Image, str]]], dict]:
    """Per offline look, one (tile, label) per photo; and the figures measured on the way (seconds, distances)."""
    from relive import genres
    from relive.avatar.pipeline import make_avatar
    from relive.avatar.stylize import look_names

    photos = _people_photos()
    rows, figures = {}, {}
    for look in look_names():
        rows[look] = []
        for (name, photo), taste in zip(photos.items(), TASTES, strict=True):
            result = make_avatar(photo, genres.parse(taste), generator="instant", style=look, seed=1)
            distance = _distance(photo, result.image)
            figures[f"{look}/{name}"] = {"generate_s": round(result.timings["generate"], 3),
                                         "identity_distance": None if distance is None else round(distance, 3)}
            label = name if distance is None else f"{name}  d={distance:.2f}"
            rows[look].append((result.image.convert("RGB").resize((cell, cell), Image.LANCZOS), label))
    return rows, figures


def avatar_sheet(rows: dict[str, list[tuple[Image.Image, str]]], cell: int) -> Image.Image:
    """A grid: one labelled row per look, one column per photo."""
    label_w = 150
    width = label_w + len(PEOPLE) * (cell + GAP) + GAP
    sheet = Image.new("RGBA", (width, GAP + len(rows) * (cell + LABEL_HEIGHT + GAP)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for r, (look, tiles) in enumerate(rows.items()):
        y = GAP + r * (cell + LABEL_HEIGHT + GAP)
        draw.text((GAP, y + LABEL_HEIGHT + cell // 2 - 10), look, fill=INK, font=font(20))
        for c, (tile, label) in enumerate(tiles):
            x = label_w + c * (cell + GAP)
            draw.text((x + 4, y + 3), label, fill=INK, font=font())
            sheet.paste(tile, (x, y + LABEL_HEIGHT))
    return sheet


def avatars(out: Path, before: Path | None, cell: int) -> None:
    """Write the looks sheet to ``out`` and print the figures measured for it as JSON."""
    rows, figures = look_rows(cell)
    if before is not None:
        rows = {"before": [(tile, name) for tile, name in zip(before_row(before, cell), PEOPLE, strict=True)],
                **rows}
    avatar_sheet(rows, cell).convert("RGB").save(out, optimize=True)
    print(json.dumps(figures, indent=1))
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="assets/pet folder")
    parser.add_argument("--out", type=Path, help="accessory sheet (default <root>/contact_sheet.png)")
    parser.add_argument("--full-out", type=Path, help="outfit sheet (default <root>/contact_sheet_full.png)")
    parser.add_argument("--cell", type=int, default=160, help="tile edge in pixels")
    parser.add_argument("--per-row", type=int, default=3, help="accessory blocks per sheet row")
    parser.add_argument("--avatars", type=Path, help="write the avatar looks sheet here instead (e.g. docs/avatar_looks.png)")
    parser.add_argument("--before", type=Path, help="with --avatars: a relive tree whose instant avatars form a first row")
    args = parser.parse_args()
    if args.avatars:
        avatars(args.avatars, args.before, args.cell)
        return
    wardrobe = Wardrobe(args.root, args.cell)
    out = args.out or args.root / "contact_sheet.png"
    full_out = args.full_out or args.root / "contact_sheet_full.png"
    accessory_sheet(wardrobe, args.per_row).save(out, optimize=True)
    outfit_sheet(wardrobe, args.per_row).save(full_out, optimize=True)
    print(f"wrote {out} and {full_out}")


if __name__ == "__main__":
    main()
