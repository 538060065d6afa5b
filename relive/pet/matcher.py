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

Scores are computed in float64 with numpy: cosines and correlations of a combination come from per-accessory dot
products and a per-catalogue table of the norms of accessory sums, only w_error needs the 18 genres per
combination. A float32 upper bound of every score rules out, provably, all combinations but about one per user
(:func:`_score_bounds`); only those are scored exactly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from threadpoolctl import threadpool_limits

from relive import genres
from relive.config import usable_cores
from relive.pet.catalog import SLOTS, Catalog

TOP_N = 10
KNN_K = 3
NORM_EPS = 1e-6
RANK_DECIMALS = 12
TIE_TOL = 1e-12
WEIGHTS = {"sim_global": 0.5, "w_error": 0.2, "min_sim": 0.15, "min_corr": 0.15}
# Combinations (users × N³) bounded at once per thread: each (N, N, N, users) float32 array (0.5 MB) stays in L2.
_BLOCK_ELEMENTS = 1 << 17
# Rounding slack when pruning by the float32 score bound: ~15 float32 operations on values of order 1 err by
# well under 1e-5.
_BOUND_SLACK = 1e-4


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
    slot_rows: tuple[np.ndarray, ...]
    slot_position: np.ndarray  # catalogue row → its index among the rows of its slot
    # 1 / |x_h + x_f + x_t| (plain and centred) for every (head, face, torso) of the catalogue, flat in that order;
    # 0 where the combination's norm, a third of that, is ≤ NORM_EPS (so that an undefined cosine is 0)
    inverse_sum_norms: np.ndarray
    inverse_centred_sum_norms: np.ndarray
    # the same two tables times sim_global's weight / 2, in float32, for :func:`_score_bounds`
    bound_tables: tuple[np.ndarray, np.ndarray]


@lru_cache(maxsize=8)
def _prepare(catalog: Catalog) -> _Prepared:
    x = catalog.vectors
    xc = x - x.mean(axis=1, keepdims=True)
    slot_rows = tuple(catalog.slot_rows(s) for s in SLOTS)
    slot_position = np.zeros(len(catalog), dtype=np.intp)
    for rows in slot_rows:
        slot_position[rows] = np.arange(len(rows))
    tables = _inverse_sum_norms(x, slot_rows), _inverse_sum_norms(xc, slot_rows)
    return _Prepared(x, np.linalg.norm(x, axis=1), xc, np.linalg.norm(xc, axis=1), slot_rows, slot_position, *tables,
                     tuple((WEIGHTS["sim_global"] / 2 * t).astype(np.float32) for t in tables))


def _inverse_sum_norms(x: np.ndarray, slot_rows: tuple[np.ndarray, ...]) -> np.ndarray:
    h, f, t = (x[rows] for rows in slot_rows)
    norms = np.linalg.norm(h[:, None, None, :] + f[None, :, None, :] + t[None, None, :, :], axis=-1).ravel()
    return np.divide(1.0, norms, out=np.zeros(norms.shape), where=norms > 3.0 * NORM_EPS)


def _cos(dot: np.ndarray, norm_a: np.ndarray, norm_b: np.ndarray) -> np.ndarray:
    """dot / (|a||b|), and 0 where either norm is (numerically) zero."""
    dot, norm_a, norm_b = np.broadcast_arrays(dot, norm_a, norm_b)
    defined = (norm_a > NORM_EPS) & (norm_b > NORM_EPS)
    return np.divide(dot, norm_a * norm_b, out=np.zeros(dot.shape), where=defined)


def _inverse(norms: np.ndarray) -> np.ndarray:
    """1 / norm, and 0 where the norm is ≤ NORM_EPS (so that an undefined cosine comes out 0)."""
    return np.divide(1.0, norms, out=np.zeros(norms.shape), where=norms > NORM_EPS)


