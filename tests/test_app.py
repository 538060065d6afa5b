"""The app as users reach it: ``python app.py`` on a port, driven through gradio_client."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

from relive import genres
from relive.pet.catalog import creatures

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def _taste(**prefs) -> list[float]:
    return genres.from_mapping(prefs).tolist()


def test_api_lists_pet(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert "/pet" in api["named_endpoints"]


def test_pet_endpoint_returns_pet_chart_card_and_why(client):
    creature = list(creatures())[1]
    image, why, chart, card = client.predict(creature, "auto (best match)", "auto (best match)", "auto (best match)",
                                             *_taste(Reggae=1, Chill=0.6), api_name="/pet")
    pet = Image.open(image)
    assert pet.mode == "RGBA" and pet.size == (1024, 1024)
    assert "Head:" in why and "Face:" in why and "Torso:" in why
    assert Image.open(card).size == (1600, 1000)
    assert Image.open(chart).size[0] > 400


def test_pet_changes_with_taste(client):
    args = [list(creatures())[0]] + ["auto (best match)"] * 3
    rock = client.predict(*args, *_taste(Rock=1, Punk=0.7), api_name="/pet")
    jazz = client.predict(*args, *_taste(Jazz=1, Soul=0.6), api_name="/pet")
    assert rock[1] != jazz[1]
    assert not np.array_equal(np.asarray(Image.open(rock[0])), np.asarray(Image.open(jazz[0])))


def test_bad_input_is_a_friendly_error(client):
    args = [list(creatures())[0]] + ["auto (best match)"] * 3
    with pytest.raises(AppError, match="greater than maximum value 1"):  # Gradio checks the slider range
        client.predict(*args, *([0.5] * 17 + [3.0]), api_name="/pet")
    with pytest.raises(AppError, match="not in the list of choices"):
        client.predict("dragon", *args[1:], *_taste(Rock=1), api_name="/pet")


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    from skimage import data

    path = tmp_path_factory.mktemp("photo") / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


def _avatar_args(photo, consent=True, generator="instant"):
    from gradio_client import handle_file

    return [handle_file(str(photo)), consent, "woman", "adult", "prefer not to say", "comic", generator, 7, False]


@pytest.mark.slow
@pytest.mark.parametrize("generator", ["instant", "tiny"])
def test_avatar_endpoint(client, photo, generator):
    image, info = client.predict(*_avatar_args(photo, generator=generator), api_name="/avatar")
    avatar = Image.open(image)
    assert avatar.mode == "RGBA" and avatar.size == (1024, 1024)
    assert avatar.getpixel((0, 0))[3] == 0  # no backdrop asked: transparent around the person
    expected = "AI-generated" if generator == "tiny" else "no AI image model"
    assert expected in info


def test_avatar_needs_consent_and_a_photo(client, photo):
    with pytest.raises(AppError, match="consent"):
        client.predict(*_avatar_args(photo, consent=False), api_name="/avatar")
    args = _avatar_args(photo)
    args[0] = None
    with pytest.raises(AppError, match="photo"):
        client.predict(*args, api_name="/avatar")


def test_a_file_that_is_not_an_image_is_refused_and_the_app_goes_on(client, tmp_path, photo):
    fake = tmp_path / "holiday.jpg"
    fake.write_bytes(b"this is not a picture")
    with pytest.raises(AppError, match="'holiday.jpg' is not an image relive can read"):
        client.predict(*_avatar_args(fake), api_name="/avatar")
    image, _ = client.predict(*_avatar_args(photo), api_name="/avatar")
    assert Image.open(image).size == (1024, 1024)
