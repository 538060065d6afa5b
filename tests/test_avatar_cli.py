"""``relive avatar`` and ``relive avatar train-lora`` as a user runs them."""

from __future__ import annotations

import json

import pytest
from helpers import relive
from PIL import Image
from skimage import data

from relive.config import settings

pytestmark = pytest.mark.skipif(not (settings().models_dir / "selfie_segmentation.tflite").is_file(),
                                reason="MediaPipe models missing; run `make models`")



@pytest.fixture()
def photo(tmp_path):
    path = tmp_path / "me.jpg"
    Image.fromarray(data.astronaut()).save(path)
    return path


def test_instant_avatar_with_cutout_and_json(photo, tmp_path):
    run = relive("avatar", photo, "--preset", "Raver", "--out", "a.png", "--cutout", "c.png", "--generator", "instant",
                 "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["generator"] == "instant" and report["ai_generated"] is False
    for name in ("a.png", "c.png"):
        img = Image.open(tmp_path / name)
        assert img.mode == "RGBA" and img.size == (1024, 1024)
    assert Image.open(tmp_path / "c.png").getpixel((0, 0))[3] == 0


@pytest.mark.parametrize("args, message", [
    (["nothing.jpg", "--genres", "Rock"], "no image file"),
    (["{photo}", "--genres", "Metal=1"], "unknown genre"),
    (["{photo}", "--genres", "Rock", "--generator", "dalle"], "unknown avatar generator"),
    (["{photo}", "--genres", "Rock", "--gender", "robot"], "unknown gender"),
], ids=["missing-photo", "bad-genre", "bad-generator", "bad-choice"])
def test_mistakes_are_one_line_and_write_nothing(photo, tmp_path, args, message):
    run = relive("avatar", *[a.format(photo=photo) for a in args], "--out", "a.png", cwd=tmp_path)
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if line.startswith("relive: error:")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in run.stderr
    assert not (tmp_path / "a.png").exists()


@pytest.mark.slow
def test_train_lora_then_use_it(photo, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    for i, colour in enumerate(("red", "green", "blue")):
        Image.new("RGB", (64, 64), colour).save(images / f"{i}.png")
        (images / f"{i}.txt").write_text(f"a {colour} festival poster")
    run = relive("avatar", "train-lora", images, "--out", "lora", "--base", "tiny", "--steps", "3", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    weights = tmp_path / "lora" / "pytorch_lora_weights.safetensors"
    assert weights.is_file() and "trained a rank-4 LoRA on 3 images" in run.stdout
    run = relive("avatar", photo, "--genres", "Jazz", "--generator", "tiny", "--lora", weights, "--out", "t.png",
                 cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert Image.open(tmp_path / "t.png").size == (1024, 1024)
    empty = tmp_path / "empty"
    empty.mkdir()
    run = relive("avatar", "train-lora", empty, "--out", "lora2", "--base", "tiny", cwd=tmp_path)
    assert run.returncode == 2 and run.stderr.startswith("relive: error:")
