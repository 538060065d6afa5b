"""The Avatar tab: consent, webcam/upload, editable attribute choices, style, generator, seed → avatar."""

from __future__ import annotations

import random

import gradio as gr
import numpy as np

from relive import genres
from relive.backends import attributes as attrs
from relive.backends.generators import GENERATORS
from relive.avatar.pipeline import make_avatar
from relive.avatar.prompt import DEFAULT_OFFLINE_STYLE, DEFAULT_STYLE, style_choices
from relive.config import model_slots, settings
from relive.ui import i18n
from relive.ui import kiosk as page_js
from relive.ui.common import EXAMPLE_PHOTOS, Form, Mistake, example, friendly, log, on_gpu, show_examples, shown
from relive.ui.i18n import choice, choices, t
from relive.ui.photo_input import PhotoInput


def generator_choices() -> list[tuple]:
    """The generators that can run here, labelled in the visitor's language."""
    return choices("gen", GENERATORS.choices(include_tests=settings().dev))


def missing_generators() -> list[str]:
    """The generators this machine cannot run (test-only ones aside). Why, and the fix (a download command, a
    cache folder), is for the operator: it goes to the log once, never on the visitor's screen."""
    missing = [name for name, found in GENERATORS.available().items()
               if not found and not GENERATORS.get(name).for_tests]
    for name in missing:
        log.info("Avatar: generator %r is unavailable: %s", name, GENERATORS.available()[name].reason)
    return missing


def styles_for(generator: str) -> dict:
    """The style choices the generator draws — every one live (the instant filter: its offline looks) — and the
    value to show: the generator's default style."""
    offline = not GENERATORS.get(generator).is_diffusion
    return {"choices": choices("style", style_choices(offline=offline)),
            "value": DEFAULT_OFFLINE_STYLE if offline else DEFAULT_STYLE}


def _prefill(photo, lang: str | None) -> tuple:
    found = attrs.suggest(photo)
    values = attrs.choice_values(found)
    words = i18n.words(i18n.language(lang))
    return (*[gr.update(value=values[name]) for name in attrs.FIELDS], f"*{found.summary(words)}*", found)


def tapped_point(evt: gr.SelectData) -> tuple[float, float]:
    """A tap on the photo, in its pixels: the avatar is made of the person whose face is nearest."""
    return tuple(evt.index)


@friendly
def suggest(photo, consent: bool, lang: str | None):
    """The visitor's tap: look at the photo and pre-fill the choices; the visitor can change every field."""
    if not consent:
        raise Mistake("error.consent", lang)
    if photo is None:
        raise Mistake("error.photo", lang)
    return _prefill(photo, lang)


@friendly
def photo_changed(photo, consent: bool, lang: str | None):
    """A new photo (or consent): pre-filled only where the operator turned face analysis on; else nothing is
    guessed and an earlier photo's suggestion is forgotten."""
    if settings().face_analysis and photo is not None and consent:
        return _prefill(photo, lang)
    return (*[gr.update()] * len(attrs.FIELDS), "", None)


@friendly
@on_gpu
def avatar(form, progress=gr.Progress()):
    """An avatar from a photo (needs consent), the visitor's answers and the taste made on the Pet tab."""
    lang = i18n.language(form.lang)
    if not form.consent:
        raise Mistake("error.consent", lang)
    if form.photo is None:
        raise Mistake("error.photo", lang)

    def report(step: int, total: int, stage: str) -> None:
        stage = i18n.translations(lang).get(stage, stage)  # the generator's stage ("refiner") in the visitor's words
        progress(step / max(total, 1), desc=i18n.text("avatar.progress", lang, stage=stage, step=step, total=total))

    taste = form.taste if form.taste is not None else genres.Taste.of(np.zeros(genres.N_GENRES))  # no slider moved yet
    result = make_avatar(form.photo, taste, generator=form.generator, style=form.style, seed=int(form.seed or 0),
                         choices=form.choices, detected=form.detected, backdrop=form.backdrop, choose=form.tapped,
                         progress=report)
    kind = i18n.text("avatar.kind_ai" if result.is_diffusion else "avatar.kind_instant", lang)
    label = i18n.text(f"gen.{form.generator}", lang) if i18n.has(f"gen.{form.generator}") else result.label
    lines = [f"**{kind}** · {label} · {sum(result.timings.values()):.1f} s",
             *(i18n.message(notice, lang) for notice in result.notices)]
    if result.framing is not None and result.framing.faces_found > 1:
        lines.append(i18n.text("avatar.tap_another", lang))
    if result.prompt:  # the prompt is the model's English, shown as it was given
        lines.append(f"<details><summary>{i18n.text('avatar.prompt', lang)}</summary>{result.prompt.positive}"
                     "</details>")
    return shown(result.image), "\n\n".join(lines), result.cutout, result.image


