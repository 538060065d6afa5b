"""English, Catalan and Spanish: complete tables, and the browser's language (or the header's buttons) deciding."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import raise_through_friendly
from PIL import Image

from relive import imaging
from relive.errors import InvalidGenres, InvalidImage, ModelUnavailable, UnknownName
from relive.messages import Message, join
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
    from relive.pet.catalog import SLOTS, creatures, load_catalog
    from relive.pet.presets import PRESETS
    from relive.ui.pet_tab import SLIDER_GROUPS

    names = {
        "genre": genres.GENRES, "creature": list(creatures()), "preset": list(PRESETS), "slot": SLOTS,
        "group": list(SLIDER_GROUPS), "attr": [v for values in attributes.choices().values() for v in values],
        "style": [name for _, name in style_choices()], "gen": [name for _, name in GENERATORS.choices(True)],
        "field": list(attributes.choices()), "bg": [b.slug for b in list_backgrounds()],
        "acc": [load_catalog().name(row) for row in range(len(load_catalog()))],
        "stage": sorted({stage.name for name in GENERATORS.names()  # a generator's stages, as its progress names them
                         for stage in getattr(GENERATORS.get(name), "stages", ())} | {"stylize"}),
    }
    missing = [f"{prefix}.{name}" for prefix, values in names.items() for name in values
               if not i18n.has(f"{prefix}.{name}")]
    assert not missing
    # the English text of a library name is the name itself (the UI shows the same words as the API and CLI)
    for prefix in ("genre", "creature", "preset", "slot", "attr", "acc", "stage"):
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


# ---------------------------------------------------------------- what the library says (errors, notes)

LIBRARY = Path(__file__).resolve().parents[1] / "relive"
# Never in front of a visitor: the CLI, training, operator settings, model files (their errors are for the staff),
# test helpers and measures (face identity); the UI has its own texts; errors.py and messages.py pass templates on.
NOT_FOR_VISITORS = ("commands/", "carousel/training/", "ui/", "config.py", "testing.py", "errors.py", "messages.py",
                    "avatar/lora.py", "avatar/sample_people.py", "backends/identity.py", "pet/batch.py",
                    "pet/users.py", "backends/fusion/checkpoint.py", "backends/fusion/model.py",
                    "backends/fusion/efficientnet.py")
REGISTRIES = {"Registry", "GeneratorRegistry"}  # their first argument is a kind of thing UnknownName names


def _dynamic() -> dict[str, list[str]]:
    """The values of the texts the library computes (a style's label, a slot) where it makes a Message of them."""
    from relive.backends.attributes import FIELDS
    from relive.avatar.prompt import STYLES
    from relive.pet.catalog import SLOTS

    labels = [style.label for style in STYLES.values()]
    return {"preset.label": labels, "style_preset(DEFAULT_LOOK).label": labels,
            "slot.lower()": [slot.lower() for slot in SLOTS],
            "name.replace('_', ' ')": [name.replace("_", " ") for name in FIELDS],  # UnknownName(field, …)
            "self.kind": []}  # a registry's kind: each Registry("…") literal is collected


def _call_name(node: ast.Call) -> str | None:
    return getattr(node.func, "id", getattr(node.func, "attr", None))


def _error_classes(trees: list[ast.Module]) -> tuple[set[str], set[str]]:
    """(ReliveError and every subclass, those whose text is for the staff), from the class statements."""
    bases = {node.name: ({getattr(b, "id", getattr(b, "attr", "")) for b in node.bases},
                         any(isinstance(s, ast.Assign) and ast.unparse(s) == "for_staff = True" for s in node.body))
             for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    errors, staff = {"ReliveError"}, set()
    for _ in range(len(bases)):  # grow both sets to a fixed point: subclasses of subclasses …
        for name, (parents, own_staff) in bases.items():
            if parents & errors:
                errors.add(name)
                if own_staff or parents & staff:
                    staff.add(name)
    return errors, staff


def library_messages() -> tuple[set[str], list[str]]:
    """``(templates, problems)``: every English template of a text the library can show a visitor (an error it
    raises, a note on a result, a name inside one), found by reading its source; a problem is such a text that is
    not a template (an f-string) or a computed one this test does not know the values of."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(LIBRARY.rglob("*.py"))}
    errors, staff = _error_classes(list(trees.values()))
    dynamic = _dynamic()
    templates, problems = {"unknown {kind} {name!r}; choose one of: {valid}"}, []  # UnknownName's own
    for path, tree in trees.items():
        if path.relative_to(LIBRARY).as_posix().startswith(NOT_FOR_VISITORS):
            continue
        # a name the module binds to a Message (OOM_FIX = Message(…)): that Message is scanned where it is made
        constants = {target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets
                     if isinstance(node.value, ast.Call) and _call_name(node.value) == "Message"}
        for node in ast.walk(tree):
            name = _call_name(node) if isinstance(node, ast.Call) else None
            if not (name in {"Message"} | REGISTRIES or name in errors - staff) or not node.args:
                continue
            first, where = node.args[0], f"{path.relative_to(LIBRARY.parent)}:{node.lineno}"
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                templates.add(first.value)
            elif ast.unparse(first) in dynamic:
                templates.update(dynamic[ast.unparse(first)])
            elif not (isinstance(first, ast.Call) and _call_name(first) in {"Message", "join"}
                      or isinstance(first, ast.Name) and first.id in constants):
                problems.append(f"{where}: {name}({ast.unparse(first)[:70]}) is not a template with parameters")
    return templates, problems


def test_every_text_of_the_library_has_catalan_and_spanish():
    """A new error or note without a translation turns this red: the visitor would read English."""
    templates, problems = library_messages()
    assert not problems, problems
    assert len(templates) > 80  # the scan found the library's texts (a broken scan would find few)
    for lang in ("ca", "es"):
        table = i18n.translations(lang)
        missing = sorted(t for t in templates if t not in table)
        assert not missing, (lang, missing)
        for template in templates:  # a translation may drop a staff-only detail, never ask for more
            english = {(n, spec, conv) for _, n, spec, conv in string.Formatter().parse(template) if n}
            ours = {(n, spec, conv) for _, n, spec, conv in string.Formatter().parse(table[template]) if n}
            assert ours <= english, (lang, template, ours - english)
            assert table[template] != template or len(template.split()) < 3, (lang, template)


def test_no_translation_is_left_over_from_a_message_the_library_no_longer_has():
    templates, _ = library_messages()
    assert set(i18n.MESSAGES) == {"ca", "es"} and set(i18n.MESSAGES["ca"]) == set(i18n.MESSAGES["es"])
    assert not set(i18n.MESSAGES["ca"]) - templates, set(i18n.MESSAGES["ca"]) - templates


def test_a_message_is_its_english_text_and_renders_in_each_language():
    from relive.backends.faces import crop_notice

    note = crop_notice(3)
    assert note == "3 people found; the avatar shows one of them" and isinstance(note, str)  # CLI, logs: English
    assert i18n.message(note, "en") == note
    assert i18n.message(note, "ca") == "S'han trobat 3 persones; l'avatar en mostra una"
    assert i18n.message(note, "es") == "Se han encontrado 3 personas; el avatar muestra a una de ellas"
    assert i18n.message(note, "fr-FR") == note  # a language relive does not speak: English
    assert i18n.message("a plain text, not a Message", "ca") == "a plain text, not a Message"
    assert i18n.message(Message("a brand-new note about {thing}", thing="x"), "es") == "a brand-new note about x"


def test_progress_names_the_festival_and_the_stage_in_the_visitors_words():
    """The album's progress names each page by its English title, the avatar's by the generator's stage: the UI
    finds them in the visitor's language."""
    from relive.carousel.backgrounds import list_backgrounds

    first = list_backgrounds()[0]
    assert i18n.translations("ca")[first.title] == i18n.text(f"bg.{first.slug}", "ca") != first.title
    assert i18n.translations("es")[i18n.text("album.own_photo")] == "Mi foto del festival"
    assert i18n.translations("es")["refiner"] == "acabado" and i18n.translations("en").get("refiner") == "refiner"


def test_names_and_notes_inside_a_message_are_translated_with_it():
    from relive.backends import attributes
    from relive.avatar.stylize import offline_look

    err = UnknownName("background", "moon-base", ["main-stage", "sunset-crowd"])
    assert str(err) == "unknown background 'moon-base'; choose one of: main-stage, sunset-crowd"
    assert i18n.message(err.message, "ca") == ("fons: 'moon-base' no existeix; tria'n un d'aquests: main-stage, "
                                               "sunset-crowd")
    _, note = offline_look("anime")  # a style only an AI generator draws: the label of each style translated
    assert i18n.message(note, "es") == ("El estilo Anime (cel-shading) necesita un generador de IA; el generador "
                                        "instantáneo ha dibujado el estilo Cómic")
    unclear = Message("gender unclear from the photo; choose it yourself if you like")
    two = join("; ", attributes.NO_FACE_NOTICE, "", unclear)  # an empty note is left out
    assert two == f"{attributes.NO_FACE_NOTICE}; {unclear}"
    assert i18n.message(two, "ca") == f"{i18n.message(attributes.NO_FACE_NOTICE, 'ca')}; {i18n.message(unclear, 'ca')}"
    assert i18n.message(two, "ca").endswith("; a la foto no queda clar el gènere; tria'l tu si vols")
    summary = attributes.Attributes(notice=attributes.NO_FACE_NOTICE).summary(i18n.words("es"))
    assert summary == "no se usa nada de la persona — " + i18n.message(attributes.NO_FACE_NOTICE, "es")


def test_a_library_error_keeps_its_english_and_a_visitor_reads_their_language():
    from relive import genres, imaging

    with pytest.raises(InvalidImage) as corrupt:
        imaging.load_image(b"\x89PNG\r\n\x1a\n not really a picture")
    assert str(corrupt.value) == "the file is not an image relive can read; use JPEG, PNG or WebP"
    assert i18n.message(corrupt.value.message, "ca") == ("el fitxer no és una imatge que relive pugui llegir; fes "
                                                         "servir JPEG, PNG o WebP")
    with pytest.raises(InvalidGenres) as nan:
        genres.validate([float("nan")] + [0.0] * 17)
    assert str(nan.value).startswith("invalid genre values: Comedy=nan")
    assert i18n.message(nan.value.message, "es") == ("valores de género no válidos: Comedy=nan; cada valor debe "
                                                     "ser un número entre 0 y 1")
    with pytest.raises(InvalidImage) as huge:
        imaging.load_image(Image.new("RGB", (300, 200)), max_pixels=1000)
    assert i18n.message(huge.value.message, "ca") == ("el fitxer fa 300×200, més del límit de 1,000 píxels; primer "
                                                      "fes-la més petita")


def test_an_error_only_the_staff_can_fix_shows_a_short_text_and_logs_the_detail(caplog):
    error, records = raise_through_friendly(
        ModelUnavailable("no fusion model at '/srv/relive/checkpoints/fusion'; run `hf download x/y`"), "es", caplog)
    assert error.message == i18n.text("error.staff", "es") and error.title == i18n.text("error.title", "es")
    assert "hf download" not in error.message and "/srv" not in error.message
    logged = [r.getMessage() for r in records]
    assert len(logged) == 1 and "hf download x/y" in logged[0] and "\n" not in logged[0]


@pytest.mark.parametrize("lang", ["ca", "es"])
def test_a_visitors_mistake_raised_in_the_library_is_shown_in_their_language(lang):
    import gradio as gr

    from relive.ui.common import friendly

    @friendly
    def handler(form):
        from relive import imaging

        imaging.load_image(b"GIF89a broken")

    with pytest.raises(gr.Error) as err:
        handler(SimpleNamespace(lang=lang))
    assert err.value.message == i18n.message(Message("{name} is not an image relive can read; use {readable}",
                                                     name=Message("the file"), readable=imaging.READABLE), lang)
    assert "relive can read" not in err.value.message and "the file" not in err.value.message


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
