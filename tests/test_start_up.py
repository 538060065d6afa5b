"""App start-up stays fast: building the app imports none of the heavy libraries; they load on first use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "diffusers", "transformers", "cv2", "mediapipe", "onnxruntime", "matplotlib", "numba")
REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_building_the_app_imports_no_heavy_library_and_skips_gradios_stub_writer():
    code = ("import json, sys\nimport relive.ui, relive.ui.server\nrelive.ui.server.build_app(relive.ui.build_demo())\n"
            "from gradio import component_meta\nprint(component_meta.create_or_modify_pyi.__module__)\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    *_, writer, heavy = done.stdout.strip().splitlines()
    assert json.loads(heavy) == []
    assert writer == "relive.ui.gradio_stubs"  # ~1.4 s of Gradio's import skipped


def test_a_damaged_checkpoint_is_found_without_loading_it(tmp_path):
    import pytest

    from relive.backends.fusion import check_fusion_model
    from relive.errors import ModelUnavailable

    check_fusion_model()  # the shipped one is fine
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelUnavailable, match="corrupt.*restore"):
        check_fusion_model(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelUnavailable, match="no weights.*git checkout"):
        check_fusion_model(tmp_path)
    with pytest.raises(ModelUnavailable, match="no fusion model at.*git checkout"):
        check_fusion_model(tmp_path / "absent")


@pytest.mark.slow
def test_the_server_app_is_built_once_when_served_not_while_laying_out(monkeypatch):
    """Gradio builds a whole FastAPI app when a Blocks is made, closed and queued, and again when it is served:
    relive skips the first three (about a second of cold start on the booth machine)."""
    from gradio.routes import App

    import relive.ui
    import relive.ui.server

    built = []
    original = App.__dict__["create_app"].__func__

    def counting(*args, **kwargs):
        built.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(App, "create_app", staticmethod(counting))
    demo = relive.ui.build_demo()
    assert built == [] and App.__dict__["create_app"].__func__ is counting  # put back as it was
    app = relive.ui.server.build_app(demo)
    assert len(built) == 1
    assert any(getattr(route, "path", "") == "/config" for route in app.routes[-1].app.routes)  # Gradio, served
