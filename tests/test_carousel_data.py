"""CAROUSEL data: perturbation, scenes, collages (photos and synthetic), the dataset's tensors.

Everything runs offline on small images; the photo tests need the MediaPipe model (``make models``) and skip
with that reason when it is missing.
"""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from relive.carousel.training import collage, perturb, scenes
from relive.carousel.training.dataset import AvatarFusionDataset
from relive.errors import InvalidInput, UnknownName

skimage_data = pytest.importorskip("skimage.data")


def _mediapipe_ok() -> tuple[bool, str]:
    from relive.backends.segmentation import SEGMENTERS

    ok, reason = SEGMENTERS.get("mediapipe").available()
    return ok, reason


needs_mediapipe = pytest.mark.skipif(not _mediapipe_ok()[0], reason=f"mediapipe segmenter: {_mediapipe_ok()[1]}")


def natural_image(seed: int = 0, size: tuple[int, int] = (96, 128)) -> np.ndarray:
    """A crop of a real photo (coffee), so perturbations act on natural colours."""
    coffee = skimage_data.coffee()
    y, x = 40 + seed, 60 + seed
    return np.ascontiguousarray(coffee[y:y + size[0], x:x + size[1]])


def box_mask(shape: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    y0, y1, x0, x1 = box
    mask = np.zeros(shape, np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask


# --- perturbation --------------------------------------------------------------------------------------------------

def test_perturbation_changes_only_inside_the_mask_and_visibly():
    rgb = natural_image()
    mask = box_mask(rgb.shape[:2], (20, 80, 30, 90))
    gaps = []
    for seed in range(8):
        out = perturb.perturb(rgb, mask, np.random.default_rng(seed), reference=skimage_data.chelsea())
        assert out.dtype == np.uint8 and out.shape == rgb.shape
        assert np.array_equal(out[mask == 0], rgb[mask == 0])
        gaps.append(perturb.appearance_gap(out, rgb, mask))
    assert np.median(gaps) > perturb.MIN_GAP  # most raw draws are visible; perturb_visible redraws the others
    avatar, gap = perturb.perturb_visible(rgb, mask, np.random.default_rng(0))
    assert perturb.MIN_GAP <= gap <= perturb.MAX_GAP
    assert gap == pytest.approx(perturb.appearance_gap(avatar, rgb, mask))


def test_perturbation_is_deterministic_per_generator_seed():
    rgb, mask = natural_image(), box_mask((96, 128), (10, 90, 10, 60))
    first = perturb.perturb(rgb, mask, np.random.default_rng(7))
    again = perturb.perturb(rgb, mask, np.random.default_rng(7))
    other = perturb.perturb(rgb, mask, np.random.default_rng(8))
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_colour_transfer_moves_the_person_toward_the_reference():
    rgb, mask = natural_image(), box_mask((96, 128), (0, 96, 0, 128))
    blue = np.zeros((32, 32, 3), np.uint8)
    blue[..., 2] = 220
    img = rgb.astype(np.float32) / 255
    moved = perturb.transfer_colour(img, mask > 0, blue, strength=1.0)
    assert moved[..., 2].mean() - moved[..., 0].mean() > img[..., 2].mean() - img[..., 0].mean() + 0.2


def test_appearance_gap_is_the_mean_absolute_difference_inside_the_mask():
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    b[0, 0] = 30          # inside
    b[3, 3] = 200         # outside: ignored
    mask = np.zeros((4, 4), np.uint8)
    mask[:2, :2] = 255    # 4 pixels
    assert perturb.appearance_gap(a, b, mask) == pytest.approx(30 / 4)
    assert perturb.appearance_gap(a, b, np.zeros((4, 4), np.uint8)) == 0.0


def test_near_no_op_pairs_are_dropped():
    rgb, mask = natural_image(), box_mask((96, 128), (20, 80, 30, 90))
    assert perturb.perturb_visible(rgb, mask, np.random.default_rng(0), min_gap=300.0) is None
    assert collage.make_pair(rgb, mask, np.random.default_rng(0), min_gap=300.0) is None


def test_perturb_rejects_mismatched_inputs():
    with pytest.raises(InvalidInput, match="mask"):
        perturb.perturb(natural_image(), np.zeros((5, 5), np.uint8), np.random.default_rng(0))
    with pytest.raises(InvalidInput, match="RGB uint8"):
        perturb.perturb(np.zeros((5, 5), np.uint8), np.zeros((5, 5), np.uint8), np.random.default_rng(0))


# --- scenes --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(scenes.KINDS))
def test_every_scene_kind_renders_at_the_requested_size_with_people(kind):
    scene = scenes.render_scene(kind, 200, 150, np.random.default_rng(1), n_people=2)
    assert scene.image.shape == (150, 200, 3) and scene.image.dtype == np.uint8
    assert len(scene.people) == 2
    for mask in scene.people:
        assert mask.shape == (150, 200) and set(np.unique(mask)) <= {0, 255} and mask.any()
    assert not (scene.people[0] & scene.people[1]).any()  # each mask keeps only what is visible
    assert scene.image.std() > 12  # gradients, lights and texture, not flat fills


def test_scenes_vary_by_kind_and_seed():
    means = [scenes.render_scene(k, 128, 96, np.random.default_rng(0), n_people=0).image.mean(axis=(0, 1))
             for k in scenes.KINDS]
    assert len({tuple(np.round(m / 8)) for m in means}) == len(scenes.KINDS)
    a = scenes.render_scene("stage", 128, 96, np.random.default_rng(0)).image
    b = scenes.render_scene("stage", 128, 96, np.random.default_rng(1)).image
    again = scenes.render_scene("stage", 128, 96, np.random.default_rng(0)).image
    assert np.array_equal(a, again) and np.abs(a.astype(int) - b).mean() > 5


def test_person_mask_is_a_person_shaped_silhouette():
    mask = scenes.person_mask(160, 120, np.random.default_rng(3), cut_at_bottom=0.0)
    _, _, w, h = collage.mask_bbox(mask)
    assert 0.3 < h / 120 <= 1.0 and h > w * 0.8  # standing: taller than wide (even with arms out)
    assert 0.02 < (mask > 0).mean() < 0.5


def test_scene_arguments_are_checked():
    with pytest.raises(UnknownName, match="stage"):
        scenes.render_scene("rave", 128, 96, np.random.default_rng(0))
    with pytest.raises(InvalidInput, match="size"):
        scenes.render_scene("stage", 10, 96, np.random.default_rng(0))


# --- collages from photos (folders, zip, junk) -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    person = skimage_data.astronaut()
    Image.fromarray(person).save(folder / "astronaut.png")
    (folder / "notes.txt").write_text("not a photo")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    gradient = np.repeat(np.linspace(0, 255, 160, dtype=np.uint8)[None, :, None], 120, 0).repeat(3, 2)
    Image.fromarray(gradient).save(folder / "empty_field.png")
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(person[:, ::-1])).save(buffer, "JPEG", quality=92)
    with zipfile.ZipFile(folder / "album.zip", "w") as archive:
        archive.writestr("trip/mirrored.jpg", buffer.getvalue())
        archive.writestr("trip/readme.md", "# not a photo either")
    return folder


@pytest.fixture(scope="module")
def built(photo_dir, tmp_path_factory):
    if not _mediapipe_ok()[0]:
        pytest.skip(f"mediapipe segmenter: {_mediapipe_ok()[1]}")
    out = tmp_path_factory.mktemp("collages")
    report = collage.build_collages([photo_dir], out, workers=1, seed=0, val_fraction=0.5, max_side=256, progress=False)
    return out, report


def read_rows(out):
    with (out / "manifest.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@needs_mediapipe
def test_photo_folder_and_zip_become_collages_and_junk_is_reported(built):
    out, report = built
    rows = read_rows(out)
    assert list(rows[0]) == list(collage.MANIFEST_COLUMNS)
    sources = {row["source"] for row in rows}
    assert any(s.endswith("astronaut.png") for s in sources)
    assert any(s.endswith("album.zip!trip/mirrored.jpg") for s in sources)
    assert report.written == len(rows) == 2
    rejected = dict(report.rejected)
    assert any(s.endswith("notes.txt") and "not an image" in r for s, r in rejected.items())
    assert any(s.endswith("broken.jpg") for s in rejected)
    assert any(s.endswith("readme.md") for s in rejected)
    assert any(s.endswith("empty_field.png") for s in rejected)
    assert "rejected" in report.summary()


@needs_mediapipe
def test_collage_panels_keep_the_contract(built):
    out, _ = built
    for row in read_rows(out):
        img = np.asarray(Image.open(out / "collages" / f"{row['id']}.png").convert("RGB"))
        assert img.shape == (256, 4 * 256, 3)  # the astronaut, scaled to max_side
        pair = collage.split_collage(img)
        mask_panel = img[:, 3 * 256:]
        assert set(np.unique(mask_panel)) <= {0, 255}
        assert (mask_panel[..., 0] == mask_panel[..., 1]).all() and (mask_panel[..., 0] == mask_panel[..., 2]).all()
        outside = pair.mask == 0
        assert np.array_equal(pair.bg[outside], pair.gt[outside])
        assert not pair.avatar[outside].any()
        assert perturb.appearance_gap(pair.avatar, pair.gt, pair.mask) >= perturb.MIN_GAP
        assert collage.mask_bbox(pair.mask) == tuple(int(row[k]) for k in "xywh")
        assert 0.02 < (pair.mask > 0).mean() < 0.6


@needs_mediapipe
def test_a_second_run_writes_nothing_and_a_lost_manifest_is_rebuilt(built, photo_dir):
    out, _ = built
    before = read_rows(out)
    again = collage.build_collages([photo_dir], out, workers=1, seed=0, val_fraction=0.5, max_side=256, progress=False)
    assert again.written == 0 and again.skipped_existing == 6  # 2 sources with collages + 4 rejected
    assert read_rows(out) == before
    (out / "manifest.csv").unlink()
    assert [{k: str(v) for k, v in r.items()} for r in collage.rebuild_manifest(out)] == before


def test_bad_sources_and_arguments_raise_with_a_fix(tmp_path):
    with pytest.raises(InvalidInput, match="check the path"):
        collage.build_collages([tmp_path / "nope"], tmp_path / "out", progress=False)
    with pytest.raises(InvalidInput, match="val_fraction"):
        collage.build_collages([tmp_path], tmp_path / "out", val_fraction=1.5, progress=False)
    with pytest.raises(InvalidInput, match="held out"):
        collage.build_synthetic(tmp_path / "out", photos=["skimage:astronaut"], progress=False)


def test_person_masks_skip_tiny_and_cut_off_people():
    soft = np.zeros((100, 100), np.uint8)
    soft[40:90, 40:60] = 255      # a person in frame (10 %)
    soft[5:7, 5:7] = 255          # a speck
    soft[0:40, 80:100] = 255      # cut off by the top and right edges
    kept, skipped = collage.person_masks(soft)
    assert len(kept) == 1 and kept[0][60, 50] == 255
    assert any("cut off" in s for s in skipped)


# --- synthetic build, splits, determinism, dataset --------------------------------------------------------------------

SYNTH = {"n_scenes": 8, "photo_variants": 2, "photos": ("skimage:coffee", "skimage:chelsea"), "seed": 0,
         "val_fraction": 0.5, "max_side": 192, "progress": False}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    report = collage.build_synthetic(out, workers=1, **SYNTH)
    return out, report


def test_synthetic_build_splits_by_source_without_leakage(synthetic):
    out, report = synthetic
    rows = collage.read_manifest(out)
    assert report.total == len(rows) >= 10
    by_split = {split: {r["source"] for r in rows if r["split"] == split} for split in ("train", "val")}
    assert by_split["train"] and by_split["val"]
    assert not by_split["train"] & by_split["val"]
    assert {r["split"] for r in rows if r["source"] == "skimage:coffee"} in ({"train"}, {"val"})


def test_synthetic_build_is_deterministic_whatever_the_workers(synthetic, tmp_path):
    out, _ = synthetic
    twin = tmp_path / "twin"
    collage.build_synthetic(twin, workers=2, **{**SYNTH, "n_scenes": 3, "photo_variants": 0})
    for path in sorted((twin / "collages").glob("*.png")):
        assert np.array_equal(np.asarray(Image.open(path)), np.asarray(Image.open(out / "collages" / path.name)))
    other = tmp_path / "other"
    collage.build_synthetic(other, workers=1, **{**SYNTH, "n_scenes": 1, "photo_variants": 0, "seed": 1})
    first = min((other / "collages").glob("*.png"))
    mine = out / "collages" / first.name
    assert not mine.exists() or not np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(mine)))


