"""Collages for the fusion network: ``[ground truth | clean background | avatar | mask]``, plus ``manifest.csv``.

Two kinds of sources feed one writer:

- **photos** (:func:`build_collages`, the library behind ``relive collage SRC… --out DIR``): folders and ``.zip``
  archives are walked, every person is segmented (segmentation registry, ``mediapipe`` by default), tiny or cut-off
  persons are skipped, the background is inpainted (OpenCV Telea on a slightly dilated mask) and the person's
  appearance is perturbed (:mod:`relive.carousel.training.perturb`);
- **synthetic** (:func:`build_synthetic`, used by ``tools/make_carousel_data.py``): festival scenes rendered with
  lit people (:mod:`relive.carousel.training.scenes`), and photos bundled with installed packages under person-shaped masks.

Layout of an output folder::

    DIR/collages/<id>.png     4 panels side by side, each W×H RGB (the manifest row is also in the PNG's text)
    DIR/manifest.csv          id,source,person,x,y,w,h,split   (bbox of the person in the ground truth)
    DIR/rejected.csv          source,reason                    (non-images, no/tiny/cut-off person, near no-op)

The avatar panel holds the perturbed person on black; the mask panel is 0/255 in all three channels; outside the
mask the clean background equals the ground truth. Runs are resumable (ids already written are skipped, the
manifest is rebuilt from the PNGs' own rows) and deterministic per seed, whatever the number of workers.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from relive import imaging
from relive.carousel.training import perturb as perturbation
from relive.errors import InvalidImage, InvalidInput, ReliveError

MANIFEST_COLUMNS = ("id", "source", "person", "x", "y", "w", "h", "split")
PANELS = 4
PNG_KEY = "relive-carousel"

# Photos are scaled so their longer side is at most this (the network trains on crops; the evaluation runs here).
MAX_SIDE = 512
# A person smaller than this fraction of the image is skipped: too few pixels to learn appearance from.
MIN_PERSON_FRACTION = 0.02
# … and one larger than this is not a person in a scene but a close-up (or the segmenter mistook the whole frame).
MAX_PERSON_FRACTION = 0.6
# A person is "cut off" when the mask runs along the top, left or right edge for more than this fraction of that
# edge's length (the bottom edge is allowed: waist-up photos are the norm for avatars).
CUT_OFF_EDGE_FRACTION = 0.25
# Segmenters give soft masks; the collage mask is binary at this level (uint8 scale).
MASK_THRESHOLD = 128
# Telea inpaints a mask grown by this fraction of the shorter side (≥ 2 px): the segmenter's edge leaves a halo.
INPAINT_GROW = 0.012
INPAINT_RADIUS = 5
VAL_FRACTION = 0.1


# --- a pair and its collage --------------------------------------------------------------------------------------

@dataclass
class Pair:
    """One training example, all uint8 at the same H×W: RGB images, the mask 0/255."""

    gt: np.ndarray
    bg: np.ndarray
    avatar: np.ndarray
    mask: np.ndarray


def inpaint_background(gt: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The clean background: Telea inpainting over the (slightly grown) mask; outside the mask it is ``gt``."""
    import cv2

    inside = mask > 127
    grow = max(2, round(INPAINT_GROW * min(mask.shape)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    hole = cv2.dilate(inside.astype(np.uint8) * 255, kernel)
    filled = cv2.inpaint(np.ascontiguousarray(gt[..., ::-1]), hole, INPAINT_RADIUS, cv2.INPAINT_TELEA)[..., ::-1]
    # Only the person's own pixels change: the contract that the model's copy-paste baseline relies on.
    return np.where(inside[..., None], filled, gt)


def make_pair(gt: np.ndarray, mask: np.ndarray, rng: np.random.Generator, reference: np.ndarray | None = None,
              *, min_gap: float = perturbation.MIN_GAP) -> Pair | None:
    """Inpaint, perturb, assemble; None when no perturbation moved the person by ``min_gap`` (a near-no-op)."""
    mask = np.where(mask > 127, 255, 0).astype(np.uint8)
    found = perturbation.perturb_visible(gt, mask, rng, reference, min_gap=min_gap)
    if found is None:
        return None
    perturbed, _gap = found
    avatar = np.where(mask[..., None] > 0, perturbed, 0).astype(np.uint8)
    return Pair(gt=gt, bg=inpaint_background(gt, mask), avatar=avatar, mask=mask)


def compose_collage(pair: Pair) -> np.ndarray:
    """The four panels side by side: (H, 4W, 3) uint8."""
    return np.concatenate([pair.gt, pair.bg, pair.avatar, np.repeat(pair.mask[..., None], 3, axis=2)], axis=1)


def split_collage(collage: np.ndarray) -> Pair:
    """The inverse of :func:`compose_collage`; the mask is re-binarised (0/255) from the mask panel."""
    collage = np.asarray(collage)
    if collage.ndim != 3 or collage.shape[1] % PANELS:
        raise InvalidInput(f"a collage is 4 panels side by side (width divisible by 4), got {collage.shape}; "
                           "build collages with `relive collage`")
    w = collage.shape[1] // PANELS
    gt, bg, avatar, mask = (collage[:, i * w:(i + 1) * w, :3] for i in range(PANELS))
    return Pair(gt=gt, bg=bg, avatar=avatar, mask=np.where(mask[..., 0] > 127, 255, 0).astype(np.uint8))


def load_collage(path: str | os.PathLike) -> Pair:
    """A collage PNG read back as its :class:`Pair` (ground truth, background, avatar, mask)."""
    return split_collage(imaging.to_array(imaging.load_image(path, "RGB")))


def mask_bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the mask's foreground; (0, 0, 0, 0) when empty."""
    ys, xs = np.nonzero(mask > 127)
    if len(xs) == 0:
        return 0, 0, 0, 0
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


# --- ids, seeds, splits ------------------------------------------------------------------------------------------

def stable_hash(text: str) -> int:
    """A 64-bit hash that is the same in every process and run (``hash()`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def split_for(source: str, val_fraction: float) -> str:
    """'val' or 'train' from the source's hash alone: every pair of one photo lands in the same split."""
    return "val" if (stable_hash("split:" + source) % 10_000) < val_fraction * 10_000 else "train"


def rng_for(seed: int, key: str) -> np.random.Generator:
    """The generator of one job: depends on the seed and the job only, not on workers or order."""
    return np.random.default_rng([seed, stable_hash(key)])


def slug(text: str, limit: int = 40) -> str:
    """A short file-name-safe form of ``text`` (its last ``limit`` characters)."""
    keep = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return "-".join(filter(None, keep.split("-")))[-limit:] or "x"


# --- photos from folders and zip archives --------------------------------------------------------------------------

@dataclass(frozen=True)
class PhotoRef:
    """A photo to read: a file, or a member of a zip archive. ``source`` names it in the manifest."""

    source: str
    path: str
    member: str | None = None

    def read(self) -> np.ndarray:
        """The photo's RGB pixels, from its file or from inside its zip archive."""
        if self.member is None:
            return imaging.to_array(imaging.load_image(self.path, "RGB"))
        try:
            with zipfile.ZipFile(self.path) as archive:
                if archive.getinfo(self.member).flag_bits & 0x1:
                    raise InvalidImage(f"{self.source!r} is encrypted; zip the photos without a password")
                # Streamed, not read() whole: a member that inflates to gigabytes (a zip bomb) is never held in
                # memory; load_image reads only what the image needs, under the pixel limit.
                with archive.open(self.member) as member:
                    return imaging.to_array(imaging.load_image(member, "RGB"))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as err:
            # Damaged data (bad CRC, cut short) or a compression Python cannot read (Deflate64, …).
            raise InvalidImage(f"{self.source!r} cannot be read from its archive ({err}); zip the photos again "
                               "(plain Deflate)") from None


def iter_photos(sources: Iterable[str | os.PathLike]) -> Iterator[PhotoRef]:
    """Every file under the folders, every member of the ``.zip`` archives, and plain files, in a stable order.
    Nothing is opened here: a file that is not an image is reported when it is read."""
    for source in sources:
        path = Path(source)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                yield from _file_refs(file)
        elif path.is_file():
            yield from _file_refs(path)
        else:
            raise InvalidInput(f"no folder, photo or .zip at {os.fspath(path)!r}; check the path")


def _file_refs(file: Path) -> Iterator[PhotoRef]:
    if file.suffix.lower() != ".zip":
        yield PhotoRef(source=os.fspath(file), path=os.fspath(file))
        return
    try:
        with zipfile.ZipFile(file) as archive:
            members = sorted(m.filename for m in archive.infolist()
                             if not m.is_dir() and not Path(m.filename).name.startswith(".") and "__MACOSX" not in m.filename)
    except zipfile.BadZipFile:
        yield PhotoRef(source=os.fspath(file), path=os.fspath(file))  # read() then reports it as not an image
        return
    for member in members:
        yield PhotoRef(source=f"{os.fspath(file)}!{member}", path=os.fspath(file), member=member)


def fit_max_side(rgb: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """Scaled down (area-averaged) so the longer side is at most ``max_side``; smaller images are kept as they are."""
    import cv2

    height, width = rgb.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def person_masks(soft: np.ndarray, min_fraction: float = MIN_PERSON_FRACTION) -> tuple[list[np.ndarray], list[str]]:
    """Split a soft person mask into one binary mask per person (connected component); also why others were
    skipped ('tiny', 'cut off', 'close-up')."""
    import cv2

    binary = (soft >= MASK_THRESHOLD).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    area_total = binary.size
    kept, skipped = [], []
    order = sorted(range(1, count), key=lambda i: -stats[i, cv2.CC_STAT_AREA])
    for i in order:
        fraction = stats[i, cv2.CC_STAT_AREA] / area_total
        if fraction < min_fraction:
            if fraction >= min_fraction / 10:  # specks are noise, not people worth reporting
                skipped.append(f"tiny person ({fraction:.1%} of the image, needs {min_fraction:.0%})")
            continue
        mask = (labels == i).astype(np.uint8) * 255
        if fraction > MAX_PERSON_FRACTION:
            skipped.append(f"close-up ({fraction:.0%} of the image, at most {MAX_PERSON_FRACTION:.0%})")
        elif is_cut_off(mask):
            skipped.append("person cut off by the top, left or right edge")
        else:
            kept.append(_fill_holes(mask))
    return kept, skipped


def is_cut_off(mask: np.ndarray, edge_fraction: float = CUT_OFF_EDGE_FRACTION) -> bool:
    """True when the mask runs along the top, left or right edge for more than ``edge_fraction`` of it."""
    inside = mask > 127
    height, width = inside.shape
    return bool(inside[0].sum() > edge_fraction * width or inside[:, 0].sum() > edge_fraction * height
                or inside[:, -1].sum() > edge_fraction * height)


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Holes inside a person (gaps between arm and body stay: they touch the outside) become person."""
    import cv2

    contours, _ = cv2.findContours((mask > 127).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, 255, thickness=cv2.FILLED)
    return filled


# --- jobs: one source → zero or more collages ------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One unit of work. ``key`` is unique and stable (ids derive from it); ``spec`` says what to make."""

    key: str
    source: str
    spec: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass
class JobResult:
    """What one job made: its rows for the index and the people it rejected, with why."""
    key: str
    rows: list[dict] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CollageOptions:
    """What every worker needs to know (pickled once per job; small)."""

    out_dir: str
    seed: int
    val_fraction: float
    min_gap: float = perturbation.MIN_GAP
    backend: str = "mediapipe"
    min_person_fraction: float = MIN_PERSON_FRACTION
    max_side: int = MAX_SIDE


def job_prefix(job: Job) -> str:
    """The file-name prefix of a job's collages: readable slug plus a stable hash."""
    return f"{slug(job.spec.get('name', job.source))}-{stable_hash(job.key) % 16**8:08x}"


def run_job(job: Job, options: CollageOptions) -> JobResult:
    """Make and write the collages of one job (in a worker process). User-fixable problems become rejections."""
    result = JobResult(job.key)
    try:
        pairs, result.rejected = _MAKERS[job.spec["kind"]](job, options)
    except ReliveError as err:
        result.rejected.append((job.source, str(err)))
        return result
    for person, pair in pairs:
        if pair is None:
            result.rejected.append((job.source, f"person {person}: near no-op perturbation (gap < {options.min_gap})"))
            continue
        row = _row(job, person, pair, options)
        write_collage(pair, Path(options.out_dir) / "collages" / f"{row['id']}.png", row)
        result.rows.append(row)
    return result


def _row(job: Job, person: int, pair: Pair, options: CollageOptions) -> dict:
    x, y, w, h = mask_bbox(pair.mask)
    return {"id": f"{job_prefix(job)}-p{person}", "source": job.source, "person": person, "x": x, "y": y, "w": w, "h": h,
            "split": split_for(job.source, options.val_fraction)}


def write_collage(pair: Pair, path: Path, row: dict) -> None:
    """The collage PNG, written atomically, carrying its manifest row (so a lost manifest can be rebuilt)."""
    info = PngImagePlugin.PngInfo()
    info.add_text(PNG_KEY, json.dumps(row))
    tmp = path.with_name(f".{path.name}.partial")
    try:
        Image.fromarray(compose_collage(pair)).save(tmp, "PNG", pnginfo=info, compress_level=4)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _photo_job(job: Job, options: CollageOptions):
    """A user photo: every qualifying person becomes a pair."""
    from relive.backends.segmentation import SEGMENTERS

    ref = PhotoRef(job.source, job.spec["path"], job.spec.get("member"))
    rgb = fit_max_side(ref.read(), options.max_side)
    soft = SEGMENTERS.session(options.backend).segment(rgb)
    masks, skipped = person_masks(soft, options.min_person_fraction)
    rejected = [(job.source, reason) for reason in skipped]
    if not masks and not skipped:
        rejected.append((job.source, "no person found"))
    rng = rng_for(options.seed, job.key)
    pairs = [(k, make_pair(rgb, mask, rng, reference_scene(rng), min_gap=options.min_gap)) for k, mask in enumerate(masks)]
    return pairs, rejected


def reference_scene(rng: np.random.Generator) -> np.ndarray:
    """A photo whose colours the avatar may take on: a small festival scene of a random kind (cheap, varied light)."""
    from relive.carousel.training import scenes

    kind = list(scenes.KINDS)[rng.integers(len(scenes.KINDS))]
    return scenes.render_scene(kind, 96, 64, rng, n_people=0).image


_MAKERS: dict[str, Callable] = {"photo": _photo_job}


def register_maker(kind: str):
    """Decorator: a job kind (``spec['kind']``) → ``maker(job, options) -> ([(person, Pair | None)], rejected)``."""
    def decorate(fn):
        _MAKERS[kind] = fn
        return fn
    return decorate


# --- the runner: resumable, parallel, deterministic ------------------------------------------------------------------

@dataclass
class BuildReport:
    """What a build did. ``written``/``skipped_existing`` count collages; ``rejected`` lists (source, reason)."""

    out_dir: Path
    written: int = 0
    skipped_existing: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0
    splits: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: collages written, skipped and rejected, with the main reasons."""
        reasons = Counter(reason.split(" (")[0] if not reason.startswith("person") else reason.split(": ")[1].split(" (")[0]
                          for _, reason in self.rejected)
        parts = [f"{self.written} collages written", f"{self.skipped_existing} already there",
                 f"{self.total} in the manifest ({', '.join(f'{k} {v}' for k, v in sorted(self.splits.items()))})"]
        if self.rejected:
            parts.append(f"{len(self.rejected)} rejected: " + ", ".join(f"{n}× {r}" for r, n in reasons.most_common()))
        return "; ".join(parts)


def run_jobs(jobs: list[Job], options: CollageOptions, *, workers: int = 1, progress: bool = True) -> BuildReport:
    """Run the jobs not done yet (their collages, or their rejection, already on disk), write the manifest."""
    out = Path(options.out_dir)
    (out / "collages").mkdir(parents=True, exist_ok=True)
    keys = [job.key for job in jobs]
    if len(set(keys)) != len(keys):
        raise InvalidInput("two sources have the same name; give each photo a distinct path")
    done = _done_prefixes(out)
    todo = [job for job in jobs if job_prefix(job) not in done]
    report = BuildReport(out, skipped_existing=sum(1 for job in jobs if job_prefix(job) in done))
    results = _execute(todo, options, workers, progress)
    for result in results:
        report.written += len(result.rows)
        report.rejected += result.rejected
    _append_rejected(out, [(job_prefix(job), source, reason) for job, result in zip(todo, results)
                          for source, reason in (result.rejected if not result.rows else [])])
    rows = rebuild_manifest(out, [row for result in results for row in result.rows])
    report.total = len(rows)
    report.splits = dict(Counter(row["split"] for row in rows))
    return report


def _execute(jobs: list[Job], options: CollageOptions, workers: int, progress: bool) -> list[JobResult]:
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc="collages", unit="src", disable=not progress or not jobs)
    if workers <= 1 or len(jobs) <= 1:
        results = []
        for job in jobs:
            results.append(run_job(job, options))
            bar.update()
        bar.close()
        return results
    import multiprocessing

    # spawn, not fork: mediapipe/TFLite threads in the parent must not be duplicated half-way.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run_job, job, options): i for i, job in enumerate(jobs)}
        results: list[JobResult | None] = [None] * len(jobs)
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            bar.update()
    bar.close()
    return results  # in job order: the manifest and reports do not depend on scheduling


def _done_prefixes(out: Path) -> set[str]:
    done = {path.stem.rsplit("-p", 1)[0] for path in (out / "collages").glob("*.png")}
    rejected = out / "rejected.csv"
    if rejected.is_file():
        with rejected.open(newline="", encoding="utf-8") as handle:
            done |= {row["prefix"] for row in csv.DictReader(handle)}
    return done


def _append_rejected(out: Path, rows: list[tuple[str, str, str]]) -> None:
    """Sources that gave no collage, with why; listed so a resumed run does not try them again."""
    path = out / "rejected.csv"
    new = not path.is_file()
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(["prefix", "source", "reason"])
        writer.writerows(rows)


def rebuild_manifest(out: str | os.PathLike, new_rows: Iterable[dict] = ()) -> list[dict]:
    """``manifest.csv`` from the collages on disk — their rows from ``new_rows``, the old manifest, else each PNG's
    own text — written atomically; returns the rows, sorted by id."""
    out = Path(out)
    known = {row["id"]: row for row in read_manifest(out)} if (out / "manifest.csv").is_file() else {}
    known.update((row["id"], row) for row in new_rows)
    rows = []
    for path in sorted((out / "collages").glob("*.png")):
        row = known.get(path.stem) or _row_from_png(path)
        if row is not None:
            rows.append(row)
    tmp = out / ".manifest.csv.partial"
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        writer.writerows({k: row[k] for k in MANIFEST_COLUMNS} for row in rows)
    os.replace(tmp, out / "manifest.csv")
    return rows


def _row_from_png(path: Path) -> dict | None:
    try:
        with Image.open(path) as img:  # the row is written before the pixels: no decoding needed
            text = img.info.get(PNG_KEY)
    except OSError:
        return None
    return json.loads(text) if text else None


def read_manifest(root: str | os.PathLike, split: str | None = None) -> list[dict]:
    """The manifest's rows (ints for person and bbox), optionally one split only."""
    path = Path(root) / "manifest.csv"
    if not path.is_file():
        raise InvalidInput(f"no manifest.csv in {os.fspath(root)!r}; build the data first with `relive collage` "
                           "or tools/make_carousel_data.py")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    missing = set(MANIFEST_COLUMNS) - set(rows[0] if rows else MANIFEST_COLUMNS)
    if missing:
        raise InvalidInput(f"{path} lacks the columns {sorted(missing)}; rebuild it with `relive collage`")
    for row in rows:
        for key in ("person", "x", "y", "w", "h"):
            row[key] = int(row[key])
    return [row for row in rows if split is None or row["split"] == split]


# --- public entry points -------------------------------------------------------------------------------------------

def build_collages(sources: Iterable[str | os.PathLike], out_dir: str | os.PathLike, *, backend: str = "mediapipe",
                   workers: int | None = None, seed: int = 0, val_fraction: float = VAL_FRACTION,
                   min_person_fraction: float = MIN_PERSON_FRACTION, min_gap: float = perturbation.MIN_GAP,
                   max_side: int = MAX_SIDE, progress: bool = True) -> BuildReport:
    """Collages from photos of people in folders / ``.zip`` archives / files (``relive collage``).

    Non-images and corrupt files, photos without a usable person (tiny: under ``min_person_fraction`` of the
    image; cut off by the top/left/right edge; a close-up over 60 %) and near-no-op perturbations are skipped
    and listed in the report (and ``rejected.csv``). ``workers=None`` uses every core.
    """
    _check_build_args(val_fraction, min_person_fraction, max_side)
    from relive.backends.segmentation import SEGMENTERS

    SEGMENTERS.get(backend).require()  # a missing model fails now, with its fix, not once per photo
    jobs = [Job(key=ref.source, source=ref.source, spec={"kind": "photo", "path": ref.path, "member": ref.member,
                                                          "name": Path(ref.member or ref.path).stem})
            for ref in iter_photos(sources)]
    options = CollageOptions(os.fspath(out_dir), seed, val_fraction, min_gap, backend, min_person_fraction, max_side)
    return run_jobs(jobs, options, workers=workers or os.cpu_count() or 1, progress=progress)


def _check_build_args(val_fraction: float, min_person_fraction: float, max_side: int) -> None:
    if not 0.0 <= val_fraction < 1.0:
        raise InvalidInput(f"val_fraction={val_fraction} is out of range; use 0 to 0.99 (e.g. 0.1)")
    if not 0.0 < min_person_fraction < MAX_PERSON_FRACTION:
        raise InvalidInput(f"min_person_fraction={min_person_fraction} is out of range; use e.g. 0.02 (2 % of the image)")
    if not 64 <= max_side <= 4096:
        raise InvalidInput(f"max_side={max_side} is out of range; use 64 to 4096 pixels")


# --- synthetic sources: rendered festival scenes, bundled photos under person-shaped masks ---------------------------

# Real photos of people kept out of every training set: the final check on people the network never saw.
HELD_OUT = ("skimage:astronaut", "matplotlib:grace_hopper.jpg", "skimage:camera")
# Photos that ship inside installed packages and load without a download (checked with scikit-image 0.26,
# scikit-learn 1.8, matplotlib 3.10); the photos of people among them are held out.
BUNDLED_PHOTOS = ("skimage:chelsea", "skimage:coffee", "skimage:rocket", "skimage:motorcycle_left",
                  "skimage:motorcycle_right", "skimage:hubble_deep_field", "skimage:immunohistochemistry",
                  "skimage:retina", "sklearn:china.jpg", "sklearn:flower.jpg",
                  "matplotlib:Minduka_Present_Blue_Pack.png")
SCENE_ASPECTS = ((4, 3), (3, 2), (16, 9), (1, 1), (3, 4), (2, 3))
SEGMENT_PROBABILITY = 0.5  # how often a photo's foreground is one of its own regions, not a drawn silhouette
SCENE_LIGHT_PROBABILITY = 0.3  # how often a photo pair is the booth's case: the scene lit, the person not
FILE_PHOTO_SIDE = 1024  # photos read from files (wallpapers at up to 5120 px) are brought down to this once


@cache
def load_bundled(name: str) -> np.ndarray:
    """A photo shipped inside an installed package, as RGB uint8 (``skimage:<name>``, ``sklearn:<file>``,
    ``matplotlib:<file>``)."""
    package, _, item = name.partition(":")
    if package == "skimage":
        try:
            from skimage import data
        except ImportError:
            raise InvalidInput("the bundled photos come from scikit-image; run `pip install scikit-image`") from None
        if item.startswith("motorcycle_"):
            img = data.stereo_motorcycle()[0 if item.endswith("left") else 1]
        elif hasattr(data, item):
            img = getattr(data, item)()
        else:
            raise InvalidInput(f"skimage.data has no photo {item!r}; use one of {', '.join(BUNDLED_PHOTOS)}")
    elif package == "sklearn":
        try:
            from sklearn.datasets import load_sample_image
        except ImportError:
            raise InvalidInput("sklearn:… photos come from scikit-learn; run `pip install scikit-learn`") from None
        img = load_sample_image(item)
    elif package == "matplotlib":
        from matplotlib import cbook

        img = imaging.to_array(imaging.load_image(cbook.get_sample_data(item, asfileobj=False), "RGB"))
    else:
        raise InvalidInput(f"unknown bundled photo {name!r}; use skimage:<name>, sklearn:<file> or matplotlib:<file>")
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3], dtype=np.uint8)


@lru_cache(maxsize=8)
def load_photo_file(path: str) -> np.ndarray:
    """A photo file (e.g. an extracted Debian wallpaper) as RGB uint8, at most ``FILE_PHOTO_SIDE`` px."""
    return np.ascontiguousarray(fit_max_side(imaging.to_array(imaging.load_image(path, "RGB")), FILE_PHOTO_SIDE))


def largest_person(soft: np.ndarray) -> np.ndarray:
    """The largest connected person in a soft mask, holes filled, with no size or cut-off rule (all zeros if none)."""
    import cv2

    binary = (soft >= MASK_THRESHOLD).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return np.zeros_like(binary)
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return _fill_holes((labels == biggest).astype(np.uint8) * 255)


def segment_mask(rgb: np.ndarray, rng: np.random.Generator, area: tuple[float, float] = (0.04, 0.35)) -> np.ndarray | None:
    """An object-like region of the photo itself (a SLIC superpixel grown by a neighbour or two), holes filled,
    covering ``area`` of the frame; None when no region fits. Harmonisation is learnt on any object, and a
    region the photo really has keeps its true edges (a drawn silhouette cuts across them)."""
    from skimage.segmentation import slic

    labels = slic(rgb, n_segments=int(rng.integers(8, 24)), compactness=float(rng.uniform(5, 20)), start_label=0)
    sizes = np.bincount(labels.ravel()) / labels.size
    order = rng.permutation(len(sizes))
    for seed in order:
        region = labels == seed
        for _ in range(int(rng.integers(0, 3))):
            if region.mean() >= area[1] * 0.6:
                break
            ring = _ring(region) & ~region
            if not ring.any():
                break
            neighbours = np.bincount(labels[ring], minlength=len(sizes))
            region |= labels == int(np.argmax(neighbours))
        if area[0] <= region.mean() <= area[1]:
            return _fill_holes(region.astype(np.uint8) * 255)
    return None


def _ring(region: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0


def random_crop(rgb: np.ndarray, rng: np.random.Generator, min_area: float = 0.45) -> np.ndarray:
    """A random window of 45–100 % of the photo's area (aspect within 0.75–1.33 of the photo's)."""
    height, width = rgb.shape[:2]
    area = rng.uniform(min_area, 1.0)
    aspect = np.exp(rng.uniform(np.log(0.75), np.log(1.33)))
    w = int(min(width, round(width * np.sqrt(area * aspect))))
    h = int(min(height, round(height * np.sqrt(area / aspect))))
    x, y = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
    return rgb[y:y + h, x:x + w]


@register_maker("bundled")
def _bundled_job(job: Job, options: CollageOptions):
    """A photo (bundled with a package, or a file), cropped at random, with a foreground region: one of its own
    segments or a drawn person silhouette; the region's true pixels are the target. Some pairs are the booth's
    case instead: the whole photo under a coloured light, the region pasted as it was."""
    from relive.carousel.training import scenes

    rng = rng_for(options.seed, job.key)
    name = job.spec["name"]
    rgb = load_photo_file(job.spec["path"]) if "path" in job.spec else load_bundled(name)
    rgb = np.ascontiguousarray(fit_max_side(random_crop(rgb, rng), options.max_side))
    height, width = rgb.shape[:2]
    mask = segment_mask(rgb, rng) if rng.random() < SEGMENT_PROBABILITY else None
    if mask is None:
        mask = scenes.person_mask(width, height, rng)
    if rng.random() < SCENE_LIGHT_PROBABILITY:
        return [(0, scene_light_pair(rgb, mask, perturbation.random_scene_light(rng)))], []
    reference = _bundled_reference(name, rng) if rng.random() < 0.5 else reference_scene(rng)
    return [(0, make_pair(rgb, mask, rng, reference, min_gap=options.min_gap))], []


def scene_light_pair(photo: np.ndarray, mask: np.ndarray, light: dict) -> Pair:
    """The booth's case from a real photo: the truth is the whole photo under ``light``; the avatar is the masked
    region's own pixels as they were, pasted without the scene's light."""
    mask = np.where(mask > 127, 255, 0).astype(np.uint8)
    lit = (perturbation.apply_scene_light(photo.astype(np.float32) / 255.0, light) * 255.0 + 0.5).astype(np.uint8)
    avatar = np.where(mask[..., None] > 0, photo, 0).astype(np.uint8)
    return Pair(gt=lit, bg=inpaint_background(lit, mask), avatar=avatar, mask=mask)


def _bundled_reference(exclude: str, rng: np.random.Generator) -> np.ndarray:
    others = [n for n in BUNDLED_PHOTOS if n != exclude]
    return load_bundled(others[int(rng.integers(len(others)))])


@register_maker("scene")
def _scene_job(job: Job, options: CollageOptions):
    """A rendered festival scene; each of its lit people that stays visible enough becomes a pair."""
    from relive.carousel.training import scenes

    rng = rng_for(options.seed, job.key)
    spec = job.spec
    scene = scenes.render_scene(spec["scene"], spec["width"], spec["height"], rng, n_people=spec["n_people"])
    pairs, rejected = [], []
    for person, mask in enumerate(scene.people):
        fraction = (mask > 127).mean()
        if fraction < options.min_person_fraction:
            rejected.append((job.source, f"tiny person ({fraction:.1%} of the image, needs {options.min_person_fraction:.0%})"))
            continue
        reference = _bundled_reference("", rng) if rng.random() < 0.3 else reference_scene(rng)
        pairs.append((person, make_pair(scene.image, mask, rng, reference, min_gap=options.min_gap)))
    return pairs, rejected


def synthetic_jobs(n_scenes: int, photo_variants: int, seed: int, max_side: int = MAX_SIDE,
                   photos: Iterable[str] = BUNDLED_PHOTOS, photo_files: dict[str, str] | None = None) -> list[Job]:
    """The job list of a synthetic build: ``n_scenes`` scenes (kinds in turn; size, aspect and 1–2 people drawn
    from the seed) and ``photo_variants`` masked crops of each bundled photo and of each ``photo_files`` entry
    (source name → file path)."""
    from relive.carousel.training import scenes

    held = sorted(set(photos) & set(HELD_OUT))
    if held:
        raise InvalidInput(f"{', '.join(held)} are held out for the final check on real people; leave them out")
    kinds = list(scenes.KINDS)
    jobs = []
    for index in range(n_scenes):
        rng = rng_for(seed, f"scene-plan:{index}")
        kind = kinds[index % len(kinds)]
        aw, ah = SCENE_ASPECTS[int(rng.integers(len(SCENE_ASPECTS)))]
        width, height = (max_side, round(max_side * ah / aw)) if aw >= ah else (round(max_side * aw / ah), max_side)
        source = f"scene/{kind}/{index:05d}"
        jobs.append(Job(key=source, source=source, spec={"kind": "scene", "scene": kind, "width": width, "height": height,
                                                         "n_people": 1 if rng.random() < 0.6 else 2, "name": f"{kind}-{index:05d}"}))
    for name in photos:
        for variant in range(photo_variants):
            jobs.append(Job(key=f"{name}#{variant}", source=name, spec={"kind": "bundled", "name": name, "variant": variant}))
    for name, path in (photo_files or {}).items():
        for variant in range(photo_variants):
            jobs.append(Job(key=f"{name}#{variant}", source=name,
                            spec={"kind": "bundled", "name": name, "variant": variant, "path": os.fspath(path)}))
    return jobs


def build_synthetic(out_dir: str | os.PathLike, *, n_scenes: int = 2000, photo_variants: int = 40, seed: int = 0,
                    val_fraction: float = VAL_FRACTION, workers: int | None = None, backend: str = "mediapipe",
                    max_side: int = MAX_SIDE, min_gap: float = perturbation.MIN_GAP,
                    photos: Iterable[str] = BUNDLED_PHOTOS, photo_files: dict[str, str] | None = None,
                    progress: bool = True) -> BuildReport:
    """The offline training set: rendered festival scenes with lit people + bundled photos under person-shaped
    masks. Split by source (a scene, or a bundled photo with all its variants); resumable like :func:`build_collages`."""
    _check_build_args(val_fraction, MIN_PERSON_FRACTION, max_side)
    if n_scenes < 0 or photo_variants < 0:
        raise InvalidInput("n_scenes and photo_variants count collages to make; use 0 or more")
    jobs = synthetic_jobs(n_scenes, photo_variants, seed, max_side, tuple(photos), photo_files)
    options = CollageOptions(os.fspath(out_dir), seed, val_fraction, min_gap, backend, MIN_PERSON_FRACTION, max_side)
    return run_jobs(jobs, options, workers=workers or os.cpu_count() or 1, progress=progress)
