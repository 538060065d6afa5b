"""Train a fusion model: one script for one CPU, one GPU, or many GPUs and nodes (HF Accelerate).

    python -m relive.carousel.train --data data/carousel --out runs/compact --max-minutes 50
    accelerate launch -m relive.carousel.train --data data/carousel --out runs/r50 --arch resnet50-transformer

AdamW with a warm-up + cosine learning-rate schedule, fp16 autocast on CUDA (fp32 elsewhere). Every
``--save-every`` steps a ``checkpoint-<step>/`` folder (and a copy in ``last/``) holds the model config and
weights (``FusionModel.from_pretrained`` reads it), the optimizer, the scheduler and the step; ``--resume auto``
(or a folder) continues from one. Every ``--val-every`` steps the model is scored on the validation split
(fMSE, MSE, PSNR on the 0–255 scale, as iHarmony4 reports them) and ``best/`` keeps the lowest fMSE; a sample
grid (composite | output | target per row) lands in ``samples/``. ``--max-minutes`` fits the whole run, cosine
schedule included, into a wall-clock budget: after a short calibration the number of steps is planned from the
measured speed, and the run stops at the budget whatever happens.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

from relive.carousel.losses import FusionLoss
from relive.carousel.model import (
    FusionConfig,
    FusionModel,
    build_model,
    composite,
    describe,
    load_resnet50_weights,
    read_config,
    split_input,
)
from relive.errors import InvalidInput

log = logging.getLogger("relive.carousel.train")

STATE_NAME = "training_state.pt"
TRAIN_CONFIG_NAME = "train_config.json"
CALIBRATION_STEPS = 30  # steps timed before a --max-minutes run plans its length


@dataclass
class TrainConfig:
    """Every knob of a training run; ``main`` maps one command-line flag to each field."""

    data: str | None = "data/carousel"
    out: str = "runs/carousel"
    # model (ignored on --resume: the checkpoint's own config wins)
    arch: str = "compact"
    work_size: int | None = None
    widths: tuple[int, ...] | None = None
    base_width: int | None = None
    d_model: int | None = None
    n_layers: int | None = None
    resnet_weights: str | None = None  # torchvision-format ResNet-50 state dict to start the encoder from
    init_from: str | None = None  # a model folder whose weights (and config) a new run starts from: fine-tuning
    # data
    crop: int = 256
    # Bring every crop down to this size (area average) before the model: big crops show as much of the scene
    # as a whole picture does at inference, while the loss runs at a cheap resolution. None: crops as they are.
    train_size: int | None = None
    # Shares of training items shown as a close-up around the person / retoned as a whole (see TrainingView).
    zoom: float = 0.0
    tone: float = 0.0
    soften: float = 0.0
    # Probability of drawing a photo-derived pair (manifest source not "scene/…"); None: the data's own mix.
    photo_fraction: float | None = None
    augment: bool = True
    reperturb: bool = True
    batch_size: int = 8
    num_workers: int = 1
    # optimisation
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    min_lr_ratio: float = 0.02
    grad_clip: float = 1.0
    # BatchNorm running statistics follow the last ~1/momentum batches; torch's 0.1 lets the few final (mixed
    # photo/scene) batches decide how the shipped model behaves, a smaller value averages over many.
    bn_momentum: float = 0.1
    max_steps: int = 100_000
    max_minutes: float | None = None
    # loss
    lambda_p: float = 0.2
    lambda_m: float = 2.0
    vgg_weights: str | None = None
    # bookkeeping
    val_every: int = 250
    val_images: int = 48
    save_every: int = 500
    keep_checkpoints: int = 2
    samples: int = 4
    log_every: int = 10
    seed: int = 0
    threads: int | None = None
    resume: str | None = None  # "auto" (= <out>/last when it exists) or a checkpoint folder
    mixed_precision: str = "auto"  # auto → fp16 on CUDA, none elsewhere; or "no", "fp16", "bf16"
    progress: bool = True

    def model_config(self) -> FusionConfig:
        overrides = {k: getattr(self, k) for k in ("work_size", "widths", "base_width", "d_model", "n_layers")
                     if getattr(self, k) is not None}
        return FusionConfig(arch=self.arch, **overrides)


@dataclass
class TrainResult:
    out_dir: Path
    start_step: int
    step: int
    planned_steps: int
    best_fmse: float
    best_step: int
    copy_paste_fmse: float | None
    elapsed_s: float
    stopped_because: str
    history: list[dict] = field(default_factory=list)


class WarmupCosine:
    """Linear warm-up, then cosine decay to ``min_ratio``; a callable object so LambdaLR saves its fields."""

    def __init__(self, warmup: int, total: int, min_ratio: float):
        self.warmup, self.total, self.min_ratio = warmup, total, min_ratio

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / (self.warmup + 1)
        progress = min(1.0, (step - self.warmup) / max(1, self.total - self.warmup))
        return self.min_ratio + (1 - self.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


# ---------------------------------------------------------------------------------------------------------------
# Validation: the project's metrics (relive.carousel.metrics: MSE/fMSE on the 0–255 scale, PSNR), per image


def image_metrics(output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> list[dict[str, float]]:
    """MSE, fMSE and PSNR of every image of a batch, as :mod:`relive.carousel.metrics` defines them."""
    from relive.carousel import metrics

    scores = []
    for out, gt, m in zip(output.float().cpu().numpy(), target.float().cpu().numpy(), mask.float().cpu().numpy()):
        out, gt = out.transpose(1, 2, 0), gt.transpose(1, 2, 0)
        error = metrics.mse(out, gt)
        scores.append({"mse": error, "fmse": metrics.fmse(out, gt, m[0]), "psnr": metrics.psnr_from_mse(error)})
    return scores


def evaluate_batches(model: FusionModel, batches: list[dict], device) -> dict[str, float]:
    """Mean metrics of ``model`` and of plain copy-paste over fixed validation batches."""
    totals: dict[str, float] = {}
    count = 0
    model.eval()
    with torch.inference_mode():
        for batch in batches:
            x, target, mask = batch["input"].to(device), batch["target"].to(device), batch["mask"].to(device)
            outputs = {"model": model(x).float(), "copy_paste": composite(*split_input(x))}
            for name, output in outputs.items():
                for scores in image_metrics(output, target, mask):
                    for metric, value in scores.items():
                        totals[f"{name}_{metric}"] = totals.get(f"{name}_{metric}", 0.0) + value
            count += x.shape[0]
    model.train()
    return {k: v / max(count, 1) for k, v in totals.items()}


def sample_grid(model: FusionModel, batch: dict, device, limit: int) -> np.ndarray:
    """Rows of [copy-paste composite | model output | target] as one uint8 image."""
    x = batch["input"][:limit].to(device)
    model.eval()
    with torch.inference_mode():
        output = model(x).float()
    model.train()
    rows = [torch.cat([composite(*split_input(x))[i], output[i], batch["target"][i].to(device)], dim=2)
            for i in range(x.shape[0])]
    grid = torch.cat(rows, dim=1).clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    return (grid * 255.0 + 0.5).astype(np.uint8)


# ---------------------------------------------------------------------------------------------------------------
# Checkpoints


def save_checkpoint(directory: Path, model: FusionModel, optimizer, scheduler, state: dict, config: TrainConfig) -> None:
    """Model folder (config + weights) plus the optimizer, scheduler and counters needed to resume."""
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), **state,
                "rng": _rng_state()}, partial / STATE_NAME)
    (partial / TRAIN_CONFIG_NAME).write_text(json.dumps(asdict(config), indent=2, default=str) + "\n")
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(partial, directory)  # a crash mid-save never leaves a half-written checkpoint behind


def _rng_state() -> dict:
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}


def _restore_rng(rng: dict) -> None:
    torch.set_rng_state(rng["torch"])
    np.random.set_state(rng["numpy"])
    random.setstate(rng["python"])


def _prune_checkpoints(out_dir: Path, keep: int) -> None:
    numbered = sorted(out_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]) if p.name.split("-")[-1].isdigit() else -1)
    for old in numbered[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)


def resume_directory(config: TrainConfig) -> Path | None:
    if not config.resume:
        return None
    if config.resume == "auto":
        last = Path(config.out) / "last"
        return last if (last / STATE_NAME).is_file() else None
    directory = Path(config.resume)
    if not (directory / STATE_NAME).is_file():
        raise InvalidInput(f"cannot resume from {config.resume!r}: no {STATE_NAME} there; give a checkpoint-<step> "
                           "or last/ folder of a training run, or --resume auto")
    return directory


# ---------------------------------------------------------------------------------------------------------------
# Setup


def default_threads() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores)


def make_datasets(config: TrainConfig) -> tuple[Dataset, Dataset]:
    from relive.carousel.dataset import AvatarFusionDataset

    if not config.data:
        raise InvalidInput("no training data given; pass --data DIR (a folder made by `relive collage`)")
    train_set = AvatarFusionDataset(config.data, split="train", crop=config.crop, seed=config.seed,
                                    augment=config.augment, reperturb=config.reperturb)
    val_set = AvatarFusionDataset(config.data, split="val", crop=config.crop, seed=config.seed,
                                  augment=False, reperturb=False)
    return train_set, val_set


class TrainingView(Dataset):
    """Items of ``dataset`` (dict contract) as the model trains on them, made in the loader workers.

    - brought down to ``size``×``size``: the colour transform the compact model predicts does not depend on the
      resolution it is applied at, so it learns from big crops shown small, as it sees whole pictures later;
    - ``zoom``: that share of items is cropped close around the person first, who then fills most of the frame
      and may be cut by its edges — the portrait/close-up regime of real photos and of `fuse` (60 % of the
      height), rare in the collages (median 7–10 % of the frame);
    - ``tone``: that share gets one random gamma + contrast applied to the whole pair (scene, avatar and target
      alike): it widens the range of true appearances (the collages' people are low-contrast, median std 36–50
      on 0–255, real portraits ~90), so the model learns to trust the picture rather than a narrow prior;
    - ``soften``: that share gets its perturbation weakened, down to none: the collages keep only clearly
      perturbed pairs, and a model that never saw an avatar that already fits "corrects" good composites too.
    """

    def __init__(self, dataset: Dataset, size: int, zoom: float = 0.0, tone: float = 0.0, soften: float = 0.0,
                 seed: int = 0):
        self.dataset, self.size, self.zoom, self.tone, self.soften = dataset, size, zoom, tone, soften
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(epoch)

    def __getitem__(self, index: int) -> dict:
        item = self.dataset[index]
        rng = np.random.default_rng([self.seed, index, self.epoch, 7])
        if self.zoom and rng.random() < self.zoom:
            item = crop_item(item, *close_up_window(item["mask"][0], rng))
        item = resize_item(item, self.size)
        if self.tone and rng.random() < self.tone:
            item = retone_item(item, rng)
        if self.soften and rng.random() < self.soften:
            item = soften_item(item, strength=rng.uniform(-0.25, 1.0))
        return item


def close_up_window(mask: torch.Tensor, rng: np.random.Generator) -> tuple[int, int, int]:
    """(top, left, side) of a square window 1.0–1.5× the person's size around them (the whole crop if no person)."""
    height, width = mask.shape
    rows, cols = torch.nonzero(mask.sum(1)).flatten(), torch.nonzero(mask.sum(0)).flatten()
    if rows.numel() == 0:
        return 0, 0, min(height, width)
    box_h, box_w = int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)
    side = int(np.clip(max(box_h, box_w) * rng.uniform(1.0, 1.5), 32, min(height, width)))
    cy = (int(rows[0]) + int(rows[-1])) / 2 + rng.uniform(-0.15, 0.15) * side
    cx = (int(cols[0]) + int(cols[-1])) / 2 + rng.uniform(-0.15, 0.15) * side
    top = int(np.clip(round(cy - side / 2), 0, height - side))
    left = int(np.clip(round(cx - side / 2), 0, width - side))
    return top, left, side


