"""make_avatar end to end: the instant filter and the tiny SDXL pair on a real photo, and every kind of bad input."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from relive import genres
from relive.avatar.pipeline import AVATAR_SIZE, make_avatar
from relive.config import settings
from relive.errors import InvalidGenres, InvalidImage, ModelUnavailable, UnknownName

MODELS = settings().models_dir
pytestmark = pytest.mark.skipif(
    not (MODELS / "selfie_segmentation.tflite").is_file() or not (MODELS / "face_detection_short_range.tflite").is_file(),
    reason=f"MediaPipe models missing in {MODELS}; run `make models`")

TASTE = genres.parse("Reggae=1,Jazz=0.6")


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())  # 512×512, public domain


def test_instant_avatar_on_its_backdrop(astronaut):
    result = make_avatar(astronaut.resize((1024, 1024)), TASTE, generator="instant", seed=1)
    assert result.image.mode == "RGBA" and result.image.size == (AVATAR_SIZE, AVATAR_SIZE)
    assert np.asarray(result.image)[..., 3].min() == 255  # the backdrop is opaque
    assert result.generator == "instant" and not result.is_diffusion and result.prompt is None
    assert result.notices == []
    assert set(result.timings) == {"crop", "prompt", "background removal", "generate", "backdrop"}


def test_cutout_keeps_the_person_and_drops_the_background(astronaut):
    result = make_avatar(astronaut, TASTE, generator="instant", backdrop=False)
    for image in (result.cutout, result.image):  # the plain cut-out and the sticker
        alpha = np.asarray(image)[..., 3]
        assert alpha[:40, :40].max() == 0 and alpha[:40, -40:].max() == 0  # studio wall, cut away
        assert alpha[440:500, 480:540].min() == 255  # the middle of her face in the face-centred crop


def test_nobody_in_the_photo_gives_a_badge_and_says_so():
    result = make_avatar(Image.new("RGB", (640, 480), (128, 128, 128)), TASTE, generator="instant", backdrop=False)
    assert any("No face found" in n for n in result.notices) and any("badge" in n for n in result.notices)
    alpha = np.asarray(result.cutout)[..., 3]
    assert alpha[512, 512] == 255 and alpha[0, 0] == 0


@pytest.mark.slow  # 7.1 s of CPU (measured per test: process + children CPU time, which load does not inflate)
def test_tiny_runs_the_real_two_stage_diffusers_path(astronaut):
    steps = []
    result = make_avatar(astronaut, TASTE, generator="tiny", seed=3, progress=lambda *a: steps.append(a))
    again = make_avatar(astronaut, TASTE, generator="tiny", seed=3)
    other = make_avatar(astronaut, TASTE, generator="tiny", seed=4)
    assert result.is_diffusion and result.image.size == (AVATAR_SIZE, AVATAR_SIZE)
    assert result.prompt is not None and "Reggae" in result.prompt.positive
    assert [s[2] for s in steps] == ["base", "base", "refiner"]
    assert np.array_equal(np.asarray(result.cutout), np.asarray(again.cutout))
    assert not np.array_equal(np.asarray(result.cutout), np.asarray(other.cutout))


def test_prefer_not_to_say_keeps_the_person_out_of_the_prompt(astronaut):
    result = make_avatar(astronaut, TASTE, generator="tiny",
                         choices={"gender": "prefer not to say", "age_group": "prefer not to say"})
    assert "woman" not in result.prompt.positive and "adult" not in result.prompt.positive
    assert "person" in result.prompt.positive


def _bytes(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("photo, message", [
    (b"GIF89a not really", "not an image"),
    (Image.new("RGB", (1, 1)), "at least 64"),
    (_bytes(Image.fromarray(data.astronaut()), "JPEG")[:5000], "truncated or corrupt"),
], ids=["not-an-image", "1x1", "truncated-jpeg"])
def test_bad_photos_are_clear_errors(photo, message):
    with pytest.raises(InvalidImage, match=message):
        make_avatar(photo, TASTE, generator="instant")


def test_a_20000_pixel_photo_is_refused_before_it_is_decoded(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("1", (20_000, 20_000)).save(path)  # 400 Mpx, a tiny file
    with pytest.raises(InvalidImage, match="pixel limit"):
        make_avatar(path, TASTE, generator="instant")


def test_animated_gif_is_refused():
    frames = [Image.new("RGB", (128, 128), c) for c in ("red", "blue")]
    gif = _bytes(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(InvalidImage, match="animated"):
        make_avatar(gif, TASTE, generator="instant")


def test_odd_modes_are_converted(astronaut):
    for mode in ("CMYK", "L", "P"):
        result = make_avatar(astronaut.convert(mode), TASTE, generator="instant", backdrop=False)
        assert result.cutout.size == (AVATAR_SIZE, AVATAR_SIZE)


def test_bad_taste_and_names(astronaut):
    bad = TASTE.copy()
    bad[0] = np.nan
    with pytest.raises(InvalidGenres, match="Comedy=nan"):
        make_avatar(astronaut, bad, generator="instant")
    with pytest.raises(UnknownName, match="instant"):
        make_avatar(astronaut, TASTE, generator="dall-e")
    with pytest.raises(UnknownName, match="anime"):
        make_avatar(astronaut, TASTE, generator="tiny", style="baroque")


def test_sdxl_without_weights_names_the_fix(astronaut, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache, wherever this runs
    with pytest.raises(ModelUnavailable, match="RELIVE_SDXL_BASE|hf download"):
        make_avatar(astronaut, TASTE, generator="sdxl")
