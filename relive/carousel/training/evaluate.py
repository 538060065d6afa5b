"""Evaluation of harmonisation methods: PSNR, SSIM, MSE and fMSE averaged over a split (or any list of pairs).

A method is any callable ``method(bg, avatar, mask) -> out`` (float32 H×W×3 in [0, 1], mask H×W in {0, 1}): the
baselines in :mod:`relive.carousel.training.baselines`, or the trained model's ``harmonise``. Outputs are clipped to [0, 1]
before scoring. Metric scales are documented in :mod:`relive.carousel.training.metrics` (MSE and fMSE on 0–255).

    from relive.carousel.training import baselines, evaluate
    results = evaluate.evaluate("data/carousel", {**baselines.BASELINES, "model": harmonise}, split="val")
    evaluate.write_report(results, "artifacts/eval")        # evaluation.md + evaluation.json
    held = evaluate.evaluate_pairs(evaluate.heldout_people_pairs(seed=0), methods, name="held-out people")
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from relive.carousel.training import collage, metrics
from relive.carousel.training import perturb as perturbation
from relive.errors import InvalidInput

Method = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
Example = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # (bg, avatar, mask, gt), float32
METRICS = ("psnr", "ssim", "mse", "fmse")
HIGHER_IS_BETTER = {"psnr": True, "ssim": True, "mse": False, "fmse": False}


def pair_arrays(pair: collage.Pair) -> Example:
    """A stored pair as the methods' inputs: (bg, avatar, mask, gt) float32 in [0, 1], mask in {0, 1}."""
    to_float = lambda a: a.astype(np.float32) / 255.0
    return to_float(pair.bg), to_float(pair.avatar), (pair.mask > 127).astype(np.float32), to_float(pair.gt)


def evaluate(root: str | os.PathLike, methods: dict[str, Method], split: str = "val", *, limit: int | None = None,
             progress: bool = True) -> dict:
    """Every method on every collage of ``split`` in ``root`` (the first ``limit`` only, if given), full resolution."""
    rows = collage.read_manifest(root, split)
    if not rows:
        raise InvalidInput(f"{os.fspath(root)!r} has no {split!r} collages; build data first or choose another split")
    rows = rows[:limit] if limit else rows
    examples = (pair_arrays(collage.load_collage(Path(root) / "collages" / f"{row['id']}.png")) for row in rows)
    results = evaluate_pairs(examples, methods, name=split, total=len(rows), progress=progress)
    results["root"] = os.fspath(root)
    return results


def evaluate_pairs(examples: Iterable[Example], methods: dict[str, Method], *, name: str = "pairs",
                   total: int | None = None, progress: bool = False) -> dict:
    """Metrics averaged over ``examples`` for each method, and each method's mean seconds per image."""
    from tqdm import tqdm

    if not methods:
        raise InvalidInput("no methods to evaluate; pass e.g. relive.carousel.training.baselines.BASELINES")
    sums = {m: dict.fromkeys(METRICS, 0.0) for m in methods}
    psnrs: dict[str, list[float]] = {m: [] for m in methods}
    seconds = dict.fromkeys(methods, 0.0)
    count = 0
    for bg, avatar, mask, gt in tqdm(examples, total=total, desc=f"evaluate {name}", disable=not progress):
        for method_name, method in methods.items():
            start = time.perf_counter()
            out = _checked_output(method_name, method(bg, avatar, mask), gt)
            seconds[method_name] += time.perf_counter() - start
            scores = metrics.all_metrics(out, gt, mask)
            for key, value in scores.items():
                sums[method_name][key] += value
            psnrs[method_name].append(scores["psnr"])
        count += 1
    if count == 0:
        raise InvalidInput(f"no examples in {name!r} to evaluate")
    return {
        "split": name,
        "n": count,
        "metrics": {m: {k: v / count for k, v in s.items()} for m, s in sums.items()},
        "seconds_per_image": {m: s / count for m, s in seconds.items()},
        "psnr_per_image": psnrs,
        "scales": "PSNR in dB and MSE/fMSE on the 0-255 scale (fMSE = MSE over masked pixels only); SSIM 0-1",
    }


def _checked_output(name: str, out: np.ndarray, gt: np.ndarray) -> np.ndarray:
    out = np.asarray(out, np.float32)
    if out.shape != gt.shape:
        raise InvalidInput(f"method {name!r} returned {out.shape} for a {gt.shape} image; return H×W×3 float in [0, 1]")
    if not np.isfinite(out).all():
        raise InvalidInput(f"method {name!r} returned NaN or infinite values")
    return np.clip(out, 0.0, 1.0)


