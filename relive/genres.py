"""The 18 genres in canonical order, and the one place that parses and validates preference vectors.

A preference vector is a float64 array of shape (18,) — or (n, 18) for many users — with every value in [0, 1].
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np

from relive.errors import InvalidGenres
from relive.messages import Message, join

GENRES: tuple[str, ...] = (
    "Comedy", "Art", "Chill", "Food", "Social", "Rock", "Pop", "Soul", "Jazz",
    "Electronic", "Folk", "Reggae", "Hip-hop", "Punk", "Rap", "Classical", "Indie", "Other",
)
N_GENRES = len(GENRES)


def _key(name: str) -> str:
    """Case, spaces, dashes and underscores do not matter: 'hip hop', 'Hip_Hop' and 'HIPHOP' are one genre."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


_BY_KEY = {_key(g): g for g in GENRES}


def canonical_genre(name: str) -> str:
    """The canonical spelling of a genre name, or InvalidGenres listing the valid names."""
    try:
        return _BY_KEY[_key(str(name))]
    except KeyError:
        raise InvalidGenres("unknown genre {name!r}; valid genres: {valid}", name=name,
                            valid=", ".join(GENRES)) from None


def validate(values: np.ndarray | Iterable[float], *, row_labels: Iterable[object] | None = None) -> np.ndarray:
    """Return ``values`` as float64 of shape (18,) or (n, 18), or raise naming every bad entry.

    NaN, infinity, negatives and values above 1 are refused; ``row_labels`` names rows in the message.
    """
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidGenres("genre values must be {count} numbers in [0, 1] per user, got {values!r:.80}",
                            count=N_GENRES, values=values) from None
    if arr.shape[-1:] != (N_GENRES,) or arr.ndim not in (1, 2):
        raise InvalidGenres("a preference vector has {count} values (one per genre), got shape {shape}", count=N_GENRES,
                            shape=arr.shape)
    bad = ~np.isfinite(arr) | (arr < 0) | (arr > 1)
    if bad.any():
        raise InvalidGenres("invalid genre values: {values}; every genre value must be a number in [0, 1]",
                            values=_describe_bad(arr, bad, row_labels))
    return arr


def _describe_bad(arr: np.ndarray, bad: np.ndarray, row_labels: Iterable[object] | None, limit: int = 5) -> str:
    rows = np.atleast_2d(arr)
    labels = list(row_labels) if row_labels is not None else None
    items = []
    for r, g in zip(*np.nonzero(np.atleast_2d(bad))):
        where = f"{GENRES[g]}={float(rows[r, g])}"
        if arr.ndim == 2:
            where = f"row {labels[r] if labels else r + 1}: {where}"
        items.append(where)
    more = f" (and {len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def from_mapping(prefs: Mapping[str, float]) -> np.ndarray:
    """A vector from ``{genre: value}``; genres not named are 0, names are matched loosely."""
    vec, given = np.zeros(N_GENRES), set()
    for name, value in prefs.items():
        index = GENRES.index(canonical_genre(name))
        if index in given:
            raise InvalidGenres("genre {genre} is given twice", genre=GENRES[index])
        given.add(index)
        try:
            vec[index] = float(value)
        except (TypeError, ValueError):
            raise InvalidGenres("genre {name!r} has value {value!r}, which is not a number", name=name,
                                value=value) from None
    return validate(vec)


def parse(text: str) -> np.ndarray:
    """Parse ``"Rock=1, Punk=0.8"`` (also ``:`` instead of ``=``); a bare name means 1."""
    prefs: dict[str, str | float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = re.match(r"([^=:]*)([=:]?)(.*)", item).groups()
        genre = canonical_genre(name)
        if genre in prefs:
            raise InvalidGenres("genre {genre} is given twice in {text!r}", genre=genre, text=text)
        prefs[genre] = value.strip() if sep else 1.0
    if not prefs:
        raise InvalidGenres('no genres given; write them like "Rock=1,Punk=0.8"')
    return from_mapping(prefs)


def to_mapping(vec: np.ndarray) -> dict[str, float]:
    """``{genre: value}`` in canonical order, for JSON and display."""
    return {g: float(v) for g, v in zip(GENRES, validate(vec))}


def top_genres(vec: np.ndarray, k: int = 3) -> list[str]:
    """The ``k`` strongest genres with a value above 0, strongest first (ties: canonical order)."""
    vec = validate(vec)
    order = np.argsort(-vec, kind="stable")
    return [GENRES[i] for i in order[:k] if vec[i] > 0]


def classify_columns(columns: Iterable[str]) -> tuple[dict[str, str], list[str], list[str]]:
    """Sort a table's columns into ``({column: canonical genre}, unknown, repeated)``; names match loosely."""
    mapping: dict[str, str] = {}
    unknown, repeated = [], []
    for col in columns:
        genre = _BY_KEY.get(_key(str(col)))
        if genre is None:
            unknown.append(str(col))
        elif genre in mapping.values():
            repeated.append(str(col))
        else:
            mapping[col] = genre
    return mapping, unknown, repeated


def column_problems(unknown: list[str], repeated: list[str]) -> list[str]:
    """One readable sentence per kind of bad column (as :func:`classify_columns` sorted them)."""
    problems = []
    if unknown:
        problems.append(Message("unknown column(s) {columns}; genre columns must be among: {valid}",
                                columns=", ".join(map(repr, unknown)), valid=", ".join(GENRES)))
    if repeated:
        problems.append(Message("genre column(s) given twice: {columns}", columns=", ".join(map(repr, repeated))))
    return problems


def column_map(columns: Iterable[str]) -> dict[str, str]:
    """Map a table's genre columns to canonical names; unknown or repeated columns raise, listing them."""
    mapping, unknown, repeated = classify_columns(columns)
    problems = column_problems(unknown, repeated)
    if problems:
        raise InvalidGenres(join("; ", *problems))
    return mapping
