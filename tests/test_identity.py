"""The face-identity metric: dlib's ResNet embeddings (from ``make models``) tell one person from another.

Real photos: skimage's astronaut (Eileen Collins) and camera man, matplotlib's Grace Hopper. Distances measured
here (dlib's same-person threshold is 0.6): the same photo at another size and slightly cropped stays far below
it; two different people are far above it.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

from relive.backends import identity
from relive.config import settings
from relive.errors import InvalidImage, ModelUnavailable
from relive.avatar.sample_people import real_photos

MODELS = settings().models_dir
needs_models = pytest.mark.skipif(
    not all((MODELS / f).is_file() for f in (identity.DlibIdentity.RECOGNITION, identity.DlibIdentity.LANDMARKS)),
    reason=f"dlib face models missing in {MODELS}; run `make models`")


@pytest.fixture(scope="module")
def photos() -> dict[str, Image.Image]:
    return real_photos()


@needs_models
def test_embedding_is_128_numbers_and_repeatable(photos):
    from relive.backends import faces

    astronaut = photos["astronaut"]
    face = faces.detect(astronaut)[0]
    vector = identity.IDENTITY.session().embed(astronaut, face)
    assert vector.shape == (identity.EMBEDDING_SIZE,) and np.isfinite(vector).all() and vector.std() > 0.01
    assert np.array_equal(vector, identity.IDENTITY.session().embed(astronaut, face))


@needs_models
def test_the_same_person_is_close_at_another_size_and_crop(photos):
    astronaut = photos["astronaut"]
    other = astronaut.crop((40, 20, 480, 460)).resize((900, 900), Image.LANCZOS)
    assert identity.identity_distance(astronaut, other) < 0.3


@needs_models
@pytest.mark.parametrize("first, second", [("astronaut", "grace_hopper"), ("astronaut", "camera"),
                                           ("camera", "grace_hopper")])
def test_different_people_are_far_apart(photos, first, second):
    assert identity.identity_distance(photos[first], photos[second]) > identity.SAME_PERSON


@needs_models
def test_an_avatar_without_a_face_says_which_image(photos):
    with pytest.raises(identity.FaceNotFound, match="no face found in the avatar") as err:
        identity.identity_distance(photos["astronaut"], Image.fromarray(data.coffee()))
    assert isinstance(err.value, InvalidImage)


@needs_models
def test_a_transparent_avatar_is_seen_on_white(photos):
    astronaut = photos["astronaut"].convert("RGBA")
    alpha = np.zeros((512, 512), np.uint8)
    alpha[20:460, 100:380] = 255  # the head and shoulders kept, the rest transparent
    astronaut.putalpha(Image.fromarray(alpha))
    assert identity.identity_distance(photos["astronaut"], astronaut) < 0.3


def test_missing_weights_name_make_models(tmp_path, monkeypatch):
    monkeypatch.setenv("RELIVE_MODELS", str(tmp_path))
    settings.cache_clear()
    try:
        ok, reason = identity.IDENTITY.get("dlib").available()
        assert not ok and "make models" in reason and str(tmp_path) in reason
        with pytest.raises(ModelUnavailable, match="make models"):
            identity.IDENTITY.new_session("dlib")
    finally:
        settings.cache_clear()