def crop_item(item: dict, top: int, left: int, side: int) -> dict:
    window = (..., slice(top, top + side), slice(left, left + side))
    return {**item, **{k: item[k][window].contiguous() for k in ("input", "target", "mask")}}


def resize_item(item: dict, size: int) -> dict:
    """Resize one item (area when shrinking, bilinear when enlarging), keeping the contract: binary mask, avatar
    black outside it, background equal to the target outside it. The avatar is resized over the background, not
    over black, so its edge pixels keep their colour."""
    import torch.nn.functional as F

    x, target, mask = item["input"], item["target"], item["mask"]
    if tuple(x.shape[-2:]) == (size, size):
        return item
    bg, avatar = x[0:3], x[3:6]
    stack = torch.cat([bg, avatar * mask + bg * (1 - mask), target, mask])[None]
    shrinking = x.shape[-1] > size
    small = F.interpolate(stack, size=(size, size), mode="area" if shrinking else "bilinear",
                          align_corners=None if shrinking else False)[0]
    small_mask = (small[9:10] > 0.5).float()
    small_target = small[6:9].clamp(0, 1)
    small_bg = small[0:3].clamp(0, 1) * small_mask + small_target * (1 - small_mask)
    return {**item, "input": torch.cat([small_bg, small[3:6].clamp(0, 1) * small_mask, small_mask]),
            "target": small_target, "mask": small_mask}


