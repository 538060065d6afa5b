"""Bad input at the library and CLI level: a clear one-line error (CLI: exit 2, one stderr line, no traceback),
never a crash, and nothing left behind in the output folder. Odd-but-valid images (16-bit, CMYK, palette with
transparency, LA, EXIF-rotated, multi-picture JPEG, 1×1) are accepted and come out upright and of the right size.

The CLI is driven in-process through ``relive.commands.main`` (the console script's entry point); one test runs the real
``python -m relive`` to see its stderr as a terminal would. The web endpoints are tested elsewhere.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageDraw

from relive import genres, imaging
from relive.commands import main
from relive.config import settings
from relive.errors import InvalidGenres, InvalidImage

LIMIT = 10_000  # RELIVE_MAX_IMAGE_PIXELS for these tests: a 120×100 image stands in for a decompression bomb


# --- helpers ---------------------------------------------------------------------------------------------------

def cli(capsys, *args) -> tuple[int, str, str]:
    """``relive ARGS`` in-process: (exit code, stdout, stderr). An unexpected exception fails the test."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit:  # argparse's own usage errors
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(result, *phrases: str) -> str:
    code, _, err = result
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("relive: error: "), err
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def assert_clear(error: BaseException, *phrases: str) -> None:
    text = str(error)
    assert "\n" not in text and "Traceback" not in text
    for phrase in phrases:
        assert phrase in text, text


def assert_empty(folder) -> None:
    assert sorted(p.name for p in folder.iterdir()) == []  # hidden .partial files included


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def noise(w: int, h: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def person(w: int = 60, h: int = 120, mode: str = "RGBA") -> Image.Image:
    """An opaque ellipse on a transparent canvas: a cut-out in ``mode`` (RGBA, LA or P with transparency)."""
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((w * 0.2, h * 0.1, w * 0.8, h * 0.95), fill=(200, 140, 110, 255))
    if mode == "LA":
        return img.convert("LA")
    if mode == "P":
        pal = Image.new("P", (w, h), 0)
        pal.putpalette([0, 0, 0, 200, 140, 110] + [0] * 762)
        pal.paste(1, mask=img.getchannel("A"))
        pal.info["transparency"] = 0
        return pal
    return img


# --- the images ------------------------------------------------------------------------------------------------

def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (80, 80), c) for c in ("red", "blue")]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)


def _truncated(fmt: str) -> bytes:
    data = encode(noise(96, 80), fmt)
    return data[: len(data) // 2]


# name → (bytes, what the one-line error says). Made with RELIVE_MAX_IMAGE_PIXELS lowered to LIMIT.
BAD = {
    "text.jpg": (lambda: b"this is a note, not a photo\n" * 20, "is not an image relive can read; use JPEG, PNG or WebP"),
    "empty.png": (lambda: b"", "is not an image relive can read"),
    "truncated.jpg": (lambda: _truncated("JPEG"), "is truncated or corrupt"),
    "truncated.png": (lambda: _truncated("PNG"), "is truncated or corrupt"),
    "animated.gif": (lambda: _animated("GIF"), "is animated (2 frames); use a still photo"),
    "animated.webp": (lambda: _animated("WEBP"), "is animated (2 frames); use a still photo"),
    "animated.png": (lambda: _animated("PNG"), "is animated (2 frames); use a still photo"),
    "bomb.png": (lambda: encode(noise(120, 100), "PNG"), "is 120×100, over the 10,000-pixel limit; resize it first"),
    "huge.png": (lambda: encode(noise(250, 200), "PNG"), "is far over the 10,000-pixel limit"),
}


def exif_rotated() -> bytes:
    """Stored 120×60 with the left half red and EXIF orientation 6 (rotate 90° clockwise): shown 60×120, red on top."""
    img = Image.new("RGB", (120, 60), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 60, 60))
    exif = img.getexif()
    exif[0x0112] = 6
    return encode(img, "JPEG", exif=exif, quality=95)


def mpo() -> bytes:
    """A multi-picture JPEG (MPO: the photo plus a preview), as many cameras and phones write."""
    return encode(noise(80, 64), "MPO", save_all=True, append_images=[noise(40, 32, 1)])


