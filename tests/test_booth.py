"""The booth, polished (issue 13): what a visitor met in a full walk-through, checked without a browser here and
in Debian's Chromium in ``test_booth_browser.py``."""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from helpers import raise_through_friendly
from PIL import Image

from relive import genres
from relive.carousel.backgrounds import list_backgrounds
from relive.errors import InvalidImage
from relive.pet.catalog import creatures
from relive.pet.souvenir import make_pet
from relive.ui import i18n

ENGLISH_WORDS = re.compile(r"\b(match|all about|you love|nothing, as you asked|Your taste|My festival pet|into)\b")


# ---------------------------------------------------------------- 1 · server-made text in the visitor's language

@pytest.mark.parametrize("lang", ["ca", "es"])
def test_the_pets_explanation_chart_and_card_speak_the_visitors_language(lang):
    taste = genres.from_mapping({"Reggae": 1, "Jazz": 0.6})
    pet = make_pet(taste, creature=next(iter(creatures())), words=i18n.words(lang))
    english = make_pet(taste, creature=next(iter(creatures())))
    assert len(pet.explanation) == 3
    for line in pet.explanation:
        assert not ENGLISH_WORDS.search(line), line
    assert i18n.text("genre.Reggae", lang) in " ".join(pet.explanation)  # genre names translated too
    assert any("match" in line for line in english.explanation)  # the default stays English (CLI, API)
    assert not np.array_equal(np.asarray(pet.card), np.asarray(english.card))  # the card's words differ
    assert not np.array_equal(np.asarray(pet.chart), np.asarray(english.chart))


def test_an_untouched_pet_says_nothing_odd():
    pet = make_pet(np.zeros(genres.N_GENRES))
    assert pet.explanation == []  # no "Head: nothing, as you asked": nobody asked anything yet
    swapped = make_pet(genres.from_mapping({"Rock": 1}), swaps={"Head": "nothing"})
    assert swapped.explanation[0] == "Head: nothing, as you asked"  # a real choice still says so


def test_the_pet_tab_says_move_a_slider_in_the_visitors_language():
    from relive.ui.pet_tab import pet

    form = SimpleNamespace(creature=next(iter(creatures())), swaps={"Head": "auto (best match)",
                           "Face": "auto (best match)", "Torso": "auto (best match)"},
                           taste=[0.0] * genres.N_GENRES, lang="es")
    _, text, *_ = pet(form)
    assert text.strip() == i18n.text("pet.move_slider", "es")


@pytest.mark.parametrize("lang", ["ca", "es"])
def test_the_handlers_own_errors_speak_the_visitors_language(lang):
    from relive.ui.avatar_tab import avatar

    form = SimpleNamespace(photo=None, consent=False, lang=lang)
    with pytest.raises(gr.Error) as err:
        avatar(form)
    assert err.value.message == i18n.text("error.consent", lang)
    assert err.value.title == i18n.text("error.title", lang)


# ---------------------------------------------------------------- 8 · logs: nothing about the person

def test_a_visitors_mistake_is_one_log_line_without_file_name(caplog):
    error, records = raise_through_friendly(
        InvalidImage("'visitor-selfie-4711.jpg' is not an image relive can read; upload a JPEG or PNG"), "en", caplog)
    assert "visitor-selfie-4711.jpg" in error.message  # the visitor is told which file …
    assert error.print_exception is False  # … and Gradio prints no traceback for it
    assert len(records) == 1 and records[0].exc_info is None
    logged = records[0].getMessage()
    assert "\n" not in logged and "visitor-selfie" not in logged and "InvalidImage" in logged


def test_an_unexpected_error_keeps_its_traceback_but_no_personal_data(caplog):
    from relive.ui.common import friendly

    @friendly
    def handler(form):
        raise OSError("cannot read /tmp/gradio/3f2a/visitor-selfie-4711.jpg or party.ZIP")

    with caplog.at_level(logging.INFO, logger="relive.ui"), pytest.raises(gr.Error) as err:
        handler(SimpleNamespace(lang="ca"))
    assert err.value.message == i18n.text("error.unexpected", "ca") and err.value.print_exception is False
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "relive.ui")
    assert "Traceback (most recent call last)" in logged and "OSError" in logged and "test_booth.py" in logged
    assert "visitor-selfie" not in logged and "party" not in logged and "/tmp/gradio" not in logged


# ---------------------------------------------------------------- 3 · the QR never leads to 127.0.0.1

def _request(host: str):
    return SimpleNamespace(headers={"host": host}, url=SimpleNamespace(scheme="http", netloc=host))


