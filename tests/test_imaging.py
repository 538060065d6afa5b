"""relive.imaging: the one door for images (load/validate/convert), saving, alpha helpers and layering."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, features

from relive import imaging
from relive.errors import InvalidImage, InvalidInput

ignore_bomb_warning = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def noise(w=96, h=64, seed=0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def assert_uint8(img: Image.Image, mode: str, size):
    assert isinstance(img, Image.Image)
    assert img.mode == mode
    assert img.size == size
    arr = imaging.to_array(img)
    assert arr.dtype == np.uint8
    assert arr.shape == (size[1], size[0], len(mode))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims ``width`` × ``height`` RGB pixels (a decompression bomb's shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 16))
            + png_chunk(b"IEND", b""))


# --- modes -----------------------------------------------------------------------------------------------------

MODES = ["RGB", "RGBA", "L", "LA", "CMYK", "I", "F", "1", "I;16", "P"]


@pytest.mark.parametrize("src_mode", MODES)
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_every_mode_becomes_rgb_or_rgba_uint8(src_mode, mode):
    img = Image.new(src_mode, (12, 7))
    assert_uint8(imaging.load_image(img, mode), mode, (12, 7))


def test_default_mode_is_rgb():
    assert imaging.load_image(Image.new("RGBA", (4, 4))).mode == "RGB"


def test_input_image_is_not_modified():
    src = Image.new("RGBA", (4, 4), (1, 2, 3, 0))
    imaging.load_image(src, "RGB")
    assert src.mode == "RGBA" and src.getpixel((0, 0)) == (1, 2, 3, 0)


@pytest.mark.parametrize("src_mode, pixel", [("RGBA", (10, 20, 30, 0)), ("LA", (10, 0))])
def test_transparent_pixels_flatten_to_white(src_mode, pixel):
    img = Image.new(src_mode, (4, 4), pixel)
    out = imaging.load_image(img, "RGB")
    assert out.getpixel((0, 0)) == (255, 255, 255)


def test_half_transparent_pixels_blend_with_white():
    out = imaging.load_image(Image.new("RGBA", (2, 2), (0, 0, 0, 128)), "RGB")
    r, g, b = out.getpixel((0, 0))
    assert r == g == b and 120 <= r <= 135


def test_opaque_pixels_unchanged_in_rgb():
    out = imaging.load_image(Image.new("RGBA", (2, 2), (10, 200, 30, 255)), "RGB")
    assert out.getpixel((1, 1)) == (10, 200, 30)


def test_rgba_keeps_alpha():
    out = imaging.load_image(Image.new("RGBA", (2, 2), (10, 200, 30, 77)), "RGBA")
    assert out.getpixel((0, 0)) == (10, 200, 30, 77)


def palette_png_with_transparency() -> bytes:
    """4×4 palette PNG: index 0 = red and transparent, index 1 = opaque blue at (0, 0)."""
    p = Image.new("P", (4, 4), 0)
    p.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    p.info["transparency"] = 0
    p.putpixel((0, 0), 1)
    return encode(p, "PNG", transparency=0)


def test_palette_with_transparency_rgb_is_white_not_black_or_red():
    out = imaging.load_image(palette_png_with_transparency(), "RGB")
    assert_uint8(out, "RGB", (4, 4))
    assert out.getpixel((1, 1)) == (255, 255, 255)
    assert out.getpixel((0, 0)) == (0, 0, 255)


def test_palette_with_transparency_rgba_has_alpha():
    out = imaging.load_image(palette_png_with_transparency(), "RGBA")
    assert out.getpixel((1, 1))[3] == 0
    assert out.getpixel((0, 0)) == (0, 0, 255, 255)


def test_cmyk_jpeg_from_bytes():
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # red in CMYK
    out = imaging.load_image(encode(cmyk, "JPEG", quality=95))
    r, g, b = out.getpixel((8, 8))
    assert r > 200 and g < 60 and b < 60


def test_16_bit_png_from_disk_scaled_to_8_bit(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (8, 1))
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    with Image.open(path) as raw:
        assert raw.mode.startswith("I")  # really a 16-bit file
    out = imaging.load_image(path)
    assert_uint8(out, "RGB", (64, 8))
    row = imaging.to_array(out)[0, :, 0]
    assert row[0] == 0 and row[-1] == 255
    assert np.all(np.diff(row.astype(int)) >= 0)  # the ramp stays a ramp


def test_32_bit_int_and_float_images():
    i_img = Image.fromarray(np.array([[0, 65535]], dtype=np.int32), "I")
    assert imaging.to_array(imaging.load_image(i_img))[0, :, 0].tolist() == [0, 255]
    f_img = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32), "F")
    assert imaging.to_array(imaging.load_image(f_img))[0, :, 0].tolist() == [0, 128, 255]


def test_one_bit_image_black_and_white():
    img = Image.new("1", (2, 1), 0)
    img.putpixel((1, 0), 1)
    assert imaging.to_array(imaging.load_image(img))[0].tolist() == [[0, 0, 0], [255, 255, 255]]


# --- sources and EXIF ----------------------------------------------------------------------------------------

def test_sources_path_str_bytes_stream(tmp_path):
    data = encode(noise(), "PNG")
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    expected = imaging.to_array(noise())
    for source in (path, str(path), data, io.BytesIO(data)):
        np.testing.assert_array_equal(imaging.to_array(imaging.load_image(source)), expected)


def exif_rotated_jpeg() -> bytes:
    img = Image.new("RGB", (80, 40), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° CW to display
    return encode(img, "JPEG", exif=exif.tobytes())


def test_exif_orientation_applied_from_file(tmp_path):
    path = tmp_path / "phone.jpg"
    path.write_bytes(exif_rotated_jpeg())
    with Image.open(path) as raw:
        assert raw.size == (80, 40)
    assert imaging.load_image(path).size == (40, 80)


def test_exif_orientation_applied_from_pil_image():
    assert imaging.load_image(Image.open(io.BytesIO(exif_rotated_jpeg()))).size == (40, 80)


# --- refusals ------------------------------------------------------------------------------------------------

def test_non_image_named_jpg(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"this is not a JPEG at all\n" * 10)
    with pytest.raises(InvalidImage) as info:
        imaging.load_image(path)
    assert "photo.jpg" in str(info.value)
    assert "JPEG" in str(info.value)  # says what to use


def test_invalid_image_is_invalid_input():
    with pytest.raises(InvalidInput):
        imaging.load_image(b"")


def test_truncated_jpeg(tmp_path):
    data = encode(noise(256, 256), "JPEG", quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidImage, match="truncated or corrupt"):
        imaging.load_image(path)


def test_truncated_png():
    data = encode(noise(128, 128), "PNG")
    with pytest.raises(InvalidImage, match="truncated or corrupt"):
        imaging.load_image(data[: len(data) // 2])


@ignore_bomb_warning
def test_png_header_claiming_huge_size_is_refused_without_decoding():
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(InvalidImage) as info:
        imaging.load_image(png_claiming(100_000, 100_000))
    assert "pixel limit" in str(info.value)
    assert Image.MAX_IMAGE_PIXELS == before  # the global limit is restored


@ignore_bomb_warning
def test_png_header_over_a_small_limit(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(5000, 5000))
    with pytest.raises(InvalidImage, match="pixel limit"):
        imaging.load_image(path, max_pixels=10_000)


@ignore_bomb_warning
@pytest.mark.parametrize("as_bytes", [True, False], ids=["bytes", "pil"])
def test_image_over_pixel_limit(as_bytes):
    img = Image.new("RGB", (100, 100))
    source = encode(img, "PNG") if as_bytes else img
    with pytest.raises(InvalidImage) as info:
        imaging.load_image(source, max_pixels=9_999)
    assert "100×100" in str(info.value) and "9,999" in str(info.value)


def test_image_at_pixel_limit_is_fine():
    assert imaging.load_image(Image.new("RGB", (100, 100)), max_pixels=10_000).size == (100, 100)


def two_frames(fmt: str) -> bytes:
    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "blue")]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animated_images_refused(fmt, tmp_path):
    if fmt == "WEBP" and not features.check("webp"):
        pytest.skip("Pillow built without WebP")
    path = tmp_path / f"anim.{fmt.lower()}"
    path.write_bytes(two_frames(fmt))
    with pytest.raises(InvalidImage, match="animated"):
        imaging.load_image(path)


def test_single_frame_gif_is_fine():
    assert imaging.load_image(encode(Image.new("RGB", (16, 16), "red"), "GIF")).size == (16, 16)


def test_animated_pil_image_refused():
    with pytest.raises(InvalidImage, match="animated"):
        imaging.load_image(Image.open(io.BytesIO(two_frames("GIF"))))


def test_too_small_image():
    with pytest.raises(InvalidImage) as info:
        imaging.load_image(Image.new("RGB", (1, 1)), min_side=64)
    assert "1×1" in str(info.value) and "64×64" in str(info.value)


def test_min_side_checks_the_rotated_image():
    assert imaging.load_image(exif_rotated_jpeg(), min_side=40).size == (40, 80)
    with pytest.raises(InvalidImage):
        imaging.load_image(exif_rotated_jpeg(), min_side=41)


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(InvalidImage) as info:
        imaging.load_image(missing)
    assert str(missing) in str(info.value)


def test_folder_is_not_an_image(tmp_path):
    with pytest.raises(InvalidImage):
        imaging.load_image(tmp_path)


# --- numpy arrays ----------------------------------------------------------------------------------------------

def test_uint8_arrays():
    rgb = np.random.default_rng(2).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(imaging.to_array(imaging.load_image(rgb)), rgb)
    rgba = np.dstack([rgb, np.full((5, 7), 255, np.uint8)])
    np.testing.assert_array_equal(imaging.to_array(imaging.load_image(rgba, "RGBA")), rgba)
    grey = rgb[:, :, 0]
    out = imaging.to_array(imaging.load_image(grey))
    assert out.shape == (5, 7, 3)
    np.testing.assert_array_equal(out[:, :, 1], grey)


def test_float_arrays_are_taken_as_0_to_1():
    arr = np.array([[[0.0, 0.5, 1.0]]], dtype=np.float32)
    assert imaging.to_array(imaging.load_image(arr))[0, 0].tolist() == [0, 128, 255]


def test_float_arrays_outside_0_1_are_clipped():
    arr = np.array([[[-0.5, 2.0, 1.0]]])
    assert imaging.to_array(imaging.load_image(arr))[0, 0].tolist() == [0, 255, 255]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_float_array_with_nan_or_inf(bad):
    arr = np.zeros((4, 4, 3))
    arr[1, 1, 1] = bad
    with pytest.raises(InvalidImage, match="NaN or infinite"):
        imaging.load_image(arr)


@pytest.mark.parametrize("dtype", [np.int32, np.uint16, np.int64, bool])
def test_array_bad_dtype(dtype):
    with pytest.raises(InvalidImage, match="uint8 or float"):
        imaging.load_image(np.zeros((4, 4, 3), dtype=dtype))


@pytest.mark.parametrize("shape", [(4,), (4, 4, 2), (4, 4, 5), (2, 4, 4, 3)])
def test_array_bad_shape(shape):
    with pytest.raises(InvalidImage) as info:
        imaging.load_image(np.zeros(shape, dtype=np.uint8))
    assert str(shape) in str(info.value)


def test_to_image_and_to_array_round_trip():
    arr = np.random.default_rng(3).integers(0, 256, (3, 4, 4), dtype=np.uint8)
    img = imaging.to_image(arr)
    assert img.mode == "RGBA"
    np.testing.assert_array_equal(imaging.to_array(img), arr)


# --- save_image ------------------------------------------------------------------------------------------------

def test_save_png_keeps_alpha(tmp_path):
    img = Image.new("RGBA", (8, 8), (10, 20, 30, 40))
    out = imaging.save_image(img, tmp_path / "a.png")
    assert out == tmp_path / "a.png"
    with Image.open(out) as back:
        assert back.format == "PNG" and back.mode == "RGBA"
        assert back.getpixel((3, 3)) == (10, 20, 30, 40)


@pytest.mark.parametrize("name", ["a.jpg", "b.JPEG"])
def test_save_jpeg_flattens_on_white(tmp_path, name):
    img = Image.new("RGBA", (16, 16), (0, 0, 0, 0))
    imaging.save_image(img, tmp_path / name)
    with Image.open(tmp_path / name) as back:
        assert back.format == "JPEG" and back.mode == "RGB"
        assert min(back.getpixel((8, 8))) >= 250  # white, not black


def test_save_webp(tmp_path):
    if not features.check("webp"):
        pytest.skip("Pillow built without WebP")
    imaging.save_image(Image.new("RGBA", (8, 8), (1, 2, 3, 0)), tmp_path / "a.webp")
    with Image.open(tmp_path / "a.webp") as back:
        assert back.format == "WEBP"


@pytest.mark.parametrize("name", ["a.gif", "a.bmp", "noextension"])
def test_save_unknown_extension(tmp_path, name):
    with pytest.raises(InvalidImage) as info:
        imaging.save_image(Image.new("RGB", (4, 4)), tmp_path / name)
    assert ".png" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(InvalidImage, match="does not exist"):
        imaging.save_image(Image.new("RGB", (4, 4)), tmp_path / "missing" / "a.png")
    assert list(tmp_path.iterdir()) == []


def test_save_failure_leaves_no_partial_file_and_keeps_old_one(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"old content")

    def failing_save(self, fp, format=None, **params):
        with open(fp, "wb") as f:
            f.write(b"half an image")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        imaging.save_image(Image.new("RGB", (4, 4)), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]
    assert target.read_bytes() == b"old content"


def test_save_overwrites_existing_file(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"old content")
    imaging.save_image(Image.new("RGB", (4, 4), "red"), target)
    with Image.open(target) as back:
        assert back.getpixel((0, 0)) == (255, 0, 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


# --- alpha_mask, flatten, layer ----------------------------------------------------------------------------------

def test_alpha_mask():
    img = Image.new("RGBA", (3, 2), (9, 9, 9, 0))
    img.putpixel((2, 1), (9, 9, 9, 255))
    mask = imaging.alpha_mask(img)
    assert mask.dtype == np.uint8 and mask.shape == (2, 3)
    assert mask[1, 2] == 255 and mask.sum() == 255


@pytest.mark.parametrize("mode", ["RGB", "L", "LA"])
def test_alpha_mask_needs_rgba(mode):
    with pytest.raises(InvalidImage, match="RGBA"):
        imaging.alpha_mask(Image.new(mode, (2, 2)))


def test_flatten_custom_background():
    out = imaging.flatten(Image.new("RGBA", (2, 2), (0, 0, 0, 0)), background=(1, 2, 3))
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (1, 2, 3)


def test_layer_bottom_first_and_none_skipped():
    base = Image.new("RGBA", (4, 4), (255, 0, 0, 255))
    green = Image.new("RGBA", (4, 4), (0, 255, 0, 255))
    blue_left = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    blue_left.paste((0, 0, 255, 255), (0, 0, 2, 4))
    out = imaging.layer(base, [green, None, blue_left])
    assert out.mode == "RGBA" and out.size == (4, 4)
    assert out.getpixel((0, 0)) == (0, 0, 255, 255)  # top layer wins where it is opaque
    assert out.getpixel((3, 0)) == (0, 255, 0, 255)  # the layer below shows through its transparency
    # the other order hides blue under green
    assert imaging.layer(base, [blue_left, green]).getpixel((0, 0)) == (0, 255, 0, 255)


def test_layer_transparent_layer_keeps_base():
    base = Image.new("RGB", (3, 3), (255, 0, 0))
    out = imaging.layer(base, [Image.new("RGBA", (3, 3), (0, 0, 0, 0)), None])
    assert out.mode == "RGBA" and out.getpixel((1, 1)) == (255, 0, 0, 255)


def test_layer_resizes_to_base():
    base = Image.new("RGBA", (64, 64), (255, 0, 0, 255))
    small = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    small.paste((0, 0, 255, 255), (0, 0, 4, 8))  # left half opaque blue
    out = imaging.layer(base, [small])
    assert out.size == (64, 64)
    assert out.getpixel((5, 32)) == (0, 0, 255, 255)
    assert out.getpixel((58, 32)) == (255, 0, 0, 255)


def test_layer_does_not_modify_inputs():
    base = Image.new("RGBA", (4, 4), (255, 0, 0, 255))
    top = Image.new("RGBA", (2, 2), (0, 0, 255, 255))
    imaging.layer(base, [top])
    assert base.getpixel((0, 0)) == (255, 0, 0, 255) and top.size == (2, 2)
