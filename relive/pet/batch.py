"""``relive pet-batch``: assign accessories to every user of a CSV of any size, streamed in chunks.

Input: ``UserID`` plus genre columns in any order or subset (a missing genre column is 0, a blank cell is 0);
an unknown column stops the run before anything is written. Rows with invalid values (text, NaN, inf, <0, >1)
are reported with their line numbers; by default nothing is written then (all or nothing), with
``skip_invalid`` the good rows are written and the bad ones listed.
Output: ``UserID,Head,Torso,Face,Score`` (accessory file names), written to a temporary file and moved into
place only when the whole input was processed, so a failed run leaves no partial output.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from relive import genres
from relive.csvfiles import csv_lines, drop_blank_rows
from relive.errors import InvalidGenres, InvalidInput
from relive.pet.catalog import SLOTS, Catalog
from relive.pet.matcher import TOP_N, match_batch

ID_COLUMN = "UserID"
OUTPUT_COLUMNS = ("UserID", "Head", "Torso", "Face", "Score")
# Small enough that reading the next chunk overlaps matching this one for most of the run.
CHUNK_ROWS = 10_000


@dataclass
class BatchReport:
    """What a batch run read: how many users, which lines were invalid and why."""
    users: int = 0
    invalid_lines: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_user_chunks(path: str | Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[tuple[pd.Series, np.ndarray, np.ndarray]]:
    """Yield ``(user ids, vectors (n, 18) with NaN rows for invalid input, CSV line numbers)`` per chunk."""
    try:
        reader = pd.read_csv(path, chunksize=chunk_rows, encoding="utf-8-sig", skipinitialspace=True,
                             keep_default_na=False, na_values=[], dtype={ID_COLUMN: str}, skip_blank_lines=False)
        first = next(reader, None)
    except FileNotFoundError:
        raise InvalidInput(f"no users file at {os.fspath(path)!r}; check the path") from None
    except pd.errors.EmptyDataError:
        raise InvalidInput(f"{os.fspath(path)!r} is empty; it needs a header row: UserID,<genres…>") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{os.fspath(path)!r} is not a readable CSV: {_one_line(err)}") from None
    if first is None:
        return
    if ID_COLUMN not in first.columns:
        raise InvalidInput(f"{os.fspath(path)!r} has no {ID_COLUMN} column; the header must be UserID,<genres…>")
    mapping = genres.column_map(c for c in first.columns if c != ID_COLUMN)
    for chunk in _chain(first, reader):
        chunk = drop_blank_rows(chunk)
        yield chunk[ID_COLUMN], _vectors(chunk, mapping), csv_lines(chunk.index)


def _chain(first: pd.DataFrame, rest) -> Iterator[pd.DataFrame]:
    yield first
    try:
        yield from rest
    except pd.errors.ParserError as err:
        raise InvalidInput(f"the users file is not a valid CSV: {_one_line(err)}") from None


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


def _vectors(chunk: pd.DataFrame, mapping: dict[str, str]) -> np.ndarray:
    vectors = np.zeros((len(chunk), genres.N_GENRES))
    for column, genre in mapping.items():
        values = chunk[column]
        if values.dtype.kind not in "fiu":  # text somewhere: blank → 0, anything else must parse
            values = pd.to_numeric(values.astype(str).str.strip().replace("", "0"), errors="coerce")
        vectors[:, genres.GENRES.index(genre)] = values.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(vectors) | (vectors < 0) | (vectors > 1)
    vectors[bad.any(axis=1)] = np.nan
    return vectors


def assign_csv(users_csv: str | Path, out_csv: str | Path, catalog: Catalog, *, top_n: int = TOP_N,
               skip_invalid: bool = False, chunk_rows: int = CHUNK_ROWS, progress: bool = True) -> BatchReport:
    """Match every user of ``users_csv`` and write ``out_csv``; see the module docstring for the rules."""
    out_csv = Path(out_csv)
    if not out_csv.parent.is_dir():
        raise InvalidInput(f"folder {os.fspath(out_csv.parent)!r} does not exist; create it first")
    report = BatchReport()
    fd, tmp_name = tempfile.mkstemp(prefix=".pet-batch-", suffix=".csv", dir=out_csv.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out, tqdm(
                total=_count_rows(users_csv) if progress else None, unit=" users", disable=not progress,
                desc="pet-batch", mininterval=0.5) as bar, ThreadPoolExecutor(1) as matching:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(OUTPUT_COLUMNS)
            pending = deque()  # chunks being matched while the next one is read (the matcher releases the GIL)
            for ids, vectors, lines in read_user_chunks(users_csv, chunk_rows):
                valid = ~np.isnan(vectors).any(axis=1)
                report.invalid_lines += lines[~valid].tolist()
                if report.invalid_lines and not skip_invalid:
                    continue  # keep reading to report every bad line, write nothing
                pending.append(matching.submit(_assignments, ids[valid], vectors[valid], catalog, top_n))
                report.users += int(valid.sum())
                bar.update(len(vectors))
                while len(pending) > 1:
                    writer.writerows(pending.popleft().result())
            while pending:
                writer.writerows(pending.popleft().result())
        if report.invalid_lines and not skip_invalid:
            raise InvalidGenres(_invalid_message(users_csv, report.invalid_lines) + "; nothing was written "
                                "(fix those lines, or pass --skip-invalid to assign the valid rows)")
        if report.invalid_lines:
            report.problems.append(_invalid_message(users_csv, report.invalid_lines) + "; those rows were skipped")
        os.replace(tmp_name, out_csv)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return report


def _count_rows(path: str | Path) -> int | None:
    """Data lines in the file (for the progress bar's total); ``None`` when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return max(0, sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - 1)
    except OSError:
        return None


def _assignments(ids: pd.Series, vectors: np.ndarray, catalog: Catalog, top_n: int) -> Iterator[tuple[str, ...]]:
    """The output rows of one chunk, as the CSV writer takes them (the score already formatted to 6 decimals)."""
    if not len(vectors):
        return iter(())
    rows, scores = match_batch(vectors, catalog, top_n)
    files = np.array(catalog.files, dtype=object)
    by_slot = {slot: files[rows[:, k]].tolist() for k, slot in enumerate(SLOTS)}
    return zip(ids.tolist(), by_slot["Head"], by_slot["Torso"], by_slot["Face"], [f"{s:.6f}" for s in scores.tolist()])


def _invalid_message(path, lines: list[int], shown: int = 10) -> str:
    listed = ", ".join(map(str, lines[:shown])) + (f" … ({len(lines)} in all)" if len(lines) > shown else "")
    return (f"{os.fspath(path)!r}: invalid genre values (text, NaN, inf, below 0 or above 1) on line(s) {listed}")
