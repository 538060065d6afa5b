"""The Carousel tab: the avatar fused into festival backgrounds, a before/after, and the memory album."""

from __future__ import annotations

import gradio as gr
from PIL import Image

from relive import imaging
from relive.carousel import album
from relive.carousel.backgrounds import Background, list_backgrounds
from relive.backends.fusion import check_fusion_model, load_fusion_model
from relive.carousel.fuse import DEFAULT_SCALE, is_bust
from relive.config import model_slots
from relive.errors import ModelUnavailable
from relive.ui import downloads, i18n, souvenirs
from relive.ui import kiosk as page_js
from relive.ui.common import (EXAMPLE_AVATAR, Form, Mistake, cached, example, friendly, log, on_gpu, show_examples,
                              shown)
from relive.ui.i18n import t
from relive.ui.photo_input import PhotoInput

UPLOAD_FEET = (0.5, 0.95)  # an uploaded photo: centred, feet near the bottom, as `relive fuse` does
ALBUM_DEFAULT = 4  # backgrounds ticked for the album at first


def _avatar(cutout: Image.Image | None, upload: str | None, lang: str | None = None) -> Image.Image:
    """The avatar to place: the session's cut-out, in memory (made on the Avatar tab or uploaded here, checked once
    on arrival); an API caller's file when the session has none."""
    if cutout is not None:
        return cutout
    if upload is None:
        raise Mistake("error.avatar", lang)
    return album.avatar_cutout(upload)


def _translated(background) -> bool:
    """A background has a translation while its English text still matches the gallery's own title."""
    key = f"bg.{background.slug}"
    return i18n.has(key) and i18n.text(key) == background.title


def _title(background):
    """A background's title for a component (the browser translates it)."""
    return t(f"bg.{background.slug}") if _translated(background) else background.title


def gallery_items(lang: str | None = None) -> list[tuple[str, str]]:
    """The gallery's tiles: each background's picture and its title in ``lang`` (the tile's index is its id)."""
    lang = i18n.language(lang)
    return [(str(b.path), i18n.text(f"bg.{b.slug}", lang) if _translated(b) else b.title) for b in list_backgrounds()]


def page_title(page, lang: str) -> str:
    """An album page's caption in ``lang``: a gallery background's title, or "my festival photo"."""
    if page.slug in {b.slug for b in list_backgrounds() if _translated(b)}:
        return i18n.text(f"bg.{page.slug}", lang)
    return page.title if page.slug != album.OWN_PHOTO else i18n.text("album.own_photo", lang)


def _scene(form) -> Background | str:
    """The chosen scene: a gallery background (by its id, never told from a path) or an uploaded photo; an API
    caller's file first."""
    scene = form.scene or form.chosen
    if not scene:
        raise Mistake("error.scene", form.lang)
    return scene


def _picture(scene: Background | str) -> Image.Image:
    return imaging.load_image(scene.path if isinstance(scene, Background) else scene, "RGB")


@friendly
def take_avatar(upload: str | None):
    """A cut-out uploaded here: checked and cut out once, then kept in memory like the Avatar tab's."""
    return album.avatar_cutout(upload) if upload else None


@friendly
def choose_background(cutout, evt: gr.SelectData):
    """A gallery tile was tapped: that background (the gallery lists :func:`list_backgrounds`, the tile's index is
    its id there), with the avatar at its own spot (a bust at the bottom edge)."""
    chosen = list_backgrounds()[evt.index]
    return chosen, *(album.default_feet(chosen, cutout) if cutout is not None else chosen.foot)


@friendly
def upload_background(path: str):
    """A visitor's own background, checked now; where the person's feet go on it."""
    imaging.load_image(path, "RGB")  # refuse a broken or huge file now, with relive's own message
    return path, *UPLOAD_FEET


@friendly
def tap(form, evt: gr.SelectData):
    """The stage was tapped at pixel (x, y): the feet go there (a bust keeps rising from the bottom edge)."""
    width, height = _picture(_scene(form)).size
    x, y = evt.index
    bust = form.cutout is not None and is_bust(form.cutout)
    # to the sliders' step (0.01): the sliders show the number, and 0.300130… is no use to anyone
    return round(min(max(x / width, 0.0), 1.0), 2), 1.0 if bust else round(min(max(y / height, 0.0), 1.0), 2)


@friendly
def settle_feet(cutout, feet_y: float):
    """A new avatar: a bust rises from the bottom edge; a standing figure keeps the chosen spot."""
    return 1.0 if cutout is not None and is_bust(cutout) else feet_y


@friendly
def show_stage(form):
    """Instant copy-paste preview of the placement (no model): what the visitor taps on."""
    scene = form.scene or form.chosen
    if not scene:
        return None
    if form.cutout is None and form.avatar is None:
        return _picture(scene)
    return album.preview(scene, _avatar(form.cutout, form.avatar, form.lang), feet=(form.feet_x, form.feet_y),
                         scale=form.scale, shadow=form.shadow)