def retone_item(item: dict, rng: np.random.Generator) -> dict:
    """One random gamma (0.8–1.25) then contrast (0.8–1.7 around the picture's mean) for the whole pair."""
    gamma = float(np.exp(rng.uniform(np.log(0.8), np.log(1.25))))
    contrast = float(np.exp(rng.uniform(np.log(0.8), np.log(1.7))))
    x, target, mask = item["input"], item["target"], item["mask"]
    pivot = float(target.pow(gamma).mean())

    def tone(image: torch.Tensor) -> torch.Tensor:
        return ((image.clamp(0, 1).pow(gamma) - pivot) * contrast + pivot).clamp(0, 1)

    return {**item, "input": torch.cat([tone(x[0:3]), tone(x[3:6]) * mask, mask]), "target": tone(target)}


def soften_item(item: dict, strength: float) -> dict:
    """The avatar moved towards the truth: ``strength`` 1 keeps the perturbation, 0 or less removes it."""
    x, target, mask = item["input"], item["target"], item["mask"]
    keep = min(max(strength, 0.0), 1.0)
    avatar = (x[3:6] * keep + target * (1 - keep)) * mask
    return {**item, "input": torch.cat([x[0:3], avatar, mask])}


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def source_kinds(dataset: Dataset) -> list[str] | None:
    """"scene" (rendered festival scene) or "photo" (everything else) per item, from the manifest's ``source``
    column; None for a dataset without manifest rows."""
    while isinstance(dataset, TrainingView):
        dataset = dataset.dataset
    rows = getattr(dataset, "rows", None)
    if not rows or "source" not in rows[0]:
        return None
    return ["scene" if str(row["source"]).startswith("scene/") else "photo" for row in rows]


