"""Reading users' CSV files so that every problem can be reported with the file line it is on."""

from __future__ import annotations

import numpy as np
import pandas as pd


def drop_blank_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Drop rows that came from blank lines, keeping the index so :func:`csv_line` still names the right line.

    Tables must be read with ``skip_blank_lines=False``: pandas' default skipping shifts every later line number.
    """
    blank = table.isna()
    for column in table.columns:
        if table[column].dtype.kind not in "fiub":  # text: whitespace-only cells are blank too
            blank[column] |= table[column].astype(str).str.strip() == ""
    return table[~blank.all(axis=1)]


def csv_line(index: int) -> int:
    """The file line of a data row, from its index in a table read without skipping blank lines."""
    return int(index) + 2  # line 1 is the header


def csv_lines(index: pd.Index) -> np.ndarray:
    """:func:`csv_line` of every row of a table at once."""
    return index.to_numpy(dtype=np.int64) + csv_line(0)
