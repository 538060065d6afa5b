"""The server's own limits: upload size, and no file served from outside what the app means to serve."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid

import pytest

from relive.config import REPO_ROOT

pytestmark = pytest.mark.server


def _status(request: urllib.request.Request | str) -> int:
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def _upload(url: str, size: int) -> int:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + b"\0" * size + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url + "/gradio_api/upload", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    return _status(request)


def test_uploads_over_25_mb_are_refused(app_url):
    assert _upload(app_url, 1024) == 200
    assert _upload(app_url, 26 * 1024 * 1024) == 413


@pytest.mark.parametrize("path", ["/etc/passwd", str(REPO_ROOT / "app.py"), str(REPO_ROOT / "checkpoints" / "README.md"),
                                  str(REPO_ROOT / "assets" / "backgrounds" / ".." / ".." / "app.py")])
def test_no_file_outside_the_gallery_is_served(app_url, path):
    assert _status(f"{app_url}/gradio_api/file={path}") in (403, 404)


def test_the_gallery_is_served(app_url):
    assert _status(f"{app_url}/gradio_api/file={REPO_ROOT / 'assets' / 'backgrounds' / 'main-stage.jpg'}") == 200
