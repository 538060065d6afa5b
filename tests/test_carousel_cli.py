"""``relive collage / train / evaluate / fuse`` as a user runs them (a freshly initialised model: no training)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import relive
from PIL import Image
from skimage import data

from relive.config import settings
from relive.errors import InvalidInput

pytestmark = pytest.mark.skipif(not (settings().models_dir / "selfie_segmentation.tflite").is_file(),
                                reason="MediaPipe models missing; run `make models`")



@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """An untrained compact model: by construction it returns the copy-paste composite."""
    from relive.backends.fusion.model import build_model

    folder = tmp_path_factory.mktemp("ckpt") / "compact"
    build_model().save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_collage_then_evaluate(tmp_path, checkpoint):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(data.astronaut()).save(photos / "astronaut.jpg")
    (photos / "notes.txt").write_text("not a photo")
    run = relive("collage", photos, "--out", "data", "--workers", "1", "--val-fraction", "0", "--quiet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "collages written" in run.stdout and (tmp_path / "data" / "manifest.csv").is_file()
    run = relive("evaluate", "data", "--split", "train", "--checkpoint", checkpoint, "--out", "report", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "copy_paste" in run.stdout and "model" in run.stdout
    assert (tmp_path / "report" / "evaluation.json").is_file()


def test_collage_of_nothing_usable_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    run = relive("collage", "empty", "--out", "data", "--quiet", cwd=tmp_path)
    assert run.returncode == 2 and "relive: error:" in run.stderr


def test_fuse_places_the_avatar_and_writes_before_and_after(tmp_path, checkpoint):
    Image.fromarray(data.coffee()).save(tmp_path / "bg.jpg")
    avatar = np.zeros((300, 200, 4), np.uint8)
    avatar[50:280, 50:150] = (200, 40, 40, 255)
    Image.fromarray(avatar).save(tmp_path / "me.png")
    run = relive("fuse", "bg.jpg", "me.png", "--out", "out.png", "--before", "before.png", "--position", "300,380",
                 "--checkpoint", checkpoint, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out, before = Image.open(tmp_path / "out.png"), Image.open(tmp_path / "before.png")
    assert out.size == before.size == Image.open(tmp_path / "bg.jpg").size
    assert not np.array_equal(np.asarray(out), np.asarray(Image.open(tmp_path / "bg.jpg")))


def test_fuse_mistakes_are_one_line(tmp_path, checkpoint):
    Image.fromarray(data.coffee()).save(tmp_path / "bg.jpg")
    Image.new("RGB", (100, 200), "red").save(tmp_path / "flat.jpg")
    for args in (["bg.jpg", "flat.jpg"], ["bg.jpg", "missing.png"], ["bg.jpg", "bg.jpg", "--position", "x"]):
        run = relive("fuse", *args, "--out", "o.png", "--checkpoint", checkpoint, cwd=tmp_path)
        assert run.returncode == 2 and run.stderr.count("relive: error:") == 1 and "Traceback" not in run.stderr
        assert not (tmp_path / "o.png").exists()


def test_train_help_lists_its_options(tmp_path):
    run = relive("train", "--help", cwd=tmp_path)
    assert run.returncode == 0 and "--max-minutes" in run.stdout and "--arch" in run.stdout


def test_evaluate_names_each_checkpoint_so_that_two_runs_last_folders_stay_apart():
    from relive.commands.carousel import model_labels

    assert model_labels(["runs/a/last"]) == ["model"]
    assert model_labels(["checkpoints/carousel-compact", "runs/a/last"]) == ["model:carousel-compact", "model:last"]
    assert model_labels(["runs/a/last", "runs/b/last", "runs/b/best"]) == ["model:a/last", "model:b/last",
                                                                           "model:b/best"]
    with pytest.raises(InvalidInput, match="twice"):
        model_labels(["runs/a/last", "runs/a/last"])
