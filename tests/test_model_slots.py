"""How many model events (avatar, fuse, album) the app runs at once: one per core on a CPU box, one on a GPU."""

from __future__ import annotations

import os

import pytest

from relive.config import model_slots, settings


@pytest.fixture
def env(monkeypatch):
    def set_env(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()

    monkeypatch.delenv("RELIVE_MODEL_SLOTS", raising=False)
    yield set_env
    settings.cache_clear()


def test_one_slot_per_usable_core_on_a_cpu_box(env):
    env(RELIVE_DEVICE="cpu")
    assert model_slots() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps"])
def test_one_slot_on_a_gpu(env, device):
    env(RELIVE_DEVICE=device)
    assert model_slots() == 1


def test_the_operator_decides(env):
    env(RELIVE_DEVICE="cpu", RELIVE_MODEL_SLOTS="3")
    assert model_slots() == 3


@pytest.mark.parametrize("slots, threads", [("1", None), ("per core", 1)])
def test_each_slot_gets_its_share_of_the_cores_for_torch(env, slots, threads):
    """With one model event per core, torch's own threads would make two fusions fight over every core (more CPU
    per fuse, issue 14): each slot gets cores / slots threads."""
    import torch

    from relive.config import usable_cores
    from relive.ui.server import share_cores_between_model_slots

    before = torch.get_num_threads()
    env(RELIVE_MODEL_SLOTS=str(usable_cores()) if slots == "per core" else slots)
    try:
        share_cores_between_model_slots()
        assert torch.get_num_threads() == (threads or usable_cores())
    finally:
        torch.set_num_threads(before)