def similarities(users: np.ndarray, catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:
    """Cosine and Pearson of each user (U, 18) with each accessory: two (U, A) arrays."""
    p = _prepare(catalog)
    uc = users - users.mean(axis=1, keepdims=True)
    cos = _cos(users @ p.vectors.T, np.linalg.norm(users, axis=1)[:, None], p.norms[None, :])
    corr = _cos(uc @ p.centred.T, np.linalg.norm(uc, axis=1)[:, None], p.centred_norms[None, :])
    return cos, corr


def _unit_user_dots(users: np.ndarray, p: _Prepared) -> tuple[np.ndarray, np.ndarray]:
    """u·x / |u| and (u − ū)·(x − x̄) / |u − ū| of each user with each accessory (0 for a user of norm ≤ NORM_EPS).

    cos(u, combo) = Σ u·x / |u| over the three accessories × 1 / |x_h + x_f + x_t| (the 1/3 cancels): a sum of
    three per-accessory terms times a per-catalogue table, and the same for Pearson with the centred vectors."""
    uc = users - users.mean(axis=1, keepdims=True)
    return (users @ p.vectors.T * _inverse(np.linalg.norm(users, axis=1))[:, None],
            uc @ p.centred.T * _inverse(np.linalg.norm(uc, axis=1))[:, None])


def top_candidates(cos: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` most similar catalogue ``rows`` per user, best first; ties keep catalogue order."""
    order = np.argsort(-np.round(cos[:, rows], RANK_DECIMALS), axis=1, kind="stable")[:, :n]
    return rows[order]


def score_combinations(users: np.ndarray, catalog: Catalog, candidates: tuple[np.ndarray, ...],
                       sims: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Scores (U, Nh, Nf, Nt) of every combination of the per-user candidate rows (three (U, N·) arrays);
    ``sims`` is :func:`similarities` of the same users."""
    shape = (len(users),) + tuple(c.shape[1] for c in candidates)
    user, *slot_index = np.indices(shape).reshape(4, -1)
    rows = tuple(c[user, i] for c, i in zip(candidates, slot_index))
    return _exact_scores(users, _prepare(catalog), sims, user, rows).reshape(shape)


def _exact_scores(users: np.ndarray, p: _Prepared, sims, user: np.ndarray, rows: tuple[np.ndarray, ...]) -> np.ndarray:
    """The score, in float64 straight from the formula, of each listed combination: ``user`` (row of ``users``)
    and ``rows`` (catalogue rows of head, face, torso) are aligned 1-D arrays."""
    cos, corr = sims
    unit_dots, unit_centred_dots = _unit_user_dots(users, p)
    combo = _combination_index(p, *rows)
    sim_global = 0.5 * (sum(unit_dots[user, r] for r in rows) * p.inverse_sum_norms[combo]
                        + sum(unit_centred_dots[user, r] for r in rows) * p.inverse_centred_sum_norms[combo])
    min_sim = np.minimum.reduce([cos[user, r] for r in rows])
    min_corr = np.minimum.reduce([corr[user, r] for r in rows])
    return (WEIGHTS["sim_global"] * sim_global + WEIGHTS["w_error"] * _w_error(users, p.vectors, user, *rows)
            + WEIGHTS["min_sim"] * min_sim + WEIGHTS["min_corr"] * min_corr)


def _combination_index(p: _Prepared, h, f, t):
    """Flat index into the per-catalogue combination tables; works on broadcastable arrays of catalogue rows."""
    sizes = [len(rows) for rows in p.slot_rows]
    return (p.slot_position[h] * sizes[1] + p.slot_position[f]) * sizes[2] + p.slot_position[t]


def _w_error(users: np.ndarray, x: np.ndarray, user: np.ndarray, h, f, t) -> np.ndarray:
    """1 − Σ|u − combo|·u / Σu (1 for an all-zero user), one value per entry of the aligned 1-D arrays ``user``
    (row of ``users``) and ``h``, ``f``, ``t`` (catalogue rows of the combination)."""
    u = users[user]
    diff = x[h] + x[f]
    diff += x[t]
    diff /= 3.0
    diff -= u
    np.abs(diff, out=diff)
    weighted = np.einsum("ij,ij->i", diff, u)
    total = u.sum(axis=1)
    return 1.0 - np.divide(weighted, total, out=np.zeros(len(u)), where=total > 0)


def _score_bounds(users: np.ndarray, p: _Prepared, candidates, sims) -> np.ndarray:
    """An upper bound, in float32, of the score of every combination: (Nh·Nf·Nt, U), users last.

    It is the score with w_error replaced by its bound 1 − |Σu² − u·c| / Σu (|Σ(u − c)·u| ≤ Σ|u − c|·u), where
    u·c = |u|·D / 3 and D = Σ u·x / |u| is already needed for sim_global; for a user of norm ≤ NORM_EPS the plain
    w_error ≤ 1 is used. float32 and users as the last axis (numpy's inner loops then run over many users) make
    the ~15 passes over these 10⁸-value arrays (100k users) about 4× cheaper; the rounding is covered by
    ``_BOUND_SLACK``."""
    cos, corr = sims
    unit_dots, unit_centred_dots = _unit_user_dots(users, p)
    norms, total = np.linalg.norm(users, axis=1), users.sum(axis=1)
    usable = (norms > NORM_EPS) & (total > 0)
    w_slope = np.divide(WEIGHTS["w_error"] * norms, 3.0 * total, out=np.zeros(len(users)), where=usable)
    w_centre = np.divide(3.0 * np.einsum("ij,ij->i", users, users), norms, out=np.zeros(len(users)), where=usable)
    combo = _triple(np.add, *(p.slot_position[c].T.astype(np.int32) for c in candidates),
                    scale=[len(p.slot_rows[1]) * len(p.slot_rows[2]), len(p.slot_rows[2]), 1])
    dot_sum = _triple(np.add, *_along(unit_dots, candidates))
    bound = p.bound_tables[0].take(combo)
    bound *= dot_sum
    centred = _triple(np.add, *_along(unit_centred_dots, candidates))
    centred *= p.bound_tables[1].take(combo)
    bound += centred
    # a positive factor commutes with min, so the weights go on the small per-candidate inputs
    bound += _triple(np.minimum, *_along(WEIGHTS["min_sim"] * cos, candidates))
    bound += _triple(np.minimum, *_along(WEIGHTS["min_corr"] * corr, candidates))
    dot_sum -= w_centre.astype(np.float32)
    np.abs(dot_sum, out=dot_sum)
    dot_sum *= w_slope.astype(np.float32)
    bound -= dot_sum
    bound += WEIGHTS["w_error"]
    return bound.reshape(-1, len(users))


def _along(values: np.ndarray, candidates: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Per-user (U, A) ``values`` at each slot's candidate rows, as three contiguous float32 (N·, U) arrays."""
    return tuple(np.take_along_axis(values, c, axis=1).T.astype(np.float32) for c in candidates)


def _triple(op: np.ufunc, a: np.ndarray, b: np.ndarray, c: np.ndarray, scale=(1, 1, 1)) -> np.ndarray:
    """op(a_i, b_j, c_k) for every (i, j, k): (Na, Nb, Nc, U) from three (N·, U) arrays, each times its ``scale``."""
    a, b, c = (v * s if s != 1 else v for v, s in zip((a, b, c), scale))
    return op(op(a[:, None, :], b[None, :, :])[:, :, None, :], c[None, None, :, :])


def match_batch(users: np.ndarray, catalog: Catalog, top_n: int = TOP_N) -> tuple[np.ndarray, np.ndarray]:
    """Best accessories for many users at once: catalogue rows (U, 3) in slot order, and scores (U,).

    Users are matched in cache-sized chunks, on as many threads as this process may use cores (numpy releases
    the GIL in the array work)."""
    users = np.atleast_2d(genres.validate(users))
    if top_n < 1:
        raise genres.InvalidGenres("top_n must be at least 1, got {top_n}", top_n=top_n)
    p = _prepare(catalog)
    n = tuple(min(top_n, len(r)) for r in p.slot_rows)
    chunk = max(1, _BLOCK_ELEMENTS // (n[0] * n[1] * n[2]))
    rows = np.empty((len(users), 3), dtype=np.intp)
    scores = np.empty(len(users))

    def match_chunk(start: int) -> None:
        part = slice(start, start + chunk)
        rows[part], scores[part] = _best_of_top_n(users[part], catalog, p, n)

    starts = range(0, len(users), chunk)
    if len(starts) == 1:
        match_chunk(0)
    else:  # one BLAS thread per worker: BLAS's own threads would fight the workers for the same cores
        with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(min(len(starts), usable_cores())) as pool:
            list(pool.map(match_chunk, starts))
    return rows, scores


def _best_of_top_n(users, catalog, p: _Prepared, n) -> tuple[np.ndarray, np.ndarray]:
    """The winner per user, scoring exactly (float64, with w_error over all 18 genres) only the combinations that
    can still win.

    The exact score of the combination with the highest bound (:func:`_score_bounds`) is a floor for the winner;
    a combination whose bound is below that floor, less the tie tolerance and the bound's rounding slack, can
    neither win nor tie, so it is skipped. On realistic tastes about 1.2 combinations per user survive of 1000."""
    sims = similarities(users, catalog)
    candidates = tuple(top_candidates(sims[0], r, k) for r, k in zip(p.slot_rows, n))
    bounds = _score_bounds(users, p, candidates, sims)
    u = np.arange(len(users))
    seed = bounds.argmax(axis=0)
    floor = _exact_scores(users, p, sims, u, _rows_of(candidates, n, u, seed))
    user, combo = np.nonzero((bounds >= (floor - TIE_TOL - _BOUND_SLACK)[None, :]).T)  # sorted by user
    scores = _exact_scores(users, p, sims, user, _rows_of(candidates, n, user, combo))
    # every user keeps at least its seed: pick each user's first combination within TIE_TOL of its best
    starts = np.flatnonzero(np.r_[True, user[1:] != user[:-1]])
    best = np.repeat(np.maximum.reduceat(scores, starts), np.diff(np.r_[starts, len(user)]))
    near_best = np.flatnonzero(scores >= best - TIE_TOL)
    first = near_best[np.r_[True, user[near_best][1:] != user[near_best][:-1]]]
    return np.stack(_rows_of(candidates, n, u, combo[first]), axis=1), scores[first]


def _rows_of(candidates, n, user: np.ndarray, combo: np.ndarray) -> tuple[np.ndarray, ...]:
    """Catalogue rows (head, face, torso) of flat combination indices ``combo`` of the given users."""
    i, j, k = np.unravel_index(combo, n)
    return candidates[0][user, i], candidates[1][user, j], candidates[2][user, k]


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
