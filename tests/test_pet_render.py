"""Pet images, chart, card and explanation from the shipped art."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from relive import genres
from relive.errors import InvalidInput, UnknownName
from relive.pet import render
from relive.pet.catalog import SLOTS, creatures, load_catalog
from relive.pet.presets import PRESETS, preset_vector
from relive.pet.souvenir import make_pet


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_pet_is_rgba_at_requested_size_with_transparent_corners():
    for size in (256, 1024):
        pet = make_pet(preset_vector("Rocker"), size=size)
        assert pet.image.mode == "RGBA" and pet.image.size == (size, size)
        alpha = np.asarray(pet.image.getchannel("A"))
        assert alpha[0, 0] == 0 and alpha[-1, -1] == 0  # background stays transparent
        assert alpha[size // 2, size // 2] == 255  # the creature is opaque in the middle


def test_layers_change_the_picture_and_nothing_removes_them(catalog):
    vec = preset_vector("Raver")
    dressed = make_pet(vec, size=256)
    bare = make_pet(vec, size=256, swaps={s: "nothing" for s in SLOTS})
    assert bare.rows == (None, None, None)
    assert not np.array_equal(np.asarray(dressed.image), np.asarray(bare.image))
    creature = render._layer(next(iter(creatures().values())), 256)
    np.testing.assert_array_equal(np.asarray(bare.image), np.asarray(creature))


def test_head_is_drawn_over_torso(catalog):
    """Layer order Torso → Face → Head: where head and torso art overlap, the head's pixels win."""
    rows = tuple(int(catalog.slot_rows(s)[0]) for s in SLOTS)
    creature = next(iter(creatures().values()))
    pet = np.asarray(render.render_pet(catalog, creature, rows, 256))
    head = np.asarray(render._layer(catalog.image_path(rows[0]), 256))
    opaque = head[..., 3] == 255
    np.testing.assert_array_equal(pet[opaque][:, :3], head[opaque][:, :3])


def test_swap_by_name_and_unknown_names(catalog):
    name = catalog.name(int(catalog.slot_rows("Face")[-1]))
    pet = make_pet(preset_vector("Jazz cat"), size=128, swaps={"Face": name})
    assert pet.accessories(catalog)["Face"] == name
    with pytest.raises(UnknownName, match="face accessory"):
        make_pet(preset_vector("Jazz cat"), size=128, swaps={"Face": "banana hat"})
    with pytest.raises(UnknownName, match="creature"):
        make_pet(preset_vector("Jazz cat"), size=128, creature="dragon")
    with pytest.raises(UnknownName, match="strategy"):
        make_pet(preset_vector("Jazz cat"), size=128, strategy="magic")
    with pytest.raises(InvalidInput, match="size"):
        make_pet(preset_vector("Jazz cat"), size=10)


def test_every_creature_renders(catalog):
    sizes = {make_pet(preset_vector("Rocker"), creature=name, size=128).image.size for name in creatures()}
    assert sizes == {(128, 128)}
    assert len(creatures()) >= 3


def test_chart_card_and_explanation(catalog):
    vec = preset_vector("Reggae sunshine")
    pet = make_pet(vec)
    assert pet.chart.size == render.CHART_SIZE and pet.card.size == render.CARD_SIZE
    assert len(pet.explanation) == 3
    for slot, line, row in zip(SLOTS, pet.explanation, pet.rows):
        assert line.startswith(f"{slot}: {catalog.name(row)}")
        assert "% match" in line
    # the user's strongest genre shows up in what the outfit is about
    assert "Reggae" in " ".join(pet.explanation)


def test_presets_pick_their_flagship_genre(catalog):
    """A preset's pet wears at least one accessory whose strongest genre is the preset's main genre."""
    for name, prefs in PRESETS.items():
        main = max(prefs, key=prefs.get)
        pet = make_pet(genres.from_mapping(prefs), size=64)
        strongest = {genres.top_genres(catalog.vectors[r], 1)[0] for r in pet.rows}
        assert main in strongest, (name, pet.accessories(catalog))


def test_all_zero_taste_shows_the_bare_creature_unless_swapped(catalog):
    pet = make_pet(np.zeros(genres.N_GENRES), size=128)
    assert pet.image.size == (128, 128) and pet.rows == (None, None, None)
    hat = catalog.name(int(catalog.slot_rows("Head")[0]))
    assert make_pet(np.zeros(genres.N_GENRES), size=128, swaps={"Head": hat}).accessories(catalog)["Head"] == hat


def _row_bar_lengths(chart, colour) -> list[int]:
    """Per genre row of a chart, how many pixels of ``colour`` it holds (a bar's length, roughly)."""
    pixels = np.asarray(chart)
    mask = np.all(pixels == colour, axis=-1)
    frame_top, frame_bottom = 44, render.CHART_SIZE[1] - 42  # where the plot sits at the default size
    bounds = np.linspace(frame_top, frame_bottom, genres.N_GENRES + 1).round().astype(int)
    return [int(mask[a:b].sum(axis=1).max()) for a, b in itertools.pairwise(bounds)]


def test_chart_bars_follow_the_taste_and_the_chosen_accessories(catalog):
    """The taste's bar is drawn in each genre's own row, as long as its value; each accessory's bar in its slot's
    colour follows that accessory's vector (no matplotlib: the chart is redrawn on every slider move)."""
    vec = genres.from_mapping({"Rock": 1.0, "Jazz": 0.5})
    rows = (None, None, None)
    you = render._blend(render.PALETTE["user"], render.CHART_YOU_ALPHA)
    lengths = _row_bar_lengths(render.taste_chart(vec, catalog, rows), you)
    rock, jazz = genres.GENRES.index("Rock"), genres.GENRES.index("Jazz")
    assert lengths[rock] > 1.9 * lengths[jazz] > 0  # 1 against ½ (the legend's swatch adds a little to a row)
    assert all(n <= 40 for k, n in enumerate(lengths) if k not in (rock, jazz))  # at most the legend's swatch
    head = catalog.slot_rows("Head")[0]
    head_colour = tuple(int(c) for c in render.ImageColor.getrgb(render.PALETTE["Head"]))
    worn = _row_bar_lengths(render.taste_chart(vec, catalog, (head, None, None)), head_colour)
    strongest = int(np.argmax(catalog.vectors[head]))
    assert worn[strongest] == max(worn) > 40


def test_draw_ahead_fills_the_caches_the_pet_is_drawn_from(catalog):
    render._drawn_part.cache_clear()
    render.draw_ahead(catalog, list(creatures().values())[:1], sizes=(64,))
    assert render._drawn_part.cache_info().currsize == len(catalog)
    before = render._drawn_part.cache_info().misses
    rows = make_pet(preset_vector("Raver"), size=64).rows
    after_pet = render._drawn_part.cache_info().misses  # (its card draws the pet at the card's size)
    render.render_pet(catalog, next(iter(creatures().values())), rows, 64)
    assert render._drawn_part.cache_info().misses == after_pet == before + 3  # the 64 px layers: none again
