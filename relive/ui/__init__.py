"""The Gradio app: one module per tab; adapters only, the work is done by library calls.

    demo = build_demo()                 # the Blocks (kiosk or not, from settings())
    relive.ui.server.serve(demo)        # relive's routes + Gradio on one port (what ``python app.py`` does)
    demo.launch(**launch_kwargs())      # Gradio alone also works, without the phone downloads
"""

from __future__ import annotations

import contextlib

# First, before Gradio: importing it installs the hook that skips Gradio's typing-stub writer (~1.4 s of the start).
from relive.ui import gradio_stubs  # noqa: F401, I001

import gradio as gr

from relive.config import settings
from relive.ui import downloads, i18n, kiosk
from relive.ui.avatar_tab import build_avatar_tab
from relive.ui.carousel_tab import build_carousel_tab
from relive.ui.i18n import t
from relive.ui.pet_tab import build_pet_tab
from relive.ui.theme import CSS, festival_theme

TITLE = "relive — festival souvenirs"
NEXT = {"pet": "avatar", "avatar": "carousel"}
# Reloading gives a fresh session: every state is gone and the old page's files are deleted (demo.unload).
START_OVER_JS = "() => { window.location.reload(); }"
BROWSER_LANGUAGE_JS = "(lang) => navigator.language || 'en'"


def build_demo() -> gr.Blocks:
    """The whole app: the three tabs, the kiosk chrome and the shared state between tabs."""
    with _no_server_app_yet():
        return _build_demo()


@contextlib.contextmanager
def _no_server_app_yet():
    """While the app is laid out, Gradio's ``App.create_app`` does nothing. Gradio builds a whole FastAPI server app
    (80+ routes, ~0.3 s of CPU each on the 2-core booth machine) when a Blocks is made, when its ``with`` closes
    and when ``.queue()`` is set, then once more when the app is served (``mount_gradio_app`` or ``launch``, which
    build their own): only that last one is ever used, so the first three were a second of cold start for nothing."""
    from gradio.routes import App

    build = App.__dict__["create_app"]
    App.create_app = staticmethod(lambda *args, **kwargs: None)
    try:
        yield
    finally:
        App.create_app = build


def _build_demo() -> gr.Blocks:
    config = settings()
    retention_s = int(config.retention_s)
    # Gradio's own cache (uploads, results) is emptied on the same window as relive's scratch folders.
    with gr.Blocks(title=TITLE, delete_cache=(min(60, retention_s), retention_s)) as demo:
        with gr.Row(elem_id="relive-header", equal_height=True):
            gr.Markdown(t("app.title"), elem_id="relive-title")
            steps = gr.HTML(i18n.steps("pet"), elem_id="relive-steps")
            languages = {code: gr.Button(name, size="sm", elem_id=f"lang-{code}", elem_classes="lang-button",
                                         scale=0, min_width=80)
                         for code, name in i18n.LANGUAGES.items()}
            start_over = gr.Button(t("app.start_over"), size="sm", elem_id="start-over", scale=0, min_width=170)
        with gr.Accordion(t("privacy.title"), open=False, elem_id="relive-privacy"):
            gr.Markdown(t("privacy.body"))
        # What one tab hands the next, in memory: the validated taste (Pet → Avatar), the RGBA cut-out
        # (Avatar → Carousel).
        taste = gr.State(None)
        cutout = gr.State(None)
        keepsakes = {"pet_card": gr.State(None), "portrait": gr.State(None)}  # they go home with the album
        lang = gr.State(None)  # the visitor's language: the browser's, then the header's buttons'; text made on
        # the server (explanations, notes, errors, captions) follows it
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # on a phone too, every step stays on the bar
            with gr.Tab(t("tab.pet"), id="pet", elem_id="tab-pet") as pet_tab:
                build_pet_tab(taste, keepsakes["pet_card"], lang, kiosk=config.kiosk)
                next_from_pet = gr.Button(t("next.pet"), elem_classes="next-step")
            with gr.Tab(t("tab.avatar"), id="avatar", elem_id="tab-avatar") as avatar_tab:
                build_avatar_tab(taste, cutout, keepsakes["portrait"], lang, kiosk=config.kiosk)
                next_from_avatar = gr.Button(t("next.avatar"), elem_classes="next-step")
            with gr.Tab(t("tab.carousel"), id="carousel", elem_id="tab-carousel") as carousel_tab:
                build_carousel_tab(cutout, keepsakes, lang, kiosk=config.kiosk)
        for key, tab in (("pet", pet_tab), ("avatar", avatar_tab), ("carousel", carousel_tab)):
            tab.select(lambda key=key: i18n.steps(key), None, steps, api_visibility="private")
        for key, button in (("pet", next_from_pet), ("avatar", next_from_avatar)):
            target = NEXT[key]
            button.click(lambda target=target: (gr.Tabs(selected=target), i18n.steps(target)), None, [tabs, steps],
                         api_visibility="private")
        # The browser's language (the one Gradio's own texts use) once the page is there, then the buttons'. It
        # comes through a hidden textbox: a page script's value reaches a handler as a component's, never a state's.
        browser_language = gr.Textbox(visible=False)
        demo.load(i18n.language, browser_language, lang, js=BROWSER_LANGUAGE_JS, api_visibility="private")
        for code, button in languages.items():
            button.click(lambda code=code: code, None, lang, js=kiosk.set_language_js(code), api_visibility="private")
        start_over.click(None, js=START_OVER_JS)
        demo.unload(downloads.forget_session)
    if config.kiosk:
        # No API on a kiosk: nothing listed or documented (the page calls its events by index through the queue).
        for fn in demo.fns.values():
            fn.api_visibility = "private"
    # Kiosk: no REST shortcut past the queue either (None keeps Gradio's default elsewhere).
    demo.queue(default_concurrency_limit=4, max_size=64, api_open=False if config.kiosk else None)
    return demo


def launch_kwargs() -> dict:
    """Arguments for ``demo.launch`` or ``gr.mount_gradio_app`` (Gradio 6 takes theme, css, js and i18n there).
    Host/port come from GRADIO_SERVER_*."""
    config = settings()
    css = CSS + kiosk.OVERLAY_CSS + (kiosk.KIOSK_CSS if config.kiosk else "")
    return {"theme": festival_theme(), "css": css, "js": kiosk.page_js(config.kiosk, config.idle_s),
            "i18n": i18n.build_i18n(i18n.retention_minutes()), "footer_links": [] if config.kiosk else ["api"],
            # No run history: it would keep visitors' inputs and results in the (shared) browser's storage.
            "run_history": False,
            "allowed_paths": [str(config.assets_dir / "backgrounds"), str(config.assets_dir / "examples")], "max_file_size": "25mb"}