def check_item(item, crop):
    assert item["input"].shape == (7, crop, crop)
    assert item["target"].shape == (3, crop, crop) and item["mask"].shape == (1, crop, crop)
    for value in item.values():
        assert str(value.dtype) == "torch.float32" and value.min() >= 0 and value.max() <= 1
    mask = item["mask"]
    assert set(mask.unique().tolist()) <= {0.0, 1.0} and mask.sum() > 0
    assert np.array_equal(item["input"][6:7].numpy(), mask.numpy())
    outside = (1 - mask).bool().expand(3, -1, -1)
    assert (item["input"][:3][outside] == item["target"][outside]).all()  # background == ground truth outside
    assert (item["input"][3:6][outside] == 0).all()                       # avatar on black


def test_dataset_items_keep_the_contract_in_both_splits(synthetic):
    root, _ = synthetic
    train = AvatarFusionDataset(root, "train", crop=128, seed=0)
    val = AvatarFusionDataset(root, "val", crop=128, seed=0)
    assert len(train) + len(val) == len(collage.read_manifest(root))
    for ds in (train, val):
        for index in range(min(len(ds), 4)):
            check_item(ds[index], 128)


def test_training_items_are_reperturbed_deterministically_and_validation_items_are_stored(synthetic):
    root, _ = synthetic
    train = AvatarFusionDataset(root, "train", crop=128, seed=0)
    a, b = train[0], train[0]
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
    other_seed = AvatarFusionDataset(root, "train", crop=128, seed=1)[0]
    assert not np.array_equal(a["input"].numpy(), other_seed["input"].numpy())
    train.set_epoch(1)
    assert not np.array_equal(a["input"].numpy(), train[0]["input"].numpy())

    fixed = AvatarFusionDataset(root, "train", crop=128, augment=False, reperturb=False)
    mask = fixed[0]["mask"][0].numpy() > 0
    gap = np.abs(fixed[0]["input"][3:6].numpy() - fixed[0]["target"].numpy()).transpose(1, 2, 0)[mask].mean() * 255
    assert gap > 1.0  # the stored avatar is perturbed

    first = AvatarFusionDataset(root, "val").pair(0)
    crop = min(first.mask.shape) - 8  # no up-scaling: the crop must be a window of the stored panels
    val = AvatarFusionDataset(root, "val", crop=crop, seed=0, augment=True, reperturb=True)
    item, pair = val[0], val.pair(0)
    stored = pair.avatar.astype(np.float32) / 255
    window = item["input"][3:6].numpy().transpose(1, 2, 0)
    found = any(np.allclose(window, stored[y:y + crop, x:x + crop], atol=1e-6)
                for y in range(pair.mask.shape[0] - crop + 1) for x in range(pair.mask.shape[1] - crop + 1))
    assert found  # validation: the stored perturbation, no scaling, no flip


