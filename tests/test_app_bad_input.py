"""Bad input through the web endpoints (/avatar, /fuse, /album, /pet): one clear message each, naming the file
by its own name (never the server's folders), and the app goes on serving."""

from __future__ import annotations

import io

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from helpers import save_test_avatar
from PIL import Image

from relive.carousel.backgrounds import list_backgrounds
from relive.pet.catalog import creatures

pytestmark = pytest.mark.server


def _text(path):
    path.write_text("not an image")


def _truncated(path):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 30, 30)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue()[:200])


def _animated(path):
    frames = [Image.new("RGB", (64, 64), (60 * i, 0, 0)) for i in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:])


def _huge(path):
    Image.new("L", (20000, 20000)).save(path)  # 400 megapixels of zeros: a small file, a decompression bomb


BAD_FILES = {  # name → (writer, what the message must say)
    "holiday.jpg": (_text, "not an image relive can read"),
    "cut.png": (_truncated, "truncated or corrupt"),
    "dance.gif": (_animated, "animated"),
    "bomb.png": (_huge, "pixel limit"),
}


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    for name, (write, _) in BAD_FILES.items():
        write(folder / name)
    save_test_avatar(folder / "avatar.png")
    return folder


def _fails_clearly(call, expected: str, name: str) -> None:
    with pytest.raises(AppError) as err:
        call()
    message = str(err.value)
    assert expected in message and f"'{name}'" in message, message
    assert "gradio" not in message.lower() and "/tmp" not in message  # no server paths, no framework talk


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_on_every_image_input(client, files, name):
    expected = BAD_FILES[name][1]
    bad, avatar = handle_file(str(files / name)), handle_file(str(files / "avatar.png"))
    background = handle_file(str(list_backgrounds()[0].path))
    _fails_clearly(lambda: client.predict(bad, True, "woman", "adult", "prefer not to say", "comic", "instant", 1,
                                          False, api_name="/avatar"), expected, name)
    _fails_clearly(lambda: client.predict(bad, background, 0.5, 0.9, 0.6, True, api_name="/fuse"), expected, name)
    _fails_clearly(lambda: client.predict(avatar, bad, 0.5, 0.9, 0.6, True, api_name="/fuse"), expected, name)
    _fails_clearly(lambda: client.predict(bad, [list_backgrounds()[0].slug], True, api_name="/album"),
                   expected, name)


def test_out_of_range_values_are_refused_and_the_app_goes_on(client, files):
    avatar, background = handle_file(str(files / "avatar.png")), handle_file(str(list_backgrounds()[0].path))
    with pytest.raises(AppError, match="greater than maximum value 1"):  # Gradio's slider check, before relive
        client.predict(avatar, background, 1.5, 0.9, 0.6, True, api_name="/fuse")
    with pytest.raises(AppError, match="no-such-festival"):
        client.predict(avatar, ["no-such-festival"], True, api_name="/album")
    pet_choices = (next(iter(creatures())), "auto (best match)", "auto (best match)", "auto (best match)")
    with pytest.raises(ValueError, match="not JSON compliant"):  # NaN cannot even travel as JSON
        client.predict(*pet_choices, *([float("nan")] + [0.0] * 17), api_name="/pet")
    with pytest.raises(AppError, match="greater than maximum value 1"):  # Gradio's slider check, before relive
        client.predict(*pet_choices, *([1.5] + [0.0] * 17), api_name="/pet")
    (before, after), _ = client.predict(avatar, background, 0.5, 0.9, 0.6, True, api_name="/fuse")
    assert Image.open(after).size == Image.open(list_backgrounds()[0].path).size
