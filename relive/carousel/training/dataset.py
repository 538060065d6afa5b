"""``AvatarFusionDataset``: collages → the fusion network's tensors.

Each item is a dict of float32 tensors in [0, 1]:

- ``"input"``  7×crop×crop: clean background (3) + avatar on black (3) + mask (1);
- ``"target"`` 3×crop×crop: the ground truth;
- ``"mask"``   1×crop×crop: the person, exactly 0 or 1.

Training split (``split="train"``): paired geometric augmentation (horizontal flip, scale 0.8–1.25) applied to all
panels alike, a random crop that always contains part of the person, and — with ``reperturb`` — a fresh avatar made
from the ground truth's own pixels inside the mask (:func:`relive.carousel.training.perturb.perturb`), so every epoch can see
new appearance changes. Validation split: no augmentation, a deterministic crop centred on the person, the stored
avatar. Items are deterministic per (seed, index, epoch); ``set_epoch`` moves to new draws (optional).

    ds = AvatarFusionDataset("data/carousel", split="train", crop=256, seed=0)
    item = ds[0]; item["input"].shape  # (7, 256, 256)
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import numpy as np

from relive.carousel.training import perturb as perturbation
from relive.carousel.training.collage import Pair, load_collage, read_manifest
from relive.errors import InvalidInput

try:  # a Dataset subclass when torch is there; the class still imports (and documents itself) without it
    from torch.utils.data import Dataset as _Base
except ImportError:  # pragma: no cover - torch is a runtime dependency
    _Base = object

SCALE_RANGE = (0.8, 1.25)
REFERENCE_POOL = 48       # ground truths (thumbnails) whose colours re-perturbed avatars may take on
REFERENCE_SIDE = 64
SPLITS = ("train", "val")


class AvatarFusionDataset(_Base):
    """Collages of ``root`` (``manifest.csv`` + ``collages/``) of one split as training tensors (see module doc)."""

    def __init__(self, root: str | os.PathLike, split: str = "train", crop: int = 256, seed: int = 0,
                 augment: bool = True, reperturb: bool = True):
        if split not in SPLITS:
            raise InvalidInput(f"split={split!r} is not a split; use 'train' or 'val'")
        if not isinstance(crop, int) or not 16 <= crop <= 4096:
            raise InvalidInput(f"crop={crop!r} is out of range; use a whole number of pixels, e.g. 256")
        self.root, self.split, self.crop, self.seed = Path(root), split, crop, seed
        self.rows = read_manifest(root, split)
        if not self.rows:
            raise InvalidInput(f"{os.fspath(root)!r} has no {split} collages; build more data or lower/raise --val-fraction")
        training = split == "train"
        self.augment = augment and training      # validation is never augmented …
        self.reperturb = reperturb and training  # … and keeps its stored perturbation
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """New augmentation/perturbation draws for this epoch (call from the training loop; optional)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.rows)

    def path(self, index: int) -> Path:
        """The collage file of item ``index``."""
        return self.root / "collages" / f"{self.rows[index]['id']}.png"

    def pair(self, index: int) -> Pair:
        """The full-resolution pair of item ``index`` (uint8), as stored."""
        return load_collage(self.path(index))

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(index)
        pair = self.pair(index)
        rng = np.random.default_rng([self.seed, index, self.epoch])
        if self.augment:
            pair = flip_and_scale(pair, rng)
        pair = cover_crop(pair, self.crop)
        y, x = person_window(pair.mask, self.crop, rng if self.augment else None)
        pair = crop_pair(pair, y, x, self.crop)
        if self.reperturb:
            pair = reperturbed(pair, rng, self._references)
        return to_tensors(pair)

    @cached_property
    def _references(self) -> list[np.ndarray]:
        """Small ground truths of evenly spaced items: colour statistics for re-perturbation (loaded once per worker)."""
        import cv2

        picks = np.linspace(0, len(self) - 1, min(REFERENCE_POOL, len(self))).astype(int)
        thumbs = []
        for i in picks:
            gt = self.pair(int(i)).gt
            scale = REFERENCE_SIDE / max(gt.shape[:2])
            thumbs.append(cv2.resize(gt, (max(1, round(gt.shape[1] * scale)), max(1, round(gt.shape[0] * scale))),
                                     interpolation=cv2.INTER_AREA))
        return thumbs


# --- paired geometry (every panel alike; the contract's invariants restored after each step) ---------------------

