"""The one model cache (relive.backends.cache.MODELS): load once, make room before loading, close what is evicted."""

from __future__ import annotations

import threading

from relive.backends.cache import ModelCache


class Session:
    def __init__(self, name: str, log: list[str]):
        self.name, self.log = name, log
        log.append(f"load {name}")

    def close(self) -> None:
        self.log.append(f"close {self.name}")


def test_an_entry_loads_once_even_when_asked_from_two_threads():
    cache, log = ModelCache(), []
    barrier = threading.Barrier(2)
    got = []

    def ask():
        barrier.wait()
        got.append(cache.get("family", "a", lambda: Session("a", log)))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert log == ["load a"] and got[0] is got[1]


def test_a_full_family_evicts_and_closes_before_loading_and_leaves_other_families_alone():
    cache, log = ModelCache(), []
    cache.set_capacity("pipelines", 1)
    cache.get("segmenters", "s", lambda: Session("s", log))
    cache.get("pipelines", "sdxl", lambda: Session("sdxl", log))
    cache.get("pipelines", "turbo", lambda: Session("turbo", log))
    assert log == ["load s", "load sdxl", "close sdxl", "load turbo"]
    assert cache.keys("pipelines") == ["turbo"] and cache.keys("segmenters") == ["s"]


def test_without_a_capacity_the_least_recently_used_comes_first_and_evict_keeps_what_is_asked():
    cache, log = ModelCache(), []
    for name in ("a", "b", "c"):
        cache.get("fusion", name, lambda name=name: Session(name, log))
    cache.get("fusion", "a", lambda: Session("again", log))  # a hit: nothing loads, "a" becomes the most recent
    assert cache.keys("fusion") == ["b", "c", "a"]
    assert cache.evict("fusion", keep=lambda key: key == "c") == 2
    assert cache.keys("fusion") == ["c"] and log[-2:] == ["close b", "close a"]


def test_clear_closes_every_family():
    cache, log = ModelCache(), []
    cache.get("one", 1, lambda: Session("x", log))
    cache.get("two", 2, lambda: Session("y", log))
    cache.clear()
    assert cache.keys("one") == cache.keys("two") == [] and sorted(log[-2:]) == ["close x", "close y"]


def test_every_fusion_architecture_is_registered_under_its_checkpoint_name_and_corrects_the_same_way():
    import numpy as np
    import torch

    from relive.backends.fusion.checkpoint import ARCHS, FusionConfig
    from relive.backends.fusion.model import FUSION, build_model

    assert FUSION.names() == list(ARCHS)  # the torch-free checkpoint check and the registry agree on the names
    small = {"compact": {"work_size": 64, "widths": (8, 16, 32)},
             "resnet50-transformer": {"base_width": 8, "d_model": 32, "n_heads": 4, "n_layers": 1, "work_size": 64}}
    rng = np.random.default_rng(0)
    bg, comp = (rng.integers(0, 256, (40, 48, 3), dtype=np.uint8) for _ in range(2))
    alpha = np.zeros((40, 48), np.float32)
    alpha[10:30, 12:36] = 1.0
    for name in FUSION.names():
        model = build_model(FusionConfig(arch=name, **small[name])).eval()
        assert isinstance(model, FUSION.get(name))
        with torch.inference_mode():
            correct = model.correction(comp, bg, alpha, (10, 12), (20, 24))
            rows = correct(0, 8, comp[10:18, 12:36])
        # zero-initialised output layers: an untrained model of either architecture leaves the colours as they are
        original = torch.from_numpy(comp[10:18, 12:36]).permute(2, 0, 1).float() / 255.0
        assert rows.shape == (3, 8, 24) and torch.allclose(rows, original, atol=1e-3), name
