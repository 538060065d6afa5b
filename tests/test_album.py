"""The memory album as a library: avatar cut-outs, fusing into gallery backgrounds or uploads, the zip."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageDraw

from relive.carousel import album
from relive.carousel.backgrounds import list_backgrounds
from relive.carousel.model import FusionConfig, build_model
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
