"""Every knob of a fusion-model training run (:class:`TrainConfig`) and what a run reports (:class:`TrainResult`).

``relive train`` maps one command-line flag to each field of :class:`TrainConfig`; a run folder keeps the config
it was started with (``train_config.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from relive.backends.fusion.checkpoint import FusionConfig  # torch-free: the CLI builds its parser from this


@dataclass
class TrainConfig:
    """Every knob of a training run; ``main`` maps one command-line flag to each field."""

    data: str | None = "data/carousel"
    out: str = "runs/carousel"
    # model (ignored on --resume: the checkpoint's own config wins)
    arch: str = "compact"
    work_size: int | None = None
    widths: tuple[int, ...] | None = None
    encoder: str | None = None  # resnet50-transformer: "resnet50" or "efficientnet-lite0" (ImageNet weights)
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
    # Share of training items turned into the booth's case: the scene lit by a coloured light, the person not.
    scene_light: float = 0.0
    # Share of training items whose person is drawn in the instant avatars' flat cel colours (see TrainingView).
    cartoon: float = 0.0
    # Share of training items turned black-and-white as a whole (scene, person and truth).
    grey: float = 0.0
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
    # Fine-tuning: keep the BatchNorm statistics of --init-from (only refreshing them on the v2 mix, no weight
    # changed, cost the shipped model 1.3 dB on the held-out people).
    freeze_norm: bool = False
    max_steps: int = 100_000
    max_minutes: float | None = None
    # loss
    lambda_p: float = 0.2
    lambda_m: float = 2.0
    vgg_weights: str | None = None
    perceptual: str = "ssim"  # or "efficientnet": ImageNet EfficientNet-Lite0 features (`make models`)
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
        """The :class:`FusionConfig` of the model this run trains (only the options given override)."""
        overrides = {k: getattr(self, k) for k in ("work_size", "widths", "encoder", "base_width", "d_model", "n_layers")
                     if getattr(self, k) is not None}
        return FusionConfig(arch=self.arch, **overrides)


@dataclass
class TrainResult:
    """Where a run wrote its checkpoints, and how far it got."""
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
