"""The festival booth: ``python app.py --kiosk`` in Debian's Chromium with a fake webcam, and the phone links.

One kiosk process (short idle time) serves every browser test here; each test opens its own browser context, i.e.
its own Gradio session, as a new visitor would.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
import zipfile
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import numpy as np
import pytest
from helpers import ARTIFACTS, FAKE_WEBCAM_ARGS, drag_slider_to_end, keep_screenshot, launch_chromium, save_test_avatar
from PIL import Image

from relive.ui import i18n

IDLE_S = 12  # long enough for every step of a test, short enough to wait for
TOKEN = re.compile(r"/souvenirs/(s-[A-Za-z0-9_-]{32})")


def decode_qr(image: Image.Image) -> str:
    """What a phone's camera reads from the code (OpenCV's two detectors; the ArUco-based one is the steadier)."""
    import cv2

    pixels = np.asarray(image.convert("RGB"))
    for detector in (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector()):
        text, *_ = detector.detectAndDecode(pixels)
        if text:
            return text
    return ""


# ---------------------------------------------------------------- no server: the routes and the API guard

@pytest.fixture
def scratch(tmp_path, monkeypatch):
    from relive.config import settings

    monkeypatch.setenv("RELIVE_TMP", str(tmp_path / "relive"))
    monkeypatch.setenv("RELIVE_RETENTION_S", "60")
    monkeypatch.delenv("RELIVE_PUBLIC_URL", raising=False)
    settings.cache_clear()
    yield tmp_path / "relive"
    settings.cache_clear()


@pytest.fixture
def client(scratch):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from relive.ui import souvenirs

    app = FastAPI()
    app.include_router(souvenirs.router)
    return TestClient(app)


def test_souvenir_routes_serve_only_the_files_of_a_live_folder(client, scratch):
    from relive import retention

    folder = retention.scratch_folder()
    (folder / "relive-album.zip").write_bytes(b"PK-album")
    (folder / "sub").mkdir()
    (scratch / "secret.txt").write_text("not yours")
    (folder / "link.txt").symlink_to(scratch / "secret.txt")
    page = client.get(f"/souvenirs/{folder.name}", headers={"accept-language": "es-ES,es;q=0.9"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'href="' + folder.name + '/relive-album.zip"' in page.text and "Todo en un zip" in page.text
    assert "link.txt" not in page.text and "sub" not in page.text
    got = client.get(f"/souvenirs/{folder.name}/relive-album.zip")
    assert got.status_code == 200 and got.content == b"PK-album"
    assert "attachment" in got.headers["content-disposition"]
    for bad in ("link.txt", "sub", "..", "%2e%2e%2fsecret.txt", "..%2fsecret.txt", "relive-album.zip%00"):
        assert client.get(f"/souvenirs/{folder.name}/{bad}").status_code == 404, bad
    for token in ("s-" + "A" * 32, "..", "s-", folder.name + "x", "..%2F..%2Fetc"):
        assert client.get(f"/souvenirs/{token}").status_code == 404, token
        assert client.get(f"/souvenirs/{token}/relive-album.zip").status_code == 404, token


def test_an_expired_link_is_a_404(client):
    from relive import retention

    folder = retention.scratch_folder()
    (folder / "relive-album.zip").write_bytes(b"PK")
    then = time.time() - 61
    os.utime(folder, (then, then))
    assert client.get(f"/souvenirs/{folder.name}").status_code == 404
    assert client.get(f"/souvenirs/{folder.name}/relive-album.zip").status_code == 404


def test_qr_code_encodes_the_public_url(scratch, monkeypatch):
    from relive.config import settings
    from relive.ui import souvenirs

    request = SimpleNamespace(headers={"host": "127.0.0.1:7860"}, url=SimpleNamespace(scheme="http"))
    assert souvenirs.base_url(request) == "http://127.0.0.1:7860"
    proxied = SimpleNamespace(headers={"host": "internal:80", "x-forwarded-host": "relive.example.org, proxy",
                                       "x-forwarded-proto": "https"}, url=SimpleNamespace(scheme="http"))
    assert souvenirs.base_url(proxied) == "https://relive.example.org"
    monkeypatch.setenv("RELIVE_PUBLIC_URL", "http://192.168.1.20:7860/")
    settings.cache_clear()
    url = souvenirs.souvenir_url(souvenirs.base_url(request), "s-" + "a" * 32)
    assert url == "http://192.168.1.20:7860/souvenirs/s-" + "a" * 32
    assert decode_qr(souvenirs.qr_image(url)) == url


def test_public_url_must_be_a_full_address(monkeypatch):
    from relive.config import Settings
    from relive.errors import InvalidInput

    monkeypatch.setenv("RELIVE_PUBLIC_URL", "192.168.1.20:7860")
    with pytest.raises(InvalidInput, match="full address"):
        Settings.from_env()


def test_api_guard_blocks_descriptions_and_direct_calls_not_the_queue():
    from relive.ui.server import HideApi

    for path in ("/gradio_api/info", "/gradio_api/info/", "/gradio_api/openapi.json", "/gradio_api/call/pet",
                 "/gradio_api/api/pet", "/gradio_api/run/pet", "/gradio_api/mcp/sse", "/docs", "/monitoring"):
        assert HideApi.blocked(path), path
    for path in ("/", "/config", "/gradio_api/queue/join", "/gradio_api/queue/data", "/gradio_api/upload",
                 "/gradio_api/heartbeat/abc", "/gradio_api/file=/tmp/x.png", "/souvenirs/s-x", "/theme.css"):
        assert not HideApi.blocked(path), path


# ---------------------------------------------------------------- the kiosk app in Chromium

@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    """``python app.py --kiosk`` on a free port, its own temp folders, a short idle time."""
    from relive.testing import launch_app, stop_app

    tmp = tmp_path_factory.mktemp("kiosk")
    env = {"RELIVE_DEV": "1", "RELIVE_IDLE_S": str(IDLE_S), "RELIVE_TMP": str(tmp / "relive"),
           "GRADIO_TEMP_DIR": str(tmp / "relive" / "gradio"), "RELIVE_KIOSK": "", "RELIVE_PUBLIC_URL": "",
           "RELIVE_RETENTION_S": "",  # "" = the default: only the --kiosk flag turns kiosk mode on
           "GRADIO_SERVER_NAME": "0.0.0.0"}  # as at the booth: phones reach it on the LAN
    log = tmp / "app.log"
    proc, url = launch_app(env, log=log, args=["--kiosk"])
    try:
        yield SimpleNamespace(url=url, scratch=tmp / "relive" / "scratch", log=log)
    finally:
        stop_app(proc)


@pytest.fixture(scope="module")
def browser(kiosk):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw, *FAKE_WEBCAM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def visitor(browser, kiosk):
    """A new visitor: a fresh browser context (its own session) on the kiosk's start page."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.goto(kiosk.url)
    page.get_by_text("Choose your creature").wait_for(timeout=30_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def avatar_png(tmp_path_factory):
    return save_test_avatar(tmp_path_factory.mktemp("avatar") / "avatar.png")


def _status(url: str, method: str = "GET") -> int:
    request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None,
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


@pytest.mark.server
def test_kiosk_hides_the_api(kiosk):
    for path in ("/gradio_api/info", "/gradio_api/openapi.json", "/docs", "/monitoring"):
        assert _status(kiosk.url + path) == 404, path
    for path in ("/gradio_api/call/pet", "/gradio_api/api/pet", "/gradio_api/run/pet"):
        assert _status(kiosk.url + path, "POST") == 404, path
    status, page = _fetch(kiosk.url + "/")
    assert status == 200
    info = re.search(rb"window\.gradio_api_info = (\{.*?\});</script>", page)
    assert info and json.loads(info.group(1)) == {"named_endpoints": {}, "unnamed_endpoints": {}}
    config = json.loads(_fetch(kiosk.url + "/config")[1])
    assert config["footer_links"] == []
    from gradio_client import Client

    with pytest.raises(ValueError, match="Could not fetch api info"):  # the API info route is closed
        Client(kiosk.url, verbose=False)


@pytest.mark.browser
@pytest.mark.server
def test_kiosk_is_full_screen_with_big_touch_targets_and_no_footer(visitor):
    page = visitor
    assert page.locator("footer").filter(has_text=re.compile("API|Gradio")).count() == 0
    assert page.get_by_text("Use via API").count() == 0
    container = page.locator(".gradio-container").first.bounding_box()
    assert container["width"] >= 1270  # the whole screen, no centred column
    for target in (page.locator("#start-over"), page.locator("#lang-ca"), page.get_by_role("tab", name="1 · Pet"),
                   page.get_by_role("button", name="Surprise me"), page.get_by_role("button", name="Jazz cat")):
        box = target.bounding_box()
        assert box["height"] >= 56, (target, box)
    slider = page.get_by_label("range slider for Reggae").bounding_box()
    assert slider["height"] >= 40
    thumb = page.evaluate("""() => parseFloat(getComputedStyle(
        document.querySelector('input[type=range]'), '::-webkit-slider-thumb').width)""")
    assert thumb >= 36
    page.locator("#pet-image img").wait_for(timeout=30_000)
    page.wait_for_function("() => !document.querySelector('.pending, .eta-bar, .progress-text')", timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "kiosk_pet_tab.png")
    assert page.evaluate("() => !document.fullscreenElement")
    page.locator("#relive-title").click()  # the first tap anywhere: full screen
    page.wait_for_function("() => !!document.fullscreenElement", timeout=5_000)


@pytest.mark.browser
@pytest.mark.server
def test_countdown_then_the_webcam_takes_the_photo(visitor):
    page = visitor
    page.get_by_role("tab", name="2 · Avatar").click()
    assert page.locator("#avatar-photo .image-frame img").count() == 0
    page.locator("#avatar-take-photo").click()
    for n in ("3", "2", "1"):
        page.locator(f"#relive-overlay.on .count[data-count='{n}']").wait_for(timeout=15_000)
        if n == "2":
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / "kiosk_countdown.png")
            keep_screenshot(ARTIFACTS / "kiosk_countdown.png", "kiosk.png")
    page.wait_for_function("""() => { const img = document.querySelector('#avatar-photo .image-frame img');
                                      return img && img.src.includes('/gradio_api/file='); }""", timeout=15_000)
    page.wait_for_function("() => !document.querySelector('#relive-overlay.on')", timeout=5_000)  # overlay gone
    src = page.locator("#avatar-photo .image-frame img").get_attribute("src")
    status, data = _fetch(src)
    assert status == 200 and Image.open(BytesIO(data)).size[0] >= 320  # a real frame of the (fake) camera


