"""The app's handlers take named inputs (a Form's values by name, or a few plain parameters), never dozens of
positional values; what one tab hands the next travels in memory (issue 10, point 5)."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import gradio as gr
import pytest
from PIL import Image

from relive.carousel.backgrounds import Background, list_backgrounds
from relive.ui.common import Form

MAX_PARAMETERS = 8


@pytest.fixture(scope="module")
def demo():  # builds the whole app (its tests are marked slow)
    import relive.ui

    return relive.ui.build_demo()


@pytest.mark.slow
def test_no_handler_takes_more_than_eight_parameters_or_args(demo):
    handlers = [block_fn.fn for block_fn in demo.fns.values() if block_fn.fn is not None]
    assert len(handlers) > 20  # every tab's events, not an empty app
    for fn in handlers:
        parameters = inspect.signature(fn).parameters.values()
        name = getattr(fn, "__name__", repr(fn))
        assert len(parameters) <= MAX_PARAMETERS, (name, len(parameters))
        assert not any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters), name


@pytest.mark.slow
def test_the_big_handlers_take_one_form_each(demo):
    by_api = {block_fn.api_name: block_fn for block_fn in demo.fns.values()}
    for api_name in ("pet", "pet_surprise", "avatar", "fuse"):
        block_fn = by_api[api_name]
        assert block_fn.inputs_as_dict, api_name
        assert next(iter(inspect.signature(block_fn.fn).parameters)) == "form", api_name


@pytest.mark.slow
def test_the_api_keeps_its_parameters_in_order(demo):
    api = demo.get_api_info()["named_endpoints"]
    def keys(name):
        return [str(getattr(p.get("label"), "key", p.get("label"))) for p in api[name]["parameters"]]

    from relive import genres

    assert keys("/pet") == ["pet.creature", "slot.Head", "slot.Face", "slot.Torso",
                            *[f"genre.{name}" for name in genres.GENRES]]
    assert keys("/avatar")[:2] == ["avatar.photo", "avatar.consent"]
    assert len(keys("/avatar")) == 9 and len(keys("/fuse")) == 6 and len(keys("/album")) == 3


def test_a_form_reads_gradios_dict_by_name_keeping_its_shape():
    with gr.Blocks():
        a, b, c = gr.Number(), gr.Number(), gr.Textbox()
        form = Form(first=a, pair=[b, c], named={"x": c})
    assert form.inputs == {a, b, c}
    read = form.read({a: 1, b: 2, c: "three"})
    assert read == SimpleNamespace(first=1, pair=[2, "three"], named={"x": "three"})

    def handler(values, request: gr.Request):
        return values.first, values.pair, request

    bound = form.bind(handler)
    assert list(inspect.signature(bound).parameters) == ["values", "request"]  # Gradio still injects the request
    assert bound({a: 5, b: 6, c: "7"}, "the request") == (5, [6, "7"], "the request")


def test_the_cutout_reaches_the_carousel_in_memory_and_scenes_by_id(tmp_path):
    from relive.ui import carousel_tab

    cutout = Image.new("RGBA", (120, 240), (0, 0, 0, 0))
    cutout.paste((200, 150, 120, 255), (20, 10, 100, 235))
    background = list_backgrounds()[0]
    assert isinstance(background, Background)
    form = SimpleNamespace(cutout=cutout, avatar=None, chosen=background, scene=None, feet_x=0.5, feet_y=0.9,
                           scale=0.5, shadow=False, lang="ca")
    stage = carousel_tab.show_stage(form)  # no file anywhere: the cut-out object and the gallery entry
    assert stage.size == Image.open(background.path).size
    assert carousel_tab._avatar(cutout, None) is cutout  # the very object, not a copy read back from a file
    with pytest.raises(gr.Error, match="pestanya Avatar"):  # the visitor's language (Catalan here)
        carousel_tab._avatar(None, None, "ca")
    chosen, *feet = carousel_tab.choose_background(cutout, SimpleNamespace(index=1))
    assert chosen == list_backgrounds()[1] and len(feet) == 2


def test_pictures_are_handed_to_gradio_encoded_fast_in_its_cache(tmp_path, monkeypatch):
    """An output picture is written once, by relive, into Gradio's cache (Gradio serves it as it is): a pet as a
    lossless PNG (transparency kept), a photo or card as a JPEG."""
    import numpy as np

    from relive.ui.common import shown

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    pet = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    pet.paste((250, 90, 140, 255), (10, 10, 40, 30))
    png = shown(pet)
    assert png.startswith(str(tmp_path)) and png.endswith(".png")
    assert np.array_equal(np.asarray(Image.open(png)), np.asarray(pet))
    jpeg = shown(pet.convert("RGB"), "jpeg")
    assert Image.open(jpeg).format == "JPEG" and Image.open(jpeg).size == pet.size