def test_dataset_scales_small_collages_up_to_the_crop(synthetic):
    root, _ = synthetic
    check_item(AvatarFusionDataset(root, "train", crop=320)[0], 320)  # collages are at most 192 px


def test_dataset_errors_name_the_fix(tmp_path, synthetic):
    with pytest.raises(InvalidInput, match="no manifest.csv"):
        AvatarFusionDataset(tmp_path)
    with pytest.raises(InvalidInput, match="'train' or 'val'"):
        AvatarFusionDataset(synthetic[0], split="test")


# --- real-photo sources, object regions, the booth's scene light -------------------------------------------------

def test_held_out_people_include_the_cameraman_and_stay_out_of_training():
    assert "skimage:camera" in collage.HELD_OUT and not set(collage.HELD_OUT) & set(collage.BUNDLED_PHOTOS)
    with pytest.raises(InvalidInput, match="held out"):
        collage.synthetic_jobs(0, 1, seed=0, photos=("skimage:camera",))


def test_scene_lights_have_their_colour():
    rng = np.random.default_rng(0)
    grey = np.full((20, 30, 3), 0.5, np.float32)
    uv = perturb.apply_scene_light(grey, perturb.random_scene_light(rng, "uv"))
    mean = uv.reshape(-1, 3).mean(axis=0)
    assert mean[2] > mean[0] > mean[1]  # purple: blue over red over green
    amber = perturb.apply_scene_light(grey, perturb.random_scene_light(rng, "amber")).reshape(-1, 3).mean(axis=0)
    assert amber[0] > amber[1] > amber[2]
    night = perturb.apply_scene_light(grey, perturb.random_scene_light(rng, "night_blue"))
    assert night.mean() < 0.45 and night[..., 2].mean() > night[..., 0].mean()


