"""Train a fusion model: one script for one CPU, one GPU, or many GPUs and nodes (HF Accelerate).

    relive train --data data/carousel --out runs/compact --max-minutes 50
    accelerate launch -m relive train --data data/carousel --out runs/r50 --arch resnet50-transformer

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

import json
import logging
import math
import os
import random
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from relive.backends.fusion.model import (
    FusionModel,
    build_model,
    composite,
    describe,
    load_efficientnet_encoder_weights,
    load_resnet50_weights,
    read_config,
    split_input,
)
from relive.carousel.training.config import TrainConfig, TrainResult
from relive.carousel.training.losses import FusionLoss
from relive.carousel.training.views import TrainingView, fixed_validation_batches, make_datasets, make_loader
from relive.errors import InvalidInput

log = logging.getLogger("relive.carousel.training.trainer")

STATE_NAME = "training_state.pt"
TRAIN_CONFIG_NAME = "train_config.json"
CALIBRATION_STEPS = 30  # steps timed before a --max-minutes run plans its length


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
# Validation: the project's metrics (relive.carousel.training.metrics: MSE/fMSE on the 0–255 scale, PSNR), per image


def image_metrics(output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> list[dict[str, float]]:
    """MSE, fMSE and PSNR of every image of a batch, as :mod:`relive.carousel.training.metrics` defines them."""
    from relive.carousel.training import metrics

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
    """The checkpoint folder to resume from (``auto``: the run's last one), or None."""
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
    """How many CPU cores this process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores)


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
        self.model.frozen_statistics = config.freeze_norm
        self.model.train()
        if self.resume_from is None and config.init_from:
            self.model.load_state_dict(FusionModel.from_pretrained(config.init_from).state_dict())
            self.info(f"weights initialised from {config.init_from} (new optimizer and schedule)")
        elif self.resume_from is None and config.resnet_weights:
            loaded = load_resnet50_weights(self.model, config.resnet_weights)
            self.info(f"encoder initialised from {config.resnet_weights} ({loaded} tensors)")
        elif self.resume_from is None and self.model.config.encoder == "efficientnet-lite0":
            loaded = load_efficientnet_encoder_weights(self.model)
            self.info(f"encoder initialised from ImageNet EfficientNet-Lite0 ({loaded} tensors)")
        if train_set is None or val_set is None:
            default_train, default_val = make_datasets(config)
            train_set, val_set = train_set or default_train, val_set or default_val
        if config.train_size:
            train_set = TrainingView(train_set, config.train_size, config.zoom, config.tone, config.soften,
                                     config.seed, config.scene_light, config.cartoon, config.grey)
            val_set = TrainingView(val_set, config.train_size)  # validation: no zoom, no retoning
        elif config.zoom or config.tone or config.soften or config.scene_light or config.cartoon or config.grey:
            raise InvalidInput("--zoom, --tone, --soften, --scene-light, --cartoon and --grey need --train-size (the size the views are "
                               "brought to)")
        self.train_set, self.val_set = train_set, val_set
        self.val_batches = fixed_validation_batches(val_set, config)
        self.sample_batch = self.val_batches[0]

        self.loss_fn = FusionLoss(config.lambda_p, config.lambda_m, config.vgg_weights, config.perceptual).to(self.device)
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
        """Log ``message`` once (on the main process only)."""
        if self.accelerator.is_main_process:
            log.info(message)

    def record(self, entry: dict) -> None:
        """Keep a log entry and append it to the run's JSON-lines log."""
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
        """The run's progress counters, saved with each checkpoint to resume from."""
        return {"step": self.step, "best_fmse": self.best_fmse, "best_step": self.best_step, "elapsed_s": elapsed,
                "copy_paste_fmse": self.copy_paste_fmse, "planned_steps": self.planned}

    def save(self, elapsed: float, names: tuple[str, ...]) -> None:
        """Save the model and counters under each of ``names`` (e.g. last, best)."""
        self.accelerator.wait_for_everyone()
        if self.accelerator.is_main_process:
            model = self.accelerator.unwrap_model(self.model)
            for name in names:
                save_checkpoint(self.out / name, model, self.optimizer, self.scheduler, self.counters(elapsed),
                                self.config)
            _prune_checkpoints(self.out, self.config.keep_checkpoints)

    # -- validation and samples --------------------------------------------------------------------------------

    def validate(self, elapsed: float) -> dict:
        """Evaluate on the validation batches, keep the best model, and log the metrics."""
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
        """Write a before/after contact sheet of validation items, to judge by eye."""
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
        """One optimisation step on ``batch``; its loss and loss parts."""
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
        """Training batches forever, with new augmentation draws every epoch."""
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
        """Train until the planned steps, validating and saving on schedule; what was written."""
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
