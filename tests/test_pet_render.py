"""Pet images, chart, card and explanation from the shipped art."""

from __future__ import annotations

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
