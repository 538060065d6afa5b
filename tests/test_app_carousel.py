"""The Carousel endpoints as clients reach them: ``/fuse`` (before/after) and ``/album`` (gallery + zip)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from relive.carousel.backgrounds import list_backgrounds

from helpers import save_test_avatar

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def avatar(tmp_path_factory):
    return save_test_avatar(tmp_path_factory.mktemp("avatar") / "avatar.png")


def test_fuse_returns_before_and_after_at_the_background_size(client, avatar):
    background = list_backgrounds()[0]
    (before, after), info = client.predict(handle_file(str(avatar)), handle_file(str(background.path)), 0.4, 0.9,
                                           0.5, True, api_name="/fuse")
    before, after = Image.open(before), Image.open(after)
    assert before.size == after.size == Image.open(background.path).size
    assert "AI-edited" in info
    # the avatar's feet went where asked: its box ends near 90 % of the height around 40 % of the width
    diff = np.abs(np.asarray(before.convert("RGB"), np.int16) - np.asarray(Image.open(background.path).convert("RGB"),
                                                                           np.int16)).sum(-1) > 30
    rows, cols = np.nonzero(diff)
    assert abs(cols.mean() / before.width - 0.4) < 0.05


def test_fuse_without_an_avatar_says_what_to_do_and_without_a_background_uses_the_first_festival(client, avatar):
    background = list_backgrounds()[0]
    with pytest.raises(AppError, match="Avatar tab"):
        client.predict(None, handle_file(str(background.path)), 0.5, 0.9, 0.6, True, api_name="/fuse")
    (_, after), _ = client.predict(handle_file(str(avatar)), None, 0.5, 0.9, 0.6, True, api_name="/fuse")
    assert Image.open(after).size == Image.open(background.path).size  # the festival chosen from the start


def test_album_fuses_every_chosen_background_and_zips_them(client, avatar):
    slugs = [b.slug for b in list_backgrounds()[:3]]
    gallery, zip_path = client.predict(handle_file(str(avatar)), slugs, True, api_name="/album")
    assert [item["caption"] for item in gallery] == [b.title for b in list_backgrounds()[:3]]
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.namelist() == [f"{i:02d}-{slug}.jpg" for i, slug in enumerate(slugs, 1)]


def test_an_album_with_no_background_is_refused(client, avatar):
    with pytest.raises(AppError, match="at least one"):
        client.predict(handle_file(str(avatar)), [], True, api_name="/album")
