"""One visitor's whole journey in one browser: taste → pet → photo → avatar → festival → album → phone.

Screenshots of each tab go to ``artifacts/`` and, for the README, ``docs/``.
"""

from __future__ import annotations

import re
import urllib.request
import zipfile
from io import BytesIO

import pytest
from PIL import Image

from relive.carousel.backgrounds import list_backgrounds

from helpers import ARTIFACTS, drag_slider_to_end, keep_screenshot, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]



def _shot(page, name: str, full_page: bool = False, docs: bool = True) -> None:
    """A screenshot once nothing is pending (Gradio fades outputs while an event runs)."""
    page.wait_for_function("() => !document.querySelector('.pending, .generating, .eta-bar, .progress-text')",
                           timeout=60_000)
    page.wait_for_timeout(400)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"journey_{name}.png", full_page=full_page)
    if docs:
        keep_screenshot(ARTIFACTS / f"journey_{name}.png", f"{name}.png")


def _src(page, selector: str) -> str | None:
    return page.evaluate("s => { const img = document.querySelector(s); return img ? img.src : null; }", selector)


def _new_src(page, selector: str, old: str | None, timeout: float = 60_000) -> str:
    page.wait_for_function("""([s, old]) => { const img = document.querySelector(s);
                                              return img && img.src && img.src !== old; }""",
                           arg=[selector, old], timeout=timeout)
    return _src(page, selector)


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read()


def _step(page) -> str:
    return page.locator("#relive-steps li.active").inner_text()


def test_the_whole_journey(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright
    from skimage import data

    photo = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(photo)
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page.goto(app_url)

        # 1 · Pet: two sliders → a dressed pet
        pet = _new_src(page, "#pet-image img", None)
        drag_slider_to_end(page, "Reggae")
        pet = _new_src(page, "#pet-image img", pet)
        drag_slider_to_end(page, "Jazz")
        _new_src(page, "#pet-image img", pet)
        expect(page.get_by_label("number input for Reggae")).to_have_value("1")
        page.get_by_text("Head:").first.wait_for()
        page.evaluate("() => window.scrollTo(0, 0)")
        _shot(page, "pet_tab")

        # 2 · Avatar: consent, the astronaut, the instant filter, then the tiny diffusion generator
        page.get_by_role("button", name="Next: make my avatar →").click()
        page.get_by_role("tab", name="2 · Avatar", selected=True).wait_for()
        assert "Avatar" in _step(page)
        page.locator("#avatar-consent input").check()
        page.locator("#avatar-photo input[type=file]").set_input_files(str(photo))
        page.get_by_role("button", name="Suggest from my photo").click()
        page.get_by_text("suggested from your photo: woman").first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Make my avatar").click()
        instant = _new_src(page, "#avatar-result img", None)
        page.get_by_text("no AI image model").first.wait_for(timeout=10_000)
        page.evaluate("() => window.scrollTo(0, 0)")
        _shot(page, "avatar_tab")
        page.get_by_text("tiny (test)", exact=True).click()
        page.get_by_role("button", name="Make my avatar").click()
        tiny = _new_src(page, "#avatar-result img", instant, timeout=180_000)
        page.get_by_text("AI-generated").first.wait_for(timeout=10_000)
        page.evaluate("() => window.scrollTo(0, 0)")
        _shot(page, "avatar_tab_tiny", docs=False)
        # The tiny test model has random weights (its picture is noise): the instant avatar again, for a carousel
        # that shows a person in the screenshots.
        page.get_by_text("instant (offline cartoon, no AI model)", exact=True).click()
        page.get_by_role("button", name="Make my avatar").click()
        _new_src(page, "#avatar-result img", tiny)
        page.get_by_text("no AI image model").first.wait_for(timeout=10_000)

        # 3 · Carousel: the avatar arrives by itself; a festival; a tap on the stage; fuse; the album
        page.get_by_role("button", name="Next: put me in a festival →").click()
        page.get_by_role("tab", name="3 · Carousel", selected=True).wait_for()
        assert "Carousel" in _step(page)
        _new_src(page, "#carousel-avatar img", None)
        page.locator("#carousel-gallery .thumbnail-item").nth(1).click()
        stage = _new_src(page, "#carousel-stage img", None)
        feet_x = page.get_by_label("number input for Left ↔ right")
        # the gallery's own spot for that festival first (the tap must not race the selection's update)
        expect(feet_x).to_have_value(f"{list_backgrounds()[1].foot[0]:g}", timeout=30_000)
        box = page.locator("#carousel-stage img").bounding_box()
        page.locator("#carousel-stage img").click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.85})
        expect(feet_x).to_have_value(re.compile(r"0\.(29|3|31)"), timeout=30_000)  # to the slider's 0.01 step
        _new_src(page, "#carousel-stage img", stage)  # the preview moved the avatar there
        page.locator("#carousel-fuse").click()
        page.get_by_text("lighting and colours adjusted").first.wait_for(timeout=180_000)
        assert page.locator("#carousel-result img").count() >= 2  # before and after
        page.locator("#album-make").click()
        page.locator("#album-qr img").wait_for(timeout=300_000)
        assert page.locator("#album-gallery .thumbnail-item, #album-gallery img").count() >= 4
        link = page.locator("#album-qr-link a").get_attribute("href")
        assert re.fullmatch(re.escape(app_url) + r"/souvenirs/s-[A-Za-z0-9_-]{32}", link), link
        page.locator("#album-picks").scroll_into_view_if_needed()
        _shot(page, "carousel_tab", full_page=True)

        # the phone: the QR's page, then the zip
        html = _fetch(link).decode()
        href = re.search(r'href="([^"]+\.zip)"', html).group(1)
        with zipfile.ZipFile(BytesIO(_fetch(f"{link.rsplit('/', 1)[0]}/{href}"))) as archive:
            assert archive.testzip() is None
            names = archive.namelist()
        assert len(names) == 4 and all(name.endswith(".jpg") for name in names)
        browser.close()
