"""Properties (hypothesis) of the PET matcher, the genre parser, ``load_image`` and the CAROUSEL placement maths."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import random_catalog
from hypothesis import Phase, assume, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from relive import genres, imaging
from relive.carousel.fuse import parse_position, place_avatar, visible_part
from relive.errors import InvalidImage, InvalidInput
from relive.pet import matcher
from relive.pet.catalog import SLOTS, Catalog

# Each test a second or less; no 'explain' phase, which can take minutes on a failure.
FAST = settings(max_examples=50, deadline=None, phases=[p for p in Phase if p != Phase.explain])

unit = st.floats(0, 1, allow_nan=False)
tastes = st.lists(unit, min_size=genres.N_GENRES, max_size=genres.N_GENRES).map(np.array)
catalogues = st.builds(
    lambda seed, per_slot, density, decimals: random_catalog(np.random.default_rng(seed), per_slot, density, decimals),
    st.integers(0, 2**32 - 1), st.tuples(*[st.integers(1, 6)] * 3), st.floats(0, 1), st.sampled_from([None, 1, 2]))


# --- PET matcher -----------------------------------------------------------------------------------------------

def permuted(catalog: Catalog, order: np.ndarray) -> Catalog:
    return Catalog(catalog.root, tuple(catalog.files[i] for i in order), tuple(catalog.types[i] for i in order),
                   catalog.vectors[order])


def candidate_scores(user: np.ndarray, catalog: Catalog, top_n: int):
    """Every combination's score (Nh, Nf, Nt) over the per-slot Top-N candidates, and those candidates."""
    users = user[None, :]
    sims = matcher.similarities(users, catalog)
    candidates = tuple(matcher.top_candidates(sims[0], rows, min(top_n, len(rows)))
                       for rows in (catalog.slot_rows(s) for s in SLOTS))
    return matcher.score_combinations(users, catalog, candidates, sims)[0], candidates


def boundary_tie(user: np.ndarray, catalog: Catalog, top_n: int) -> bool:
    """Two accessories of a slot equally similar at the Top-N cut: which one gets in depends on catalogue order."""
    cos = np.round(matcher.similarities(user[None, :], catalog)[0][0], matcher.RANK_DECIMALS)
    for slot in SLOTS:
        ranked = np.sort(cos[catalog.slot_rows(slot)])[::-1]
        if len(ranked) > top_n and ranked[top_n - 1] == ranked[top_n]:
            return True
    return False


@FAST
@given(user=tastes, catalog=catalogues, top_n=st.integers(1, 7), seed=st.integers(0, 2**32 - 1))
def test_permuting_the_catalogue_keeps_the_winner_except_on_exact_ties(user, catalog, top_n, seed):
    shuffled = permuted(catalog, np.random.default_rng(seed).permutation(len(catalog)))
    rows, scores = matcher.match_batch(user, catalog, top_n)
    rows2, scores2 = matcher.match_batch(user, shuffled, top_n)
    if boundary_tie(user, catalog, top_n):
        event("tie at the Top-N cut: the candidates themselves may differ")
        return
    assert scores2[0] == pytest.approx(scores[0], abs=1e-12)
    flat = candidate_scores(user, catalog, top_n)[0].ravel()
    if np.sum(flat >= flat.max() - 1e-9) > 1:
        event("several best combinations: the tie-break follows catalogue order")
        return
    assert [catalog.files[r] for r in rows[0]] == [shuffled.files[r] for r in rows2[0]]


# Bounds of score = 0.5·sim_global + 0.2·w_error + 0.15·min_sim + 0.15·min_corr (see relive.pet.matcher):
# cosines of non-negative vectors are in [0, 1] and Pearson correlations in [-1, 1], so sim_global ∈ [-0.5, 1];
# with every value in [0, 1], |u − combo| ≤ 1 and w_error ∈ [0, 1]. Hence score ∈ [-0.4, 1].
SCORE_MIN, SCORE_MAX = 0.5 * -0.5 + 0.15 * -1, 1.0