@friendly
@on_gpu
def fuse(form):
    """The avatar fused into one background: (before, after) and a note."""
    page = album.fuse_on(_scene(form), _avatar(form.cutout, form.avatar, form.lang), feet=(form.feet_x, form.feet_y),
                         scale=form.scale, shadow=form.shadow, model=load_fusion_model())
    lang = i18n.language(form.lang)
    notes = [i18n.text("carousel.note", lang), *(i18n.message(notice, lang) for notice in page.fused.notices)]
    labelled = album.labelled(page.fused.image, i18n.message(album.LABEL, lang))
    return (shown(page.fused.composite, "jpeg"), shown(labelled, "jpeg")), "\n\n".join(notes)


@friendly
@on_gpu
def make_album(form, request: gr.Request, progress=gr.Progress()):
    """The avatar in every chosen background (by id): a gallery, and the take-home folder behind the QR code (each
    picture, the pet card, the avatar, and a zip of the album)."""
    lang = i18n.language(form.lang)
    avatar = _avatar(form.cutout, form.avatar, lang)

    def report(done: int, total: int, title: str) -> None:
        title = i18n.translations(lang).get(title, title)  # the festival's English title in the visitor's words
        progress(done / total, desc=i18n.text("album.progress", lang, title=title, done=done, total=total))

    # No size from the slider (it sizes the single picture): each album page stages the person at its spot's scale.
    pages = album.make_album(avatar, form.picks, shadow=form.shadow, model=load_fusion_model(), progress=report)
    folder = downloads.session_folder(request)
    label = i18n.message(album.LABEL, lang)  # drawn on each picture, in the visitor's language
    files = album.page_jpegs(pages, label)  # encoded once: the phone page, the zip and the gallery
    zip_path = souvenirs.write_takeaway(folder, files, pet_card=form.pet_card, portrait=form.portrait)
    gallery = [(cached(data, name), page_title(page, lang)) for page, (name, data) in zip(pages, files)]
    return gallery, str(zip_path)


def show_qr(kiosk: bool, lang: str | None, request: gr.Request):
    """The QR code of the session's newest album (its phone page), and the link written out: only ever this
    session's own folder. When no phone could reach the address (this machine's own, 127.0.0.1), the staff get
    a banner saying how to fix it instead of a code that leads nowhere."""
    folder = downloads.latest_folder(request) if getattr(request, "session_hash", None) else None
    if folder is None:
        return gr.Column(visible=False), None, ""
    base = souvenirs.base_url(request)
    url = souvenirs.souvenir_url(base, folder.name)
    if kiosk and not souvenirs.reachable_from_phones(base):
        return gr.Column(visible=True), None, i18n.text("qr.unreachable", i18n.language(lang), url=base)
    # On the kiosk the link is only shown (tapping it would leave the app); in a browser it opens the page.
    link = f"`{url}`" if kiosk else f"[{url}]({url})"
    return gr.Column(visible=True), souvenirs.qr_image(url), link


def model_problem() -> str:
    """'' when the fusion checkpoint is there (the server loads it once it answers), else what is wrong and the fix:
    for the staff, in the log."""
    try:
        check_fusion_model()
    except ModelUnavailable as err:
        log.warning("Carousel: the fusion model is unavailable: %s", err)
        return str(err)
    return ""


