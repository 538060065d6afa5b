"""The CAROUSEL's gallery of festival backgrounds: the shipped files, the CSV's checks, drawing them again."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from relive.carousel.training import scenes
from relive.carousel.backgrounds import SIZE, Background, get_background, list_backgrounds
from relive.carousel.training.scenes import render_background
from relive.errors import CatalogError, UnknownName


@pytest.fixture(scope="module")
def gallery() -> list[Background]:
    return list_backgrounds()


def test_the_gallery_lists_at_least_eight_distinct_backgrounds(gallery):
    assert len(gallery) >= 8
    slugs = [b.slug for b in gallery]
    assert len(set(slugs)) == len(slugs)
    assert all(b.title and b.path.name == f"{b.slug}.jpg" for b in gallery)


def test_every_background_is_a_landscape_rgb_image_of_the_gallery_size(gallery):
    means = set()
    for background in gallery:
        with Image.open(background.path) as image:
            assert image.mode == "RGB" and image.size == SIZE == (1536, 1024)
            small = np.asarray(image.reduce(16), np.float32)
        assert small.std() > 10  # light, colour and shapes, not a flat fill
        means.add(tuple(np.round(small.mean(axis=(0, 1)) / 4)))
    assert len(means) == len(gallery)  # no two the same picture


def test_feet_positions_are_inside_the_image_on_the_lower_half(gallery):
    for background in gallery:
        x, y = background.foot
        assert 0 < x < 1 and 0.5 < y < 1, background.slug


def test_get_background_by_slug_and_unknown_slugs(gallery):
    assert get_background(gallery[0].slug) == gallery[0]
    with pytest.raises(UnknownName) as err:
        get_background("no-such-festival")
    assert gallery[0].slug in str(err.value) and "no-such-festival" in str(err.value)


def test_the_gallery_is_drawn_by_the_scene_kinds_from_fixed_seeds():
    a = np.asarray(render_background("main_stage", 4, 192, 128))
    again = np.asarray(render_background("main_stage", 4, 192, 128))
    other = np.asarray(render_background("main_stage", 5, 192, 128))
    assert a.shape == (128, 192, 3) and np.array_equal(a, again)
    assert np.abs(a.astype(int) - other).mean() > 3


@pytest.mark.parametrize("kind", sorted(scenes.EXTRA_KINDS))
def test_the_gallery_kinds_render_with_people_too(kind):
    scene = scenes.render_scene(kind, 160, 112, np.random.default_rng(2), n_people=2)
    assert scene.image.shape == (112, 160, 3) and len(scene.people) == 2
    assert all(mask.any() for mask in scene.people)
    assert scene.image.std() > 12


def test_training_kinds_are_unchanged_by_the_gallery_kinds():
    assert list(scenes.KINDS) == ["stage", "sunset_crowd", "food_trucks", "beach_night", "field_tents", "fairground"]
    assert not set(scenes.KINDS) & set(scenes.EXTRA_KINDS)
    with pytest.raises(UnknownName, match="silent_disco"):  # the error lists every kind there is
        scenes.render_scene("nope", 96, 64, np.random.default_rng(0))


HEADER = "slug,title,kind,seed,foot_x,foot_y\n"


@pytest.mark.parametrize("text, expected", [
    ("slug,title,kind,seed,foot_x\n{a},A,stage,1,0.5", "columns foot_y missing"),
    (HEADER + "{a},A,stage,1,0.5,1.4", "foot_y '1.4' must be a number between 0 and 1"),
    (HEADER + "{a},A,stage,1,low,0.9", "foot_x 'low'"),
    (HEADER + "{a},A,stage,1,0.5,0.9\n{a},A again,stage,1,0.5,0.9", "appears twice"),
    (HEADER + "{a},A,stage,one,0.5,0.9", "seed 'one'"),
    (HEADER + "{a},,stage,1,0.5,0.9", "no title"),
    (HEADER + "{a},A,stage,1,0.5,0.9\nlost-stage,Lost,stage,1,0.5,0.9", "line 3: image"),
    (HEADER + "Big Stage,Big,stage,1,0.5,0.9", "lower-case letters"),
    (HEADER, "no backgrounds listed"),
])
def test_a_bad_csv_is_a_catalog_error_naming_the_problem(tmp_path, gallery, text, expected):
    a = gallery[0]
    shutil.copy(a.path, tmp_path / a.path.name)
    (tmp_path / "backgrounds.csv").write_text(text.format(a=a.slug) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="backgrounds.csv") as err:
        list_backgrounds(tmp_path)
    assert expected in str(err.value)


def test_a_missing_csv_says_how_to_make_it(tmp_path):
    with pytest.raises(CatalogError, match="render_backgrounds.py"):
        list_backgrounds(tmp_path)


def test_a_gallery_folder_of_ones_own(tmp_path, gallery):
    for b in gallery[:2]:
        shutil.copy(b.path, tmp_path / b.path.name)
    rows = [f'{b.slug},"{b.title}",stage,1,{b.foot[0]},{b.foot[1]}' for b in gallery[:2]]
    (tmp_path / "backgrounds.csv").write_text(HEADER + "\n\n".join(rows) + "\n", encoding="utf-8")  # blank lines are fine
    mine = list_backgrounds(tmp_path)
    assert [b.slug for b in mine] == [b.slug for b in gallery[:2]] and mine[0].path.parent == tmp_path
    assert get_background(gallery[1].slug, tmp_path).foot == gallery[1].foot


def _render_tool():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tools" / "render_backgrounds.py"
    spec = importlib.util.spec_from_file_location("render_backgrounds", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_gallery_is_what_the_render_tool_draws(gallery):
    tool = _render_tool()
    assert [(b.slug, b.title, b.foot) for b in gallery] == [(s, t, (x, y)) for s, t, _, _, x, y in tool.GALLERY]
    slug, _, kind, seed, *_ = tool.GALLERY[0]
    fresh = np.asarray(render_background(kind, seed, *SIZE).reduce(8), np.float32)  # averaged: no grain, no JPEG blocks
    with Image.open(get_background(slug).path) as shipped:
        assert np.abs(np.asarray(shipped.reduce(8), np.float32) - fresh).mean() < 1.5  # else re-run the render tool