@FAST
@given(user=tastes, catalog=catalogues, top_n=st.integers(1, 7))
def test_scores_are_finite_and_within_the_formulas_bounds(user, catalog, top_n):
    scores, _ = candidate_scores(user, catalog, top_n)
    assert np.isfinite(scores).all()
    assert scores.min() >= SCORE_MIN - 1e-12 and scores.max() <= SCORE_MAX + 1e-12
    _, best = matcher.match_batch(user, catalog, top_n)
    assert best[0] == pytest.approx(scores.max(), abs=1e-12)  # the winner has the best score
    if not user.any():  # nothing to match: cosines and correlations are 0, w_error is 1
        np.testing.assert_allclose(scores, 0.2)


def w_error(user: np.ndarray, catalog: Catalog, candidates) -> np.ndarray:
    """1 − Σ|u − combo|·u / Σu for every candidate combination, straight from the formula."""
    h, f, t = (catalog.vectors[c[0]] for c in candidates)
    combo = (h[:, None, None] + f[None, :, None] + t[None, None, :]) / 3.0
    return 1.0 - (np.abs(user - combo) * user).sum(axis=-1) / user.sum()


def well_defined(vec: np.ndarray) -> bool:
    """Far from the NORM_EPS cut-offs, where a cosine or correlation is defined as 0 (not scale-invariant)."""
    norm, centred = np.linalg.norm(vec), np.linalg.norm(vec - vec.mean())
    return norm > 1e-3 and (centred > 1e-3 or centred < 1e-9)


@FAST
@given(user=tastes, catalog=catalogues, factor=st.floats(0.1, 10), top_n=st.integers(1, 7))
def test_scaling_a_taste_changes_only_the_weighted_error(user, catalog, factor, top_n):
    """Cosine and Pearson are scale-invariant, w_error is not: for u → k·u the Top-N candidates and the similarity
    terms stay, and every combination's score moves by exactly 0.2·Δw_error. So the score is *not* scale-invariant
    and the winner can change (see the example below)."""
    assume(user.max() > 1e-3)
    scaled = user * min(factor, 1.0 / user.max())  # stays in [0, 1]
    assume(well_defined(user) and well_defined(scaled))
    scores, candidates = candidate_scores(user, catalog, top_n)
    scores2, candidates2 = candidate_scores(scaled, catalog, top_n)
    for a, b in zip(candidates, candidates2):
        np.testing.assert_array_equal(a, b)
    expected = 0.2 * (w_error(scaled, catalog, candidates) - w_error(user, catalog, candidates))
    np.testing.assert_allclose(scores2 - scores, expected, atol=1e-9)


def test_scaling_a_taste_can_change_the_winner():
    """Head and face point the same way as both torsos; torso A matches ½·(Rock+Jazz) exactly, torso B (Rock+Jazz)
    is closer in size to the doubled taste. Same direction everywhere, so only w_error decides."""
    def vec(value):
        return np.array([value if g in ("Rock", "Jazz") else 0.0 for g in genres.GENRES])

    catalog = Catalog(Path("."), ("h.png", "f.png", "a.png", "b.png"), ("Head", "Face", "Torso", "Torso"),
                      np.stack([vec(0.5), vec(0.5), vec(0.5), vec(1.0)]))
    assert catalog.files[matcher.best_match(vec(0.5), catalog).rows[2]] == "a.png"
    assert catalog.files[matcher.best_match(vec(1.0), catalog).rows[2]] == "b.png"


# --- genre parser ----------------------------------------------------------------------------------------------

@st.composite
def loose_spelling(draw, genre: str) -> str:
    """``genre`` in any case, with spaces, dashes and underscores anywhere: 'hIp _Hop', '-rock-'."""
    gaps = draw(st.lists(st.sampled_from(["", "", " ", "_", "-"]), min_size=len(genre) + 1, max_size=len(genre) + 1))
    upper = draw(st.lists(st.booleans(), min_size=len(genre), max_size=len(genre)))
    letters = [c.upper() if u else c.lower() for c, u in zip(genre.replace("-", ""), upper)]
    return "".join(g + c for g, c in zip(gaps, letters)) + gaps[-1]


