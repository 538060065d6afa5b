"""The data side of a training run: datasets, the views the model trains on (close-ups, retoning, softened
perturbations, a downscaled size), balanced sampling of photo and scene pairs, and the loaders.

Every item is a dict of float tensors: ``input`` 7×H×W (background, avatar × mask, mask), ``target`` 3×H×W and
``mask`` 1×H×W; the views change those tensors in the loader workers.
"""

from __future__ import annotations

import random

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

from relive.carousel.training.config import TrainConfig
from relive.errors import InvalidInput


def make_datasets(config: TrainConfig) -> tuple[Dataset, Dataset]:
    """The training and validation datasets the config asks for."""
    from relive.carousel.training.dataset import AvatarFusionDataset

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
      perturbed pairs, and a model that never saw an avatar that already fits "corrects" good composites too;
    - ``cartoon``: that share has its person drawn as the booth's instant avatars are (flat, saturated cel
      colours, :func:`cartoon_item`) and pasted as it is: the booth's avatars are not photos, and a model that
      never saw one takes their vivid colours for a perturbation and greys them;
    - ``scene_light``: that share becomes the booth's case (:func:`relight_item`): scene and truth under a
      coloured light, the person pasted unlit;
    - ``grey``: that share is turned black-and-white as a whole first (:func:`grey_item`): a model that only saw
      colour pictures takes a grey person for a washed-out one and paints skin colours on a black-and-white photo.
    """

    def __init__(self, dataset: Dataset, size: int, zoom: float = 0.0, tone: float = 0.0, soften: float = 0.0,
                 seed: int = 0, scene_light: float = 0.0, cartoon: float = 0.0, grey: float = 0.0):
        self.dataset, self.size, self.zoom, self.tone, self.soften = dataset, size, zoom, tone, soften
        self.scene_light, self.cartoon, self.grey = scene_light, cartoon, grey
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch``: new augmentation draws here and in the wrapped dataset."""
        self.epoch = epoch
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(epoch)

    def __getitem__(self, index: int) -> dict:
        item = self.dataset[index]
        rng = np.random.default_rng([self.seed, index, self.epoch, 7])
        if self.zoom and rng.random() < self.zoom:
            item = crop_item(item, *close_up_window(item["mask"][0], rng))
        item = resize_item(item, self.size)
        if self.grey and rng.random() < self.grey:
            item = grey_item(item, keep_cast=rng.random() < 0.5)
        if self.tone and rng.random() < self.tone:
            item = retone_item(item, rng)
        if self.soften and rng.random() < self.soften:
            item = soften_item(item, strength=rng.uniform(-0.25, 1.0))
        if self.cartoon and rng.random() < self.cartoon:
            item = cartoon_item(item)
        if self.scene_light and rng.random() < self.scene_light:
            item = relight_item(item, rng)
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
    """The same square window of an item's input, target and mask."""
    window = (..., slice(top, top + side), slice(left, left + side))
    return {**item, **{k: item[k][window].contiguous() for k in ("input", "target", "mask")}}


def resize_item(item: dict, size: int) -> dict:
    """Resize one item with :func:`relive.backends.fusion.model.area_resize` (the resize of the network's input path),
    keeping the contract: binary mask, avatar black outside it, background equal to the target outside it. The
    avatar is resized over the background, not over black, so its edge pixels keep their colour."""
    from relive.backends.fusion.model import area_resize

    x, target, mask = item["input"], item["target"], item["mask"]
    if tuple(x.shape[-2:]) == (size, size):
        return item
    bg, avatar = x[0:3], x[3:6]
    stack = torch.cat([bg, avatar * mask + bg * (1 - mask), target, mask])
    small = torch.from_numpy(area_resize(stack.permute(1, 2, 0).numpy(), (size, size))).permute(2, 0, 1)
    small_mask = (small[9:10] > 0.5).float()
    small_target = small[6:9].clamp(0, 1)
    small_bg = small[0:3].clamp(0, 1) * small_mask + small_target * (1 - small_mask)
    return {**item, "input": torch.cat([small_bg, small[3:6].clamp(0, 1) * small_mask, small_mask]).contiguous(),
            "target": small_target.contiguous(), "mask": small_mask.contiguous()}