def photo_balanced_sampler(dataset: Dataset, fraction: float, generator: torch.Generator):
    """Draw photo-derived items with probability ``fraction`` (with replacement, one epoch = len(dataset)).

    Rendered scenes are most of the data but light people in ways real photos do not; trained on the natural
    mix, the model learns that prior and darkens real people. Seeing photos as often as scenes fixes that.
    """
    from torch.utils.data import WeightedRandomSampler

    kinds = source_kinds(dataset)
    if kinds is None:
        raise InvalidInput("--photo-fraction needs a dataset with manifest rows (a `relive collage` folder)")
    photos = sum(kind == "photo" for kind in kinds)
    if not 0 < photos < len(kinds) or not 0 < fraction < 1:
        raise InvalidInput(f"--photo-fraction {fraction} needs 0 < fraction < 1 and both photo and scene pairs "
                           f"(found {photos} photo pairs of {len(kinds)})")
    weights = [fraction / photos if kind == "photo" else (1 - fraction) / (len(kinds) - photos) for kind in kinds]
    return WeightedRandomSampler(weights, num_samples=len(kinds), replacement=True, generator=generator)


def make_loader(dataset: Dataset, config: TrainConfig, cuda: bool) -> DataLoader:
    iterable = isinstance(dataset, IterableDataset)
    generator = torch.Generator().manual_seed(config.seed)
    sampler = None if config.photo_fraction is None else photo_balanced_sampler(dataset, config.photo_fraction,
                                                                                  generator)
    return DataLoader(dataset, batch_size=config.batch_size, shuffle=not iterable and sampler is None,
                      sampler=sampler, drop_last=not iterable, num_workers=config.num_workers,
                      persistent_workers=False, pin_memory=cuda, worker_init_fn=_seed_worker, generator=generator)


