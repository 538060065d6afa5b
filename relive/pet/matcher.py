"""Choose a pet's accessories for a music taste: the brief's combination scorer, vectorised, and its KNN pick.

Scorer (DESIGN.md): per slot the Top-N accessories by cosine similarity; over all N³ combinations,
``combo`` = mean of the three vectors and

    score = 0.5·sim_global + 0.2·w_error + 0.15·min_sim + 0.15·min_corr

with sim_global = (cos(u, combo) + pearson(u, combo)) / 2, w_error = 1 − Σ|u − combo|·u / Σu, min_sim the
smallest of the three cosines and min_corr the smallest of the three Pearson correlations.

Bounds: every value is in [0, 1], so cosines are in [0, 1], correlations in [−1, 1], sim_global in [−0.5, 1] and
w_error in [0, 1]; a score is in [−0.4, 1]. Cosine and Pearson are scale-invariant, w_error is not: scaling a taste
(0.5·u against u) can change the winner.

Definitions for the degenerate cases:
- a cosine is 0 when either vector has norm ≤ ``NORM_EPS`` (an all-zero user or accessory);
- a Pearson correlation is 0 when either vector is constant (centred norm ≤ ``NORM_EPS``);
- w_error is 1 for an all-zero user (nothing is weighted, so there is no weighted error);
- ties: Top-N ranks by similarity rounded to ``RANK_DECIMALS`` decimals, then by catalogue row; among
  combinations within ``TIE_TOL`` of the best score the first in (head, face, torso) Top-N order wins.

Everything is computed in float64 with numpy: cosines and correlations of a combination come from dot products
and Gram matrices (they are linear in the three vectors), only w_error needs the 18 genres per combination.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from relive import genres
from relive.pet.catalog import SLOTS, Catalog

TOP_N = 10
KNN_K = 3
NORM_EPS = 1e-6
RANK_DECIMALS = 12
TIE_TOL = 1e-12
WEIGHTS = {"sim_global": 0.5, "w_error": 0.2, "min_sim": 0.15, "min_corr": 0.15}
# Elements of the (users, N, N, N, genres) block for w_error held at once: small enough to stay in cache.
_BLOCK_ELEMENTS = 1 << 19


@dataclass(frozen=True)
class PetMatch:
    """One user's accessories: catalogue ``rows`` in slot order (Head, Face, Torso)."""

    rows: tuple[int, int, int]
    score: float
    similarities: tuple[float, float, float]  # cosine of the user with each chosen accessory
    strategy: str


@dataclass(frozen=True, eq=False)
class _Prepared:
    vectors: np.ndarray
    norms: np.ndarray
    centred: np.ndarray
    centred_norms: np.ndarray
    gram: np.ndarray
    centred_gram: np.ndarray
    slot_rows: tuple[np.ndarray, ...]


@lru_cache(maxsize=8)
def _prepare(catalog: Catalog) -> _Prepared:
    x = catalog.vectors
    xc = x - x.mean(axis=1, keepdims=True)
    return _Prepared(x, np.linalg.norm(x, axis=1), xc, np.linalg.norm(xc, axis=1), x @ x.T, xc @ xc.T,
                     tuple(catalog.slot_rows(s) for s in SLOTS))


def _cos(dot: np.ndarray, norm_a: np.ndarray, norm_b: np.ndarray) -> np.ndarray:
    """dot / (|a||b|), and 0 where either norm is (numerically) zero."""
    dot, norm_a, norm_b = np.broadcast_arrays(dot, norm_a, norm_b)
    defined = (norm_a > NORM_EPS) & (norm_b > NORM_EPS)
    return np.divide(dot, norm_a * norm_b, out=np.zeros(dot.shape), where=defined)