def _make_album(page, avatar_png: Path) -> str:
    """On the Carousel tab: upload a cut-out, one festival, make the album; returns the phone link shown."""
    page.get_by_role("tab", name=re.compile(r"^3 · ")).click()
    page.locator("#carousel-avatar input[type=file]").set_input_files(str(avatar_png))
    page.wait_for_function("() => !!document.querySelector('#carousel-avatar img')", timeout=30_000)
    picks = page.locator("#album-picks input[type=checkbox]")
    for index in range(1, picks.count()):  # one festival is enough (and quick)
        if picks.nth(index).is_checked():
            picks.nth(index).uncheck()
    page.locator("#album-make").click()
    page.locator("#album-qr img").wait_for(timeout=120_000)
    link = page.locator("#album-qr-link").inner_text(timeout=10_000).strip()
    assert TOKEN.search(link), link
    return link


@pytest.fixture(scope="module")
def album_a(browser, kiosk, avatar_png):
    """Visitor A's album, made once; the context stays open for the tests that compare sessions."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(kiosk.url)
    page.get_by_text("Choose your creature").wait_for(timeout=30_000)
    link = _make_album(page, avatar_png)
    # A stays at the kiosk, looking at the album, while the other tests run (B's album alone takes longer than
    # the idle time on a busy machine): a touch every second, as a visitor's would be.
    page.evaluate("() => setInterval(() => window.relive.poke(), 1000)")
    qr_src = page.locator("#album-qr img").get_attribute("src")
    yield SimpleNamespace(page=page, link=link, token=TOKEN.search(link).group(1), qr_src=qr_src)
    context.close()


@pytest.mark.browser
@pytest.mark.server
def test_the_qr_code_takes_the_album_to_a_phone(kiosk, album_a):
    status, png = _fetch(album_a.qr_src)
    assert status == 200
    decoded = decode_qr(Image.open(BytesIO(png)))
    # never this machine's own address, which no phone reaches: its LAN address, on the kiosk's port
    address, kiosk_address = urlsplit(decoded), urlsplit(kiosk.url)
    assert decoded == album_a.link and address.path == f"/souvenirs/{album_a.token}"
    assert address.hostname not in ("127.0.0.1", "localhost") and address.port == kiosk_address.port
    status, html = _fetch(decoded)  # what the phone opens
    assert status == 200
    hrefs = [href.decode() for href in re.findall(rb'href="([^"]+)"', html)]
    previews = [src.decode() for src in re.findall(rb'<img src="([^"]+)"', html)]
    picture = next(href for href in hrefs if href.endswith(".jpg"))
    # each picture with a preview and its own save (the pet card too), the whole album as a zip at the end
    assert previews == [href for href in hrefs if not href.endswith(".zip")]
    assert f"{album_a.token}/pet-card.png" in hrefs and hrefs[-1] == f"{album_a.token}/relive-album.zip"
    status, data = _fetch(f"{decoded.rsplit('/', 1)[0]}/{picture}")
    assert status == 200 and Image.open(BytesIO(data)).size[0] > 100
    status, data = _fetch(f"{decoded}/relive-album.zip")
    assert status == 200
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert len(names) == 1 and names[0].endswith(".jpg")
        Image.open(BytesIO(archive.read(names[0]))).verify()


@pytest.mark.server
def test_made_up_expired_and_unknown_links_are_404(kiosk, album_a):
    assert _fetch(f"{kiosk.url}/souvenirs/s-{'A' * 32}")[0] == 404
    assert _fetch(f"{kiosk.url}/souvenirs/{album_a.token}/app.py")[0] == 404
    assert _fetch(f"{kiosk.url}/souvenirs/{album_a.token}/..%2F..%2Fapp.py")[0] == 404
    assert _fetch(f"{kiosk.url}/souvenirs/..%2F..%2Fetc")[0] == 404
    # an expired link: the same folder, made to look older than the retention window (10 minutes)
    folder = kiosk.scratch / album_a.token
    stat = folder.stat()
    os.utime(folder, (stat.st_atime - 601, stat.st_mtime - 601))
    try:
        assert _fetch(f"{kiosk.url}/souvenirs/{album_a.token}")[0] == 404
        assert _fetch(f"{kiosk.url}/souvenirs/{album_a.token}/relive-album.zip")[0] == 404
    finally:
        os.utime(folder, (stat.st_atime, stat.st_mtime))
    assert _fetch(f"{kiosk.url}/souvenirs/{album_a.token}")[0] == 200


@pytest.mark.browser
@pytest.mark.server
def test_two_visitors_never_see_each_others_results(kiosk, album_a, visitor, avatar_png):
    page_b = visitor
    page_b.get_by_role("tab", name="3 · Carousel").click()
    page_b.locator("#album-make").wait_for()
    assert page_b.locator("#album-gallery img").count() == 0  # B's album is empty
    assert page_b.locator("#album-qr img").count() == 0 and not page_b.locator("#album-qr-box").is_visible()
    assert album_a.token not in page_b.content()
    link_b = _make_album(page_b, avatar_png)
    assert TOKEN.search(link_b).group(1) != album_a.token
    assert album_a.token not in page_b.content()
    assert album_a.page.locator("#album-qr-link").inner_text().strip() == album_a.link  # A still sees only A's
    assert TOKEN.search(link_b).group(1) not in album_a.page.content()


def _download_buttons(page) -> list[str]:
    """Everything on the page that would save a file onto the kiosk itself (in any language)."""
    found = page.locator('a[download], button[aria-label*="ownload" i], button[aria-label*="escarg" i], '
                         'button[title*="ownload" i], #album-zip').filter(visible=True)
    return [found.nth(k).evaluate("e => (e.closest('[id]') || e).id + ': ' + e.outerHTML.slice(0, 120)")
            for k in range(found.count())]


@pytest.mark.browser
@pytest.mark.server
def test_the_kiosk_offers_no_download_at_all(album_a):
    """The kiosk's downloads folder is the next visitor's: on the kiosk the phone (QR) is the only way home."""
    page = album_a.page
    assert page.locator("#album-gallery img").count() >= 1  # an album is there …
    assert _download_buttons(page) == []  # … and nothing to save it onto the kiosk
    for tab in ("1 · ", "2 · "):
        page.get_by_role("tab", name=re.compile("^" + tab)).click()
        assert _download_buttons(page) == [], tab
    page.get_by_role("tab", name=re.compile(r"^3 · ")).click()


@pytest.mark.browser
@pytest.mark.server
def test_a_link_a_phone_opened_outlives_start_over(kiosk, album_a):
    """Start over deletes the session's files, but not an album a phone is downloading (until it expires)."""
    assert _fetch(album_a.link)[0] == 200  # the phone opened it (the QR test did, too)
    album_a.page.locator("#start-over").click()
    album_a.page.get_by_text("Choose your creature").wait_for(timeout=30_000)
    time.sleep(1)  # the old page's unload runs on the server
    assert (kiosk.scratch / album_a.token).is_dir()
    assert _fetch(f"{album_a.link}/relive-album.zip")[0] == 200


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.server
def test_idle_kiosk_starts_over_and_forgets_the_visitor(kiosk, visitor, avatar_png):
    page = visitor
    drag_slider_to_end(page, "Reggae")
    from playwright.sync_api import expect

    expect(page.get_by_label("number input for Reggae")).to_have_value("1", timeout=10_000)
    link = _make_album(page, avatar_png)  # an album nobody took: it goes with the session
    folder = kiosk.scratch / TOKEN.search(link).group(1)
    assert folder.is_dir()
    page.evaluate("() => { window.__visitor = 'A'; }")
    last_touch = time.monotonic()
    # hands off: the warning comes first, then the page starts over by itself
    page.locator("#relive-overlay.warn").wait_for(timeout=(IDLE_S + 10) * 1000)
    assert "Still there?" in page.locator("#relive-overlay").inner_text()
    page.wait_for_function("() => window.__visitor === undefined", timeout=(IDLE_S + 15) * 1000)
    assert time.monotonic() - last_touch >= IDLE_S - 1
    page.get_by_text("Choose your creature").wait_for(timeout=30_000)
    assert page.get_by_role("tab", name="1 · Pet").get_attribute("aria-selected") == "true"
    assert page.get_by_label("number input for Reggae").input_value() == "0"
    page.get_by_role("tab", name="3 · Carousel").click()
    assert page.locator("#album-gallery img").count() == 0 and page.locator("#carousel-avatar img").count() == 0
    deadline = time.monotonic() + 10
    while folder.exists() and time.monotonic() < deadline:  # the old session's files are deleted on unload
        time.sleep(0.2)
    assert not folder.exists()