def test_scene_light_pair_lights_the_scene_and_pastes_the_person_unlit():
    photo = skimage_data.coffee()[::4, ::4].copy()
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[30:90, 40:100] = 255
    pair = collage.scene_light_pair(photo, mask, perturb.random_scene_light(np.random.default_rng(1), "night_blue"))
    inside = mask > 0
    assert np.array_equal(pair.avatar[inside], photo[inside]) and not pair.avatar[~inside].any()
    assert np.array_equal(pair.bg[~inside], pair.gt[~inside])
    assert pair.gt.mean() < photo.mean() - 20  # night: darker
    blue_over_red = lambda image: image[..., 2].mean() / image[..., 0].mean()
    assert blue_over_red(pair.gt) > 1.2 * blue_over_red(photo)  # and bluer


def test_segment_mask_is_an_object_region_of_the_photo():
    photo = skimage_data.chelsea()[::3, ::3].copy()
    mask = collage.segment_mask(photo, np.random.default_rng(2))
    assert mask is not None and mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    assert 0.04 <= (mask > 0).mean() <= 0.35
    assert collage.segment_mask(np.zeros((40, 40, 3), np.uint8), np.random.default_rng(0), area=(0.5, 0.6)) is None


def test_photo_files_become_jobs_of_their_own_source(tmp_path):
    path = tmp_path / "wallpaper.png"
    Image.fromarray(skimage_data.coffee()).save(path)
    jobs = collage.synthetic_jobs(0, 2, seed=0, photos=(), photo_files={"debian:test/coffee": str(path)})
    assert [j.source for j in jobs] == ["debian:test/coffee"] * 2 and all(j.spec["path"] == str(path) for j in jobs)
    options = collage.CollageOptions(str(tmp_path), seed=0, val_fraction=0.5, max_side=128)
    (tmp_path / "collages").mkdir()
    result = collage.run_job(jobs[0], options)
    assert len(result.rows) + len(result.rejected) == 1
