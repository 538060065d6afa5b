"""The CAROUSEL's gallery of festival backgrounds: the shipped files, the CSV's checks, drawing them again."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest
from PIL import Image

from relive.carousel.backgrounds import (
    FRONT_SUFFIX,
    SIZE,
    Background,
    find_background,
    get_background,
    list_backgrounds,
)
from relive.carousel.training import scenes
from relive.carousel.training.scenes import FrontRow, render_background, render_layers
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


def test_every_background_is_staged_on_its_floor(gallery):
    for background in gallery:
        assert 0 < background.horizon <= background.ground < 1, background.slug
        assert 2 <= len(background.spots) <= 3 and background.foot == background.spots[0]
        for x, y in background.spots:
            assert 0 < x < 1 and background.ground <= y <= 1, background.slug
        xs = [x for x, _ in background.spots]
        assert max(xs) - min(xs) > 0.15, background.slug  # spots on different sides, not one place thrice


def test_a_standing_person_shrinks_towards_the_horizon(gallery):
    for background in gallery:
        assert background.standing_height(background.horizon) == 0.0
        assert background.standing_height(1.0) == pytest.approx(background.person_height)
        near, far = background.standing_height(0.95), background.standing_height(background.ground)
        assert near > far, background.slug
        # linear in the feet's distance below the horizon: twice as far below, twice as tall
        middle = (background.horizon + 1.0) / 2
        assert background.standing_height(middle) == pytest.approx(background.person_height / 2)


def test_every_background_has_a_front_layer_that_covers_only_the_front_row(gallery):
    for background in gallery:
        assert background.front is not None and background.front.name == f"{background.slug}{FRONT_SUFFIX}"
        with Image.open(background.front) as front, Image.open(background.path) as picture:
            assert front.mode == "RGBA" and front.size == picture.size
            layer, full = np.asarray(front).astype(int), np.asarray(picture).astype(int)
        alpha = layer[..., 3]
        rows = np.flatnonzero((alpha > 0).any(axis=1))
        assert 0.01 < (alpha > 127).mean() < 0.4, background.slug  # a row of people, not the whole picture
        assert rows[0] > 0.5 * alpha.shape[0], background.slug  # along the bottom, below the horizon
        solid = alpha == 255  # where it is opaque the layer is the picture's own pixels (JPEG aside)
        assert np.abs(layer[solid][:, :3] - full[solid]).mean() < 6, background.slug


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


HEADER = "slug,title,kind,seed,horizon,ground,person_height,spots\n"
GOOD = "0.5,0.7,0.6,0.3:0.9 0.7:0.95"


@pytest.mark.parametrize("text, expected", [
    ("slug,title,kind,seed,foot_x,foot_y\n{a},A,stage,1,0.5,0.9", "columns horizon, ground, person_height, spots missing"),
    (HEADER + "{a},A,stage,1,0.5,0.7,0.6,0.3:1.4 0.7:0.9", "spot '0.3:1.4' must have x and y between 0 and 1"),
    (HEADER + "{a},A,stage,1,0.5,0.7,0.6,0.3:0.9", "must name 2 or 3 places"),
    (HEADER + "{a},A,stage,1,0.5,0.7,0.6,0.1:0.9 0.3:0.9 0.5:0.9 0.7:0.9", "must name 2 or 3 places"),
    (HEADER + "{a},A,stage,1,0.5,0.7,0.6,0.3/0.9 0.7:0.9", "spot '0.3/0.9' is not x:y"),
    (HEADER + "{a},A,stage,1,0.5,0.7,0.6,0.3:0.6 0.7:0.9", "above the ground line 0.7"),
    (HEADER + "{a},A,stage,1,0.8,0.7,0.6,0.3:0.9 0.7:0.9", "ground 0.7 lies above the horizon 0.8"),
    (HEADER + "{a},A,stage,1,low,0.7,0.6,0.3:0.9 0.7:0.9", "horizon 'low'"),
    (HEADER + "{a},A,stage,1,0.5,0.7,0,0.3:0.9 0.7:0.9", "person_height '0' must be a number between 0 and 3"),
    (HEADER + "{a},A,stage,1,0.5,0.7,9,0.3:0.9 0.7:0.9", "person_height '9'"),
    (HEADER + "{a},A,stage,1," + GOOD + "\n{a},A again,stage,1," + GOOD, "appears twice"),
    (HEADER + "{a},A,stage,one," + GOOD, "seed 'one'"),
    (HEADER + "{a},,stage,1," + GOOD, "no title"),
    (HEADER + "{a},A,stage,1," + GOOD + "\nlost-stage,Lost,stage,1," + GOOD, "line 3: image"),
    (HEADER + "Big Stage,Big,stage,1," + GOOD, "lower-case letters"),
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
    rows = [f'{b.slug},"{b.title}",stage,1,{b.horizon},{b.ground},{b.person_height},'
            + " ".join(f"{x}:{y}" for x, y in b.spots) for b in gallery[:2]]
    (tmp_path / "backgrounds.csv").write_text(HEADER + "\n\n".join(rows) + "\n", encoding="utf-8")  # blank lines are fine
    mine = list_backgrounds(tmp_path)
    assert [b.slug for b in mine] == [b.slug for b in gallery[:2]] and mine[0].path.parent == tmp_path
    assert get_background(gallery[1].slug, tmp_path).spots == gallery[1].spots
    assert mine[0].front is None  # no front layer copied: the background still works, without layers
    assert find_background(mine[1].path, tmp_path) == mine[1]
    assert find_background(gallery[3].path, tmp_path) is None  # a shipped background not in this gallery


def test_a_gallery_image_is_found_as_its_background_even_as_a_copy(gallery, tmp_path):
    assert find_background(str(gallery[2].path)) == gallery[2]
    copy = tmp_path / "upload-cache" / "main.jpg"  # the UI hands a chosen tile on as a cached copy
    copy.parent.mkdir()
    shutil.copy(gallery[2].path, copy)
    assert find_background(copy) == gallery[2]
    with Image.open(gallery[2].path) as image:
        image.save(tmp_path / "mine.jpg", quality=80)  # someone's own photo of it: an upload, no staging
    assert find_background(tmp_path / "mine.jpg") is None and find_background(gallery[2].front) is None
    assert find_background(tmp_path / "gone.jpg") is None


def _render_tool():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tools" / "render_backgrounds.py"
    spec = importlib.util.spec_from_file_location("render_backgrounds", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # draws a full-size scene with its front row
def test_the_shipped_gallery_is_what_the_render_tool_draws(gallery):
    tool = _render_tool()
    assert [(b.slug, b.title, b.horizon, b.ground, b.person_height, b.spots) for b in gallery] == [
        (e.slug, e.title, e.horizon, e.ground, e.person_height, e.spots) for e in tool.GALLERY]
    entry = tool.GALLERY[0]
    picture, front = render_layers(entry.kind, entry.seed, *SIZE, entry.front)
    fresh = np.asarray(picture.reduce(8), np.float32)  # averaged: no grain, no JPEG blocks
    with Image.open(get_background(entry.slug).path) as shipped:
        assert np.abs(np.asarray(shipped.reduce(8), np.float32) - fresh).mean() < 1.5  # else re-run the render tool
    with Image.open(get_background(entry.slug).front) as shipped:
        assert np.array_equal(np.asarray(shipped)[..., 3], np.asarray(front)[..., 3])


def test_the_front_row_is_a_layer_over_the_unchanged_scene():
    row = FrontRow(head_y=0.8, head_r=0.06, density=1.5)
    plain = np.asarray(render_background("silent_disco", 1, 192, 128)).astype(int)
    picture, front = render_layers("silent_disco", 1, 192, 128, row)
    alpha = np.asarray(front)[..., 3]
    assert render_layers("silent_disco", 1, 192, 128)[1] is None
    reach = row.head_y - 6 * row.head_r  # a raised hand with a phone reaches about five head radii up
    assert (alpha == 255).mean() > 0.1 and (alpha[: int(reach * 128)] == 0).all()  # people along the bottom only
    # behind the front row the picture is the scene as it was (the front row draws from its own random stream); only
    # the soft glow of lights next to the people changes a little
    behind = np.abs(np.asarray(picture).astype(int) - plain)[alpha == 0]
    assert behind.mean() < 0.3 and np.percentile(behind, 99) <= 2
    assert np.abs(np.asarray(picture).astype(int) - plain)[alpha == 255].mean() > 10  # and people are really there
