"""The Avatar tab: consent, webcam/upload, editable attribute choices, style, generator, seed → avatar."""

from __future__ import annotations

import random

import gradio as gr

from relive import genres
from relive.avatar import attributes as attrs
from relive.avatar.generator import GENERATORS
from relive.avatar.pipeline import make_avatar
from relive.avatar.prompt import DEFAULT_OFFLINE_STYLE, DEFAULT_STYLE, style_choices
from relive.config import settings
from relive.ui import kiosk
from relive.ui.common import EXAMPLE_PHOTOS, example, friendly, on_gpu, show_examples
from relive.ui.i18n import choice, choices, t
from relive.ui.photo_input import PhotoInput

NEED_CONSENT = "Please tick the consent box first: nothing is done with your photo without it."
NEED_PHOTO = "Take a photo with the webcam or upload one (JPEG, PNG or WebP) first."
TAP_ANOTHER = "Tap another face on your photo, then make the avatar again, to choose that person."


def generator_choices() -> list[tuple]:
    return choices("gen", GENERATORS.choices(include_tests=settings().dev))


def unavailable_note() -> str:
    missing = [f"- **{GENERATORS.get(n).label}**: {a.reason}" for n, a in GENERATORS.available().items()
               if not a and not GENERATORS.get(n).for_tests]
    return ("Not available on this machine:\n" + "\n".join(missing)) if missing else ""


def styles_for(generator: str) -> dict:
    """The style choices the generator draws — every one live (the instant filter: its offline looks) — and the
    value to show: the generator's default style."""
    offline = not GENERATORS.get(generator).is_diffusion
    return {"choices": choices("style", style_choices(offline=offline)),
            "value": DEFAULT_OFFLINE_STYLE if offline else DEFAULT_STYLE}


def _prefill(photo) -> tuple:
    found = attrs.suggest(photo)
    values = attrs.choice_values(found)
    return (*[gr.update(value=values[name]) for name in attrs.FIELDS], f"*{found.summary()}*", found)


def tapped_point(evt: gr.SelectData) -> tuple[float, float]:
    """A tap on the photo, in its pixels: the avatar is made of the person whose face is nearest."""
    return tuple(evt.index)


@friendly
def suggest(photo, consent: bool):
    """The visitor's tap: look at the photo and pre-fill the choices; the visitor can change every field."""
    if not consent:
        raise gr.Error(NEED_CONSENT)
    if photo is None:
        raise gr.Error(NEED_PHOTO)
    return _prefill(photo)


@friendly
def photo_changed(photo, consent: bool):
    """A new photo (or consent): pre-filled only where the operator turned face analysis on; else nothing is
    guessed and an earlier photo's suggestion is forgotten."""
    if settings().face_analysis and photo is not None and consent:
        return _prefill(photo)
    return (*[gr.update()] * len(attrs.FIELDS), "", None)


@friendly
@on_gpu
def avatar(photo, consent: bool, gender: str, age_group: str, skin_tone: str, style: str, generator: str,
           seed: float, backdrop: bool, detected, tapped, *taste: float, progress=gr.Progress()):
    """An avatar from a photo (needs consent) and the 18 genre values of the Pet tab."""
    if not consent:
        raise gr.Error(NEED_CONSENT)
    if photo is None:
        raise gr.Error(NEED_PHOTO)

    def report(step: int, total: int, stage: str) -> None:
        progress(step / max(total, 1), desc=f"{stage}: step {step} of {total}")

    result = make_avatar(photo, genres.validate([float(v or 0) for v in taste]), generator=generator, style=style,
                         seed=int(seed or 0),
                         choices={"gender": gender, "age_group": age_group, "skin_tone": skin_tone},
                         detected=detected, backdrop=backdrop, choose=tapped, progress=report)
    kind = "AI-generated" if result.is_diffusion else "instant cartoon filter, no AI image model"
    lines = [f"**{kind}** · {result.label} · {sum(result.timings.values()):.1f} s", *result.notices]
    if result.framing is not None and result.framing.faces_found > 1:
        lines.append(TAP_ANOTHER)
    if result.prompt:
        lines.append(f"<details><summary>Prompt</summary>{result.prompt.positive}</details>")
    return result.image, "\n\n".join(lines), result.cutout