def fixed_validation_batches(val_set: Dataset, config: TrainConfig) -> list[dict]:
    """The first ``val_images`` validation samples, loaded once: every validation scores the same pictures."""
    count = min(config.val_images, len(val_set)) if hasattr(val_set, "__len__") else config.val_images
    loader = DataLoader(val_set, batch_size=config.batch_size, shuffle=False, num_workers=0)
    batches, seen = [], 0
    for batch in loader:
        take = min(count - seen, batch["input"].shape[0])
        batches.append({k: batch[k][:take] for k in ("input", "target", "mask")})
        seen += take
        if seen >= count:
            break
    if not batches:
        raise InvalidInput("the validation split is empty; build the data with a validation split")
    return batches


def _mixed_precision(config: TrainConfig) -> str:
    if config.mixed_precision == "auto":
        return "fp16" if torch.cuda.is_available() else "no"
    return config.mixed_precision


# ---------------------------------------------------------------------------------------------------------------
# The loop


class Run:
    """State of one training run; :func:`train` drives it."""

    def __init__(self, config: TrainConfig, train_set: Dataset | None, val_set: Dataset | None):
        from accelerate import Accelerator
        from accelerate.utils import set_seed

        self.config = config
        self.accelerator = Accelerator(mixed_precision=_mixed_precision(config))
        self.device = self.accelerator.device
        if self.device.type == "cpu":
            torch.set_num_threads(config.threads or default_threads())
        set_seed(config.seed)
        self.out = Path(config.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.resume_from = resume_directory(config)

        start_from = self.resume_from or (Path(config.init_from) if config.init_from else None)
        model_config = read_config(start_from) if start_from else config.model_config()
        self.model = build_model(model_config)
        for module in self.model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.momentum = config.bn_momentum
        if self.resume_from is None and config.init_from:
            self.model.load_state_dict(FusionModel.from_pretrained(config.init_from).state_dict())
            self.info(f"weights initialised from {config.init_from} (new optimizer and schedule)")
        elif self.resume_from is None and config.resnet_weights:
            loaded = load_resnet50_weights(self.model, config.resnet_weights)
            self.info(f"encoder initialised from {config.resnet_weights} ({loaded} tensors)")
        if train_set is None or val_set is None:
            default_train, default_val = make_datasets(config)
            train_set, val_set = train_set or default_train, val_set or default_val
        if config.train_size:
            train_set = TrainingView(train_set, config.train_size, config.zoom, config.tone, config.soften,
                                     config.seed)
            val_set = TrainingView(val_set, config.train_size)  # validation: no zoom, no retoning
        elif config.zoom or config.tone or config.soften:
            raise InvalidInput("--zoom, --tone and --soften need --train-size (the size the views are brought to)")
        self.train_set, self.val_set = train_set, val_set
        self.val_batches = fixed_validation_batches(val_set, config)
        self.sample_batch = self.val_batches[0]

        self.loss_fn = FusionLoss(config.lambda_p, config.lambda_m, config.vgg_weights).to(self.device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                           betas=(0.9, 0.99))
        self.schedule = WarmupCosine(config.warmup_steps, config.max_steps, config.min_lr_ratio)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self.schedule)
        self.step, self.best_fmse, self.best_step, self.elapsed_before = 0, math.inf, 0, 0.0
        self.copy_paste_fmse: float | None = None
        self.planned = config.max_steps if config.max_minutes is None else None
        if self.resume_from is not None:
            self._load_state(self.resume_from)
        self.start_step = self.step
        loader = make_loader(train_set, config, self.device.type == "cuda")
        # The scheduler is stepped by hand once per optimizer step (Accelerate would step it once per process).
        self.model, self.optimizer, self.loader = self.accelerator.prepare(self.model, self.optimizer, loader)
        self.history: list[dict] = []
        self.last_validated = -1
        self.log_file = self.out / "log.jsonl"

    # -- bookkeeping -------------------------------------------------------------------------------------------

    def info(self, message: str) -> None:
        if self.accelerator.is_main_process:
            log.info(message)

    def record(self, entry: dict) -> None:
        self.history.append(entry)
        if self.accelerator.is_main_process:
            with open(self.log_file, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def _load_state(self, directory: Path) -> None:
        self.model.load_state_dict(FusionModel.from_pretrained(directory).state_dict())
        state = torch.load(directory / STATE_NAME, map_location="cpu", weights_only=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])  # restores the planned total of the cosine too
        self.step, self.best_fmse, self.best_step = state["step"], state["best_fmse"], state["best_step"]
        self.elapsed_before = state.get("elapsed_s", 0.0)
        self.copy_paste_fmse = state.get("copy_paste_fmse")
        self.planned = state.get("planned_steps")
        if self.planned is not None:
            self.schedule.total = self.planned
        _restore_rng(state["rng"])
        self.info(f"resumed from {directory} at step {self.step}")

    def counters(self, elapsed: float) -> dict:
        return {"step": self.step, "best_fmse": self.best_fmse, "best_step": self.best_step, "elapsed_s": elapsed,
                "copy_paste_fmse": self.copy_paste_fmse, "planned_steps": self.planned}

    def save(self, elapsed: float, names: tuple[str, ...]) -> None:
        self.accelerator.wait_for_everyone()
        if self.accelerator.is_main_process:
            model = self.accelerator.unwrap_model(self.model)
            for name in names:
                save_checkpoint(self.out / name, model, self.optimizer, self.scheduler, self.counters(elapsed),
                                self.config)
            _prune_checkpoints(self.out, self.config.keep_checkpoints)

    # -- validation and samples --------------------------------------------------------------------------------

    def validate(self, elapsed: float) -> dict:
        model = self.accelerator.unwrap_model(self.model)
        metrics = evaluate_batches(model, self.val_batches, self.device)
        self.last_validated = self.step
        self.copy_paste_fmse = metrics["copy_paste_fmse"]
        improved = metrics["model_fmse"] < self.best_fmse
        if improved:
            self.best_fmse, self.best_step = metrics["model_fmse"], self.step
        self.record({"kind": "val", "step": self.step, "elapsed_s": round(elapsed, 1),
                     **{k: round(v, 4) for k, v in metrics.items()}})
        self.info(f"step {self.step}: val fMSE {metrics['model_fmse']:.1f} (copy-paste {metrics['copy_paste_fmse']:.1f}),"
                  f" PSNR {metrics['model_psnr']:.2f} dB (copy-paste {metrics['copy_paste_psnr']:.2f})"
                  + (" — best so far" if improved else ""))
        if improved and self.step > 0:
            self.save(elapsed, ("best",))
            if self.accelerator.is_main_process:
                (self.out / "best" / "metrics.json").write_text(json.dumps({"step": self.step, **metrics}, indent=2))
        self.write_samples()
        return metrics

    def write_samples(self) -> None:
        if not (self.accelerator.is_main_process and self.config.samples):
            return
        from relive.imaging import save_image, to_image

        grid = sample_grid(self.accelerator.unwrap_model(self.model), self.sample_batch, self.device,
                           self.config.samples)
        (self.out / "samples").mkdir(exist_ok=True)
        save_image(to_image(grid), self.out / "samples" / f"step-{self.step:06d}.png")

    # -- planning a time-budgeted run --------------------------------------------------------------------------

    def plan_steps(self, seconds_per_step: float, elapsed: float, validation_s: float = 0.0) -> None:
        """Fit the run's length (and so the cosine) to the time left at the measured speed.

        Called once after a short calibration, then again after every validation from the speed since the last
        plan (validations included): on a shared machine the speed changes, and the schedule must still reach
        its end when the budget does.
        """
        budget = self.config.max_minutes * 60
        per_step = seconds_per_step + validation_s / max(1, self.config.val_every)
        steps_left = int(max(0.0, budget - elapsed) / per_step * 0.98)  # a little slack for the last saves
        planned = torch.tensor([min(self.config.max_steps, self.step + max(1, steps_left))], device=self.device)
        planned = int(self._from_main(planned).item())
        if self.planned is None or abs(planned - self.planned) > 0.02 * self.planned:
            self.info(f"{seconds_per_step:.3f} s/step measured; {planned} steps planned for the "
                      f"{self.config.max_minutes:g} min budget (the cosine schedule follows)")
        self.planned = self.schedule.total = planned

    def _from_main(self, value: torch.Tensor) -> torch.Tensor:
        """Every process takes the main process's value, so that all stop at the same step."""
        if self.accelerator.num_processes == 1:
            return value
        from accelerate.utils import broadcast

        return broadcast(value, from_process=0)

    # -- the loop ----------------------------------------------------------------------------------------------

    def train_step(self, batch: dict) -> tuple[float, dict]:
        x, target, mask = batch["input"], batch["target"], batch["mask"]
        with self.accelerator.autocast():
            output = self.model(x)
        loss, parts = self.loss_fn(output.float(), target, mask)
        self.accelerator.backward(loss)
        if self.config.grad_clip:
            self.accelerator.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        return float(loss.detach()), {k: float(v) for k, v in parts.items()}

    def batches(self):
        epoch = 0
        while True:
            # New augmentation/perturbation draws every epoch. Workers are not persistent, so each epoch's
            # workers get a fresh copy of the dataset that carries the new epoch.
            if hasattr(self.train_set, "set_epoch"):
                self.train_set.set_epoch(epoch)
            if hasattr(self.loader, "set_epoch"):
                self.loader.set_epoch(epoch)
            yield from self.loader
            epoch += 1

    def run(self) -> TrainResult:
        from tqdm.auto import tqdm

        config = self.config
        self.info(f"{describe(self.accelerator.unwrap_model(self.model))}; {self.loss_fn.describe()}")
        self.info(f"device {self.device}, {self.accelerator.num_processes} process(es), mixed precision "
                  f"{self.accelerator.mixed_precision}, {torch.get_num_threads()} torch threads, "
                  f"{config.num_workers} loader worker(s); train {len(self.train_set)} / val "
                  f"{sum(b['input'].shape[0] for b in self.val_batches)} samples")
        clock = time.monotonic()

        def elapsed() -> float:
            return self.elapsed_before + time.monotonic() - clock

        validation_s = 0.0
        if self.start_step == 0:
            started = time.monotonic()
            self.validate(0.0)  # the untrained model is copy-paste: this is the reference to beat
            validation_s = time.monotonic() - started
        if config.max_minutes is None:
            self.planned = self.schedule.total = config.max_steps
        stop_reason, running, pace_mark = "max_steps", [], None
        progress = tqdm(total=self.planned or config.max_steps, initial=self.step, desc="train", unit="step",
                        disable=not (config.progress and self.accelerator.is_main_process), dynamic_ncols=True)
        for batch in self.batches():
            if self.step >= (self.planned or config.max_steps):
                break
            loss, parts = self.train_step(batch)
            running.append(loss)
            progress.update(1)
            if config.max_minutes is not None and self.step - self.start_step == 5:
                pace_mark = (self.step, time.monotonic())  # the first steps (worker start-up) are not timed
            if self.step % config.log_every == 0:
                lr = self.scheduler.get_last_lr()[0]
                self.record({"kind": "train", "step": self.step, "loss": round(sum(running) / len(running), 5),
                             "lr": lr, "elapsed_s": round(elapsed(), 1), **{k: round(v, 5) for k, v in parts.items()}})
                progress.set_postfix(loss=f"{sum(running) / len(running):.4f}", lr=f"{lr:.2e}")
                running = []
            if self.step % config.val_every == 0:
                self.validate(elapsed())
            if pace_mark and (self.step - self.start_step == 5 + CALIBRATION_STEPS or self.step % config.val_every == 0):
                first = self.step - self.start_step == 5 + CALIBRATION_STEPS
                seconds_per_step = (time.monotonic() - pace_mark[1]) / (self.step - pace_mark[0])
                self.plan_steps(seconds_per_step, elapsed(), validation_s if first else 0.0)
                pace_mark, progress.total = (self.step, time.monotonic()), self.planned
            if self.step % config.save_every == 0:
                self.save(elapsed(), (f"checkpoint-{self.step}", "last"))
            out_of_time = config.max_minutes is not None and elapsed() >= config.max_minutes * 60
            if bool(self._from_main(torch.tensor([out_of_time], device=self.device)).item()):
                stop_reason = "time budget"
                break
        progress.close()
        if self.last_validated != self.step:
            self.validate(elapsed())
        if self.step % config.save_every:
            self.save(elapsed(), (f"checkpoint-{self.step}", "last"))
        if self.best_step == 0 and self.step > 0:
            self.info("the model never beat its starting point (copy-paste) on validation; best/ holds step 0")
        self.info(f"stopped at step {self.step} ({stop_reason}) after {elapsed() / 60:.1f} min; best val fMSE "
                  f"{self.best_fmse:.1f} at step {self.best_step} (copy-paste {self.copy_paste_fmse:.1f})")
        if self.accelerator.is_main_process:
            plot_curves(self.log_file, self.out / "curves.png")
        return TrainResult(self.out, self.start_step, self.step, self.planned or self.step, self.best_fmse,
                           self.best_step, self.copy_paste_fmse, elapsed(), stop_reason, self.history)


