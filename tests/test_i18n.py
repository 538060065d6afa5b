"""English, Catalan and Spanish: complete tables, and the browser's language (or the header's buttons) deciding."""

from __future__ import annotations

import re
import string

import pytest

from relive.ui import i18n


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_text_with_the_same_placeholders():
    english = i18n.TEXT["en"]
    assert set(i18n.TEXT) == set(i18n.LANGUAGES) == {"en", "ca", "es"}
    for lang, table in i18n.TEXT.items():
        assert set(table) == set(english), (lang, set(english) ^ set(table))
        for key, value in table.items():
            assert value.strip(), (lang, key)
            assert _fields(value) == _fields(english[key]), (lang, key)
            assert value.count("**") % 2 == 0, (lang, key)
    # a translation that is just the English text is fine for names (Rock, Jazz…), not for sentences
    for lang in ("ca", "es"):
        same = [k for k in english if i18n.TEXT[lang][k] == english[k] and len(english[k].split()) > 3]
        assert not same, (lang, same)


def test_the_names_the_library_shows_all_have_texts():
    from relive import genres
    from relive.backends import attributes
    from relive.backends.generators import GENERATORS
    from relive.avatar.prompt import style_choices
    from relive.carousel.backgrounds import list_backgrounds
    from relive.pet.catalog import SLOTS, creatures
    from relive.pet.presets import PRESETS
    from relive.ui.pet_tab import SLIDER_GROUPS

    names = {
        "genre": genres.GENRES, "creature": list(creatures()), "preset": list(PRESETS), "slot": SLOTS,
        "group": list(SLIDER_GROUPS), "attr": [v for values in attributes.choices().values() for v in values],
        "style": [name for _, name in style_choices()], "gen": [name for _, name in GENERATORS.choices(True)],
        "field": list(attributes.choices()), "bg": [b.slug for b in list_backgrounds()],
    }
    missing = [f"{prefix}.{name}" for prefix, values in names.items() for name in values
               if not i18n.has(f"{prefix}.{name}")]
    assert not missing
    # the English text of a library name is the name itself (the UI shows the same words as the API and CLI)
    for prefix in ("genre", "creature", "preset", "slot", "attr"):
        for name in names[prefix]:
            assert i18n.text(f"{prefix}.{name}").strip("*") == name
    for background in list_backgrounds():
        assert i18n.text(f"bg.{background.slug}") == background.title
    for label, name in [*GENERATORS.choices(True), *style_choices()]:  # English = the library's own label
        assert label in (i18n.text(f"gen.{name}", "en") if i18n.has(f"gen.{name}") else None,
                         i18n.text(f"style.{name}", "en") if i18n.has(f"style.{name}") else None), name


def test_unknown_keys_fail_early_and_unknown_names_stay_as_they_are():
    with pytest.raises(KeyError, match="relive/ui/i18n.py"):
        i18n.t("no.such.key")
    assert i18n.choice("creature", "Zed the zebra") == "Zed the zebra"
    assert i18n.choices("gen", [("Brand new model", "brand-new")]) == [("Brand new model", "brand-new")]


@pytest.mark.parametrize(("header", "lang"), [
    ("ca-ES,ca;q=0.9,en;q=0.8", "ca"), ("es-ES", "es"), ("fr-FR,fr;q=0.9", "en"), ("", "en"), (None, "en"),
    ("de;q=1.0, es;q=0.5, ca;q=0.7", "ca"), ("en-GB,en;q=0.9", "en"), ("es;q=abc, ca", "ca"),
])
def test_the_phone_page_speaks_the_phones_language(header, lang):
    assert i18n.pick_language(header) == lang


def test_translations_for_gradio_fill_in_the_retention_window():
    tables = i18n.build_i18n(10).translations_dict
    assert set(tables) == {"en", "ca", "es"}
    assert "**10 minutes**" in tables["en"]["privacy.body"] and "**10 minuts**" in tables["ca"]["privacy.body"]
    assert not any("{minutes}" in value for table in tables.values() for value in table.values())
    assert 'class="active"><span>1</span>Mascota' in tables["ca"]["steps.pet"]
    assert 'class="active"><span>3</span>Carousel' in tables["en"]["steps.carousel"]


# ---------------------------------------------------------------- in the browser

def _open(browser, url: str, locale: str):
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.locator("#pet-image").wait_for(timeout=30_000)
    return context, page


EXPECTED = {
    "ca-ES": ["1 · Mascota", "Tria la teva criatura", "Torna a començar", "Privadesa: què passa amb la teva foto",
              "Guitarres", "Sorprèn-me", "La teva mascota del festival", "El gat Cosmo"],
    "es-ES": ["1 · Mascota", "Elige tu criatura", "Empezar de nuevo", "Privacidad: qué pasa con tu foto",
              "Guitarras", "Sorpréndeme", "Tu mascota del festival", "El gato Cosmo"],
    "en-US": ["1 · Pet", "Choose your creature", "Start over", "Privacy: what happens to your photo", "Guitars",
              "Surprise me", "Your festival pet", "Cosmo the cat"],
}


@pytest.mark.browser
@pytest.mark.server
@pytest.mark.parametrize("locale", ["ca-ES", "es-ES", "en-US", "fr-FR"])
def test_the_browsers_language_picks_the_texts(browser, app_url, locale):
    context, page = _open(browser, app_url, locale)
    try:
        expected = EXPECTED.get(locale, EXPECTED["en-US"])  # a language relive does not speak: English
        for text in expected:
            page.get_by_text(text, exact=True).first.wait_for(timeout=10_000)
        body = page.locator("body").inner_text()
        assert "__i18n__" not in body and "translation_metadata" not in body
        page.get_by_role("tab", name=expected[0].replace("1", "2").replace("Mascota", "Avatar")
                         .replace("Pet", "Avatar")).click()
        consent = {"ca-ES": "Accepto que relive", "es-ES": "Acepto que relive"}.get(locale, "I agree that relive")
        page.get_by_text(re.compile(consent)).first.wait_for(timeout=10_000)
        if locale == "ca-ES":
            page.get_by_text("Descriu-me com a").first.wait_for()
            page.get_by_role("tab", name="3 · Carrusel").click()
            page.get_by_text("Fes el meu àlbum de records").first.wait_for()
            page.get_by_text("Escenari principal: làsers i confeti").first.wait_for()
            page.get_by_label("range slider for Esquerra ↔ dreta").wait_for()
    finally:
        context.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.server
def test_the_language_buttons_switch_the_page_live(browser, app_url):
    from playwright.sync_api import expect

    context, page = _open(browser, app_url, "en-US")
    try:
        page.get_by_text("Choose your creature").wait_for()
        page.locator("#lang-es").click()
        page.get_by_text("Elige tu criatura").wait_for(timeout=10_000)
        page.get_by_role("tab", name="2 · Avatar").wait_for()
        assert page.get_by_text("Choose your creature").count() == 0
        assert page.locator("#lang-es.current").count() == 1
        page.locator("#lang-ca").click()
        page.get_by_text("Tria la teva criatura").wait_for(timeout=10_000)
        page.get_by_role("button", name="Gat jazzer").click()  # a translated preset still sets the taste
        expect(page.get_by_label("number input for Jazz")).to_have_value("1", timeout=30_000)
        page.locator("#lang-en").click()
        page.get_by_text("Choose your creature").wait_for(timeout=10_000)
    finally:
        context.close()
