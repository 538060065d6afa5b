"""The CAROUSEL's gallery of festival backgrounds: our own procedurally drawn scenes, no downloaded photos.

The images live in ``assets/backgrounds`` (``<slug>.jpg``, 1536×1024), each with its front layer
``<slug>.front.webp`` (RGBA: the front row of the crowd, heads and raised hands, that stands *in front of* a placed
person) and ``backgrounds.csv`` saying, per background, its title, the scene kind and seed it was drawn from, and
its staging — where people stand in it, all as fractions of the image's height (y) or width (x):

- ``horizon``: where a standing person's height shrinks to nothing (the vanishing line of the ground);
- ``ground``: the far edge of the floor; feet stand at or below it;
- ``person_height``: a standing person's height with their feet on the bottom edge; at other depths it scales
  linearly with the feet's distance below the horizon (:meth:`Background.standing_height`);
- ``spots``: two or three places for the feet, ``x:y`` pairs separated by spaces, the best first.

``tools/render_backgrounds.py`` draws them all again (:func:`relive.carousel.training.scenes.render_layers`).

    for background in list_backgrounds():
        print(background.slug, background.title, background.spots, background.standing_height(0.9))
    stage = get_background("main-stage")          # UnknownName, listing the slugs, for a slug not in the gallery
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

from relive.errors import CatalogError, UnknownName

CSV_NAME = "backgrounds.csv"
COLUMNS = ("slug", "title", "kind", "seed", "horizon", "ground", "person_height", "spots")
FRONT_SUFFIX = ".front.webp"  # the RGBA front layer beside each image (WebP: exact alpha, a tenth of a PNG)
SPOTS = (2, 3)  # how many spots a background names, at least and at most
MAX_PERSON_HEIGHT = 3.0  # a person on the bottom edge may be taller than the frame (cut off), not absurdly so
SIZE = (1536, 1024)  # width, height of every gallery image
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RENDER_HINT = "draw the gallery again with `python tools/render_backgrounds.py`, or point RELIVE_ASSETS at a folder with it"


@dataclass(frozen=True)
class Background:
    """A gallery background and its staging (see the module doc); fractions of the image's width (x) and height (y)."""

    slug: str
    title: str
    path: Path
    horizon: float
    ground: float
    person_height: float
    spots: tuple[tuple[float, float], ...]  # (x, y) places for a standing person's feet, the best first
    front: Path | None = None  # the RGBA front layer; None for a background drawn without one

    @property
    def foot(self) -> tuple[float, float]:
        """The default spot for a standing person's feet: the first of :attr:`spots`."""
        return self.spots[0]

    def standing_height(self, foot_y: float) -> float:
        """How tall (a fraction of the image's height) a standing person with feet at ``foot_y`` is: the crowd's
        scale at that depth, zero on the horizon, :attr:`person_height` on the bottom edge."""
        return self.person_height * max(0.0, foot_y - self.horizon) / (1.0 - self.horizon)


def default_root() -> Path:
    """The gallery's folder: ``backgrounds`` in the assets folder (``RELIVE_ASSETS``)."""
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
    horizon, ground, person_height = (_fraction(slug, text, c, problems, top) for c, top in
                                      (("horizon", 1.0), ("ground", 1.0), ("person_height", MAX_PERSON_HEIGHT)))
    if not problems and ground < horizon:
        problems.append(f"{slug!r}: ground {ground:g} lies above the horizon {horizon:g}; the floor starts at or "
                        "below the horizon")
    spots = _spots(slug, text["spots"], ground, problems)
    image = root / f"{slug}.jpg"
    if SLUG.match(slug) and not image.is_file():
        problems.append(f"image {image} is missing; {RENDER_HINT}")
    if problems:
        return None, problems
    front = root / f"{slug}{FRONT_SUFFIX}"
    return Background(slug, text["title"], image, horizon, ground, person_height, spots,
                      front if front.is_file() else None), []


def _fraction(slug: str, text: dict, column: str, problems: list[str], top: float) -> float:
    """``text[column]`` as a number in (0, top); else a problem is noted (and NaN returned)."""
    try:
        value = float(text[column])
    except ValueError:
        value = math.nan
    if not 0.0 < value < top:
        problems.append(f"{slug!r}: {column} {text[column]!r} must be a number between 0 and {top:g}"
                        + (" (a fraction of the image)" if top == 1.0 else " (a fraction of the image's height)"))
    return value


def _spots(slug: str, text: str, ground: float, problems: list[str]) -> tuple[tuple[float, float], ...]:
    """``"x:y x:y …"`` → ((x, y), …): two or three feet positions on the floor (y from ``ground`` to 1)."""
    spots = []
    for item in text.split():
        try:
            x, y = (float(part) for part in item.split(":"))
        except ValueError:
            problems.append(f"{slug!r}: spot {item!r} is not x:y (two fractions joined by ':')")
            continue
        if not (0.0 < x < 1.0 and 0.0 < y <= 1.0):
            problems.append(f"{slug!r}: spot {item!r} must have x and y between 0 and 1 (fractions of the image)")
        elif math.isfinite(ground) and y < ground:
            problems.append(f"{slug!r}: spot {item!r} is above the ground line {ground:g}; feet stand on the floor")
        spots.append((x, y))
    if not SPOTS[0] <= len(spots) <= SPOTS[1]:
        problems.append(f"{slug!r}: spots {text!r} must name {SPOTS[0]} or {SPOTS[1]} places as x:y pairs separated "
                        "by spaces, e.g. '0.30:0.92 0.70:0.95'")
    return tuple(spots)


def find_background(path: str | Path, root: str | Path | None = None) -> Background | None:
    """The gallery background whose image is the file at ``path``, byte for byte (the UI hands on a chosen tile as a
    cached copy of it), else None: an uploaded photo."""
    path = Path(path)
    root = Path(root) if root is not None else default_root()
    if not path.is_file() or not (root / CSV_NAME).is_file():
        return None
    size = path.stat().st_size
    same_size = [b for b in list_backgrounds(root) if b.path.stat().st_size == size]  # cheap: most files differ here
    if not same_size:
        return None
    digest = _digest(path)
    return next((b for b in same_size if _digest(b.path) == digest), None)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def get_background(slug: str, root: str | Path | None = None) -> Background:
    """The gallery background called ``slug``; :class:`UnknownName` (with the valid slugs) for any other name."""
    backgrounds = list_backgrounds(root)
    for background in backgrounds:
        if background.slug == slug:
            return background
    raise UnknownName("background", slug, [b.slug for b in backgrounds])