@FAST
@given(vec=tastes, data=st.data(), sep=st.sampled_from(["=", ":", " = ", ": "]), joiner=st.sampled_from([",", ", ", " ,"]))
def test_parse_round_trips_any_order_and_spelling(vec, data, sep, joiner):
    order = data.draw(st.permutations(range(genres.N_GENRES)))
    names = [data.draw(loose_spelling(genres.GENRES[i])) for i in order]
    text = joiner.join(f"{name}{sep}{float(vec[i])!r}" for name, i in zip(names, order))
    np.testing.assert_array_equal(genres.parse(text), vec)
    for name, i in zip(names, order):
        assert genres.canonical_genre(name) == genres.GENRES[i]


@FAST
@given(vec=tastes)
def test_mapping_round_trips_and_zeros_can_be_left_out(vec):
    np.testing.assert_array_equal(genres.from_mapping(genres.to_mapping(vec)), vec)
    named = {g: v for g, v in genres.to_mapping(vec).items() if v > 0}
    np.testing.assert_array_equal(genres.from_mapping(named), vec)
    if named:  # a bare name means 1
        text = ",".join(g if v == 1.0 else f"{g}={float(v)!r}" for g, v in named.items())
        np.testing.assert_array_equal(genres.parse(text), vec)


# --- load_image ------------------------------------------------------------------------------------------------

# Every Pillow mode; how to put it in a file (None: no encoder keeps it). Not YCbCr as TIFF: Pillow writes a
# 1×1 one that it cannot read back itself.
MODES = {"1": "PNG", "L": "PNG", "P": "PNG", "LA": "PNG", "RGB": "PNG", "RGBA": "PNG", "I;16": "PNG",
         "PA": "TIFF", "I": "TIFF", "I;16B": "TIFF", "F": "TIFF", "LAB": "TIFF", "RGBX": "TIFF", "YCbCr": "JPEG",
         "CMYK": "JPEG", "La": None, "RGBa": None, "HSV": None}


@FAST
@given(mode=st.sampled_from(sorted(MODES)), size=st.tuples(st.integers(1, 12), st.integers(1, 12)), data=st.data(),
       target=st.sampled_from(["RGB", "RGBA"]), as_file=st.booleans())
def test_load_image_gives_rgb_or_rgba_uint8_of_the_same_size(mode, size, data, target, as_file):
    n_bytes = len(Image.new(mode, size).tobytes())
    img = Image.frombytes(mode, size, data.draw(st.binary(min_size=n_bytes, max_size=n_bytes)))
    if mode == "P":
        img.putpalette(data.draw(st.binary(min_size=768, max_size=768)))
    source = img
    if as_file and MODES[mode]:
        buf = io.BytesIO()
        img.save(buf, MODES[mode])
        source = buf.getvalue()
    if mode == "F" and not np.isfinite(np.asarray(img)).all():  # random bytes can be NaN or inf
        with pytest.raises(InvalidImage, match="NaN or infinite"):
            imaging.load_image(source, target)
        return
    out = imaging.load_image(source, target)
    assert out.mode == target and out.size == size
    arr = imaging.to_array(out)
    assert arr.dtype == np.uint8 and arr.shape == (size[1], size[0], len(target))


@FAST
@given(shape=st.sampled_from([(), (3,), (4,)]), size=st.tuples(st.integers(1, 12), st.integers(1, 12)),
       floats=st.booleans(), seed=st.integers(0, 2**32 - 1), target=st.sampled_from(["RGB", "RGBA"]))
def test_load_image_takes_arrays_of_every_layout(shape, size, floats, seed, target):
    rng = np.random.default_rng(seed)
    arr = rng.random((size[1], size[0], *shape)) if floats else rng.integers(0, 256, (size[1], size[0], *shape),
                                                                              dtype=np.uint8)
    out = imaging.to_array(imaging.load_image(arr, target))
    assert out.dtype == np.uint8 and out.shape == (size[1], size[0], len(target))


# --- CAROUSEL placement ----------------------------------------------------------------------------------------