def build_avatar_tab(taste: list[gr.Slider]) -> gr.State:
    """Lay out the tab; ``taste`` are the Pet tab's sliders. Returns the state holding the transparent cut-out."""
    cutout = gr.State(None)
    detected = gr.State(None)
    tapped = gr.State(None)  # where the visitor tapped the photo to choose a person; None: the main person
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            consent = gr.Checkbox(label=t("avatar.consent"), value=False, elem_id="avatar-consent")
            # A file path, not a decoded image: relive's own loader checks it and explains what is wrong.
            photo = PhotoInput(sources=["webcam", "upload"], type="filepath", label=t("avatar.photo"), height=360,
                               elem_id="avatar-photo", webcam_options=gr.WebcamOptions(mirror=True))
            take_photo = gr.Button(t("avatar.take_photo"), elem_id="avatar-take-photo")
            if show_examples():
                gr.Examples([[example(name)] for name in EXAMPLE_PHOTOS], inputs=photo, label=t("avatar.examples"))
            seen = gr.Markdown()
            with gr.Row():
                fields = [gr.Dropdown([(choice("attr", value), value) for value in values],
                                      value=attrs.PREFER_NOT_TO_SAY, label=t(f"field.{name}"), min_width=140)
                          for name, values in attrs.choices().items()]
            suggest_button = gr.Button(t("avatar.suggest"), size="sm", elem_id="avatar-suggest")
            default = GENERATORS.default_name()
            generator = gr.Radio(generator_choices(), value=default, label=t("avatar.generator"))
            style = gr.Radio(**styles_for(default), label=t("avatar.style"), info=t("avatar.style_info"),
                             elem_id="avatar-style")
            note = unavailable_note()
            if note:
                with gr.Accordion(t("avatar.missing"), open=False):
                    gr.Markdown(note)
            with gr.Row():
                seed = gr.Number(value=0, precision=0, label=t("avatar.seed"), minimum=0, maximum=2**32 - 1,
                                 min_width=120)
                dice = gr.Button(t("avatar.new_seed"), min_width=120)
                backdrop = gr.Checkbox(value=True, label=t("avatar.backdrop"))
            make = gr.Button(t("avatar.make"), variant="primary", elem_classes="big-action")
        with gr.Column(scale=6):
            result = gr.Image(label=t("avatar.result"), type="pil", image_mode="RGBA", format="png",
                              interactive=False, height=560, elem_id="avatar-result",
                              buttons=["download", "fullscreen"])
            info = gr.Markdown(t("avatar.hint"))
    gr.on([photo.change, consent.change], photo_changed, [photo, consent], [*fields, seen, detected],
          api_visibility="private", concurrency_id="analysis")
    suggest_button.click(suggest, [photo, consent], [*fields, seen, detected], api_visibility="private",
                         concurrency_id="analysis")
    generator.change(lambda name: gr.update(**styles_for(name)), generator, style, api_visibility="private")
    dice.click(lambda: random.SystemRandom().randrange(2**32), None, seed, api_visibility="private")
    photo.select(tapped_point, None, tapped, api_visibility="private")
    photo.change(lambda: None, None, tapped, api_visibility="private")  # a new photo: its main person again
    take_photo.click(None, js=kiosk.TAKE_PHOTO_JS)  # 3-2-1 on screen, then the webcam's own capture button
    make.click(avatar, [photo, consent, *fields, style, generator, seed, backdrop, detected, tapped, *taste],
               [result, info, cutout], api_name="avatar", concurrency_id="gpu", concurrency_limit=1)
    return cutout
