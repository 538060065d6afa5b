"""The CAROUSEL's gallery of festival backgrounds: our own procedurally drawn scenes, no downloaded photos.

The images live in ``assets/backgrounds`` (``<slug>.jpg``, 1536×1024) with ``backgrounds.csv`` saying, per
background, its title, the scene kind and seed it was drawn from, and where a standing person's feet go by default,
as fractions of the width and height. ``tools/render_backgrounds.py`` draws them all again
(:func:`relive.carousel.training.scenes.render_background`).

    for background in list_backgrounds():
        print(background.slug, background.title, background.foot)
    stage = get_background("main-stage")          # UnknownName, listing the slugs, for a slug not in the gallery
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from relive.errors import CatalogError, UnknownName

CSV_NAME = "backgrounds.csv"
COLUMNS = ("slug", "title", "kind", "seed", "foot_x", "foot_y")
SIZE = (1536, 1024)  # width, height of every gallery image
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RENDER_HINT = "draw the gallery again with `python tools/render_backgrounds.py`, or point RELIVE_ASSETS at a folder with it"


@dataclass(frozen=True)
class Background:
    slug: str
    title: str
    path: Path
    foot: tuple[float, float]  # where a standing person's feet go by default: (x, y) as fractions of width, height


def default_root() -> Path:
    from relive.config import settings

    return settings().assets_dir / "backgrounds"


def list_backgrounds(root: str | Path | None = None) -> list[Background]:
    """Every background of the gallery in ``root`` (default: the assets' ``backgrounds`` folder), in the CSV's order.
    Raises :class:`CatalogError` listing every problem of a missing or bad ``backgrounds.csv`` or a missing image."""
    root = Path(root) if root is not None else default_root()
    path = root / CSV_NAME
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            rows = [(reader.line_num, row) for row in reader]
    except FileNotFoundError:
        raise CatalogError(str(path), [f"file not found; {RENDER_HINT}"]) from None
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise CatalogError(str(path), [f"not a readable CSV ({err}); {RENDER_HINT}"]) from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CatalogError(str(path), [f"columns {', '.join(missing)} missing; the header must be {','.join(COLUMNS)}"])
    backgrounds, problems, seen = [], [], set()
    for line, row in rows:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        background, row_problems = _parse_row(root, row, seen)
        problems += [f"line {line}: {p}" for p in row_problems]
        if background is not None:
            backgrounds.append(background)
    if not backgrounds and not problems:
        problems.append(f"no backgrounds listed; {RENDER_HINT}")
    if problems:
        raise CatalogError(str(path), problems)
    return backgrounds


def _parse_row(root: Path, row: dict, seen: set[str]) -> tuple[Background | None, list[str]]:
    text = {c: (row.get(c) or "").strip() for c in COLUMNS}
    slug, problems = text["slug"], []
    if not SLUG.match(slug):
        problems.append(f"slug {slug!r} must be lower-case letters and digits joined by '-'")
    elif slug in seen:
        problems.append(f"slug {slug!r} appears twice; slugs must be unique")
    seen.add(slug)
    if not text["title"]:
        problems.append(f"{slug!r} has no title")
    if not re.fullmatch(r"-?\d+", text["seed"]):
        problems.append(f"{slug!r}: seed {text['seed']!r} is not a whole number")
    foot = []
    for column in ("foot_x", "foot_y"):
        try:
            value = float(text[column])
        except ValueError:
            value = math.nan
        if not 0.0 < value < 1.0:
            problems.append(f"{slug!r}: {column} {text[column]!r} must be a number between 0 and 1 (a fraction of the image)")
        foot.append(value)
    image = root / f"{slug}.jpg"
    if SLUG.match(slug) and not image.is_file():
        problems.append(f"image {image} is missing; {RENDER_HINT}")
    if problems:
        return None, problems
    return Background(slug, text["title"], image, (foot[0], foot[1])), []


def get_background(slug: str, root: str | Path | None = None) -> Background:
    """The gallery background called ``slug``; :class:`UnknownName` (with the valid slugs) for any other name."""
    backgrounds = list_backgrounds(root)
    for background in backgrounds:
        if background.slug == slug:
            return background
    raise UnknownName("background", slug, [b.slug for b in backgrounds])

