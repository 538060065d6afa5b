"""The accessory catalogue (the brief's ``AccessoryDataset.csv`` format) and the base creatures.

``accessories.csv`` has the columns ``FileName,Type,<18 genres>``; the image of a row lives at
``<catalogue folder>/<type in lower case>/<FileName>``. :func:`check_catalog` is the brief's ``check_dataset``:
it collects every problem, each with its line, and :func:`load_catalog` raises them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from relive import genres
from relive.config import settings
from relive.csvfiles import csv_line, drop_blank_rows
from relive.errors import CatalogError, UnknownName
from relive.messages import Message

SLOTS: tuple[str, ...] = ("Head", "Face", "Torso")
NOTHING = "nothing"
_FIXED_COLUMNS = ("FileName", "Type")


def display_name(file_name: str) -> str:
    """``rasta_beanie.png`` → ``Rasta beanie``."""
    return Path(file_name).stem.replace("_", " ").strip().capitalize()


@dataclass(frozen=True, eq=False)
class Catalog:
    """Accessories as parallel arrays: row ``i`` is ``files[i]`` of slot ``types[i]`` with genre ``vectors[i]``."""

    root: Path
    files: tuple[str, ...]
    types: tuple[str, ...]
    vectors: np.ndarray  # (n, 18) float64 in [0, 1]

    def __len__(self) -> int:
        return len(self.files)

    def slot_rows(self, slot: str) -> np.ndarray:
        """Catalogue rows of one slot, in catalogue order."""
        return np.array([i for i, t in enumerate(self.types) if t == slot], dtype=np.intp)

    def name(self, row: int) -> str:
        """The accessory's display name (its file name, readable)."""
        return display_name(self.files[row])

    def image_path(self, row: int) -> Path:
        """Where the accessory's PNG lives: ``<root>/<slot>/<file>``."""
        return self.root / self.types[row].lower() / self.files[row]

    def find(self, slot: str, name: str) -> int:
        """Row of an accessory of ``slot`` by file name or display name (case-insensitive)."""
        wanted = name.strip().lower()
        for row in self.slot_rows(slot):
            if wanted in (self.files[row].lower(), self.name(row).lower(), Path(self.files[row]).stem.lower()):
                return int(row)
        raise UnknownName(Message("{slot} accessory", slot=Message(slot.lower())), name,
                          [self.name(r) for r in self.slot_rows(slot)])


def check_catalog(table: pd.DataFrame, root: Path, *, check_images: bool = True) -> list[str]:
    """Every problem of a catalogue table, each naming its CSV line; an empty list means it is fine."""
    problems = [f"missing column {c!r}" for c in _FIXED_COLUMNS if c not in table.columns]
    mapping, unknown, repeated = genres.classify_columns(c for c in table.columns if c not in _FIXED_COLUMNS)
    problems += genres.column_problems(unknown, repeated)
    missing = [g for g in genres.GENRES if g not in mapping.values()]
    if missing:
        problems.append(f"missing genre column(s): {', '.join(missing)}")
    if problems:
        return problems  # rows cannot be checked against a broken header
    raw = table[list(mapping)]
    weights = raw.apply(pd.to_numeric, errors="coerce")
    seen: dict[tuple[str, str], int] = {}
    for i, (index, row) in enumerate(table.iterrows()):
        file_name = "" if pd.isna(row["FileName"]) else str(row["FileName"]).strip()
        problems += _row_problems(csv_line(index), file_name, str(row["Type"]).strip(), raw.iloc[i], weights.iloc[i],
                                  root, check_images, seen)
    for slot in SLOTS:
        if slot not in set(table["Type"].astype(str).str.strip()):
            problems.append(f"no {slot} accessory at all; every slot needs at least one")
    return problems


def _row_problems(line, file_name, slot, raw, weights, root, check_images, seen) -> list[str]:
    problems = []
    key = (slot, file_name.lower())
    if not file_name:
        problems.append(f"line {line}: empty FileName")
    elif key in seen:
        problems.append(f"line {line}: duplicate FileName {file_name!r} in {slot} (first on line {seen[key]})")
    else:
        seen[key] = line
    if slot not in SLOTS:
        problems.append(f"line {line}: unknown Type {slot!r} (use {', '.join(SLOTS)})")
    elif check_images and file_name and not (root / slot.lower() / file_name).is_file():
        problems.append(f"line {line}: image {slot.lower()}/{file_name} not found in {root}")
    bad = [f"{genres.canonical_genre(g)}={raw[g]}" for g, v in weights.items() if not 0 <= v <= 1]  # NaN fails too
    if bad:
        problems.append(f"line {line}: weights must be numbers in [0, 1]: {', '.join(bad)}")
    return problems


def read_catalog(path: str | Path, *, check_images: bool = True) -> Catalog:
    """Read and check a catalogue CSV; raise :class:`CatalogError` listing every problem."""
    path = Path(path)
    try:
        table = drop_blank_rows(pd.read_csv(path, encoding="utf-8-sig", dtype={"FileName": str, "Type": str},
                                            skipinitialspace=True, skip_blank_lines=False))
    except FileNotFoundError:
        raise CatalogError(str(path), ["file not found; pass --catalog with the path of accessories.csv"]) from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise CatalogError(str(path), [f"not a readable CSV ({err})"]) from None
    problems = check_catalog(table, path.parent, check_images=check_images)
    if problems:
        raise CatalogError(str(path), problems)
    mapping = genres.column_map(c for c in table.columns if c not in _FIXED_COLUMNS)
    ordered = table.rename(columns=mapping)[list(genres.GENRES)].to_numpy(dtype=np.float64)
    return Catalog(
        root=path.parent,
        files=tuple(table["FileName"].str.strip()),
        types=tuple(table["Type"].str.strip()),
        vectors=ordered,
    )


@lru_cache(maxsize=8)
def load_catalog(path: str | Path | None = None, *, check_images: bool = True) -> Catalog:
    """The catalogue at ``path`` (default: the shipped one), read once and cached."""
    return read_catalog(path or settings().pet_dir / "accessories.csv", check_images=check_images)


@lru_cache(maxsize=1)
def creatures() -> dict[str, Path]:
    """Base creatures shipped with relive: display name → PNG path, in ``creatures.csv`` order."""
    return dict(_creatures_in(settings().pet_dir))


@lru_cache(maxsize=4)
def _creatures_in(pet_dir: Path) -> tuple[tuple[str, Path], ...]:
    # read once per folder: every pet asks (a CSV read is ~1 ms of pandas)
    table = pd.read_csv(pet_dir / "creatures.csv", encoding="utf-8-sig")
    return tuple((row.Name, pet_dir / "creatures" / row.FileName) for row in table.itertuples(index=False))


def creature_path(name: str | None) -> Path:
    """A creature by display name (or file stem); ``None`` is the first one."""
    known = creatures()
    if name is None:
        return next(iter(known.values()))
    for label, path in known.items():
        if name.strip().lower() in (label.lower(), path.stem.lower()):
            return path
    raise UnknownName("creature", name, known)
