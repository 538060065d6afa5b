"""The Pet tab: 18 grouped sliders, presets, creature choice and swaps → pet, chart, explanation, card."""

from __future__ import annotations

import functools
import random

import gradio as gr

from relive import genres
from relive.pet.catalog import NOTHING, SLOTS, creatures, load_catalog
from relive.pet.presets import PRESETS, preset_vector
from relive.pet.souvenir import AUTO, make_pet
from relive.ui.common import friendly
from relive.ui.i18n import choice, t

SLIDER_GROUPS = {
    "Guitars": ("Rock", "Punk", "Indie", "Folk"),
    "Beats & bass": ("Electronic", "Hip-hop", "Rap", "Reggae"),
    "Voices & grooves": ("Pop", "Soul", "Jazz", "Classical"),
    "Festival life": ("Comedy", "Art", "Chill", "Food", "Social", "Other"),
}
AUTO_LABEL = "auto (best match)"  # the value (API); the label is translated


def _swap_value(picked: str) -> str:
    return AUTO if picked == AUTO_LABEL else picked


def _pet_outputs(values, creature, head, face, torso, strategy, seed):
    vec = genres.validate([float(v or 0) for v in values])
    swaps = {"Head": _swap_value(head), "Face": _swap_value(face), "Torso": _swap_value(torso)}
    pet = make_pet(vec, creature=creature, strategy=strategy, seed=seed, swaps=swaps)
    note = "" if vec.any() else "\n\n*Move a slider to tell your pet what you like!*"
    text = "\n".join(f"- {line}" for line in pet.explanation) + note
    return pet.image, text, pet.chart, pet.card


@friendly
def pet(creature: str, head: str, face: str, torso: str, *values: float):
    """Best-matching pet for a taste (18 values in canonical genre order)."""
    return _pet_outputs(values, creature, head, face, torso, "best", None)


@friendly
def surprise(creature: str, head: str, face: str, torso: str, *values: float):
    """A random pick among the nearest accessories (the brief's KNN)."""
    return _pet_outputs(values, creature, head, face, torso, "surprise", random.SystemRandom().randrange(2**32))


@friendly
def apply_preset(name: str, creature: str, head: str, face: str, torso: str):
    vec = preset_vector(name)
    return (*vec.tolist(), *_pet_outputs(vec, creature, head, face, torso, "best", None))


def build_pet_tab(demo: gr.Blocks) -> dict[str, gr.components.Component]:
    """Lay out the tab inside ``demo``; returns the components other tabs may read (the sliders)."""
    catalog = load_catalog()
    sliders: dict[str, gr.Slider] = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            creature = gr.Radio([(choice("creature", name), name) for name in creatures()],
                                value=next(iter(creatures())), label=t("pet.creature"))
            with gr.Row(elem_classes="preset-row"):
                preset_buttons = {name: gr.Button(choice("preset", name), size="sm") for name in PRESETS}
            for title, names in SLIDER_GROUPS.items():
                with gr.Group():
                    gr.Markdown(choice("group", title))
                    with gr.Row():
                        for name in names:
                            sliders[name] = gr.Slider(0, 1, value=0, step=0.05, label=choice("genre", name),
                                                      min_width=140, buttons=[], elem_classes="genre-slider")
            with gr.Accordion(t("pet.swap"), open=False):
                swaps = [gr.Dropdown([(t("pet.auto"), AUTO_LABEL), (t("pet.nothing"), NOTHING)]
                                     + [catalog.name(r) for r in catalog.slot_rows(slot)],
                                     value=AUTO_LABEL, label=choice("slot", slot)) for slot in SLOTS]
            with gr.Row():
                reset = gr.Button(t("pet.reset"), elem_classes="big-action")
                surprise_button = gr.Button(t("pet.surprise"), variant="primary", elem_classes="big-action")
        with gr.Column(scale=6):
            image = gr.Image(label=t("pet.image"), type="pil", image_mode="RGBA", format="png", height=480,
                             elem_id="pet-image",
                             interactive=False, buttons=["download", "fullscreen"])
            why = gr.Markdown(t("pet.hint"))
            with gr.Tabs():
                with gr.Tab(t("pet.chart_tab")):
                    chart = gr.Image(show_label=False, type="pil", interactive=False)
                with gr.Tab(t("pet.card_tab")):
                    card = gr.Image(label=t("pet.card"), type="pil", format="png",
                                    interactive=False, buttons=["download", "fullscreen"])
    values = [sliders[g] for g in genres.GENRES]  # canonical order, whatever the layout
    inputs = [creature, *swaps, *values]
    outputs = [image, why, chart, card]
    gr.on([demo.load] + [s.release for s in values] + [creature.change] + [d.change for d in swaps],
          pet, inputs, outputs, api_name="pet", trigger_mode="always_last")
    surprise_button.click(surprise, inputs, outputs, api_name="pet_surprise")
    for name, button in preset_buttons.items():  # the name is bound here: the button only shows its translation
        button.click(functools.partial(apply_preset, name), [creature, *swaps], values + outputs,
                     api_visibility="private")
    reset.click(lambda *sel: (*[0.0] * genres.N_GENRES, *pet(*sel, *[0.0] * genres.N_GENRES)),
                [creature, *swaps], values + outputs, api_visibility="private")
    return {"sliders": values}
