"""The vectorised matcher against the plain-loop reference, and its defined behaviour on odd inputs."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_catalog
from reference_matcher import combination_score, match_one

from relive import genres
from relive.errors import InvalidGenres
from relive.pet import matcher

G = genres.N_GENRES


def _users(rng, kind: str, n: int) -> np.ndarray:
    if kind == "one-hot":
        return np.eye(G)[rng.integers(0, G, n)]
    if kind == "sparse":
        return np.round(rng.random((n, G)) * (rng.random((n, G)) < 0.2), 2)
    return rng.random((n, G))  # dense, full precision


def _assert_parity(users, catalog, top_n=10):
    rows, scores = matcher.match_batch(users, catalog, top_n)
    for u, vec in enumerate(users):
        ref_rows, ref_score = match_one(vec.tolist(), catalog.vectors.tolist(), catalog.types, top_n)
        assert tuple(rows[u]) == ref_rows, f"user {u}: {vec}"
        assert scores[u] == pytest.approx(ref_score, abs=1e-9)


@pytest.mark.parametrize("kind", ["one-hot", "sparse", "dense"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parity_with_loop_reference(kind, seed):
    rng = np.random.default_rng(seed)
    catalog = random_catalog(rng, decimals=2 if seed != 2 else None)
    _assert_parity(_users(rng, kind, 25), catalog)


def test_parity_one_hot_catalogue_with_many_ties():
    rng = np.random.default_rng(7)
    catalog = random_catalog(rng, density=0.0)
    catalog.vectors[:] = np.eye(G)[rng.integers(0, G, len(catalog))]  # every accessory is one genre
    _assert_parity(_users(rng, "one-hot", 18), catalog)
    _assert_parity(_users(rng, "sparse", 18), catalog)


def test_parity_small_slots_and_small_top_n():
    rng = np.random.default_rng(3)
    catalog = random_catalog(rng, per_slot=(2, 5, 1))
    _assert_parity(_users(rng, "dense", 10), catalog, top_n=10)
    _assert_parity(_users(rng, "sparse", 10), catalog, top_n=3)


def test_chunking_does_not_change_results(monkeypatch):
    rng = np.random.default_rng(4)
    catalog = random_catalog(rng)
    users = _users(rng, "dense", 200)
    whole = matcher.match_batch(users, catalog)
    monkeypatch.setattr(matcher, "_BLOCK_ELEMENTS", 1)  # one user per chunk
    one_by_one = matcher.match_batch(users, catalog)
    np.testing.assert_array_equal(whole[0], one_by_one[0])
    np.testing.assert_allclose(whole[1], one_by_one[1], rtol=0, atol=1e-12)


def test_scores_bounded_and_trio_score_matches_reference():
    rng = np.random.default_rng(5)
    catalog = random_catalog(rng)
    for vec in _users(rng, "dense", 10):
        match = matcher.best_match(vec, catalog)
        assert -1.0 <= match.score <= 1.0
        trio = [catalog.vectors[r].tolist() for r in match.rows]
        assert match.score == pytest.approx(combination_score(vec.tolist(), *trio), abs=1e-9)
        assert [catalog.types[r] for r in match.rows] == ["Head", "Face", "Torso"]


def test_all_zero_user_is_defined_and_deterministic():
    rng = np.random.default_rng(6)
    catalog = random_catalog(rng)
    match = matcher.best_match(np.zeros(G), catalog)
    # every term but w_error (defined as 1) is 0: score 0.2 and the first accessory of each slot wins
    assert match.score == pytest.approx(0.2)
    assert match.rows == tuple(int(catalog.slot_rows(s)[0]) for s in ("Head", "Face", "Torso"))
    assert match.similarities == (0.0, 0.0, 0.0)


def test_constant_vectors_give_no_nan():
    rng = np.random.default_rng(8)
    catalog = random_catalog(rng)
    catalog.vectors[:4] = 0.5  # constant accessories: Pearson undefined → 0
    catalog.vectors[4] = 0.0  # an all-zero accessory: cosine undefined → 0
    users = np.vstack([np.full(G, 0.3), np.zeros(G), _users(rng, "sparse", 5)])
    rows, scores = matcher.match_batch(users, catalog)
    assert np.isfinite(scores).all()
    _assert_parity(users, catalog)


def test_catalogue_order_changes_only_tie_breaks():
    rng = np.random.default_rng(9)
    catalog = random_catalog(rng, decimals=None)  # continuous weights: no ties
    users = _users(rng, "dense", 30)
    perm = rng.permutation(len(catalog))
    shuffled = type(catalog)(catalog.root, tuple(catalog.files[i] for i in perm),
                             tuple(catalog.types[i] for i in perm), catalog.vectors[perm])
    rows, scores = matcher.match_batch(users, catalog)
    rows2, scores2 = matcher.match_batch(users, shuffled)
    np.testing.assert_array_equal(rows, perm[rows2])
    np.testing.assert_allclose(scores, scores2, atol=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -0.1, 1.01])
def test_invalid_values_rejected_with_genre_named(bad):
    vec = np.zeros(G)
    vec[5] = bad
    with pytest.raises(InvalidGenres, match="Rock"):
        matcher.best_match(vec, random_catalog(np.random.default_rng(0)))


def test_invalid_row_named_in_batch():
    users = np.zeros((3, G))
    users[2, 0] = 2.0
    with pytest.raises(InvalidGenres, match="row 3: Comedy=2.0"):
        matcher.match_batch(users, random_catalog(np.random.default_rng(0)))


def test_wrong_shape_and_top_n_rejected():
    catalog = random_catalog(np.random.default_rng(0))
    with pytest.raises(InvalidGenres, match="18 values"):
        matcher.best_match(np.zeros(17), catalog)
    with pytest.raises(InvalidGenres, match="top_n"):
        matcher.match_batch(np.zeros(G), catalog, top_n=0)


def test_surprise_picks_among_k_nearest_and_is_seeded():
    rng = np.random.default_rng(10)
    catalog = random_catalog(rng, decimals=None)
    vec = _users(rng, "dense", 1)[0]
    cos, _ = matcher.similarities(vec[None, :], catalog)
    nearest = [set(matcher.top_candidates(cos, catalog.slot_rows(s), 3)[0]) for s in ("Head", "Face", "Torso")]
    picks = {matcher.surprise_match(vec, catalog, seed=s).rows for s in range(40)}
    assert len(picks) > 1  # it really is random
    for rows in picks:
        assert all(r in near for r, near in zip(rows, nearest))
    assert matcher.surprise_match(vec, catalog, seed=3) == matcher.surprise_match(vec, catalog, seed=3)
    assert matcher.surprise_match(vec, catalog, k=1, seed=0).rows == tuple(int(min(n, key=lambda r: -cos[0, r])) for n in nearest)


def _exhaustive(users, catalog, top_n=10):
    """Winners by scoring every Top-N combination exactly (no pruning): the definition the pruned search keeps."""
    sims = matcher.similarities(users, catalog)
    candidates = tuple(matcher.top_candidates(sims[0], catalog.slot_rows(s), min(top_n, len(catalog.slot_rows(s))))
                       for s in ("Head", "Face", "Torso"))
    full = matcher.score_combinations(users, catalog, candidates, sims).reshape(len(users), -1)
    winner = np.argmax(full >= full.max(axis=1, keepdims=True) - matcher.TIE_TOL, axis=1)
    i, j, k = np.unravel_index(winner, [c.shape[1] for c in candidates])
    u = np.arange(len(users))
    return np.stack([candidates[0][u, i], candidates[1][u, j], candidates[2][u, k]], axis=1), full[u, winner]


@pytest.mark.parametrize("kind", ["one-hot", "sparse", "dense", "tiny"])
def test_pruned_search_finds_the_exhaustive_winner(kind):
    """Thousands of users (several chunks, on worker threads): the bound must never prune a winner or a tie."""
    rng = np.random.default_rng(11)
    catalog = random_catalog(rng)
    users = _users(rng, "sparse", 1000) * 1e-6 if kind == "tiny" else _users(rng, kind, 1000)  # tiny: norms near NORM_EPS
    rows, scores = matcher.match_batch(users, catalog)
    expected_rows, expected_scores = _exhaustive(users, catalog)
    np.testing.assert_array_equal(rows, expected_rows)
    np.testing.assert_allclose(scores, expected_scores, rtol=0, atol=1e-12)


def test_shipped_catalogue_and_synthetic_users_match_the_loop_reference():
    from relive.pet.catalog import load_catalog
    from relive.pet.users import synthetic_users

    table, _ = synthetic_users(25, seed=5)
    _assert_parity(table[list(genres.GENRES)].to_numpy(), load_catalog(check_images=False))


def test_pruning_leaves_about_one_combination_per_user():
    """The bound is tight enough to be worth its keep: on festival-like tastes almost every user has one survivor
    of the 1000 combinations (a bound loosened by mistake would still give right answers, only slowly)."""
    from relive.pet.catalog import load_catalog
    from relive.pet.users import synthetic_users

    catalog = load_catalog(check_images=False)
    users = np.ascontiguousarray(synthetic_users(2000, seed=8)[0][list(genres.GENRES)].to_numpy())
    p = matcher._prepare(catalog)
    sims = matcher.similarities(users, catalog)
    candidates = tuple(matcher.top_candidates(sims[0], rows, matcher.TOP_N) for rows in p.slot_rows)
    survivors = matcher._survivors(users, p, sims, candidates).sum(axis=1)
    assert survivors.min() >= 1  # the seed always survives
    assert survivors.mean() < 2.0
