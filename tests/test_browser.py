"""The app in a real headless Chromium (Debian's, driven by Playwright): what a visitor sees and does."""

from __future__ import annotations

import pytest

from helpers import ARTIFACTS, drag_slider_to_end, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.server]



@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        page.get_by_text("Choose your creature").wait_for(timeout=30_000)
        yield page
        browser.close()


def _pet_src(page) -> str | None:
    img = page.locator("#pet-image img")
    return img.get_attribute("src") if img.count() else None


def _wait_for_new_pet(page, old: str | None) -> str:
    page.wait_for_function(
        """old => { const img = document.querySelector('#pet-image img');
                    return img && img.src && img.src !== old; }""", arg=old, timeout=30_000)
    return _pet_src(page)


def test_moving_a_slider_changes_the_pet(page):
    first = _wait_for_new_pet(page, None)  # the bare creature arrives on load
    drag_slider_to_end(page, "Reggae")
    reggae = _wait_for_new_pet(page, first)
    assert page.get_by_label("number input for Reggae").input_value() == "1"
    page.get_by_text("Head:").first.wait_for()
    drag_slider_to_end(page, "Classical")
    _wait_for_new_pet(page, reggae)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "pet_tab.png", full_page=True)


def test_preset_sets_sliders_and_reset_clears_them(page):
    old = _pet_src(page)
    page.get_by_role("button", name="Jazz cat").click()
    new = _wait_for_new_pet(page, old)
    assert page.get_by_label("number input for Jazz").input_value() == "1"
    page.get_by_role("button", name="Reset", exact=True).click()
    _wait_for_new_pet(page, new)
    assert page.get_by_label("number input for Jazz").input_value() == "0"


@pytest.mark.slow  # 18.9 s wall at load 18 (Chromium + a 1024 px avatar); about 5 s on a quiet machine
def test_avatar_tab_makes_an_instant_avatar_after_consent(page, tmp_path):
    from PIL import Image
    from skimage import data

    photo = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(photo)
    page.get_by_role("tab", name="2 · Avatar").click()
    page.locator("#avatar-photo input[type=file]").set_input_files(str(photo))
    page.get_by_role("button", name="Make my avatar").click()
    page.get_by_text("Please tick the consent box first").first.wait_for(timeout=30_000)
    page.locator("#avatar-consent input").check()
    page.get_by_role("button", name="Suggest from my photo").click()  # nothing is guessed until the visitor asks
    page.get_by_text("suggested from your photo: woman").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Make my avatar").click()
    page.wait_for_function("() => { const img = document.querySelector('#avatar-result img'); return img && img.src; }",
                           timeout=60_000)
    page.get_by_text("no AI image model").first.wait_for(timeout=10_000)
    page.screenshot(path=ARTIFACTS / "avatar_tab.png", full_page=True)