def retone_item(item: dict, rng: np.random.Generator) -> dict:
    """One random gamma (0.8–1.25) then contrast (0.8–1.7 around the picture's mean) for the whole pair."""
    gamma = float(np.exp(rng.uniform(np.log(0.8), np.log(1.25))))
    contrast = float(np.exp(rng.uniform(np.log(0.8), np.log(1.7))))
    x, target, mask = item["input"], item["target"], item["mask"]
    pivot = float(target.pow(gamma).mean())

    def tone(image: torch.Tensor) -> torch.Tensor:
        return ((image.clamp(0, 1).pow(gamma) - pivot) * contrast + pivot).clamp(0, 1)

    return {**item, "input": torch.cat([tone(x[0:3]), tone(x[3:6]) * mask, mask]), "target": tone(target)}


def grey_item(item: dict, keep_cast: bool = False) -> dict:
    """The whole pair in black and white (scene and truth): the avatar too, so that only the perturbation's change
    of brightness is left to undo, or (``keep_cast``) the grey truth plus the perturbation's own change, colour
    cast included, so that the cast is to be taken away: no colour is right to add to a black-and-white photo."""
    from relive.carousel.training.perturb import LUMA

    weights = torch.from_numpy(LUMA).view(3, 1, 1)

    def grey(image: torch.Tensor) -> torch.Tensor:
        return (image * weights).sum(0, keepdim=True).expand(3, -1, -1)

    x, target, mask = item["input"], item["target"], item["mask"]
    truth = grey(target)
    avatar = (truth + x[3:6] - target).clamp(0, 1) if keep_cast else grey(x[3:6])
    return {**item, "input": torch.cat([grey(x[0:3]), avatar * mask, mask]).contiguous(), "target": truth.contiguous()}


def soften_item(item: dict, strength: float) -> dict:
    """The avatar moved towards the truth: ``strength`` 1 keeps the perturbation, 0 or less removes it."""
    x, target, mask = item["input"], item["target"], item["mask"]
    keep = min(max(strength, 0.0), 1.0)
    avatar = (x[3:6] * keep + target * (1 - keep)) * mask
    return {**item, "input": torch.cat([x[0:3], avatar, mask])}


def cartoon_item(item: dict) -> dict:
    """The person (in the truth) drawn in flat cel colours, a little more saturated, as the instant looks draw
    the booth's avatars; the avatar pasted is that drawing, unperturbed: a cartoon that fits its scene stays."""
    from relive.avatar.stylize import cartoon_colours

    target, mask = item["target"], item["mask"]
    truth = (target.permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
    person = (mask[0].numpy() * 255).astype(np.uint8)
    if person.max() == 0:
        return item
    drawn = torch.from_numpy(cartoon_colours(truth, person).astype(np.float32) / 255).permute(2, 0, 1)
    new_target = target * (1 - mask) + drawn * mask
    return {**item, "input": torch.cat([item["input"][0:3], drawn * mask, mask]), "target": new_target.contiguous()}


def relight_item(item: dict, rng: np.random.Generator) -> dict:
    """The booth's case: background and truth under one random scene light (:mod:`perturb`'s festival lights),
    the person pasted as the truth was before the light (half the time) or as the stored avatar, unlit."""
    from relive.carousel.training.perturb import apply_scene_light, random_scene_light

    x, target, mask = item["input"], item["target"], item["mask"]
    light = random_scene_light(rng)

    def lit(image: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(apply_scene_light(image.permute(1, 2, 0).numpy(), light)).permute(2, 0, 1)

    avatar = target * mask if rng.random() < 0.5 else x[3:6]
    lit_target = lit(target).contiguous()
    return {**item, "input": torch.cat([lit(x[0:3]), avatar, mask]), "target": lit_target}


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
    """The data loader for a dataset: seeded, optionally photo-balanced, pinned on CUDA."""
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
