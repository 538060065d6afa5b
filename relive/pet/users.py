"""Synthetic festival-goers (the brief's five profile types) and an analysis of what the matcher gives them.

Profile types and shares:
- ``pure`` (2 %): one genre at 1, the rest 0;
- ``semi`` (13 %): one genre in [0.7, 1], a few others faint (≤ 0.2);
- ``combined`` (25 %): two or three genres in [0.5, 1], a few others faint;
- ``mixed`` (50 %): four to seven genres in [0.2, 0.9], a few others faint;
- ``rare`` (10 %): no structure at all, every genre uniform in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from relive import genres
from relive.errors import InvalidInput
from relive.pet.catalog import Catalog
from relive.pet.render import PALETTE

PROFILES = {"pure": 0.02, "semi": 0.13, "combined": 0.25, "mixed": 0.50, "rare": 0.10}
# (how many strong genres, their value range); None = unstructured
_SHAPES = {"pure": ((1, 1), (1.0, 1.0)), "semi": ((1, 1), (0.7, 1.0)), "combined": ((2, 3), (0.5, 1.0)),
           "mixed": ((4, 7), (0.2, 0.9))}


def synthetic_users(n: int, seed: int = 42) -> tuple[pd.DataFrame, np.ndarray]:
    """``(table UserID + 18 genres, profile label per user)``, reproducible for a seed."""
    if n < 1:
        raise InvalidInput(f"the number of users must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    profiles = rng.choice(list(PROFILES), size=n, p=list(PROFILES.values()))
    vectors = np.zeros((n, genres.N_GENRES))
    for name, ((lo, hi), (vmin, vmax)) in _SHAPES.items():
        idx = np.flatnonzero(profiles == name)
        vectors[idx] = _structured(rng, len(idx), lo, hi, vmin, vmax, faint=name != "pure")
    rare = profiles == "rare"
    vectors[rare] = rng.uniform(0, 1, (rare.sum(), genres.N_GENRES))
    table = pd.DataFrame(np.round(vectors, 3), columns=list(genres.GENRES))
    table.insert(0, "UserID", [f"U{i:07d}" for i in range(1, n + 1)])
    return table, profiles


def _structured(rng, n, lo, hi, vmin, vmax, faint: bool) -> np.ndarray:
    """``lo``–``hi`` strong genres per user at [vmin, vmax]; with ``faint``, about 3 others at ≤ 0.2."""
    out = np.zeros((n, genres.N_GENRES))
    ranks = rng.permuted(np.tile(np.arange(genres.N_GENRES), (n, 1)), axis=1)  # a random genre order per user
    strong = ranks < rng.integers(lo, hi + 1, size=n)[:, None]
    out[strong] = rng.uniform(vmin, vmax, strong.sum())
    if faint:
        weak = ~strong & (rng.random(out.shape) < 3 / genres.N_GENRES)
        out[weak] = rng.uniform(0, 0.2, weak.sum())
    return out


def assignment_counts(rows: np.ndarray, catalog: Catalog) -> pd.Series:
    """How many users got each accessory (every catalogue row listed, zeros included), in catalogue order."""
    counts = np.bincount(rows.ravel(), minlength=len(catalog))
    return pd.Series(counts, index=[f"{t}: {catalog.name(i)}" for i, t in enumerate(catalog.types)])


def analysis_figure(vectors: np.ndarray, profiles: np.ndarray, counts: pd.Series, catalog: Catalog,
                    max_points: int = 6000, seed: int = 0) -> Figure:
    """Left: PCA of the users coloured by profile. Right: how often each accessory is assigned (red = never)."""
    fig = Figure(figsize=(16, 12), dpi=100)
    FigureCanvasAgg(fig)
    pca_ax, count_ax = fig.subplots(1, 2, width_ratios=[1, 1])
    _plot_pca(pca_ax, vectors, profiles, max_points, seed)
    colours = [PALETTE[t] if c else "#d62828" for t, c in zip(catalog.types, counts)]
    pos = np.arange(len(counts))[::-1]
    count_ax.barh(pos, counts.to_numpy() + 1, color=colours)  # +1 so zero shows on the log scale
    count_ax.set_xscale("log")
    count_ax.set_xlim(left=0.8)  # so an accessory never chosen (0 + 1) is visible as a stub
    count_ax.set_yticks(pos, counts.index, fontsize=7)
    count_ax.set_xlabel("users assigned (+1, log scale)")
    never = int((counts == 0).sum())
    count_ax.set_title(f"Accessory assignments over {len(vectors):,} users — never chosen: {never}")
    fig.tight_layout()
    return fig


def _plot_pca(ax, vectors, profiles, max_points, seed) -> None:
    rng = np.random.default_rng(seed)
    pick = rng.permutation(len(vectors))[:max_points]
    centred = vectors - vectors.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred[pick], full_matrices=False)
    xy = centred[pick] @ axes[:2].T
    explained = singular[:2] ** 2 / (singular ** 2).sum()
    for name in PROFILES:
        sel = profiles[pick] == name
        ax.scatter(xy[sel, 0], xy[sel, 1], s=6, alpha=0.6, label=f"{name} ({(profiles == name).mean():.0%})")
    ax.set_xlabel(f"PC1 ({explained[0]:.0%} of variance)")
    ax.set_ylabel(f"PC2 ({explained[1]:.0%} of variance)")
    ax.set_title("Synthetic users, PCA")
    ax.legend(markerscale=3)
