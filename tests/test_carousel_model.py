"""The CAROUSEL fusion model: both architectures, the identity start, checkpoints, the loss and a tiny training run.

Everything runs on a CPU in seconds on a synthetic data set made here (random backgrounds, rectangle/ellipse
masks, a colour shift inside the mask) that follows the AvatarFusionDataset dict contract.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from relive.carousel.training.losses import FusionLoss, VGG16Features, ssim_map, gaussian_window
from relive.backends.fusion.model import (
    FusionConfig,
    FusionModel,
    build_model,
    composite,
    load_resnet50_weights,
    split_input,
)
from relive.carousel.training.config import TrainConfig
from relive.carousel.training.trainer import WarmupCosine, train
from relive.commands import build_parser
from relive.commands.carousel import train_config_from
from relive.errors import InvalidInput, ModelUnavailable, UnknownName

SMALL_RESNET = dict(arch="resnet50-transformer", base_width=8, d_model=32, n_heads=4, n_layers=1)


class SyntheticFusionSet(Dataset):
    """Smooth random scenes; the person's true colours follow the scene's tint, the avatar's are shifted."""

    def __init__(self, n: int, size: int = 48, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.items = [self._make(rng, size) for _ in range(n)]

    @staticmethod
    def _make(rng: np.random.Generator, size: int) -> dict:
        yy, xx = np.mgrid[0:size, 0:size] / size
        tint = rng.uniform(0.3, 0.9, 3)
        bg = np.clip(tint[:, None, None] * (0.7 + 0.3 * np.stack([xx, yy, xx * yy])), 0, 1)
        mask = np.zeros((size, size))
        top, left = rng.integers(2, size // 3, 2)
        h, w = rng.integers(size // 3, size // 2, 2)
        if rng.random() < 0.5:
            mask[top:top + h, left:left + w] = 1
        else:
            mask[((yy * size - top - h / 2) / (h / 2)) ** 2 + ((xx * size - left - w / 2) / (w / 2)) ** 2 <= 1] = 1
        texture = 0.5 + 0.4 * rng.random((3, size, size))
        person = np.clip(texture * tint[:, None, None] * 1.1, 0, 1)
        shifted = np.clip(person * np.array([1.35, 0.9, 0.7])[:, None, None] + 0.05, 0, 1)
        target = bg * (1 - mask) + person * mask
        avatar = shifted * mask
        as_tensor = lambda a: torch.from_numpy(np.asarray(a, np.float32))  # noqa: E731
        return {"input": as_tensor(np.concatenate([bg, avatar, mask[None]])), "target": as_tensor(target),
                "mask": as_tensor(mask[None])}

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]


def random_input(batch: int, height: int, width: int, soft: bool = False, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, 7, height, width, generator=gen)
    if not soft:
        x[:, 6:] = (x[:, 6:] > 0.5).float()
    return x


# --- architectures ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [dict(arch="compact", work_size=64), SMALL_RESNET], ids=["compact", "resnet50-transformer"])
@pytest.mark.parametrize("size", [(64, 64), (96, 128)])
def test_forward_backward_at_two_sizes(config, size):
    model = build_model(FusionConfig(**config))
    x = random_input(2, *size)
    out = model(x)
    assert out.shape == (2, 3, *size)
    assert 0.0 <= float(out.detach().min()) and float(out.detach().max()) <= 1.0
    bg, _, mask = split_input(x)
    outside = (mask == 0).expand_as(out)
    assert torch.equal(out[outside], bg[outside])  # the model never touches the background
    out.mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads) and any(float(g.abs().sum()) > 0 for g in grads)


def test_resnet_handles_sizes_that_are_not_multiples_of_32():
    model = build_model(FusionConfig(**SMALL_RESNET)).eval()
    with torch.no_grad():
        assert model(random_input(1, 70, 90)).shape == (1, 3, 70, 90)


def test_resnet_encoder_is_resnet50_shaped_and_takes_torchvision_weights(tmp_path):
    model = build_model(FusionConfig(arch="resnet50-transformer"))
    # torchvision's ResNet-50 without its fc has 23,508,032 parameters; a 7-channel stem adds 64·4·7·7.
    assert sum(p.numel() for p in model.encoder.parameters()) == 23_508_032 + 64 * 4 * 7 * 7
    assert [len(getattr(model.encoder, f"layer{i}")) for i in range(1, 5)] == [3, 4, 6, 3]
    state = {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in model.encoder.state_dict().items()}
    state["conv1.weight"] = torch.randn(64, 3, 7, 7)
    state["fc.weight"] = torch.randn(1000, 2048)
    torch.save(state, tmp_path / "resnet50.pth")
    loaded = load_resnet50_weights(model, tmp_path / "resnet50.pth")
    assert loaded == len(model.encoder.state_dict())
    stem = model.encoder.conv1.weight.detach()
    assert torch.equal(stem[:, 0:3], state["conv1.weight"] / 2) and float(stem[:, 6].abs().sum()) == 0
    with torch.no_grad():
        assert model.eval()(random_input(1, 64, 64)).shape == (1, 3, 64, 64)


@pytest.mark.parametrize("soft", [False, True])
def test_untrained_compact_model_is_exactly_copy_paste(soft):
    model = build_model(FusionConfig(work_size=64))
    for mode in (model.train, model.eval):
        mode()
        x = random_input(3, 80, 112, soft=soft, seed=1)
        with torch.no_grad():
            out = model(x)
        assert float((out - composite(*split_input(x))).abs().max()) <= 1e-6


def test_compact_model_is_small():
    model = build_model(FusionConfig())
    assert 200_000 < model.num_parameters() < 5_000_000


# --- checkpoints -----------------------------------------------------------------------------------------------


def _trained_looking(model: FusionModel) -> FusionModel:
    """Random output layers, so that a round trip that forgot them would show."""
    torch.manual_seed(3)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return model.eval()


@pytest.mark.parametrize("config", [dict(work_size=64), SMALL_RESNET], ids=["compact", "resnet50-transformer"])
def test_save_and_load_round_trip(tmp_path, config):
    model = _trained_looking(build_model(FusionConfig(**config)))
    model.save_pretrained(tmp_path / "ckpt")
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["config.json", "model.safetensors"]
    loaded = FusionModel.from_pretrained(tmp_path / "ckpt")
    assert type(loaded) is type(model) and loaded.config == model.config
    x = random_input(1, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_weights_that_do_not_match_the_config_are_refused(tmp_path):
    build_model(FusionConfig(work_size=64, widths=(8, 16, 32))).save_pretrained(tmp_path / "ckpt")
    config_file = tmp_path / "ckpt" / "config.json"
    data = json.loads(config_file.read_text())
    data["widths"] = [16, 32, 64]
    config_file.write_text(json.dumps(data))
    with pytest.raises(ModelUnavailable, match=r"do not match its config\.json.*wrong shape"):
        FusionModel.from_pretrained(tmp_path / "ckpt")
    data["widths"], data["arch"] = [8, 16, 32], "resnet50-transformer"
    config_file.write_text(json.dumps(data))
    with pytest.raises(ModelUnavailable, match="do not match"):
        FusionModel.from_pretrained(tmp_path / "ckpt")


def test_unknown_architecture_and_broken_checkpoints_say_what_is_wrong(tmp_path):
    with pytest.raises(UnknownName, match="compact"):
        FusionConfig(arch="unet9000")
    build_model(FusionConfig(work_size=64)).save_pretrained(tmp_path / "ckpt")
    config_file = tmp_path / "ckpt" / "config.json"
    good = config_file.read_text()
    config_file.write_text(good.replace('"compact"', '"unet9000"'))
    with pytest.raises(ModelUnavailable, match="unet9000.*compact"):
        FusionModel.from_pretrained(tmp_path / "ckpt")
    config_file.write_text(good.replace('"curve_knots"', '"curve_knobs"'))
    with pytest.raises(ModelUnavailable, match="curve_knobs"):
        FusionModel.from_pretrained(tmp_path / "ckpt")
    config_file.write_text("{not json")
    with pytest.raises(ModelUnavailable, match="corrupt"):
        FusionModel.from_pretrained(tmp_path / "ckpt")
    config_file.write_text(good)
    (tmp_path / "ckpt" / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ModelUnavailable, match="corrupt"):
        FusionModel.from_pretrained(tmp_path / "ckpt")
    with pytest.raises(ModelUnavailable, match="config.json is missing"):
        FusionModel.from_pretrained(tmp_path / "nowhere")


# --- loss ------------------------------------------------------------------------------------------------------


def test_loss_without_vgg_weights_is_structural_and_says_so(caplog):
    loss_fn = FusionLoss()
    assert loss_fn.kind == "ssim" and "SSIM" in loss_fn.describe() and "no perceptual network" in loss_fn.describe()
    image = torch.rand(2, 3, 32, 32)
    mask = (torch.rand(2, 1, 32, 32) > 0.5).float()
    total, parts = loss_fn(image, image, mask)
    assert float(total) == pytest.approx(0.0, abs=1e-5)
    assert float(ssim_map(image, image, gaussian_window()).mean()) == pytest.approx(1.0, abs=1e-5)
    worse, parts = loss_fn((image + 0.2).clamp(0, 1), image, mask)
    assert float(worse) > 0.1 and float(parts["masked_l1"]) > 0 and float(parts["ssim"]) > 0


def test_loss_uses_vgg16_features_from_a_torchvision_style_file(tmp_path):
    features = VGG16Features()
    torch.save({f"features.{k}": v for k, v in features.features.state_dict().items()} | {"classifier.0.weight": torch.zeros(1)},
               tmp_path / "vgg16.pth")
    loss_fn = FusionLoss(vgg_weights=tmp_path / "vgg16.pth")
    assert loss_fn.kind == "vgg16" and "VGG16" in loss_fn.describe()
    image = torch.rand(1, 3, 32, 32)
    total, parts = loss_fn((image * 0.8), image, torch.ones(1, 1, 32, 32))
    assert float(parts["vgg16"]) > 0
    torch.save({"features.0.weight": torch.zeros(1)}, tmp_path / "wrong.pth")
    with pytest.raises(ModelUnavailable, match="not a torchvision VGG16"):
        FusionLoss(vgg_weights=tmp_path / "wrong.pth")


def test_warmup_cosine_schedule():
    schedule = WarmupCosine(warmup=10, total=110, min_ratio=0.1)
    assert schedule(0) < schedule(5) < schedule(9) <= 1.0
    assert schedule(10) == pytest.approx(1.0) and schedule(60) == pytest.approx(0.55)
    assert schedule(110) == pytest.approx(0.1) and schedule(500) == pytest.approx(0.1)


def test_command_line_maps_to_the_train_config():
    args = build_parser().parse_args(["train", "--data", "d", "--widths", "8,16", "--max-minutes", "1.5", "--threads", "2",
                                      "--no-augment", "--arch", "resnet50-transformer", "--photo-fraction", "0.75",
                                      "--bn-momentum", "0.02"])
    config = train_config_from(args)
    assert config.photo_fraction == 0.75 and config.bn_momentum == 0.02
    assert config.widths == (8, 16) and config.max_minutes == 1.5 and config.threads == 2 and config.augment is False
    assert config.model_config().arch == "resnet50-transformer"


# --- training --------------------------------------------------------------------------------------------------


def _tiny_config(out, **changes) -> TrainConfig:
    base = dict(data=None, out=str(out), work_size=32, widths=(8, 16, 32), crop=48, batch_size=4, num_workers=0,
                train_size=40,
                lr=5e-3, warmup_steps=2, max_steps=20, val_every=10, val_images=8, save_every=10, log_every=1,
                threads=1, progress=False, samples=2, seed=0)
    return TrainConfig(**{**base, **changes})


def test_tiny_training_run_lowers_the_loss_and_resumes_at_the_right_step(tmp_path, caplog):
    train_set, val_set = SyntheticFusionSet(32, seed=1), SyntheticFusionSet(8, seed=2)
    with caplog.at_level(logging.INFO, logger="relive.carousel.training.trainer"):
        first = train(_tiny_config(tmp_path / "run"), train_set, val_set)
    assert "SSIM" in caplog.text  # which structural/perceptual term is used is logged
    assert first.step == 20 and first.start_step == 0
    vals = [e for e in first.history if e["kind"] == "val"]
    assert [e["step"] for e in vals] == [0, 10, 20]
    assert vals[0]["model_fmse"] == pytest.approx(vals[0]["copy_paste_fmse"])  # it starts as copy-paste
    assert vals[-1]["model_fmse"] < 0.8 * vals[0]["model_fmse"]
    losses = [e["loss"] for e in first.history if e["kind"] == "train"]
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    run = tmp_path / "run"
    for name in ("checkpoint-10", "checkpoint-20", "last", "best"):
        assert (run / name / "model.safetensors").is_file() and (run / name / "training_state.pt").is_file()
    assert (run / "samples" / "step-000020.png").is_file() and (run / "log.jsonl").is_file()
    assert FusionModel.from_pretrained(run / "best").config.widths == (8, 16, 32)

    resumed = train(_tiny_config(tmp_path / "run2", resume=str(run / "checkpoint-10")), train_set, val_set)
    assert resumed.start_step == 10 and resumed.step == 20
    steps = [e["step"] for e in resumed.history if e["kind"] == "train"]
    assert steps[0] == 11 and steps[-1] == 20
    first_lr = {e["step"]: e["lr"] for e in first.history if e["kind"] == "train"}
    assert all(e["lr"] == pytest.approx(first_lr[e["step"]]) for e in resumed.history if e["kind"] == "train")


def test_resume_auto_continues_the_last_checkpoint(tmp_path):
    train_set, val_set = SyntheticFusionSet(16, seed=1), SyntheticFusionSet(4, seed=2)
    train(_tiny_config(tmp_path / "run", max_steps=10), train_set, val_set)
    more = train(_tiny_config(tmp_path / "run", max_steps=14, resume="auto"), train_set, val_set)
    assert more.start_step == 10 and more.step == 14


@pytest.mark.slow
def test_a_fine_tune_with_frozen_norm_keeps_the_starting_statistics(tmp_path):
    train_set, val_set = SyntheticFusionSet(16, seed=1), SyntheticFusionSet(4, seed=2)
    start = train(_tiny_config(tmp_path / "start", max_steps=6), train_set, val_set).out_dir / "last"
    statistics = lambda model: {k: v.clone() for k, v in model.state_dict().items() if "running_" in k}
    before = statistics(FusionModel.from_pretrained(start))
    for freeze, same in ((True, True), (False, False)):
        run = train(_tiny_config(tmp_path / f"freeze-{freeze}", max_steps=6, init_from=str(start), freeze_norm=freeze),
                    train_set, val_set)
        tuned = FusionModel.from_pretrained(run.out_dir / "last")
        assert all(torch.equal(v, before[k]) for k, v in statistics(tuned).items()) is same
        assert not torch.equal(tuned.state_dict()["stem.0.0.weight"], FusionModel.from_pretrained(start).state_dict()["stem.0.0.weight"])


def _assert_contract(item: dict, size: int) -> None:
    x, target, mask = item["input"], item["target"], item["mask"]
    assert x.shape == (7, size, size) and target.shape == (3, size, size) and mask.shape == (1, size, size)
    assert set(mask.unique().tolist()) <= {0.0, 1.0} and torch.equal(x[6:], mask)
    assert float((x[3:6] * (1 - mask)).abs().max()) == 0  # avatar black outside the mask
    assert torch.equal(x[0:3] * (1 - mask), target * (1 - mask))  # background = target outside the mask
    assert 0 <= float(x.min()) and float(x.max()) <= 1 and 0 <= float(target.min()) and float(target.max()) <= 1


def test_training_views_keep_the_data_contract():
    from relive.carousel.training.views import TrainingView, resize_item

    data = SyntheticFusionSet(6, size=48, seed=4)
    _assert_contract(resize_item(data[0], 24), 24)
    assert resize_item(data[0], 48) is data[0]
    view = TrainingView(data, 32, zoom=1.0, tone=1.0)
    for i in range(len(data)):
        _assert_contract(view[i], 32)
        assert float(view[i]["mask"].mean()) > float(data[i]["mask"].mean())  # close-ups: the person fills more
    plain = TrainingView(data, 32)
    assert torch.equal(plain[0]["input"], resize_item(data[0], 32)["input"])
    view.set_epoch(1)
    assert not torch.equal(view[0]["target"], TrainingView(data, 32, zoom=1.0, tone=1.0)[0]["target"])


def test_softened_items_move_the_avatar_towards_the_truth():
    from relive.carousel.training.views import soften_item

    item = SyntheticFusionSet(1, size=32, seed=5)[0]
    x, target, mask = item["input"], item["target"], item["mask"]
    error = lambda it: float(((it["input"][3:6] - target) * mask).abs().sum())
    assert torch.equal(soften_item(item, 1.0)["input"], x)
    assert error(soften_item(item, -0.2)) < 1e-5  # no perturbation left
    assert 0 < error(soften_item(item, 0.5)) < error(item)
    _assert_contract(soften_item(item, 0.3), 32)


def test_photo_balanced_sampling():
    from relive.carousel.training.views import photo_balanced_sampler

    class WithManifest(SyntheticFusionSet):
        rows = [{"source": "scene/stage/1"}] * 18 + [{"source": "skimage:chelsea"}] * 2

    sampler = photo_balanced_sampler(WithManifest(20), 0.5, torch.Generator().manual_seed(0))
    drawn = [i for _ in range(50) for i in sampler]
    assert len(drawn) == 1000 and 0.4 < np.mean([i >= 18 for i in drawn]) < 0.6
    with pytest.raises(InvalidInput, match="manifest"):
        photo_balanced_sampler(SyntheticFusionSet(4), 0.5, torch.Generator())


def test_time_budget_stops_the_run(tmp_path):
    train_set, val_set = SyntheticFusionSet(16, seed=1), SyntheticFusionSet(4, seed=2)
    result = train(_tiny_config(tmp_path / "run", max_steps=100_000, max_minutes=0.05), train_set, val_set)
    assert result.stopped_because in ("time budget", "max_steps") and result.step < 100_000
    assert result.elapsed_s < 0.05 * 60 + 10


def test_scene_lit_items_keep_the_contract_and_leave_the_person_unlit():
    from relive.carousel.training.views import TrainingView, relight_item

    data = SyntheticFusionSet(4, size=32, seed=5)
    for i in range(len(data)):
        lit = relight_item(data[i], np.random.default_rng(i))
        _assert_contract(lit, 32)
        person = data[i]["mask"].bool().expand(3, -1, -1)
        avatar = lit["input"][3:6][person]
        assert torch.equal(avatar, data[i]["input"][3:6][person]) or torch.equal(avatar, data[i]["target"][person])
        assert not torch.allclose(lit["target"], data[i]["target"])  # the scene, person included, is lit
    _assert_contract(TrainingView(data, 24, scene_light=1.0)[0], 24)


def test_cartoon_items_paste_the_drawn_person_as_the_truth():
    from relive.carousel.training.views import TrainingView, cartoon_item

    data = SyntheticFusionSet(3, size=48, seed=6)
    for i in range(len(data)):
        drawn = cartoon_item(data[i])
        _assert_contract(drawn, 48)
        person = data[i]["mask"].bool().expand(3, -1, -1)
        assert torch.equal(drawn["input"][3:6][person], drawn["target"][person])  # pasted as drawn: nothing to fix
        assert not torch.equal(drawn["target"][person], data[i]["target"][person])  # … and it is a drawing
        colours = torch.unique(drawn["target"][person].view(3, -1), dim=1).shape[1]
        assert colours <= 12  # flat cel colours, at most the comic look's palette
    _assert_contract(TrainingView(data, 24, cartoon=1.0, scene_light=1.0)[0], 24)


def test_grey_items_are_black_and_white_with_the_perturbation_left_to_undo():
    from relive.carousel.training.views import TrainingView, grey_item

    data = SyntheticFusionSet(3, size=48, seed=7)
    is_grey = lambda image: torch.equal(image[0], image[1]) and torch.equal(image[1], image[2])
    for i in range(len(data)):
        person = data[i]["mask"].bool()[0]
        for keep_cast in (False, True):
            grey = grey_item(data[i], keep_cast)
            _assert_contract(grey, 48)
            assert is_grey(grey["input"][0:3]) and is_grey(grey["target"])  # scene and truth: no colour
            assert is_grey(grey["input"][3:6]) is not keep_cast  # the avatar keeps the perturbation's cast or not
            gap = (grey["input"][3:6] - grey["target"]).abs().mean(0)[person].mean()
            assert gap > 1e-3  # the perturbation still has something to undo
    _assert_contract(TrainingView(data, 24, grey=1.0, scene_light=1.0)[0], 24)


def test_one_network_input_path_for_training_and_fuse():
    from relive.backends.fusion.model import CompactFusion, FusionConfig, composite, network_view, split_input

    model = CompactFusion(FusionConfig(work_size=40)).eval()
    x = SyntheticFusionSet(1, size=96, seed=6)[0]["input"][None]
    bg, avatar, mask = split_input(x)
    comp = composite(bg, avatar, mask)
    as_uint8 = lambda t: (t[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    seen_in_training = model.network_input(x)
    seen_in_fuse = network_view(as_uint8(comp), mask[0, 0].numpy(), as_uint8(bg), 40)
    assert seen_in_training.shape == seen_in_fuse.shape == (1, 7, 40, 40)
    assert float((seen_in_training - seen_in_fuse).abs().max()) < 1 / 255 + 1e-6  # only the uint8 rounding
