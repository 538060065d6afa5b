"""A plain-loop implementation of the brief's PET scoring, written straight from the formula in DESIGN.md.

It is deliberately naive (one user, one combination at a time) and shares no code with relive.pet.matcher,
so that the vectorised matcher can be checked against it.
"""

import itertools
import math

NORM_EPS = 1e-6
TIE_TOL = 1e-12


def _norm(v):
    return math.sqrt(sum(x * x for x in v))


def cosine(a, b):
    na, nb = _norm(a), _norm(b)
    if na <= NORM_EPS or nb <= NORM_EPS:
        return 0.0
    return sum(x * y for x, y in zip(a, b)) / (na * nb)


def pearson(a, b):
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    return cosine([x - ma for x in a], [y - mb for y in b])


def combination_score(u, h, f, t):
    combo = [(a + b + c) / 3 for a, b, c in zip(h, f, t)]
    sim_global = (cosine(u, combo) + pearson(u, combo)) / 2
    total = sum(u)
    w_error = 1 - sum(abs(x - c) * x for x, c in zip(u, combo)) / total if total > 0 else 1.0
    min_sim = min(cosine(u, v) for v in (h, f, t))
    min_corr = min(pearson(u, v) for v in (h, f, t))
    return 0.5 * sim_global + 0.2 * w_error + 0.15 * min_sim + 0.15 * min_corr


def match_one(u, vectors, types, top_n=10):
    """(head row, face row, torso row), score for one user."""
    tops = []
    for slot in ("Head", "Face", "Torso"):
        rows = [i for i, t in enumerate(types) if t == slot]
        rows.sort(key=lambda i: (-round(cosine(u, vectors[i]), 12), i))
        tops.append(rows[:top_n])
    scored = [(combination_score(u, vectors[h], vectors[f], vectors[t]), (h, f, t))
              for h, f, t in itertools.product(*tops)]
    best = max(s for s, _ in scored)
    return next((rows, s) for s, rows in scored if s >= best - TIE_TOL)