def train(config: TrainConfig, train_set: Dataset | None = None, val_set: Dataset | None = None) -> TrainResult:
    """Train (or resume) a fusion model as ``config`` says; datasets default to ``AvatarFusionDataset`` splits.

    ``train_set``/``val_set`` yield dicts of float tensors: ``input`` 7×H×W, ``target`` 3×H×W, ``mask`` 1×H×W.
    """
    run = Run(config, train_set, val_set)
    if run.start_step == 0 and run.accelerator.is_main_process:
        # Step 0 of best/ is the untrained model = copy-paste, so best/ always exists and never loses to it.
        run.save(0.0, ("best",))
    return run.run()


def plot_curves(log_file: Path, out: Path) -> None:
    """Training loss and validation fMSE against the step, as a PNG (skipped where matplotlib is missing)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    entries = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
    train_entries = [e for e in entries if e["kind"] == "train"]
    val_entries = [e for e in entries if e["kind"] == "val"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot([e["step"] for e in train_entries], [e["loss"] for e in train_entries], lw=1)
    left.set(xlabel="step", ylabel="training loss", title="training loss", yscale="log")
    right.plot([e["step"] for e in val_entries], [e["model_fmse"] for e in val_entries], "o-", label="model")
    right.plot([e["step"] for e in val_entries], [e["copy_paste_fmse"] for e in val_entries], "--", label="copy-paste")
    right.set(xlabel="step", ylabel="fMSE (0–255²)", title="validation fMSE")
    right.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------------------------
# Command line


def _int_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relive train", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    defaults = TrainConfig()
    helps = {
        "data": "folder made by `relive collage` (collages/ + manifest.csv)",
        "out": "run folder: checkpoints, best/, last/, samples/, log.jsonl, curves.png",
        "arch": "compact (CPU-friendly, shipped) or resnet50-transformer (the brief's architecture)",
        "widths": "compact encoder widths, e.g. 24,48,96,192",
        "resnet_weights": "torchvision-format ResNet-50 .pth to start the resnet50-transformer encoder from",
        "init_from": "model folder to fine-tune: its weights and config, with a new optimizer and schedule",
        "max_minutes": "wall-clock budget; the cosine schedule is fitted to it",
        "vgg_weights": "torchvision-format VGG16 .pth for the perceptual term (else 1 − SSIM is used)",
        "resume": "'auto' (= <out>/last if present) or a checkpoint folder",
        "threads": "torch CPU threads (default: all cores; 1 is faster on a busy machine)",
        "photo_fraction": "probability of drawing a photo-derived pair instead of a rendered scene (e.g. 0.5)",
        "zoom": "share of training items cropped close around the person (needs --train-size)",
        "tone": "share of training items given one random gamma/contrast as a whole (needs --train-size)",
        "soften": "share of training items whose perturbation is weakened, a fifth of them to none (needs --train-size)",
        "train_size": "downscale each crop to this size before the model (e.g. --crop 512 --train-size 256)",
        "mixed_precision": "auto = fp16 on CUDA, none on CPU; or no/fp16/bf16",
    }
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=helps.get(f.name, ""))
        elif f.name == "widths":
            parser.add_argument(flag, type=_int_tuple, default=None, help=helps.get(f.name, ""))
        else:
            kind = int if f.type.startswith("int") else float if f.type.startswith("float") else str
            parser.add_argument(flag, type=kind, default=default, help=helps.get(f.name, ""),
                                choices=["compact", "resnet50-transformer"] if f.name == "arch" else None)
    return parser


def main(argv: list[str] | None = None) -> int:
    from relive.errors import ReliveError

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        result = train(TrainConfig(**vars(args)))
    except ReliveError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"out": str(result.out_dir), "steps": result.step, "best_fmse": round(result.best_fmse, 2),
                      "best_step": result.best_step, "copy_paste_fmse": result.copy_paste_fmse,
                      "minutes": round(result.elapsed_s / 60, 1), "stopped_because": result.stopped_because}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
