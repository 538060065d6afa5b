"""Scratch folders: private, unguessable, found only while alive, swept after the retention window."""

from __future__ import annotations

import os
import stat
import time

import pytest

from relive import retention
from relive.config import settings
from relive.errors import StorageFull


@pytest.fixture
def temp_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RELIVE_TMP", str(tmp_path / "relive"))
    monkeypatch.setenv("RELIVE_RETENTION_S", "60")
    settings.cache_clear()
    yield tmp_path / "relive"
    settings.cache_clear()


def _age(folder, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(folder, (then, then))


def test_scratch_folders_are_private_and_unguessable(temp_dir):
    a, b = retention.scratch_folder(), retention.scratch_folder()
    assert a != b and a.parent == b.parent == temp_dir / "scratch"
    assert retention.TOKEN.fullmatch(a.name) and len(a.name) == 34
    assert stat.S_IMODE(a.stat().st_mode) == 0o700
    assert retention.find_scratch(a.name) == a


@pytest.mark.parametrize("token", ["", "s-", "../scratch", "s-" + "a" * 31, "s-" + "a" * 30 + "/.", "x-" + "a" * 32])
def test_malformed_tokens_find_nothing(temp_dir, token):
    retention.scratch_folder()
    assert retention.find_scratch(token) is None


def test_expired_folders_are_not_found_and_are_swept(temp_dir):
    old, fresh = retention.scratch_folder(), retention.scratch_folder()
    (old / "album.zip").write_bytes(b"personal")
    _age(old, 61)
    assert retention.find_scratch(old.name) is None
    assert retention.sweep() == 1
    assert not old.exists() and fresh.exists()
    _age(fresh, 61)
    retention.scratch_folder()  # making a new folder sweeps the expired ones first
    assert not fresh.exists()


def test_an_unwritable_temp_dir_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RELIVE_TMP", str(blocker))
    settings.cache_clear()
    try:
        with pytest.raises(StorageFull, match="RELIVE_TMP"):
            retention.scratch_folder()
    finally:
        settings.cache_clear()


def test_each_app_process_gets_its_own_gradio_cache_and_orphans_are_removed(temp_dir, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", "unset below")  # so that monkeypatch restores it, whatever we set
    monkeypatch.delenv("GRADIO_TEMP_DIR")
    dead = temp_dir / "gradio-999999999"  # no such process
    (dead / "abc").mkdir(parents=True)
    (dead / "abc" / "photo.png").write_bytes(b"left by a crashed app")
    other = temp_dir / f"gradio-{os.getppid()}"  # a process that is alive
    other.mkdir()
    cache = retention.keep_uploads_private()
    assert cache == temp_dir / f"gradio-{os.getpid()}" and cache.is_dir()
    assert os.environ["GRADIO_TEMP_DIR"] == str(cache)
    assert not dead.exists() and other.exists()