# name → (bytes, size as shown). Odd, but photos people have.
ODD = {
    "grey16.png": (lambda: encode(Image.fromarray(np.linspace(0, 65535, 80 * 70).reshape(70, 80).astype(np.uint16)),
                                  "PNG"), (80, 70)),
    "cmyk.jpg": (lambda: encode(Image.new("CMYK", (90, 70), (0, 120, 200, 30)), "JPEG"), (90, 70)),
    "palette_transparent.png": (lambda: encode(person(mode="P"), "PNG", transparency=0), (60, 120)),
    "la.png": (lambda: encode(person(mode="LA"), "PNG"), (60, 120)),
    "exif6.jpg": (exif_rotated, (60, 120)),
    "mpo.jpg": (mpo, (80, 64)),
    "one_pixel.png": (lambda: encode(Image.new("RGB", (1, 1), "red"), "PNG"), (1, 1)),
}
WITH_ALPHA = {"palette_transparent.png", "la.png"}


def assert_says(text: str, name: str) -> None:
    """The error for BAD[name]: its own words, and a size or animation problem never called a corrupt file."""
    assert BAD[name][1] in text, text
    if "truncated" not in name:
        assert "truncated or corrupt" not in text, text


def write(folder, table, name):
    path = folder / name
    path.write_bytes(table[name][0]())
    return path


