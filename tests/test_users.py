"""Synthetic users: profile shares, ranges, determinism; and the shipped catalogue serves them all."""

from __future__ import annotations

import pytest

from relive import genres
from relive.errors import InvalidInput
from relive.pet.catalog import load_catalog
from relive.pet.matcher import match_batch
from relive.pet.users import PROFILES, analysis_figure, assignment_counts, synthetic_users


@pytest.fixture(scope="module")
def population():
    return synthetic_users(20_000, seed=42)


def test_shares_ranges_and_columns(population):
    table, profiles = population
    assert list(table.columns) == ["UserID", *genres.GENRES]
    values = table[list(genres.GENRES)].to_numpy()
    assert values.min() >= 0 and values.max() <= 1
    for name, share in PROFILES.items():
        assert abs((profiles == name).mean() - share) < 0.01, name
    pure = values[profiles == "pure"]
    assert ((pure == 1).sum(axis=1) == 1).all() and ((pure > 0).sum(axis=1) == 1).all()
    combined = values[profiles == "combined"]
    assert ((combined >= 0.5).sum(axis=1) >= 2).all()


def test_seeded():
    a, pa = synthetic_users(500, seed=1)
    b, pb = synthetic_users(500, seed=1)
    c, _ = synthetic_users(500, seed=2)
    assert a.equals(b) and (pa == pb).all() and not a.equals(c)
    with pytest.raises(InvalidInput):
        synthetic_users(0)


def test_every_accessory_wins_for_some_realistic_user(population):
    table, profiles = population
    catalog = load_catalog()
    realistic = profiles != "rare"
    rows, _ = match_batch(table[list(genres.GENRES)].to_numpy()[realistic], catalog)
    counts = assignment_counts(rows, catalog)
    assert (counts > 0).all(), f"never chosen: {list(counts[counts == 0].index)}"


def test_analysis_figure(population, tmp_path):
    table, profiles = population
    catalog = load_catalog()
    vectors = table[list(genres.GENRES)].to_numpy()[:2000]
    rows, _ = match_batch(vectors, catalog)
    fig = analysis_figure(vectors, profiles[:2000], assignment_counts(rows, catalog), catalog)
    fig.savefig(tmp_path / "a.png")
    assert (tmp_path / "a.png").stat().st_size > 10_000
