"""The Pet tab: 18 grouped sliders, presets, creature choice and swaps → pet, chart, explanation, card."""

from __future__ import annotations

import random

import gradio as gr

from relive import genres
from relive.pet.catalog import NOTHING, SLOTS, creatures, load_catalog
from relive.pet.presets import PRESETS, preset_vector
from relive.pet.souvenir import AUTO, make_pet
from relive.ui.common import friendly

SLIDER_GROUPS = {
    "Guitars": ("Rock", "Punk", "Indie", "Folk"),
    "Beats & bass": ("Electronic", "Hip-hop", "Rap", "Reggae"),
    "Voices & grooves": ("Pop", "Soul", "Jazz", "Classical"),
    "Festival life": ("Comedy", "Art", "Chill", "Food", "Social", "Other"),
}
AUTO_LABEL = "auto (best match)"


def _swap_value(choice: str) -> str:
    return AUTO if choice == AUTO_LABEL else choice


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
            creature = gr.Radio(list(creatures()), value=next(iter(creatures())), label="Choose your creature")
            with gr.Row(elem_classes="preset-row"):
                preset_buttons = [gr.Button(name, size="sm") for name in PRESETS]
            for title, names in SLIDER_GROUPS.items():
                with gr.Group():
                    gr.Markdown(f"**{title}**")
                    with gr.Row():
                        for name in names:
                            sliders[name] = gr.Slider(0, 1, value=0, step=0.05, label=name, min_width=140, buttons=[])
            with gr.Accordion("Swap an accessory", open=False):
                swaps = [gr.Dropdown([AUTO_LABEL, NOTHING] + [catalog.name(r) for r in catalog.slot_rows(slot)],
                                     value=AUTO_LABEL, label=slot) for slot in SLOTS]
            with gr.Row():
                reset = gr.Button("Reset", elem_classes="big-action")
                surprise_button = gr.Button("Surprise me", variant="primary", elem_classes="big-action")
        with gr.Column(scale=6):
            image = gr.Image(label="Your festival pet", type="pil", image_mode="RGBA", format="png", height=480,
                             elem_id="pet-image",
                             interactive=False, buttons=["download", "fullscreen"])
            why = gr.Markdown("*Pick a preset or move a slider: your pet dresses up to match.*")
            with gr.Tabs():
                with gr.Tab("Taste chart"):
                    chart = gr.Image(show_label=False, type="pil", interactive=False)
                with gr.Tab("Shareable card"):
                    card = gr.Image(label="Your card: download it with the arrow", type="pil", format="png",
                                    interactive=False, buttons=["download", "fullscreen"])
    values = [sliders[g] for g in genres.GENRES]  # canonical order, whatever the layout
    inputs = [creature, *swaps, *values]
    outputs = [image, why, chart, card]
    gr.on([demo.load] + [s.release for s in values] + [creature.change] + [d.change for d in swaps],
          pet, inputs, outputs, api_name="pet", trigger_mode="always_last")
    surprise_button.click(surprise, inputs, outputs, api_name="pet_surprise")
    for button in preset_buttons:
        button.click(apply_preset, [button, creature, *swaps], values + outputs, api_visibility="private")
    reset.click(lambda *sel: (*[0.0] * genres.N_GENRES, *pet(*sel, *[0.0] * genres.N_GENRES)),
                [creature, *swaps], values + outputs, api_visibility="private")
    return {"sliders": values}
