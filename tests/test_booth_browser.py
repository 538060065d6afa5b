"""The booth, polished (issue 13), in Debian's Chromium: each point at the viewport and language where a visitor
met it. The kiosk's own points (no downloads, the QR, portrait layout) are in ``test_kiosk.py``."""

from __future__ import annotations

import re

import pytest
from helpers import ARTIFACTS, keep_screenshot
from PIL import Image

from relive import imaging
from relive.backends.faces import crop_notice
from relive.errors import ReliveError
from relive.messages import Message
from relive.ui import i18n

pytestmark = [pytest.mark.browser, pytest.mark.server]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1400, "height": 1000}
LOCALES = {"ca": "ca-ES", "es": "es-ES"}


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    from skimage import data

    path = tmp_path_factory.mktemp("photo") / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


@pytest.fixture(scope="module")
def group_photo(tmp_path_factory):
    """Two people side by side (the astronaut and Grace Hopper): the avatar shows one, and the library says so."""
    from matplotlib import cbook
    from skimage import data

    left = Image.fromarray(data.astronaut())
    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as hopper:
        right = hopper.convert("RGB").resize((round(hopper.width * left.height / hopper.height), left.height))
    group = Image.new("RGB", (left.width + right.width, left.height))
    group.paste(left, (0, 0))
    group.paste(right, (left.width, 0))
    path = tmp_path_factory.mktemp("group") / "two-people.png"
    group.save(path)
    return path


@pytest.fixture(scope="module")
def broken_photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("broken") / "broken-photo.jpg"
    path.write_bytes(b"\xff\xd8\xff not a whole photo")
    return path


def _library_says(fn, *args) -> Message:
    """What the library itself raises for ``fn(*args)``: the message a visitor meets, as the library words it."""
    try:
        fn(*args)
    except ReliveError as err:
        return err.message
    raise AssertionError(f"{fn.__name__} raised nothing")


def _open(browser, url: str, viewport: dict, locale: str):
    context = browser.new_context(viewport=viewport, locale=locale)
    page = context.new_page()
    page.goto(url)
    page.locator("#pet-image img").wait_for(timeout=60_000)
    return context, page


def _idle(page) -> None:
    page.wait_for_function("() => !document.querySelector('.pending, .generating, .eta-bar, .progress-text')",
                           timeout=300_000)
    page.wait_for_timeout(300)


def _shot(page, name: str, docs: str | None = None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"booth_{name}.png")
    if docs:
        keep_screenshot(ARTIFACTS / f"booth_{name}.png", docs)


def english_leftovers(text: str, lang: str) -> list[str]:
    """English sentences of relive's own that show in ``text`` although ``lang`` has its own words for them: every
    English text of three words or more (between placeholders and markup) that the translation changes, the UI's
    texts and the library's messages (errors, notes) alike."""
    found = []
    pairs = [(key, english, i18n.TEXT[lang].get(key, english)) for key, english in i18n.TEXT["en"].items()]
    pairs += [(template, template, translated) for template, translated in i18n.MESSAGES[lang].items()]
    for key, english, translated in pairs:
        if translated == english:
            continue
        for part in re.split(r"\{[^}]*\}|\*+|\n|<[^>]+>|[:;—·(),.]", english.replace("{minutes}", "")):
            part = part.strip()
            if len(part.split()) >= 3 and part in text:
                found.append(f"{key}: {part}")
    return found


def _no_english(page, lang: str, where: str) -> None:
    leftovers = english_leftovers(page.locator("body").inner_text(), lang)
    assert not leftovers, (where, leftovers)
    # nor a bare translation key, shown or read out by a screen reader ("common.complete")
    keys = page.evaluate("""() => Array.from(document.querySelectorAll('body *')).flatMap((e) =>
        [e.getAttribute('aria-label'), e.getAttribute('title'), e.children.length ? '' : e.textContent])
        .filter((t) => t && /^(common|upload|image|gallery|file|errors?|pet|avatar|carousel|album|step|tab)\\.[a-z_]+$/
                           .test(t.trim()))""")
    assert not keys, (where, keys)


def _in_view(page, selector: str) -> bool:
    return page.evaluate("""s => { const r = document.querySelector(s).getBoundingClientRect();
                                   return r.bottom > 0 && r.top < window.innerHeight; }""", selector)


def _captions_over_pictures(page, gallery: str) -> list[str]:
    """The captions in ``gallery`` that lie over their picture (point 7: a label never covers a picture)."""
    return page.evaluate("""g => Array.from(document.querySelectorAll(g + ' .thumbnail-item')).filter((t) => {
        const img = t.querySelector('img'), cap = t.querySelector('.caption-label');
        return img && cap && cap.getBoundingClientRect().top < img.getBoundingClientRect().bottom - 1;
    }).map((t) => t.innerText)""", gallery)