def test_the_qr_uses_the_lan_address_when_the_server_listens_on_it(monkeypatch):
    from relive.config import settings
    from relive.ui import souvenirs

    monkeypatch.delenv("RELIVE_PUBLIC_URL", raising=False)
    settings.cache_clear()
    monkeypatch.setattr(souvenirs, "lan_address", lambda: "192.168.1.20")
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    assert souvenirs.base_url(_request("127.0.0.1:7861")) == "http://192.168.1.20:7861"
    assert souvenirs.base_url(_request("localhost:7861")) == "http://192.168.1.20:7861"
    assert souvenirs.base_url(_request("kiosk.local:7861")) == "http://kiosk.local:7861"  # a name phones use
    monkeypatch.setenv("GRADIO_SERVER_NAME", "127.0.0.1")  # only this machine is served: no LAN address helps
    assert souvenirs.base_url(_request("127.0.0.1:7861")) == "http://127.0.0.1:7861"
    assert not souvenirs.reachable_from_phones("http://127.0.0.1:7861")
    assert not souvenirs.reachable_from_phones("http://[::1]:7861")
    assert souvenirs.reachable_from_phones("http://192.168.1.20:7861")
    settings.cache_clear()


def test_a_kiosk_no_phone_can_reach_shows_the_staff_a_banner_not_a_qr(tmp_path, monkeypatch):
    from relive.config import settings
    from relive.ui import downloads
    from relive.ui.carousel_tab import show_qr

    monkeypatch.setenv("RELIVE_TMP", str(tmp_path))
    monkeypatch.delenv("RELIVE_PUBLIC_URL", raising=False)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "127.0.0.1")
    settings.cache_clear()
    request = SimpleNamespace(session_hash="visitor-1", **vars(_request("127.0.0.1:7861")))
    downloads.session_folder(request)
    try:
        _, qr, text = show_qr(True, "es", request)
        assert qr is None and "RELIVE_PUBLIC_URL" in text and text.startswith("**Para el personal:**")
        _, qr, text = show_qr(False, "es", request)  # in a browser the link itself still works on this machine
        assert isinstance(qr, Image.Image) and "http://127.0.0.1:7861/souvenirs/" in text
        monkeypatch.setenv("RELIVE_PUBLIC_URL", "http://192.168.1.20:7861")
        settings.cache_clear()
        _, qr, text = show_qr(True, "es", request)
        assert isinstance(qr, Image.Image) and "http://192.168.1.20:7861/souvenirs/" in text
    finally:
        downloads.forget_session(request)
        settings.cache_clear()


# ---------------------------------------------------------------- 4 · the take-home page

def test_the_phone_page_previews_each_picture_with_its_own_save_and_the_zip_as_an_option(tmp_path):
    from relive.carousel.album import AlbumPage
    from relive.ui import souvenirs

    class Fused:
        image = Image.new("RGB", (64, 48), (200, 30, 90))

    background = list_backgrounds()[1]
    pages = [AlbumPage(background.slug, background.title, Fused())]
    card, portrait = Image.new("RGB", (160, 100), "white"), Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    zip_path = souvenirs.write_takeaway(tmp_path, pages, pet_card=card, portrait=portrait)
    files = souvenirs.shared_files(tmp_path)
    assert [f.name for f in files] == [f"01-{background.slug}.jpg", "avatar.png", "pet-card.png", zip_path.name]
    html = souvenirs.page_html("s-token", files, "ca")
    previews = re.findall(r'<img src="s-token/([^"]+)"', html)
    saves = re.findall(r'<a class="file[^"]*" href="s-token/([^"]+)" download=', html)
    assert previews == [f.name for f in files[:3]]  # every picture shown …
    assert saves == [f.name for f in files]  # … each with its own save, the zip as one more
    assert i18n.text(f"bg.{background.slug}", "ca") in html and "La targeta de la meva mascota" in html
    assert "Tot en un zip" in html


def test_what_the_photo_suggests_is_said_in_the_visitors_language():
    from relive.backends.attributes import Attributes

    seen = Attributes(gender="woman", age_group="adult", age=33.4, confidence={"gender": 0.87}, source="test")
    assert seen.summary() == ("suggested from your photo: woman, adult; change anything that is wrong")  # English
    catalan = seen.summary(i18n.words("ca"))
    assert catalan == (f"suggerit per la teva foto: {i18n.text('attr.woman', 'ca')}, {i18n.text('attr.adult', 'ca')}; "
                       "canvia el que no sigui correcte")
    assert "87" not in catalan and "33" not in catalan  # never a score or an age in years