"""The app as users reach it: ``python app.py`` on a port, driven through gradio_client."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import Client
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
    with pytest.raises(Exception, match="greater than maximum value 1"):  # Gradio checks the slider range
        client.predict(*args, *([0.5] * 17 + [3.0]), api_name="/pet")
    with pytest.raises(Exception, match="not in the list of choices"):
        client.predict("dragon", *args[1:], *_taste(Rock=1), api_name="/pet")