# A dropdown's value whole, and its arrow beside the words, not over them.
WHOLE_CHOICE = """e => {
    const input = e.querySelector('input'), arrow = e.querySelector('.icon-wrap').getBoundingClientRect();
    const style = getComputedStyle(input), pen = document.createElement('canvas').getContext('2d');
    pen.font = style.font;
    const end = input.getBoundingClientRect().left + parseFloat(style.paddingLeft) + pen.measureText(input.value).width;
    return input.scrollWidth <= input.clientWidth + 1 && end <= arrow.left + 1;
}"""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.server
def test_a_portrait_kiosk_in_catalan_fits_fingers_and_shows_no_operator_text(browser, kiosk):
    """1080×1920 in Catalan: sliders whole, icon buttons ≥ 44 px, the steps on one line, and no download command
    or cache folder for visitors (those are the staff's, in the log)."""
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="ca-ES")
    page = context.new_page()
    try:
        page.goto(kiosk.url)
        page.locator("#pet-image img").wait_for(timeout=60_000)
        page.wait_for_function("() => !document.querySelector('.pending, .eta-bar, .progress-text')",
                               timeout=60_000)
        tops = [li.bounding_box()["y"] for li in page.locator("#relive-steps li").all()]
        assert len(tops) == 3 and max(tops) - min(tops) < 2, tops  # one line
        for slider in page.locator(".genre-slider").all():
            block = slider.bounding_box()
            for part in (slider.locator("input[type=range]"), slider.locator("input[type=number]")):
                box = part.bounding_box()
                assert block["x"] - 1 <= box["x"] and box["x"] + box["width"] <= block["x"] + block["width"] + 1
        icons = page.locator("#pet-image button").filter(visible=True).all()
        assert icons and all(min(b.bounding_box()["width"], b.bounding_box()["height"]) >= 44 for b in icons)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "kiosk_portrait_pet.png")
        keep_screenshot(ARTIFACTS / "kiosk_portrait_pet.png", "kiosk_portrait.png")
        page.get_by_role("tab", name=re.compile(r"^2 · ")).click()
        missing = page.locator("button.label-wrap").filter(has_text="Per què falten")
        if missing.count():
            missing.first.click()
        text = page.locator("body").inner_text()
        for operator_text in ("hf download", "huggingface-cli", ".cache", "HF_HOME", "RELIVE_"):
            assert operator_text not in text, operator_text
        assert "Accepto que relive" in text
        assert "Click to Access Webcam" not in text and i18n.text("webcam.access", "ca") in text  # Gradio's words
        # each choice whole ("prefereixo no dir-ho", not "prefereix·"), its arrow beside the words, not over them
        choices = page.locator(".attribute-choice").all()
        assert len(choices) == 3 and all(c.evaluate(WHOLE_CHOICE) for c in choices)
        page.locator(".attribute-choice").first.scroll_into_view_if_needed()
        page.screenshot(path=ARTIFACTS / "kiosk_portrait_avatar.png")
    finally:
        context.close()