def similarities(users: np.ndarray, catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:
    """Cosine and Pearson of each user (U, 18) with each accessory: two (U, A) arrays."""
    p = _prepare(catalog)
    uc = users - users.mean(axis=1, keepdims=True)
    cos = _cos(users @ p.vectors.T, np.linalg.norm(users, axis=1)[:, None], p.norms[None, :])
    corr = _cos(uc @ p.centred.T, np.linalg.norm(uc, axis=1)[:, None], p.centred_norms[None, :])
    return cos, corr


def top_candidates(cos: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` most similar catalogue ``rows`` per user, best first; ties keep catalogue order."""
    order = np.argsort(-np.round(cos[:, rows], RANK_DECIMALS), axis=1, kind="stable")[:, :n]
    return rows[order]


def score_combinations(users: np.ndarray, catalog: Catalog, candidates: tuple[np.ndarray, ...],
                       sims: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Scores (U, Nh, Nf, Nt) of every combination of the per-user candidate rows (three (U, N·) arrays);
    ``sims`` is :func:`similarities` of the same users."""
    p = _prepare(catalog)
    h, f, t = candidates
    cos, corr = sims
    uc = users - users.mean(axis=1, keepdims=True)
    sim_global = 0.5 * (
        _combo_cos(users @ p.vectors.T, p.gram, np.linalg.norm(users, axis=1), h, f, t)
        + _combo_cos(uc @ p.centred.T, p.centred_gram, np.linalg.norm(uc, axis=1), h, f, t)
    )
    min_sim = _min3(*(np.take_along_axis(cos, c, axis=1) for c in candidates))
    min_corr = _min3(*(np.take_along_axis(corr, c, axis=1) for c in candidates))
    return (WEIGHTS["sim_global"] * sim_global + WEIGHTS["w_error"] * _w_error(users, p.vectors, h, f, t)
            + WEIGHTS["min_sim"] * min_sim + WEIGHTS["min_corr"] * min_corr)


def _combo_cos(dots: np.ndarray, gram: np.ndarray, user_norms: np.ndarray, h, f, t) -> np.ndarray:
    """cos(u, (x_h + x_f + x_t) / 3) from u·x (dots, U×A) and the Gram matrix, without forming the combos."""
    d = [np.take_along_axis(dots, c, axis=1) for c in (h, f, t)]
    dot = (d[0][:, :, None, None] + d[1][:, None, :, None] + d[2][:, None, None, :]) / 3.0
    diag = np.diagonal(gram)
    sq = (diag[h][:, :, None, None] + diag[f][:, None, :, None] + diag[t][:, None, None, :]
          + 2.0 * gram[h[:, :, None], f[:, None, :]][:, :, :, None]
          + 2.0 * gram[h[:, :, None], t[:, None, :]][:, :, None, :]
          + 2.0 * gram[f[:, :, None], t[:, None, :]][:, None, :, :]) / 9.0
    return _cos(dot, user_norms[:, None, None, None], np.sqrt(np.maximum(sq, 0.0)))


def _min3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.minimum(np.minimum(a[:, :, None, None], b[:, None, :, None]), c[:, None, None, :])


def _w_error(users: np.ndarray, x: np.ndarray, h, f, t) -> np.ndarray:
    """1 − Σ|u − combo|·u / Σu per combination (1 for an all-zero user)."""
    head_face = (x[h] / 3.0 - users[:, None, :])[:, :, None, :] + (x[f] / 3.0)[:, None, :, :]
    diff = head_face[:, :, :, None, :] + (x[t] / 3.0)[:, None, None, :, :]
    np.abs(diff, out=diff)
    weighted = (diff.reshape(len(users), -1, genres.N_GENRES) @ users[:, :, None]).reshape(diff.shape[:4])
    total = users.sum(axis=1)[:, None, None, None]
    return 1.0 - np.divide(weighted, total, out=np.zeros(weighted.shape), where=total > 0)


def match_batch(users: np.ndarray, catalog: Catalog, top_n: int = TOP_N) -> tuple[np.ndarray, np.ndarray]:
    """Best accessories for many users at once: catalogue rows (U, 3) in slot order, and scores (U,)."""
    users = np.atleast_2d(genres.validate(users))
    if top_n < 1:
        raise genres.InvalidGenres(f"top_n must be at least 1, got {top_n}")
    p = _prepare(catalog)
    n = [min(top_n, len(r)) for r in p.slot_rows]
    chunk = max(1, _BLOCK_ELEMENTS // (n[0] * n[1] * n[2] * genres.N_GENRES))
    rows = np.empty((len(users), 3), dtype=np.intp)
    scores = np.empty(len(users))
    for start in range(0, len(users), chunk):
        part = slice(start, start + chunk)
        rows[part], scores[part] = _best_of_top_n(users[part], catalog, p, n)
    return rows, scores


def _best_of_top_n(users, catalog, p, n) -> tuple[np.ndarray, np.ndarray]:
    sims = similarities(users, catalog)
    candidates = tuple(top_candidates(sims[0], r, k) for r, k in zip(p.slot_rows, n))
    flat = score_combinations(users, catalog, candidates, sims).reshape(len(users), -1)
    winner = np.argmax(flat >= flat.max(axis=1, keepdims=True) - TIE_TOL, axis=1)
    i, j, k = np.unravel_index(winner, n)
    u = np.arange(len(users))
    rows = np.stack([candidates[0][u, i], candidates[1][u, j], candidates[2][u, k]], axis=1)
    return rows, flat[u, winner]


def _as_match(vec: np.ndarray, catalog: Catalog, rows, strategy: str) -> PetMatch:
    rows = tuple(int(r) for r in rows)
    sims = similarities(vec[None, :], catalog)
    cands = tuple(np.array([[r]]) for r in rows)
    score = float(score_combinations(vec[None, :], catalog, cands, sims).ravel()[0])
    return PetMatch(rows, score, tuple(float(sims[0][0, r]) for r in rows), strategy)


def best_match(vec: np.ndarray, catalog: Catalog, top_n: int = TOP_N) -> PetMatch:
    """The combination scorer (the default)."""
    vec = genres.validate(vec)
    rows, _ = match_batch(vec, catalog, top_n)
    return _as_match(vec, catalog, rows[0], "best")


def surprise_match(vec: np.ndarray, catalog: Catalog, k: int = KNN_K, seed: int | None = None) -> PetMatch:
    """The brief's PetEval KNN: per slot, a random pick among the ``k`` most similar accessories."""
    vec = genres.validate(vec)
    rng = np.random.default_rng(seed)
    cos, _ = similarities(vec[None, :], catalog)
    rows = [rng.choice(top_candidates(cos, r, min(k, len(r)))[0]) for r in _prepare(catalog).slot_rows]
    return _as_match(vec, catalog, rows, "surprise")


def score_rows(vec: np.ndarray, catalog: Catalog, rows: tuple[int, int, int]) -> PetMatch:
    """Score a hand-picked trio (e.g. after the user swapped an accessory)."""
    return _as_match(genres.validate(vec), catalog, rows, "chosen")