def markdown_table(results: dict) -> str:
    """One row per method: PSNR ↑, SSIM ↑, MSE ↓, fMSE ↓ (best in bold), the share of images where it beats
    copy-paste's PSNR (when copy-paste was evaluated), and ms per image."""
    rows = results["metrics"]
    wins = _wins_over_copy_paste(results)
    best = {k: (max if HIGHER_IS_BETTER[k] else min)(r[k] for r in rows.values()) for k in METRICS}
    formats = {"psnr": "{:.2f}", "ssim": "{:.4f}", "mse": "{:.2f}", "fmse": "{:.2f}"}
    lines = [f"Split `{results['split']}`, {results['n']} images. {results['scales']}.", "",
             "| method | PSNR (dB) ↑ | SSIM ↑ | MSE ↓ | fMSE ↓ | beats copy-paste | ms / image |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for method, values in rows.items():
        cells = [formats[k].format(values[k]) for k in METRICS]
        cells = [f"**{c}**" if np.isclose(values[k], best[k]) else c for c, k in zip(cells, METRICS)]
        ms = 1000.0 * results.get("seconds_per_image", {}).get(method, float("nan"))
        lines.append(f"| {method} | {' | '.join(cells)} | {wins.get(method, '')} | {ms:.1f} |")
    return "\n".join(lines) + "\n"


def _wins_over_copy_paste(results: dict) -> dict[str, str]:
    """"k / n (worst −x.xx dB)": images where each method's PSNR is above copy-paste's, and its largest loss to
    copy-paste on one image (the targets bound it); empty without per-image figures."""
    per_image = results.get("psnr_per_image", {})
    if "copy_paste" not in per_image:
        return {}
    base = np.asarray(per_image["copy_paste"])
    cells = {}
    for method, values in per_image.items():
        if method != "copy_paste":
            gain = np.asarray(values) - base
            cells[method] = f"{int((gain > 1e-9).sum())} / {len(base)} (worst {min(0.0, float(gain.min())):+.2f} dB)"
    return cells


def write_report(results: dict, out_dir: str | os.PathLike, stem: str = "evaluation") -> tuple[Path, Path]:
    """``<stem>.md`` (the table) and ``<stem>.json`` (everything) in ``out_dir`` (created); their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / f"{stem}.md", out / f"{stem}.json"
    md.write_text(markdown_table(results), encoding="utf-8")
    js.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return md, js


# --- held-out real people ----------------------------------------------------------------------------------------

def heldout_people_pairs(seed: int = 0, *, variants: int = 4, backend: str = "mediapipe",
                         photos: Sequence[str] = collage.HELD_OUT, max_side: int = collage.MAX_SIDE,
                         scene_lights: Sequence[str] = ()) -> list[Example]:
    """Real photos of people never used in training (``collage.HELD_OUT``): the person segmented, the background
    inpainted as for training, and ``variants`` perturbations of the person's appearance each; then, for each
    name in ``scene_lights`` (keys of ``perturb.SCENE_LIGHTS``), the booth's case: the whole photo under that
    light with the person pasted unlit. Returns [(bg, avatar, mask, gt)] float32, as :func:`evaluate_pairs` takes."""
    from relive.backends.segmentation import SEGMENTERS

    segmenter = SEGMENTERS.session(backend)
    examples = []
    for name in photos:
        gt = np.ascontiguousarray(collage.fit_max_side(collage.load_bundled(name), max_side))
        mask = collage.largest_person(segmenter.segment(gt))
        if not mask.any():
            raise InvalidInput(f"no person found in the held-out photo {name}; check the {backend} segmenter")
        bg = collage.inpaint_background(gt, mask)
        for variant in range(variants):
            rng = collage.rng_for(seed, f"heldout:{name}:{variant}")
            found = perturbation.perturb_visible(gt, mask, rng, collage.reference_scene(rng), tries=16)
            if found is None:
                continue
            avatar = np.where(mask[..., None] > 0, found[0], 0).astype(np.uint8)
            examples.append(pair_arrays(collage.Pair(gt=gt, bg=bg, avatar=avatar, mask=mask)))
        for light in scene_lights:
            rng = collage.rng_for(seed, f"heldout-light:{name}:{light}")
            examples.append(pair_arrays(collage.scene_light_pair(gt, mask, perturbation.random_scene_light(rng, light))))
    return examples
