"""The Pet tab: 18 grouped sliders, presets, creature choice and swaps → pet, chart, explanation, card."""

from __future__ import annotations

import functools
import random

import gradio as gr
import numpy as np

from relive import genres
from relive.pet.catalog import NOTHING, SLOTS, creatures, load_catalog
from relive.pet.presets import PRESETS, preset_vector
from relive.pet.souvenir import AUTO, make_pet
from relive.ui import i18n
from relive.ui.common import Form, friendly, shown
from relive.ui.i18n import choice, choices, t

SLIDER_GROUPS = {
    "Guitars": ("Rock", "Punk", "Indie", "Folk"),
    "Beats & bass": ("Electronic", "Hip-hop", "Rap", "Reggae"),
    "Voices & grooves": ("Pop", "Soul", "Jazz", "Classical"),
    "Festival life": ("Comedy", "Art", "Chill", "Food", "Social", "Other"),
}
AUTO_LABEL = "auto (best match)"  # the value (API); the label is translated


def _swap_value(picked: str) -> str:
    return AUTO if picked == AUTO_LABEL else picked


def _pet_outputs(form, taste: genres.Taste, strategy: str, seed: int | None):
    """The pet, its explanation, chart and card; the validated taste (for the Avatar tab) and the card again (it
    goes home with the album)."""
    swaps = {slot: _swap_value(picked) for slot, picked in form.swaps.items()}
    lang = i18n.language(form.lang)
    pet = make_pet(taste, creature=form.creature, strategy=strategy, seed=seed, swaps=swaps, words=i18n.words(lang))
    note = "" if taste else "\n\n" + i18n.text("pet.move_slider", lang)
    text = "\n".join(f"- {line}" for line in pet.explanation) + note
    return shown(pet.image), text, shown(pet.chart), shown(pet.card, "jpeg"), taste, pet.card


def _taste(form) -> genres.Taste:
    """The sliders (canonical genre order) as a validated taste: checked here, once, and passed down as is."""
    return genres.Taste.of([float(v or 0) for v in form.taste])


@friendly
def pet(form):
    """Best-matching pet for the taste on the sliders."""
    return _pet_outputs(form, _taste(form), "best", None)


@friendly
def surprise(form):
    """A random pick among the nearest accessories (the brief's KNN)."""
    return _pet_outputs(form, _taste(form), "surprise", random.SystemRandom().randrange(2**32))


@friendly
def apply_preset(name: str, form):
    """A preset's taste: the sliders move to it and the pet follows."""
    taste = genres.Taste.of(preset_vector(name))
    return (*taste.values.tolist(), *_pet_outputs(form, taste, "best", None))


@friendly
def reset(form):
    """Every slider back to 0: the bare creature."""
    taste = genres.Taste.of(np.zeros(genres.N_GENRES))
    return (*taste.values.tolist(), *_pet_outputs(form, taste, "best", None))


def _controls(catalog) -> tuple[dict[str, gr.Dropdown], dict[str, gr.Slider]]:
    """The swaps and the sliders, made (not yet placed) in the order of the /pet API: creature (made first by the
    caller), Head, Face, Torso, then the 18 genres in canonical order, whatever the layout."""
    swaps = {slot: gr.Dropdown([(t("pet.auto"), AUTO_LABEL), (t("pet.nothing"), NOTHING)]
                               + choices("acc", [(catalog.name(r), catalog.name(r)) for r in catalog.slot_rows(slot)]),
                               value=AUTO_LABEL, label=choice("slot", slot), render=False) for slot in SLOTS}
    sliders = {name: gr.Slider(0, 1, value=0, step=0.05, label=choice("genre", name), min_width=140, buttons=[],
                               elem_classes="genre-slider", render=False) for name in genres.GENRES}
    return swaps, sliders


def build_pet_tab(taste: gr.State, pet_card: gr.State, lang: gr.State, kiosk: bool = False) -> None:
    """Lay out the tab; every pet also writes its validated taste into ``taste`` (for the Avatar tab) and its card
    into ``pet_card`` (for the album). The pet is drawn again, in the new words, whenever ``lang`` changes (the
    page's load sets it first). A kiosk offers no download (the album's QR code takes the card home)."""
    save = ["fullscreen"] if kiosk else ["download", "fullscreen"]
    catalog = load_catalog()
    with gr.Row(equal_height=False, elem_id="pet-row"):
        with gr.Column(scale=5):
            creature = gr.Radio([(choice("creature", name), name) for name in creatures()],
                                value=next(iter(creatures())), label=t("pet.creature"))
            swaps, sliders = _controls(catalog)
            with gr.Row(elem_classes="preset-row"):
                preset_buttons = {name: gr.Button(choice("preset", name), size="sm") for name in PRESETS}
            for title, names in SLIDER_GROUPS.items():
                with gr.Group():
                    gr.Markdown(choice("group", title))
                    with gr.Row():
                        for name in names:
                            sliders[name].render()
            with gr.Accordion(t("pet.swap"), open=False):
                for dropdown in swaps.values():
                    dropdown.render()
            with gr.Row():
                reset_button = gr.Button(t("pet.reset"), elem_classes="big-action")
                surprise_button = gr.Button(t("pet.surprise"), variant="primary", elem_classes="big-action")
        with gr.Column(scale=6):
            image = gr.Image(label=t("pet.image"), type="pil", image_mode="RGBA", format="png", height=480,
                             elem_id="pet-image",
                             interactive=False, buttons=save)
            why = gr.Markdown(t("pet.hint"), elem_id="pet-why")
            with gr.Tabs(elem_id="pet-more", overflow_behavior="wrap"):
                with gr.Tab(t("pet.chart_tab")):
                    chart = gr.Image(show_label=False, type="pil", interactive=False, buttons=save)
                with gr.Tab(t("pet.card_tab")):
                    card = gr.Image(label=t("pet.card"), type="pil", format="png",
                                    interactive=False, buttons=save)
    values = [sliders[g] for g in genres.GENRES]  # canonical order, whatever the layout
    form = Form(creature=creature, swaps=swaps, taste=values, lang=lang)
    outputs = [image, why, chart, card, taste, pet_card]
    # ``input`` fires while a finger drags; "always_last" runs the newest value once the running one is done and
    # drops those in between: the pet follows the finger at the pace the server keeps (issue 13, point 9).
    gr.on([lang.change] + [s.input for s in values] + [creature.change] + [d.change for d in swaps.values()],
          form.bind(pet), form.inputs, outputs, api_name="pet", trigger_mode="always_last")
    surprise_button.click(form.bind(surprise), form.inputs, outputs, api_name="pet_surprise")
    for name, button in preset_buttons.items():  # the name is bound here: the button only shows its translation
        button.click(form.bind(functools.partial(apply_preset, name)), form.inputs, values + outputs,
                     api_visibility="private")
    reset_button.click(form.bind(reset), form.inputs, values + outputs, api_visibility="private")