@st.composite
def cutouts(draw) -> Image.Image:
    """An RGBA canvas with one opaque rectangle (the person) somewhere in it."""
    w, h = draw(st.integers(1, 120)), draw(st.integers(1, 120))
    x0, y0 = draw(st.integers(0, w - 1)), draw(st.integers(0, h - 1))
    x1, y1 = draw(st.integers(x0 + 1, w)), draw(st.integers(y0 + 1, h))
    alpha = np.zeros((h, w), np.uint8)
    alpha[y0:y1, x0:x1] = 255
    return Image.fromarray(np.dstack([np.full((h, w, 3), 120, np.uint8), alpha]), "RGBA")


frames = st.tuples(st.integers(1, 300), st.integers(1, 300))
scales = st.one_of(st.none(), st.floats(0.01, 3), st.sampled_from([0.0, -0.5, math.nan, math.inf]))


@FAST
@given(avatar=cutouts(), frame=frames, scale=scales, data=st.data())
def test_the_placed_box_is_consistent_with_the_frame(avatar, frame, scale, data):
    fw, fh = frame
    position = data.draw(st.one_of(st.none(), st.tuples(st.floats(-0.5 * fw, 1.5 * fw), st.floats(-0.5 * fh, 1.5 * fh))))
    notices: list[str] = []
    if scale is not None and not (math.isfinite(scale) and scale > 0):
        with pytest.raises(InvalidInput, match="must be a positive number"):
            place_avatar(avatar, frame, position, scale, notices)
        return
    if position is not None and not (0 <= position[0] <= fw and 0 <= position[1] <= fh):
        # documented: a position outside the frame is an error, never clamped
        with pytest.raises(InvalidInput, match=f"outside the {fw}×{fh} background"):
            place_avatar(avatar, frame, position, scale, notices)
        return
    placed, p = place_avatar(avatar, frame, position, scale, notices)
    assert placed.dtype == np.uint8 and placed.shape == (p.height, p.width, 4)
    assert 1 <= p.width <= fw and 1 <= p.height <= fh  # scaled down to fit when too large
    assert p.scale == pytest.approx(p.height / fh)
    if p.in_place:
        assert avatar.size == frame and position is None and scale is None and (p.left, p.top) == (0, 0)
    else:
        assert (p.left, p.top) == (round(p.x - p.width / 2), round(p.y - p.height))
        assert len(notices) <= 1 and all("scaled down to fit" in n for n in notices)
    if position is not None:
        assert (p.x, p.y) == position

    # The visible part: the box around every non-transparent pixel that lands in the frame, or an error if none does.
    ys, xs = np.nonzero(placed[..., 3] > 0)
    ys, xs = ys + p.top, xs + p.left
    shown = (ys >= 0) & (ys < fh) & (xs >= 0) & (xs < fw)
    if not shown.any():
        assert position is not None  # the default placement always lands in the frame
        with pytest.raises(InvalidInput, match="entirely outside the background"):
            visible_part(placed, p, frame)
        return
    rgba, rows, cols = visible_part(placed, p, frame)
    assert (rows, cols) == (slice(ys[shown].min(), ys[shown].max() + 1), slice(xs[shown].min(), xs[shown].max() + 1))
    assert 0 <= rows.start < rows.stop <= fh and 0 <= cols.start < cols.stop <= fw
    np.testing.assert_array_equal(rgba, placed[rows.start - p.top:rows.stop - p.top, cols.start - p.left:cols.stop - p.left])


@FAST
@given(x=st.floats(allow_nan=False, allow_infinity=False), y=st.floats(allow_nan=False, allow_infinity=False),
       spaces=st.sampled_from(["", " ", "  "]))
def test_parse_position_round_trips_finite_numbers(x, y, spaces):
    assert parse_position(f"{spaces}{x!r},{spaces}{y!r}{spaces}") == (x, y)


@FAST
@given(text=st.text(max_size=20))
def test_parse_position_gives_two_finite_numbers_or_a_clear_error(text):
    try:
        x, y = parse_position(text)
    except InvalidInput as err:
        assert "position" in str(err) and "\n" not in str(err)
    else:
        assert math.isfinite(x) and math.isfinite(y)