def _labels_under_buttons(page) -> list[str]:
    """The labels of pictures that an icon button (full screen, remove, download) lies over (point 7)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.block')).flatMap((block) => {
        const label = block.querySelector(':scope > label[data-testid=block-label]');
        const icons = block.querySelector('.icon-button-wrapper');
        if (!label || !icons) return [];
        const a = label.getBoundingClientRect(), b = icons.getBoundingClientRect();
        const apart = !b.width || a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
        return apart ? [] : [block.id || label.innerText];
    })""")


def _top(page, selector: str) -> float:
    return page.evaluate("s => document.querySelector(s).getBoundingClientRect().top + window.scrollY", selector)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ca", "es"])
def test_a_whole_journey_on_a_phone_in_catalan_and_spanish(browser, app_url, group_photo, broken_photo, lang):
    """Points 1 and 5: every tab in the visitor's language (server-made text too: the library's errors and notes
    included), laid out for a phone."""
    from playwright.sync_api import expect

    context, page = _open(browser, app_url, PHONE, LOCALES[lang])
    try:
        # 1 · Pet: all three tabs on the bar, the steps not cut, the pet right above the presets
        assert page.get_by_role("tab").filter(visible=True).count() >= 3
        for tab in page.locator("[role=tablist]").first.get_by_role("tab").all():
            assert tab.is_visible(), tab.inner_text()
        steps = page.locator("#relive-steps li").all()
        assert len(steps) == 3 and all(0 <= s.bounding_box()["x"] and s.bounding_box()["x"] + s.bounding_box()["width"]
                                       <= PHONE["width"] for s in steps)
        old = page.locator("#pet-image img").get_attribute("src")
        page.locator(".preset-row button").nth(1).click()  # "Jazz cat"
        page.wait_for_function("old => document.querySelector('#pet-image img').src !== old", arg=old,
                               timeout=60_000)
        _idle(page)
        assert _top(page, ".preset-row") - (_top(page, "#pet-image") + 
                                            page.locator("#pet-image").bounding_box()["height"]) < 300
        assert _in_view(page, "#pet-image")  # tapping a preset shows its pet without scrolling
        why = page.locator("#pet-why").inner_text()
        assert i18n.text("genre.Jazz", lang) in why and "match" not in why, why
        _no_english(page, lang, "pet")
        page.evaluate("() => document.querySelector('#pet-image').scrollIntoView({block: 'start'})")
        _shot(page, f"phone_{lang}_pet", docs=f"phone_{lang}_pet.png" if lang == "ca" else None)

        # 2 · Avatar: the consent error and the library's own error for a broken photo, both in the visitor's
        # language and gone after success; a group photo's note from the library translated too; the avatar in view
        page.get_by_role("tab", name=re.compile(r"^2 ·")).click()
        page.locator("#avatar-photo input[type=file]").set_input_files(str(broken_photo))
        page.locator("#avatar-make").click()
        page.get_by_text(i18n.text("error.consent", lang)).first.wait_for(timeout=30_000)
        page.locator("#avatar-consent input").check()
        _idle(page)
        page.locator("#avatar-make").click()
        broken = i18n.message(_library_says(imaging.load_image, broken_photo), lang)
        after_name = broken.split(repr(str(broken_photo)))[1]  # the page names the file, not the upload folder
        page.get_by_text(after_name).first.wait_for(timeout=60_000)
        assert page.get_by_text(f"'{broken_photo.name}'{after_name}").count() >= 1
        expect(page.get_by_text(i18n.text("error.consent", lang))).to_have_count(0)  # the last try's error went
        _no_english(page, lang, "avatar error")
        _shot(page, f"phone_{lang}_avatar_error")
        page.locator("#avatar-photo input[type=file]").set_input_files(str(group_photo))
        _idle(page)
        page.locator("#avatar-make").click()
        page.get_by_text(i18n.text("avatar.kind_instant", lang)).first.wait_for(timeout=120_000)
        _idle(page)
        page.get_by_text(i18n.message(crop_notice(2), lang)).first.wait_for(timeout=10_000)  # the library's note
        assert page.get_by_text(i18n.text("error.consent", lang)).count() == 0  # the old errors went
        assert page.get_by_text(after_name).count() == 0
        assert _in_view(page, "#avatar-result")
        assert not _labels_under_buttons(page)
        _no_english(page, lang, "avatar")
        _shot(page, f"phone_{lang}_avatar")

        # 3 · Carousel: the stage before "Fuse me in", the note and the album captions translated
        page.get_by_role("tab", name=re.compile(r"^3 ·")).click()
        page.wait_for_function("() => !!document.querySelector('#carousel-avatar img')", timeout=60_000)
        assert _top(page, "#carousel-stage") < _top(page, "#carousel-fuse")
        assert not _labels_under_buttons(page)
        captions = page.locator("#carousel-gallery .caption-label").all()
        assert captions and all(c.evaluate("e => e.scrollWidth <= e.clientWidth + 1") for c in captions)
        assert not _captions_over_pictures(page, "#carousel-gallery")
        page.locator("#carousel-fuse").click()
        note = i18n.text("carousel.note", lang).replace("*", "")  # as shown: the Markdown rendered
        page.get_by_text(re.compile(re.escape(note[:30]))).first.wait_for(timeout=180_000)
        picks = page.locator("#album-picks input[type=checkbox]")
        for index in range(2, picks.count()):  # two festivals are enough
            if picks.nth(index).is_checked():
                picks.nth(index).uncheck()
        page.locator("#album-make").click()
        page.locator("#album-qr-box").wait_for(timeout=300_000)
        _idle(page)
        thumbs = page.locator("#album-gallery .thumbnail-item").all()
        assert len(thumbs) == 2 and all(t.bounding_box()["width"] >= 120 for t in thumbs)  # not 50 px strips
        assert not _captions_over_pictures(page, "#album-gallery")
        gallery_text = page.locator("#album-gallery").inner_text()
        assert i18n.text("bg.main-stage", lang) in gallery_text, gallery_text
        _no_english(page, lang, "carousel")
        page.locator("#album-gallery").scroll_into_view_if_needed()
        _shot(page, f"phone_{lang}_album", docs=f"phone_{lang}_album.png" if lang == "ca" else None)
    finally:
        context.close()