def build_avatar_tab(taste: gr.State, cutout: gr.State, portrait: gr.State, lang: gr.State,
                     kiosk: bool = False) -> None:
    """Lay out the tab; ``taste`` holds the taste made on the Pet tab; each avatar puts its transparent cut-out
    (RGBA, in memory) into ``cutout`` for the Carousel tab and the picture into ``portrait`` (it goes home with
    the album). A kiosk offers no download."""
    detected = gr.State(None)
    tapped = gr.State(None)  # where the visitor tapped the photo to choose a person; None: the main person
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            # A file path, not a decoded image: relive's own loader checks it and explains what is wrong. Made
            # before the consent box above it: the /avatar API lists the photo first.
            photo = PhotoInput(sources=["webcam", "upload"], type="filepath", label=t("avatar.photo"), height=360,
                               elem_id="avatar-photo", webcam_options=gr.WebcamOptions(mirror=True), render=False,
                               buttons=["fullscreen"] if kiosk else None)
            consent = gr.Checkbox(label=t("avatar.consent"), value=False, elem_id="avatar-consent")
            photo.render()
            take_photo = gr.Button(t("avatar.take_photo"), elem_id="avatar-take-photo")
            if show_examples():
                gr.Examples([[example(name)] for name in EXAMPLE_PHOTOS], inputs=photo, label=t("avatar.examples"))
            seen = gr.Markdown()
            with gr.Row():
                fields = {name: gr.Dropdown([(choice("attr", value), value) for value in values],
                                            value=attrs.PREFER_NOT_TO_SAY, label=t(f"field.{name}"), min_width=240,
                                            elem_classes="attribute-choice")  # "prefereixo no dir-ho" whole
                          for name, values in attrs.choices().items()}
            suggest_button = gr.Button(t("avatar.suggest"), size="sm", elem_id="avatar-suggest")
            default = GENERATORS.default_name()
            # made before the generator it follows on screen: the /avatar API lists style first
            style = gr.Radio(**styles_for(default), label=t("avatar.style"), info=t("avatar.style_info"),
                             elem_id="avatar-style", render=False)
            generator = gr.Radio(generator_choices(), value=default, label=t("avatar.generator"))
            style.render()
            missing = missing_generators()
            if missing:
                with gr.Accordion(t("avatar.missing"), open=False):
                    # what a visitor reads: the names and, in words, why (each a text of its own: translated)
                    gr.Markdown(t("avatar.missing_intro"))
                    for name in missing:
                        gr.Markdown(choice("gen", name), elem_classes="missing-generator")
                    gr.Markdown(t("avatar.missing_reason"))
            with gr.Row():
                seed = gr.Number(value=0, precision=0, label=t("avatar.seed"), minimum=0, maximum=2**32 - 1,
                                 min_width=120)
                dice = gr.Button(t("avatar.new_seed"), min_width=120)
                backdrop = gr.Checkbox(value=True, label=t("avatar.backdrop"))
            make = gr.Button(t("avatar.make"), variant="primary", elem_classes="big-action",
                             elem_id="avatar-make")
        with gr.Column(scale=6):
            result = gr.Image(label=t("avatar.result"), type="pil", image_mode="RGBA", format="png",
                              interactive=False, height=560, elem_id="avatar-result",
                              buttons=["fullscreen"] if kiosk else ["download", "fullscreen"])
            info = gr.Markdown(t("avatar.hint"))
    gr.on([photo.change, consent.change], photo_changed, [photo, consent, lang], [*fields.values(), seen, detected],
          api_visibility="private", concurrency_id="analysis")
    suggest_button.click(suggest, [photo, consent, lang], [*fields.values(), seen, detected], api_visibility="private",
                         concurrency_id="analysis")
    generator.change(lambda name: gr.update(**styles_for(name)), generator, style, api_visibility="private")
    dice.click(lambda: random.SystemRandom().randrange(2**32), None, seed, api_visibility="private")
    photo.select(tapped_point, None, tapped, api_visibility="private")
    photo.change(lambda: None, None, tapped, api_visibility="private")  # a new photo: its main person again
    take_photo.click(None, js=page_js.TAKE_PHOTO_JS)  # 3-2-1 on screen, then the webcam's own capture button
    form = Form(photo=photo, consent=consent, choices=fields, style=style, generator=generator, seed=seed,
                backdrop=backdrop, detected=detected, tapped=tapped, taste=taste, lang=lang)
    make.click(form.bind(avatar), form.inputs, [result, info, cutout, portrait], api_name="avatar",
               concurrency_id="gpu", concurrency_limit=model_slots()).success(None, js=page_js.after_success_js("avatar-result"))