def build_carousel_tab(cutout: gr.State, keepsakes: dict[str, gr.State], lang: gr.State, kiosk: bool = False
                       ) -> None:
    """Lay out the tab; ``cutout`` holds the visitor's transparent avatar (RGBA, in memory): the Avatar tab's, or
    one uploaded here; ``keepsakes`` the pet card and the avatar picture, which go home with the album. On a kiosk
    nothing is downloaded onto the kiosk itself: the QR code is the only way home."""
    save = ["fullscreen"] if kiosk else ["download", "fullscreen"]
    backgrounds = list_backgrounds()
    if model_problem():  # the other tabs work as usual; this one asks the visitor to fetch the staff (the log says why)
        gr.Markdown(t("carousel.unavailable"), elem_id="carousel-model-problem")
    with gr.Row(equal_height=False):
        with gr.Column(scale=4):
            avatar = PhotoInput(type="filepath", image_mode="RGBA", format="png", sources=["upload"], height=260,
                                label=t("carousel.avatar"), elem_id="carousel-avatar", buttons=save)
            if show_examples():
                gr.Examples([[example(EXAMPLE_AVATAR)]], inputs=avatar, label=t("carousel.examples"))
            first = backgrounds[0]  # chosen from the start: the avatar shows up on a stage as soon as it arrives
            gallery = gr.Gallery(gallery_items(), label=t("carousel.gallery"),
                                 columns=3, height=330, allow_preview=False, selected_index=0, buttons=[],
                                 elem_id="carousel-gallery")
            own = gr.UploadButton(t("carousel.upload"), file_types=["image"], elem_id="carousel-upload")
            chosen = gr.State(first)  # a gallery Background (its id), or the path of an uploaded photo
            # A background file for API callers only (/fuse takes one); the page uses ``chosen``.
            scene = PhotoInput(type="filepath", visible=False, label="Background")
            # made here, placed in the album below: the /album API lists it right after the avatar
            picks = gr.CheckboxGroup([(_title(b), b.slug) for b in backgrounds],
                                     value=[b.slug for b in backgrounds[:ALBUM_DEFAULT]], label=t("album.picks"),
                                     elem_id="album-picks", render=False)
        # On a phone the columns stack: the stage comes right after the gallery, the placement and "Fuse me in"
        # under it, the result under the button.
        with gr.Column(scale=6):
            stage = gr.Image(str(first.path), label=t("carousel.stage"), type="pil", interactive=False, height=420,
                             elem_id="carousel-stage", buttons=["fullscreen"])
            with gr.Row(elem_classes="placement-row"):
                feet_x = gr.Slider(0, 1, value=first.foot[0], step=0.01, label=t("carousel.x"), buttons=[],
                                   min_width=200)
                feet_y = gr.Slider(0, 1, value=first.foot[1], step=0.01, label=t("carousel.y"), buttons=[],
                                   min_width=200)
            with gr.Row(elem_classes="placement-row"):
                scale = gr.Slider(0.2, 1.0, value=DEFAULT_SCALE, step=0.02, label=t("carousel.size"), buttons=[],
                                  min_width=200)
                shadow = gr.Checkbox(value=True, label=t("carousel.shadow"), min_width=200)
            fuse_button = gr.Button(t("carousel.fuse"), variant="primary", elem_classes="big-action",
                                    elem_id="carousel-fuse")
            result = gr.ImageSlider(label=t("carousel.result"), type="pil", elem_id="carousel-result", buttons=save)
            info = gr.Markdown(t("carousel.hint"))
    with gr.Group():
        gr.Markdown(t("album.title"))
        picks.render()
        album_button = gr.Button(t("album.make"), variant="primary", elem_classes="big-action",
                                 elem_id="album-make")
        album_gallery = gr.Gallery(label=t("album.gallery"), columns=4, height="auto", elem_id="album-gallery",
                                   buttons=["fullscreen"] if kiosk else None)
        with gr.Row(equal_height=False):
            album_file = gr.File(label=t("album.zip"), elem_id="album-zip", scale=3, visible=not kiosk)
            with gr.Column(visible=False, scale=2, elem_id="album-qr-box") as qr_box:
                gr.Markdown(t("album.qr"))
                qr = gr.Image(show_label=False, type="pil", interactive=False, height=300, buttons=[],
                              elem_id="album-qr")  # no label floating over the code: phones must see all of it
                qr_link = gr.Markdown(elem_id="album-qr-link")
                gr.Markdown(t("album.qr_hint"))

    def qr_for_album(lang_code: str | None, request: gr.Request):
        return show_qr(kiosk, lang_code, request)

    placement = Form(cutout=cutout, avatar=avatar, chosen=chosen, scene=scene, feet_x=feet_x, feet_y=feet_y,
                     scale=scale, shadow=shadow, lang=lang)
    album_form = Form(cutout=cutout, avatar=avatar, picks=picks, shadow=shadow, lang=lang, **keepsakes)
    # The Avatar tab's cut-out is shown here (the picture is only displayed; handlers use the state).
    cutout.change(lambda image: image, cutout, avatar, api_visibility="private")
    avatar.upload(take_avatar, avatar, cutout, api_visibility="private")
    avatar.clear(lambda: None, None, cutout, api_visibility="private")
    gallery.select(choose_background, cutout, [chosen, feet_x, feet_y], api_visibility="private")
    lang.change(gallery_items, lang, gallery, api_visibility="private")  # the festivals' names in the new words
    own.upload(upload_background, own, [chosen, feet_x, feet_y], api_visibility="private")
    stage.select(placement.bind(tap), placement.inputs, [feet_x, feet_y], api_visibility="private")
    gr.on([chosen.change, feet_x.release, feet_y.release, scale.release, shadow.change, feet_x.change],
          placement.bind(show_stage), placement.inputs, stage, api_visibility="private", trigger_mode="always_last",
          concurrency_id="preview")
    cutout.change(settle_feet, [cutout, feet_y], feet_y, api_visibility="private").then(
        placement.bind(show_stage), placement.inputs, stage, api_visibility="private", concurrency_id="preview")
    fuse_button.click(placement.bind(fuse), placement.inputs, [result, info], api_name="fuse", concurrency_id="gpu",
                      concurrency_limit=model_slots()).success(None, js=page_js.after_success_js("carousel-result"))
    album_button.click(album_form.bind(make_album), album_form.inputs, [album_gallery, album_file],
                       api_name="album",
                       concurrency_id="gpu", concurrency_limit=model_slots()
                       ).success(qr_for_album, lang, [qr_box, qr, qr_link], api_visibility="private").success(
                           None, js=page_js.after_success_js("album-gallery"))
