"""The memory album as a library: avatar cut-outs, fusing into gallery backgrounds or uploads, the zip."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageDraw

from relive.carousel import album
from relive.carousel.backgrounds import list_backgrounds
from relive.backends.fusion.model import FusionConfig, build_model
from relive.errors import InvalidImage, InvalidInput, UnknownName


@pytest.fixture(scope="module")
def model():
    return build_model(FusionConfig(work_size=64, widths=(8, 16, 32))).eval()


@pytest.fixture(scope="module")
def avatar() -> Image.Image:
    image = Image.new("RGBA", (200, 400), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((50, 20, 150, 390), fill=(220, 160, 120, 255))
    return image


def test_a_cutout_is_used_as_is_and_a_photo_is_cut_out(avatar):
    assert album.avatar_cutout(avatar) is not None
    assert np.array_equal(np.asarray(album.avatar_cutout(avatar)), np.asarray(avatar))
    cut = album.avatar_cutout(Image.fromarray(skimage.data.astronaut()))
    alpha = np.asarray(cut)[..., 3]
    assert cut.mode == "RGBA" and 0.05 < float((alpha > 127).mean()) < 0.9


def test_a_photo_without_a_person_is_refused():
    with pytest.raises(InvalidImage, match="no person"):
        album.avatar_cutout(Image.new("RGB", (320, 240), (30, 120, 200)))


@pytest.mark.parametrize("feet", [(-0.1, 0.5), (0.5, 1.2), (float("nan"), 0.5)])
def test_relative_feet_outside_zero_one_are_refused(feet):
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        album.feet_pixels((100, 100), feet)


def test_fuse_on_a_gallery_background_uses_its_own_spot(avatar, model):
    background = list_backgrounds()[0]
    page = album.fuse_on(background.slug, avatar, model=model)
    width, height = page.fused.image.size
    assert (page.slug, page.title) == (background.slug, background.title)
    assert (width, height) == Image.open(background.path).size
    assert page.fused.placement.x == pytest.approx(background.foot[0] * width)
    assert page.fused.placement.y == pytest.approx(background.foot[1] * height)


def test_fuse_on_an_uploaded_photo_and_the_preview_agree(avatar, model, tmp_path):
    photo = tmp_path / "festival.jpg"
    Image.fromarray(skimage.data.coffee()).save(photo)
    page = album.fuse_on(str(photo), avatar, feet=(0.3, 0.9), scale=0.5, model=model)
    assert page.slug == "my-photo" and page.fused.placement.x == pytest.approx(0.3 * 600)
    before = album.preview(str(photo), avatar, feet=(0.3, 0.9), scale=0.5)
    assert np.array_equal(np.asarray(before), np.asarray(page.fused.composite))


def test_unknown_backgrounds_and_empty_albums_are_refused(avatar, model):
    with pytest.raises(UnknownName):
        album.fuse_on("no-such-festival", avatar, model=model)
    with pytest.raises(InvalidInput, match="at least one"):
        album.make_album(avatar, [], model=model)


def test_album_zip_holds_one_labelled_jpeg_per_page(avatar, model, tmp_path):
    slugs = [b.slug for b in list_backgrounds()[:2]]
    seen = []
    pages = album.make_album(avatar, slugs, model=model, progress=lambda done, total, title: seen.append(done))
    assert [p.slug for p in pages] == slugs and seen == [1, 2]
    path = album.write_album(pages, tmp_path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names == [f"01-{slugs[0]}.jpg", f"02-{slugs[1]}.jpg"]
        with archive.open(names[0]) as first:
            assert Image.open(first).size == pages[0].fused.image.size


def test_the_label_marks_the_corner_only(avatar):
    plain = Image.new("RGB", (900, 600), (250, 250, 250))
    diff = np.abs(np.asarray(album.labelled(plain), np.int16) - np.asarray(plain, np.int16)).sum(-1) > 0
    rows, cols = np.nonzero(diff)
    assert rows.min() > 500 and cols.min() > 600  # bottom-right corner


def test_a_bust_rises_from_the_bottom_edge_and_a_full_figure_stands_on_the_floor(avatar, model):
    from relive.carousel.fuse import is_bust

    bust = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(bust).ellipse((40, 20, 260, 420), fill=(200, 150, 120, 255))  # cut by the canvas's bottom
    assert is_bust(bust) and not is_bust(avatar)
    assert is_bust(album.avatar_cutout(Image.fromarray(skimage.data.astronaut())))  # a selfie-style cut-out
    background = list_backgrounds()[0]
    height = Image.open(background.path).height
    assert album.fuse_on(background.slug, bust, model=model).fused.placement.y == height
    assert album.fuse_on(background.slug, avatar, model=model).fused.placement.y < height


# --- staging: where people stand in a gallery background ----------------------------------------------------------


def test_a_full_body_cutout_is_as_tall_as_the_crowd_at_its_spot(avatar, model):
    background = list_backgrounds()[0]
    height = Image.open(background.path).height
    placements = [album.fuse_on(background.slug, avatar, model=model, turn=turn).fused.placement
                  for turn in range(len(background.spots))]
    for placement, (x, y) in zip(placements, background.spots):
        assert placement.y == pytest.approx(y * height) and placement.x == pytest.approx(x * Image.open(background.path).width)
        assert placement.height == pytest.approx(background.standing_height(y) * height, abs=1)
    # nearer the camera (lower feet), taller, in proportion to the distance below the horizon
    near, far = max(placements, key=lambda p: p.y), min(placements, key=lambda p: p.y)
    assert near.height > far.height
    assert near.height / far.height == pytest.approx((near.y / height - background.horizon)
                                                     / (far.y / height - background.horizon), rel=0.02)


def test_tapped_feet_on_a_gallery_background_get_the_depth_scale_unless_a_scale_is_given(avatar, model):
    background = list_backgrounds()[1]
    height = Image.open(background.path).height
    near = album.fuse_on(str(background.path), avatar, feet=(0.5, 0.99), model=model).fused.placement
    far = album.fuse_on(str(background.path), avatar, feet=(0.5, background.ground), model=model).fused.placement
    assert near.height == pytest.approx(background.standing_height(0.99) * height, abs=1)
    assert far.height == pytest.approx(background.standing_height(background.ground) * height, abs=1)
    fixed = album.fuse_on(background.slug, avatar, feet=(0.5, 0.99), scale=0.3, model=model).fused.placement
    assert fixed.height == round(0.3 * height)


def test_the_album_moves_the_person_from_spot_to_spot_and_a_bust_from_side_to_side(avatar, model):
    gallery = list_backgrounds()
    slugs = [b.slug for b in gallery[:4]]
    pages = album.make_album(avatar, slugs, model=model)
    for turn, (page, background) in enumerate(zip(pages, gallery)):
        width = page.fused.image.width
        assert page.fused.placement.x == pytest.approx(background.spots[turn % len(background.spots)][0] * width)
    again = album.make_album(avatar, [slugs[0]] * 2, model=model)  # the same scene twice: two different spots
    assert again[0].fused.placement.x != again[1].fused.placement.x
    bust = album.avatar_cutout(Image.fromarray(skimage.data.astronaut()))
    sides = [page.fused.placement.x / page.fused.image.width for page in album.make_album(bust, slugs[:2], model=model)]
    assert sides == pytest.approx(list(album.SELFIE_SIDES))


def _gallery_with_front(tmp_path):
    """The first gallery background on its own, with a front layer that is opaque over the bottom 40 %."""
    import shutil

    from relive.carousel.backgrounds import CSV_NAME, FRONT_SUFFIX

    background = list_backgrounds()[0]
    shutil.copy(background.path, tmp_path / background.path.name)
    lines = (background.path.parent / CSV_NAME).read_text(encoding="utf-8").splitlines()
    (tmp_path / CSV_NAME).write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    width, height = Image.open(background.path).size
    front = np.zeros((height, width, 4), np.uint8)
    front[int(0.6 * height):] = (10, 200, 30, 255)
    Image.fromarray(front, "RGBA").save(tmp_path / f"{background.slug}{FRONT_SUFFIX}", lossless=True)
    return list_backgrounds(tmp_path)[0], front


def test_the_front_layer_covers_a_standing_person_where_it_is_opaque(avatar, model, tmp_path):
    background, front = _gallery_with_front(tmp_path)
    page = album.fuse_on(background, avatar, model=model)
    fused, before = np.asarray(page.fused.image), np.asarray(page.fused.composite)
    opaque = front[..., 3] == 255
    assert np.array_equal(fused[opaque], front[opaque][:, :3]) and np.array_equal(before[opaque], front[opaque][:, :3])
    assert (page.fused.mask[opaque] == 0).all()  # the hidden part is not counted as the person
    assert (page.fused.mask[~opaque] > 0).sum() > 1000  # the rest of them is there, above the crowd
    assert np.array_equal(np.asarray(album.preview(background, avatar)), before)


def test_a_bust_sits_in_front_of_everything_from_the_bottom_edge(model, tmp_path):
    background, front = _gallery_with_front(tmp_path)
    bust = album.avatar_cutout(Image.fromarray(skimage.data.astronaut()))
    page = album.fuse_on(background, bust, model=model)
    width, height = page.fused.image.size
    assert page.fused.placement.y == height and page.fused.placement.x == pytest.approx(album.SELFIE_SIDES[0] * width)
    rows = np.flatnonzero(page.fused.mask.any(axis=1))
    assert rows[-1] == height - 1  # it rises from the bottom edge...
    assert (page.fused.mask[front[..., 3] == 255] > 0).sum() > 1000  # ...and the front row does not hide it


def test_a_standing_person_takes_on_the_scenes_grain(avatar, model):
    from skimage.restoration import estimate_sigma

    background = list_backgrounds()[0]
    page = album.fuse_on(background.slug, avatar, model=model)
    rows, cols = np.nonzero(page.fused.mask == 255)
    centre = slice(int(rows.mean()) - 20, int(rows.mean()) + 20), slice(int(cols.mean()) - 20, int(cols.mean()) + 20)
    assert (page.fused.mask[centre] == 255).all()
    person = np.asarray(page.fused.composite)[centre]
    scene = np.asarray(Image.open(background.path))[centre]
    # the flat-coloured test avatar has no noise of its own (one colour); placed in the scene it has the scene's
    assert len(np.unique(np.asarray(avatar)[100:300, 80:120].reshape(-1, 4), axis=0)) == 1
    grain = estimate_sigma(scene, channel_axis=-1, average_sigmas=True)
    assert grain > 0.5 and estimate_sigma(person, channel_axis=-1, average_sigmas=True) == pytest.approx(grain, rel=0.5)
    assert album.fuse_on(str(background.path), avatar, model=model).fused.placement == page.fused.placement
