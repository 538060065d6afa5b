"""Settings from RELIVE_* variables and the device policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from relive import config
from relive.errors import InvalidInput


def test_defaults_and_env_overrides(monkeypatch, tmp_path):
    for name in ("RELIVE_ASSETS", "RELIVE_MODELS", "RELIVE_TMP", "RELIVE_DEVICE", "RELIVE_KIOSK"):
        monkeypatch.delenv(name, raising=False)
    defaults = config.Settings.from_env()
    assert defaults.assets_dir == config.REPO_ROOT / "assets" and defaults.device == "auto" and not defaults.kiosk
    monkeypatch.setenv("RELIVE_MODELS", str(tmp_path))
    monkeypatch.setenv("RELIVE_KIOSK", "yes")
    monkeypatch.setenv("RELIVE_DEVICE", "cpu")
    s = config.Settings.from_env()
    assert s.models_dir == Path(tmp_path) and s.kiosk and s.device == "cpu"
    assert s.with_(kiosk=False).kiosk is False and s.kiosk  # a copy; the original is unchanged


def test_bad_number_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("RELIVE_MAX_IMAGE_PIXELS", "lots")
    with pytest.raises(InvalidInput, match="RELIVE_MAX_IMAGE_PIXELS='lots' is not a whole number"):
        config.Settings.from_env()


def test_device_policy_on_a_cpu_machine():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this test describes a machine without CUDA")
    assert config.resolve_device("auto") in ("cpu", "mps")
    assert config.resolve_device("cpu") == "cpu"
    assert config.resolve_dtype("cpu") == torch.float32
    assert config.resolve_dtype("cuda") == torch.float16  # fp16 only on CUDA
    with pytest.raises(InvalidInput, match="no CUDA GPU"):
        config.resolve_device("cuda")
    with pytest.raises(InvalidInput, match="unknown device"):
        config.resolve_device("tpu")


@pytest.mark.parametrize("name, value", [("RELIVE_MAX_IMAGE_PIXELS", "0"), ("RELIVE_MAX_IMAGE_PIXELS", "-5"),
                                         ("RELIVE_RETENTION_S", "0"), ("RELIVE_IDLE_S", "-1"),
                                         ("RELIVE_RETENTION_S", "nan"), ("RELIVE_LORA_SCALE", "inf")])
def test_limits_that_make_no_sense_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidInput, match=name):
        config.Settings.from_env()
