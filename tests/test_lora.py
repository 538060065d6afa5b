"""LoRA training on the tiny SDXL pipeline: a few real steps, a file that loads back into the generator and changes
its pictures, and clear errors for folders that cannot be trained on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from relive import config
from relive.backends import tiny_sdxl as tiny
from relive.backends.generators import GENERATORS
from relive.avatar.lora import find_examples, train_lora
from relive.errors import InvalidImage, InvalidInput, ModelUnavailable

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CAPTIONS = {"rock.png": "a person in a studded leather jacket", "jazz.jpg": "a person in a beret",
            "folk.webp": "a person in a flower crown"}


@pytest.fixture
def captioned(tmp_path):
    """Three small images of different sizes and formats, each with a same-name caption."""
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for (name, caption), size in zip(CAPTIONS.items(), [(80, 64), (64, 96), (72, 72)], strict=True):
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(folder / name)
        (folder / name).with_suffix(".txt").write_text(caption + "\n")
    return folder


def test_train_lora_on_tiny_saves_a_lora_that_changes_the_generator(captioned, tmp_path):
    steps = []
    result = train_lora(captioned, tmp_path / "lora", base="tiny", steps=4, lr=5e-3, seed=0,
                        progress=lambda *step: steps.append(step))
    assert len(result.losses) == 4 and all(math.isfinite(loss) for loss in result.losses)
    assert steps == [(1, 4, "train"), (2, 4, "train"), (3, 4, "train"), (4, 4, "train")]
    assert result.path.is_file() and result.examples == 3

    photo = Image.new("RGB", (tiny.SIZE, tiny.SIZE), (180, 120, 90))
    plain = np.asarray(GENERATORS.session("tiny").generate(photo, "a person in a beret", seed=2), dtype=np.int16)
    styled = GENERATORS.new_session("tiny", lora=str(tmp_path / "lora")).generate(photo, "a person in a beret", seed=2)
    assert np.abs(np.asarray(styled, dtype=np.int16) - plain).max() > 0


def test_training_is_deterministic_for_a_seed(captioned, tmp_path):
    first = train_lora(captioned, tmp_path / "a", base="tiny", steps=2, lr=1e-3, seed=3).losses
    # same batches, noise and timesteps; only multithreaded CPU reductions may differ in the last bits
    again = train_lora(captioned, tmp_path / "b", base="tiny", steps=2, lr=1e-3, seed=3).losses
    assert again == pytest.approx(first, rel=1e-4)


def test_find_examples_pairs_images_with_captions(captioned):
    examples = find_examples(captioned)
    assert {e.image.name: e.caption for e in examples} == CAPTIONS


def test_not_a_folder(tmp_path):
    with pytest.raises(InvalidInput, match="not a folder"):
        train_lora(tmp_path / "missing", tmp_path / "out")


def test_empty_folder(tmp_path):
    with pytest.raises(InvalidInput, match="no images"):
        train_lora(tmp_path, tmp_path / "out")


def test_image_without_caption(captioned, tmp_path):
    (captioned / "jazz.txt").unlink()
    with pytest.raises(InvalidInput, match=r"no caption for jazz\.jpg.*jazz\.txt"):
        train_lora(captioned, tmp_path / "out")


def test_empty_caption(captioned, tmp_path):
    (captioned / "rock.txt").write_text("  \n")
    with pytest.raises(InvalidInput, match=r"empty caption in rock\.txt"):
        train_lora(captioned, tmp_path / "out")


def test_files_that_are_not_images(captioned, tmp_path):
    (captioned / "notes.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(InvalidImage, match=r"notes\.pdf"):
        train_lora(captioned, tmp_path / "out")


def test_a_broken_image(captioned, tmp_path):
    (captioned / "rock.png").write_bytes(b"not a png at all")
    with pytest.raises(InvalidImage, match=r"rock\.png"):
        train_lora(captioned, tmp_path / "out")


@pytest.mark.parametrize("options, message", [
    ({"steps": 0}, "steps"), ({"rank": -1}, "rank"), ({"lr": 0.0}, "lr"), ({"lr": float("nan")}, "lr"),
    ({"resolution": 60}, "multiple of 8"),
])
def test_bad_numbers(captioned, tmp_path, options, message):
    with pytest.raises(InvalidInput, match=message):
        train_lora(captioned, tmp_path / "out", **options)


def test_a_base_without_weights_names_the_fix(captioned, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("RELIVE_SDXL_BASE", raising=False)
    config.settings.cache_clear()  # settings() is cached; it must see the patched environment
    with pytest.raises(ModelUnavailable, match="hf download stabilityai/stable-diffusion-xl-base-1.0"):
        train_lora(captioned, tmp_path / "out", steps=1)
    with pytest.raises(ModelUnavailable, match="--base"):
        train_lora(captioned, tmp_path / "out", base=str(tmp_path / "no-such-model"), steps=1)


def test_output_that_is_a_file(captioned, tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(InvalidInput, match="is a file"):
        train_lora(captioned, tmp_path / "taken", steps=1)


@pytest.mark.parametrize("half", [True, False])
def test_fp16_training_scales_the_loss(captioned, tmp_path, monkeypatch, half):
    """fp16 (as on CUDA) trains through a gradient scaler; fp32 needs none and gets a disabled one."""
    import torch

    from relive.avatar import lora as lora_module

    scalers = []

    class RecordingScaler(torch.amp.GradScaler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            scalers.append(self)

    monkeypatch.setattr(torch.amp, "GradScaler", RecordingScaler)
    if half:
        monkeypatch.setattr(lora_module, "resolve_dtype", lambda device: torch.float16)
    result = train_lora(captioned, tmp_path / "lora", base="tiny", steps=2, lr=1e-3, seed=0)
    assert len(scalers) == 1 and scalers[0].is_enabled() is half
    assert all(math.isfinite(loss) for loss in result.losses)
    if half:  # the scale was in use: loss × scale went through backward, unscaled before clipping
        assert scalers[0].get_scale() > 1
