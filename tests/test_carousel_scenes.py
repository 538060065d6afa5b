"""The booth's real inputs: the example avatar fused into every shipped scene takes on the scene's light.

Per scene: the fused person's colour moves toward the scene's light, and the person never ends duller than
copy-paste unless the scene is (relive.carousel.training.metrics.light_problems). The light-response measure
itself is checked on pictures whose answer is known.
"""

import numpy as np
import pytest

from relive.carousel.backgrounds import list_backgrounds
from relive.carousel.training.metrics import fused_light_response, light_problems, light_response
from tests.helpers import ROOT

AVATAR = ROOT / "assets" / "examples" / "avatar-astronaut.png"
# Scenes where the shipped checkpoint still fails the check (measured: it greys the avatar, chroma 23 -> 13-19, and
# in four scenes moves it away from the light; see checkpoints/README.md). Strict: a model that passes one of them
# turns its xfail into a failure, so this list must shrink with every better checkpoint.
FAILS_WITH_SHIPPED_MODEL = {"main-stage", "sunset-crowd", "festival-gate", "silent-disco", "fairground",
                            "food-trucks", "campsite-dawn", "beach-night", "tent-field"}
KNOWN_FAILURE = pytest.mark.xfail(strict=True, reason="the shipped checkpoint greys people in colourful scenes "
                                                      "(issue 11); retrain with --scene-light")


def _scene_cases():
    return [pytest.param(b, id=b.slug, marks=[KNOWN_FAILURE] if b.slug in FAILS_WITH_SHIPPED_MODEL else [])
            for b in list_backgrounds()]


@pytest.mark.slow
@pytest.mark.parametrize("background", _scene_cases())
def test_the_example_avatar_takes_on_every_shipped_scenes_light(background, one_torch_thread):
    _, response = fused_light_response(background, AVATAR)
    assert light_problems(response) == [], f"{background.slug}: {response}"


def _person_on(scene_colour, person_colour, size=64):
    scene = np.full((size, size, 3), scene_colour, np.uint8)
    person = scene.copy()
    mask = np.zeros((size, size), np.uint8)
    mask[16:48, 24:40] = 255
    person[mask > 0] = person_colour
    return scene, person, mask


def test_light_response_sees_a_person_taking_on_a_purple_light():
    scene, before, mask = _person_on((90, 30, 160), (200, 150, 120))
    after = before.copy()
    after[mask > 0] = (150, 90, 160)  # tinted toward the scene's purple
    response = light_response(scene, before, after, mask)
    assert response["toward"] > 10 and light_problems(response) == []


def test_light_problems_catch_greying_in_a_colourful_scene_and_excuse_a_dull_one():
    scene, before, mask = _person_on((90, 30, 160), (220, 80, 60))
    greyed = before.copy()
    greyed[mask > 0] = (130, 120, 120)
    problems = light_problems(light_response(scene, before, greyed, mask))
    assert any("duller than copy-paste" in p for p in problems)
    dull_scene, before, mask = _person_on((120, 120, 125), (220, 80, 60))
    greyed = before.copy()
    greyed[mask > 0] = (170, 120, 110)  # toward the grey scene, less colourful: what a dull scene asks for
    assert light_problems(light_response(dull_scene, before, greyed, mask)) == []


def test_light_problems_catch_moving_away_from_the_light():
    scene, before, mask = _person_on((40, 60, 200), (150, 140, 130))
    away = before.copy()
    away[mask > 0] = (200, 140, 80)  # warmer in a blue scene
    assert any("away from the scene's light" in p for p in light_problems(light_response(scene, before, away, mask)))