@pytest.fixture
def small_limit(monkeypatch):
    """RELIVE_MAX_IMAGE_PIXELS lowered, as a deployment would set it (the settings are cached: cleared around)."""
    monkeypatch.setenv("RELIVE_MAX_IMAGE_PIXELS", str(LIMIT))
    settings.cache_clear()
    yield LIMIT
    monkeypatch.undo()
    settings.cache_clear()


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A small untrained compact fusion model saved as a checkpoint folder (the mechanics, not the quality)."""
    from relive.backends.fusion.model import FusionConfig, build_model

    folder = tmp_path_factory.mktemp("ckpt")
    build_model(FusionConfig(work_size=64, widths=(8, 16, 32))).eval().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def model(checkpoint):
    from relive.backends.fusion import load_fusion_model

    return load_fusion_model(checkpoint, "cpu")


def models_present() -> bool:
    return (settings().models_dir / "selfie_segmentation.tflite").is_file()


needs_segmenter = pytest.mark.skipif(not models_present(), reason="MediaPipe models missing; run `make models`")


# --- bad image files: library ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", BAD)
def test_load_image_refuses_bad_files_in_one_clear_line(tmp_path, small_limit, name):
    path = write(tmp_path, BAD, name)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(InvalidImage) as info:
            imaging.load_image(path)
    assert_clear(info.value, name)
    assert_says(str(info.value), name)
    assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]  # no stderr noise


@pytest.mark.parametrize("name", BAD)
def test_make_avatar_and_fuse_refuse_bad_files(tmp_path, small_limit, model, name):
    from relive.avatar.pipeline import make_avatar
    from relive.carousel.fuse import fuse

    path = write(tmp_path, BAD, name)
    with pytest.raises(InvalidImage) as info:
        make_avatar(path, genres.parse("Rock"), generator="instant")
    assert_clear(info.value)
    assert_says(str(info.value), name)
    for background, avatar in ((path, person()), (noise(90, 80), path)):
        with pytest.raises(InvalidImage) as info:
            fuse(background, avatar, model=model)
        assert_clear(info.value)
        assert_says(str(info.value), name)


# --- bad image files: CLI --------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["avatar", "fuse-background", "fuse-avatar"])
@pytest.mark.parametrize("name", BAD)
def test_cli_refuses_bad_files_and_writes_nothing(tmp_path, out, small_limit, capsys, checkpoint, command, name):
    bad = write(tmp_path, BAD, name)
    good_bg, good_avatar = tmp_path / "bg.png", tmp_path / "avatar.png"
    noise(90, 80).save(good_bg)
    person().save(good_avatar)
    args = {
        "avatar": ["avatar", bad, "--genres", "Rock", "--generator", "instant", "--out", out / "a.png",
                   "--cutout", out / "c.png"],
        "fuse-background": ["fuse", bad, good_avatar, "--out", out / "f.png", "--before", out / "b.png",
                            "--checkpoint", checkpoint],
        "fuse-avatar": ["fuse", good_bg, bad, "--out", out / "f.png", "--before", out / "b.png",
                        "--checkpoint", checkpoint],
    }[command]
    assert_says(assert_refused(cli(capsys, *args), name), name)
    assert_empty(out)


def test_the_real_console_prints_one_line_for_a_bomb(tmp_path):
    """Pillow warns (DecompressionBombWarning) between the limit and twice it: relive's own error is enough."""
    (tmp_path / "out").mkdir()
    write(tmp_path, BAD, "bomb.png")
    person().save(tmp_path / "avatar.png")
    env = {**os.environ, "RELIVE_MAX_IMAGE_PIXELS": str(LIMIT)}
    run = subprocess.run([sys.executable, "-m", "relive", "fuse", "bomb.png", "avatar.png", "--out", "out/f.png"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.splitlines() == ["relive: error: 'bomb.png' is 120×100, over the 10,000-pixel limit; "
                                       "resize it first"]
    assert_empty(tmp_path / "out")


@pytest.mark.parametrize("value", ["lots", "1e9"])
def test_a_bad_pixel_limit_setting_is_one_line(tmp_path, out, monkeypatch, capsys, value):
    write(tmp_path, ODD, "cmyk.jpg")
    monkeypatch.setenv("RELIVE_MAX_IMAGE_PIXELS", value)
    settings.cache_clear()
    try:
        result = cli(capsys, "avatar", tmp_path / "cmyk.jpg", "--genres", "Rock", "--out", out / "a.png")
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    assert_refused(result, f"RELIVE_MAX_IMAGE_PIXELS={value!r} is not a whole number")
    assert_empty(out)


# --- odd but valid images --------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("name", ODD)
def test_odd_images_load_upright_as_uint8(tmp_path, name, mode):
    img = imaging.load_image(write(tmp_path, ODD, name), mode)
    assert img.mode == mode and img.size == ODD[name][1]
    arr = imaging.to_array(img)
    assert arr.dtype == np.uint8 and arr.shape == (img.height, img.width, len(mode))
    if name == "exif6.jpg":  # the stored left half (red) is on top once the EXIF rotation is applied
        top, bottom = arr[:50, :, :3].mean(axis=(0, 1)), arr[70:, :, :3].mean(axis=(0, 1))
        assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]
    if name in WITH_ALPHA:  # transparent corners: white in RGB, alpha 0 in RGBA
        assert tuple(arr[0, 0]) == ((255, 255, 255) if mode == "RGB" else (0, 0, 0, 0))


@pytest.mark.parametrize("name", ODD)
def test_odd_backgrounds_fuse_at_their_upright_size(tmp_path, out, capsys, checkpoint, name):
    """``relive fuse`` takes any of them as the background; even a 1×1 one gives a (1×1) picture, not a crash."""
    person().save(tmp_path / "avatar.png")
    code, stdout, err = cli(capsys, "fuse", write(tmp_path, ODD, name), tmp_path / "avatar.png",
                            "--out", out / "f.png", "--checkpoint", checkpoint)
    assert code == 0, err
    assert "fused →" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["f.png"]
    with Image.open(out / "f.png") as fused:
        assert fused.mode == "RGB" and fused.size == ODD[name][1]


@pytest.mark.parametrize("name", ODD)
def test_odd_avatars_fuse_when_they_have_transparency(tmp_path, model, name):
    from relive.carousel.fuse import fuse

    path = write(tmp_path, ODD, name)
    if name in WITH_ALPHA:
        result = fuse(noise(160, 120), path, model=model)
        assert result.image.size == (160, 120) and (result.mask > 0).any()
    else:  # opaque: no cut-out to place
        with pytest.raises(InvalidImage) as info:
            fuse(noise(160, 120), path, model=model)
        assert_clear(info.value, "has no transparency", "RGBA cut-out")


def test_a_one_pixel_photo_is_too_small_for_an_avatar(tmp_path, out, capsys):
    photo = write(tmp_path, ODD, "one_pixel.png")
    line = assert_refused(cli(capsys, "avatar", photo, "--genres", "Rock", "--generator", "instant",
                              "--out", out / "a.png"))
    assert line == f"relive: error: '{photo}' is only 1×1; use an image at least 64×64"
    assert_empty(out)


@needs_segmenter
def test_an_exif_rotated_cmyk_photo_makes_an_avatar(tmp_path, out, capsys):
    from skimage import data

    img = Image.fromarray(data.astronaut()).resize((160, 160)).rotate(90, expand=True).convert("CMYK")
    exif = img.getexif()
    exif[0x0112] = 6  # stored sideways, shown upright
    img.save(tmp_path / "me.jpg", exif=exif)
    assert imaging.load_image(tmp_path / "me.jpg").size == (160, 160)
    code, _, err = cli(capsys, "avatar", tmp_path / "me.jpg", "--genres", "Jazz=1,Soul=0.5", "--generator", "instant",
                       "--out", out / "a.png")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["a.png"]
    with Image.open(out / "a.png") as avatar:
        assert avatar.mode == "RGBA" and avatar.size == (1024, 1024)


# --- fuse placement options ------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, says", [
    (["--position", "500,10"], "outside the 90×80 background"),
    (["--position=-1,10"], "outside the 90×80 background"),
    (["--position", "10;20"], "is not X,Y"),
    (["--position", "1,2,3"], "is not X,Y"),
    (["--position", "nan,10"], "two finite numbers"),
    (["--scale", "0"], "must be a positive number"),
    (["--scale", "-0.5"], "must be a positive number"),
    (["--scale", "nan"], "must be a positive number"),
    (["--scale", "inf"], "must be a positive number"),
    (["--scale", "big"], "invalid float value"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_fuse_bad_placement_is_one_line(tmp_path, out, capsys, checkpoint, options, says):
    noise(90, 80).save(tmp_path / "bg.png")
    person().save(tmp_path / "avatar.png")
    assert_refused(cli(capsys, "fuse", tmp_path / "bg.png", tmp_path / "avatar.png", "--out", out / "f.png",
                       "--checkpoint", checkpoint, *options), says)
    assert_empty(out)


# --- genres ----------------------------------------------------------------------------------------------------

def rock(value) -> list:
    vec = [0.0] * genres.N_GENRES
    vec[genres.GENRES.index("Rock")] = value
    return vec


@pytest.mark.parametrize("values, says", [
    (rock(float("nan")), "Rock=nan"),
    (rock(float("inf")), "Rock=inf"),
    (rock(-float("inf")), "Rock=-inf"),
    (rock(-0.25), "Rock=-0.25"),
    (rock(1.5), "Rock=1.5"),
    ([], "got shape (0,)"),
    ([0.5] * 17, "got shape (17,)"),
    ([0.5] * 19, "got shape (19,)"),
    ([[0.5] * 17] * 2, "got shape (2, 17)"),
    (np.zeros((2, 3, 18)), "got shape (2, 3, 18)"),
    (["high"] * 18, "genre values must be 18 numbers"),
    (None, "got shape ()"),
    ([rock(0.5), rock(2.0)], "row 2: Rock=2.0"),
], ids=["nan", "inf", "-inf", "negative", "above-1", "empty", "17", "19", "2x17", "3-d", "text", "none", "row-2"])
def test_validate_refuses_bad_vectors_naming_the_value(values, says):
    with pytest.raises(InvalidGenres) as info:
        genres.validate(values)
    assert_clear(info.value, says)


BAD_GENRE_TEXT = [
    ("Rock=nan", "invalid genre values: Rock=nan"),
    ("Rock=inf", "invalid genre values: Rock=inf"),
    ("Rock=-inf", "invalid genre values: Rock=-inf"),
    ("Rock=-0.5", "invalid genre values: Rock=-0.5"),
    ("Rock=1.5", "invalid genre values: Rock=1.5"),
    ("Rock=1e999", "invalid genre values: Rock=inf"),
    ("", "no genres given"),
    (" , ,", "no genres given"),
    ("Metal=1", "unknown genre 'Metal'; valid genres: Comedy, Art, Chill"),
    ("=1", "unknown genre ''"),
    ("Rock=1,ROCK=0.2", "genre Rock is given twice"),
    ("Rock=abc", "has value 'abc', which is not a number"),
    ("Rock=", "which is not a number"),
    ("Rock=1=2", "which is not a number"),
]


@pytest.mark.parametrize("text, says", BAD_GENRE_TEXT)
def test_parse_refuses_bad_genre_text(text, says):
    with pytest.raises(InvalidGenres) as info:
        genres.parse(text)
    assert_clear(info.value, says)


@pytest.mark.parametrize("command", ["pet", "avatar"])
@pytest.mark.parametrize("text, says", BAD_GENRE_TEXT)
def test_cli_refuses_bad_genre_text_and_writes_nothing(tmp_path, out, capsys, command, text, says):
    photo = tmp_path / "me.png"
    noise(80, 80).save(photo)
    args = {"pet": ["pet", "--size", "128"], "avatar": ["avatar", photo, "--generator", "instant"]}[command]
    assert_refused(cli(capsys, *args, "--genres", text, "--out", out / "x.png"), says)
    assert_empty(out)


@pytest.mark.parametrize("prefs, says", [
    ({"Metal": 1}, "unknown genre 'Metal'"),
    ({"Rock": None}, "genre 'Rock' has value None, which is not a number"),
    ({"Rock": "loud"}, "which is not a number"),
    ({"Rock": float("nan")}, "Rock=nan"),
    ({"Rock": 1, "rock": 0}, "genre Rock is given twice"),
    ({"Hip hop": 3}, "Hip-hop=3.0"),
])
def test_from_mapping_refuses_bad_preferences(prefs, says):
    with pytest.raises(InvalidGenres) as info:
        genres.from_mapping(prefs)
    assert_clear(info.value, says)


@pytest.mark.parametrize("name", ["Metal", "", "  ", "Rock!", "Hip/hop", "Jazz 2"])
def test_unknown_genre_names_list_the_valid_ones(name):
    with pytest.raises(InvalidGenres) as info:
        genres.canonical_genre(name)
    assert_clear(info.value, f"unknown genre {name!r}", ", ".join(genres.GENRES))


# --- pet-batch CSV ---------------------------------------------------------------------------------------------

BAD_ROWS = "UserID,Rock,Jazz\na,0.5,0.1\nb,nan,0.2\nc,inf,0.3\nd,-0.1,0\ne,1.01,0\nf,abc,0\ng,0.2,0.2\n"


def batch(capsys, tmp_path, out, content: str, *options):
    (tmp_path / "users.csv").write_text(content)
    return cli(capsys, "pet-batch", "--users", tmp_path / "users.csv", "--out", out / "assigned.csv", "--quiet",
               *options)


def assigned_ids(out) -> list[str]:
    with open(out / "assigned.csv", newline="") as f:
        return [row["UserID"] for row in csv.DictReader(f)]


def test_bad_rows_are_listed_by_line_and_nothing_is_written(tmp_path, out, capsys):
    assert_refused(batch(capsys, tmp_path, out, BAD_ROWS), "on line(s) 3, 4, 5, 6, 7", "nothing was written",
                   "--skip-invalid")
    assert_empty(out)


def test_skip_invalid_writes_the_good_rows_and_lists_the_bad(tmp_path, out, capsys):
    code, stdout, err = batch(capsys, tmp_path, out, BAD_ROWS, "--skip-invalid")
    assert code == 0, err
    assert err.splitlines() == [f"relive: warning: '{tmp_path / 'users.csv'}': invalid genre values (text, NaN, inf, "
                                "below 0 or above 1) on line(s) 3, 4, 5, 6, 7; those rows were skipped"]
    assert "assigned 2 users" in stdout
    assert assigned_ids(out) == ["a", "g"]
    assert sorted(p.name for p in out.iterdir()) == ["assigned.csv"]


@pytest.mark.parametrize("options", [[], ["--skip-invalid"]], ids=["default", "skip-invalid"])
@pytest.mark.parametrize("content, says", [
    ("UserID,Rock,Jazz\na,0.5,0.1\nb,0.5,0.1,0.9\n", "Expected 3 fields in line 3, saw 4"),
    ("UserID,Rock,Metal\na,0.5,0.1\n", "unknown column(s) 'Metal'"),
    ("UserID,Rock,rock\na,0.5,0.1\n", "genre column(s) given twice: 'rock'"),
    ("Rock,Jazz\n0.5,0.1\n", "has no UserID column"),
    ("UserID;Rock;Jazz\na;0.5;0.1\n", "has no UserID column"),
    ("", "is empty"),
    ("UserID,Rock\n\x00\udcff\n", "is not a readable CSV"),
], ids=["long-row", "unknown-column", "repeated-column", "no-userid", "semicolons", "empty", "not-utf8"])
def test_malformed_csv_is_one_line_in_both_modes(tmp_path, out, capsys, content, says, options):
    (tmp_path / "users.csv").write_bytes(content.encode("utf-8", "surrogateescape"))
    result = cli(capsys, "pet-batch", "--users", tmp_path / "users.csv", "--out", out / "assigned.csv", "--quiet",
                 *options)
    assert_refused(result, says)
    assert_empty(out)


def test_a_short_row_counts_its_missing_cells_as_blank(tmp_path, out, capsys):
    """Documented: a blank cell is 0, and pandas reads a row with fewer fields as blank trailing cells."""
    code, _, err = batch(capsys, tmp_path, out, "UserID,Rock,Jazz\na,0.5,0.1\nb,0.5\nc,0.3,0.3\n")
    assert code == 0, err
    same = tmp_path / "same"
    same.mkdir()
    batch(capsys, tmp_path, same, "UserID,Rock,Jazz\na,0.5,0.1\nb,0.5,0\nc,0.3,0.3\n")
    assert (out / "assigned.csv").read_text() == (same / "assigned.csv").read_text()


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_assign_csv_across_chunks_is_all_or_nothing(tmp_path, out, skip_invalid):
    from relive.pet.batch import assign_csv
    from relive.pet.catalog import load_catalog

    rows = [f"u{i},{0.1 * (i % 10):.1f},0.5" for i in range(10)]
    rows[1], rows[6], rows[9] = "u1,2,0.5", "u6,,nan", "u9,x,0.5"  # in the 1st, 4th and 5th chunk of 2
    (tmp_path / "users.csv").write_text("UserID,Rock,Jazz\n" + "\n".join(rows) + "\n")
    catalog = load_catalog(check_images=False)
    if not skip_invalid:
        with pytest.raises(InvalidGenres) as info:
            assign_csv(tmp_path / "users.csv", out / "assigned.csv", catalog, chunk_rows=2, progress=False)
        assert_clear(info.value, "on line(s) 3, 8, 11", "nothing was written")
        assert_empty(out)
        return
    report = assign_csv(tmp_path / "users.csv", out / "assigned.csv", catalog, chunk_rows=2, progress=False,
                        skip_invalid=True)
    assert report.users == 7 and report.invalid_lines == [3, 8, 11]
    assert assigned_ids(out) == [f"u{i}" for i in range(10) if i not in (1, 6, 9)]
    assert sorted(p.name for p in out.iterdir()) == ["assigned.csv"]


# --- collage ---------------------------------------------------------------------------------------------------

def damaged_zip(damage: str) -> bytes:
    """A zip of one photo, damaged: 'data' (a flipped byte: bad CRC), 'encrypted' (the flag set), 'deflate64'
    (a compression Python cannot read, as Windows writes for large archives)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("photo.png", encode(noise(64, 64), "PNG"))
    data = bytearray(buf.getvalue())
    entry = data.rindex(b"PK\x01\x02")  # the central directory's entry: flags at +8, compression at +10
    if damage == "data":
        data[2000] ^= 0xFF
    elif damage == "encrypted":
        data[entry + 8] |= 0x1
    else:
        data[entry + 10:entry + 12] = (9).to_bytes(2, "little")
    return bytes(data)


DAMAGED_ZIPS = {"data": "cannot be read from its archive (Bad CRC-32", "encrypted": "is encrypted; zip the photos "
                "without a password", "deflate64": "cannot be read from its archive (That compression method"}


def test_a_zip_member_is_streamed_not_inflated_whole(tmp_path):
    """A photo followed by 64 MiB of zeros (64 KiB zipped): only what the image needs is read."""
    import tracemalloc

    from relive.carousel.training.collage import PhotoRef

    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("photo.png", "w", force_zip64=True) as member:
            member.write(encode(noise(64, 48), "PNG"))
            for _ in range(64):
                member.write(bytes(1 << 20))
    tracemalloc.start()
    try:
        photo = PhotoRef("bomb.zip!photo.png", str(tmp_path / "bomb.zip"), "photo.png").read()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert photo.shape == (48, 64, 3)
    assert peak < 8 << 20


@pytest.mark.parametrize("damage", DAMAGED_ZIPS)
def test_a_damaged_zip_member_is_a_clear_error(tmp_path, damage):
    from relive.carousel.training.collage import PhotoRef

    (tmp_path / "photos.zip").write_bytes(damaged_zip(damage))
    with pytest.raises(InvalidImage) as info:
        PhotoRef("photos.zip!photo.png", str(tmp_path / "photos.zip"), "photo.png").read()
    assert_clear(info.value, "'photos.zip!photo.png'", DAMAGED_ZIPS[damage])


@needs_segmenter
def test_collage_rejects_every_bad_file_with_its_reason(tmp_path, small_limit, capsys):
    """Bad files are skipped and listed in rejected.csv (that list is what lets a rerun resume); with no usable
    person at all the run ends with one error line, and no collage or partial file is left."""
    src = tmp_path / "src"
    src.mkdir()
    for name in BAD:
        write(src, BAD, name)
    for name in ("cmyk.jpg", "one_pixel.png"):
        write(src, ODD, name)
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as archive:
        archive.writestr("inner/animated.gif", BAD["animated.gif"][0]())
    (tmp_path / "broken.zip").write_text("not a zip")
    for damage in DAMAGED_ZIPS:
        (tmp_path / f"{damage}.zip").write_bytes(damaged_zip(damage))
    data = tmp_path / "data"
    zips = [tmp_path / f"{name}.zip" for name in ("photos", "broken", *DAMAGED_ZIPS)]
    assert_refused(cli(capsys, "collage", src, *zips, "--out", data, "--workers", "1", "--quiet"),
                   "no usable person was found in those photos")
    assert list((data / "collages").iterdir()) == []
    assert not list(data.rglob("*.partial"))
    with open(data / "manifest.csv", newline="") as f:
        assert list(csv.DictReader(f)) == []
    with open(data / "rejected.csv", newline="") as f:
        reasons = {row["source"]: row["reason"] for row in csv.DictReader(f)}
    assert reasons.pop(str(src / "cmyk.jpg")) == reasons.pop(str(src / "one_pixel.png")) == "no person found"
    assert_says(reasons.pop(f"{tmp_path / 'photos.zip'}!inner/animated.gif"), "animated.gif")
    assert_says(reasons.pop(str(tmp_path / "broken.zip")), "text.jpg")  # not a zip: then not an image either
    for damage, says in DAMAGED_ZIPS.items():
        assert says in reasons.pop(f"{tmp_path / damage}.zip!photo.png")
    assert set(reasons) == {str(src / name) for name in BAD}
    for name in BAD:
        assert_says(reasons[str(src / name)], name)


def test_collage_of_a_missing_folder_creates_nothing(tmp_path, capsys):
    assert_refused(cli(capsys, "collage", tmp_path / "nothere", "--out", tmp_path / "data", "--workers", "1"),
                   "no folder, photo or .zip at")
    assert not (tmp_path / "data").exists()