def restore_invariants(gt: np.ndarray, bg: np.ndarray, avatar: np.ndarray, mask: np.ndarray) -> Pair:
    """Binary mask; avatar zero outside it; background equal to the ground truth outside it."""
    mask = np.where(mask > 127, 255, 0).astype(np.uint8)
    inside = mask[..., None] > 0
    return Pair(gt=gt, bg=np.where(inside, bg, gt), avatar=np.where(inside, avatar, 0).astype(np.uint8), mask=mask)


def resize_pair(pair: Pair, width: int, height: int) -> Pair:
    """Every image of a pair resized to width × height (area when shrinking, bilinear when enlarging)."""
    import cv2

    shrink = width < pair.gt.shape[1]
    method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    size = (width, height)
    # The avatar is resized over the background, not over black, so its edge pixels do not darken.
    avatar_over_bg = np.where(pair.mask[..., None] > 0, pair.avatar, pair.bg)
    gt, bg, avatar = (cv2.resize(a, size, interpolation=method) for a in (pair.gt, pair.bg, avatar_over_bg))
    mask = cv2.resize(pair.mask, size, interpolation=cv2.INTER_NEAREST)
    return restore_invariants(gt, bg, avatar, mask)


def flip_and_scale(pair: Pair, rng: np.random.Generator, scale_range: tuple[float, float] = SCALE_RANGE) -> Pair:
    """A horizontal flip half of the time, and a log-uniform scale in ``scale_range``."""
    if rng.random() < 0.5:
        pair = Pair(*(np.ascontiguousarray(a[:, ::-1]) for a in (pair.gt, pair.bg, pair.avatar, pair.mask)))
    scale = float(np.exp(rng.uniform(np.log(scale_range[0]), np.log(scale_range[1]))))
    height, width = pair.mask.shape
    return resize_pair(pair, max(1, round(width * scale)), max(1, round(height * scale)))


def cover_crop(pair: Pair, crop: int) -> Pair:
    """Scaled up (aspect kept) when a side is shorter than ``crop``: any resolution trains."""
    height, width = pair.mask.shape
    if min(height, width) >= crop:
        return pair
    scale = crop / min(height, width)
    return resize_pair(pair, max(crop, round(width * scale)), max(crop, round(height * scale)))


def person_window(mask: np.ndarray, crop: int, rng: np.random.Generator | None) -> tuple[int, int]:
    """Top-left (y, x) of a crop×crop window. Random: a random person pixel lands at a random place inside the
    window (so the window always holds part of the person). ``rng=None``: centred on the person's box."""
    height, width = mask.shape
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        cy, cx = height / 2, width / 2
        if rng is not None:
            cy, cx = rng.uniform(0, height), rng.uniform(0, width)
    elif rng is None:
        cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    else:
        pick = int(rng.integers(len(xs)))
        cy = ys[pick] + rng.uniform(-0.45, 0.45) * crop
        cx = xs[pick] + rng.uniform(-0.45, 0.45) * crop
    y = int(np.clip(round(cy - crop / 2), 0, height - crop))
    x = int(np.clip(round(cx - crop / 2), 0, width - crop))
    return y, x


def crop_pair(pair: Pair, y: int, x: int, crop: int) -> Pair:
    """The same ``crop``-sided square window, at (y, x), of every image of a pair."""
    window = (slice(y, y + crop), slice(x, x + crop))
    return Pair(*(np.ascontiguousarray(a[window]) for a in (pair.gt, pair.bg, pair.avatar, pair.mask)))


def reperturbed(pair: Pair, rng: np.random.Generator, references: list[np.ndarray]) -> Pair:
    """A fresh avatar from the ground truth's own pixels; the stored one is kept if no draw is visible enough."""
    reference = references[int(rng.integers(len(references)))] if references else None
    found = perturbation.perturb_visible(pair.gt, pair.mask, rng, reference)
    if found is None:
        return pair
    avatar = np.where(pair.mask[..., None] > 0, found[0], 0).astype(np.uint8)
    return Pair(gt=pair.gt, bg=pair.bg, avatar=avatar, mask=pair.mask)


def to_tensors(pair: Pair) -> dict:
    """CHW float32 tensors in [0, 1]. Built in numpy and wrapped (no copy): torch's own ops here would spin up
    its thread pool per item inside every DataLoader worker."""
    import torch

    scale = np.float32(1.0 / 255.0)
    mask = (pair.mask > 127).astype(np.float32)[None]
    target = pair.gt.transpose(2, 0, 1).astype(np.float32) * scale
    inputs = np.concatenate([pair.bg.transpose(2, 0, 1), pair.avatar.transpose(2, 0, 1)]).astype(np.float32) * scale
    inputs = np.concatenate([inputs, mask])
    return {"input": torch.from_numpy(inputs), "target": torch.from_numpy(target), "mask": torch.from_numpy(mask)}