def test_pictures_keep_their_labels_above_them_on_a_laptop(browser, app_url):
    """Point 7: a label sits above its picture, never over it."""
    context, page = _open(browser, app_url, LAPTOP, "en-US")
    try:
        for selector in ("#pet-image", "#carousel-stage"):
            if selector == "#carousel-stage":
                page.get_by_role("tab", name=re.compile(r"^3 ·")).click()
                page.locator(f"{selector} img").wait_for(timeout=30_000)
            label = page.locator(f'{selector} label[data-testid="block-label"]').bounding_box()
            picture = page.locator(f"{selector} img").bounding_box()
            assert label["y"] + label["height"] <= picture["y"] + 1, selector
            assert not _labels_under_buttons(page), selector
    finally:
        context.close()


@pytest.mark.slow
def test_the_pet_follows_a_slider_while_it_is_dragged(browser, app_url):
    """Point 9: the pet changes before the finger lets go."""
    context, page = _open(browser, app_url, LAPTOP, "en-US")
    try:
        _idle(page)
        old = page.locator("#pet-image img").get_attribute("src")
        slider = page.get_by_label("range slider for Reggae")
        slider.scroll_into_view_if_needed()
        box = slider.bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + 2, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.8, y, steps=12)
        page.wait_for_function("old => document.querySelector('#pet-image img').src !== old", arg=old,
                               timeout=30_000)  # still holding the mouse button
        page.mouse.up()
        assert float(page.get_by_label("number input for Reggae").input_value()) > 0.5
    finally:
        context.close()


@pytest.mark.slow
def test_a_visitors_mistake_leaves_one_log_line_without_the_file_name(browser, app_server, tmp_path):
    """Point 8, through the real server: a broken upload is explained to the visitor, and the log gets one line
    with no traceback and no file name."""
    fake = tmp_path / "visitor-selfie-4711.jpg"
    fake.write_bytes(b"this is not a picture")
    context, page = _open(browser, app_server.url, LAPTOP, "en-US")
    try:
        before = app_server.log.read_text()
        page.get_by_role("tab", name=re.compile(r"^3 ·")).click()
        page.locator("#carousel-avatar input[type=file]").set_input_files(str(fake))
        page.get_by_text("is not an image relive can read").first.wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        added = app_server.log.read_text()[len(before):]
        assert "visitor mistake in take_avatar: InvalidImage" in added, added
        assert "Traceback" not in added and "visitor-selfie" not in added, added
    finally:
        context.close()


@pytest.mark.slow
def test_a_laptop_shows_the_new_avatar_where_the_button_is(browser, app_url, photo):
    """Point 7: the avatar appears in view of the button that made it."""
    context, page = _open(browser, app_url, LAPTOP, "en-US")
    try:
        page.get_by_role("tab", name=re.compile(r"^2 ·")).click()
        page.locator("#avatar-consent input").check()
        page.locator("#avatar-photo input[type=file]").set_input_files(str(photo))
        _idle(page)
        page.locator("#avatar-make").scroll_into_view_if_needed()
        page.locator("#avatar-make").click()
        page.get_by_text("no AI image model").first.wait_for(timeout=120_000)
        page.wait_for_timeout(1200)  # the smooth scroll
        assert _in_view(page, "#avatar-result img")
        _shot(page, "laptop_avatar")
    finally:
        context.close()
