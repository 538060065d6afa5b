"""The Carousel tab: the avatar fused into festival backgrounds, a before/after, and the memory album."""

from __future__ import annotations

import gradio as gr
from PIL import Image

from relive import imaging
from relive.carousel import album
from relive.carousel.backgrounds import list_backgrounds
from relive.carousel.fuse import DEFAULT_SCALE, check_fusion_model, is_bust, load_fusion_model
from relive.config import model_slots
from relive.ui import downloads, i18n, souvenirs
from relive.errors import ModelUnavailable
from relive.ui.common import EXAMPLE_AVATAR, example, friendly, log, on_gpu, show_examples
from relive.ui.i18n import t
from relive.ui.photo_input import PhotoInput

NEED_AVATAR = "Make your avatar in the Avatar tab first, or upload a photo of yourself or a PNG cut-out here."
NEED_SCENE = "Choose a festival from the gallery, or upload your own festival photo."
UPLOAD_FEET = (0.5, 0.95)  # an uploaded photo: centred, feet near the bottom, as `relive fuse` does
ALBUM_DEFAULT = 4  # backgrounds ticked for the album at first


def _avatar(source) -> Image.Image:
    if source is None:
        raise gr.Error(NEED_AVATAR)
    return album.avatar_cutout(source)


def _title(background):
    """A background's title, translated while the English text still matches the gallery's own title."""
    key = f"bg.{background.slug}"
    return t(key) if i18n.has(key) and i18n.text(key) == background.title else background.title


def _scene(scene) -> str:
    if not scene:
        raise gr.Error(NEED_SCENE)
    return scene


@friendly
def choose_background(avatar, evt: gr.SelectData):
    """A gallery tile was tapped: that background, with the avatar at its own spot (a bust at the bottom edge)."""
    chosen = list_backgrounds()[evt.index]
    return str(chosen.path), *(album.default_feet(chosen, _avatar(avatar)) if avatar else chosen.foot)


@friendly
def upload_background(path: str):
    imaging.load_image(path, "RGB")  # refuse a broken or huge file now, with relive's own message
    return path, *UPLOAD_FEET


@friendly
def tap(avatar, scene, evt: gr.SelectData):
    """The stage was tapped at pixel (x, y): the feet go there (a bust keeps rising from the bottom edge)."""
    width, height = imaging.load_image(_scene(scene), "RGB").size
    x, y = evt.index
    bust = avatar is not None and is_bust(_avatar(avatar))
    # to the sliders' step (0.01): the sliders show the number, and 0.300130… is no use to anyone
    return round(min(max(x / width, 0.0), 1.0), 2), 1.0 if bust else round(min(max(y / height, 0.0), 1.0), 2)


@friendly
def settle_feet(avatar, feet_y: float):
    """A new avatar: a bust rises from the bottom edge; a standing figure keeps the chosen spot."""
    return 1.0 if avatar is not None and is_bust(_avatar(avatar)) else feet_y


@friendly
def show_stage(avatar, scene, feet_x: float, feet_y: float, scale: float, shadow: bool):
    """Instant copy-paste preview of the placement (no model): what the visitor taps on."""
    if not scene:
        return None
    if avatar is None:
        return imaging.load_image(scene, "RGB")
    return album.preview(scene, _avatar(avatar), feet=(feet_x, feet_y), scale=scale, shadow=shadow)


@friendly
@on_gpu
def fuse(avatar, scene, feet_x: float, feet_y: float, scale: float, shadow: bool):
    """The avatar fused into one background: (before, after) and a note."""
    page = album.fuse_on(_scene(scene), _avatar(avatar), feet=(feet_x, feet_y), scale=scale, shadow=shadow,
                         model=load_fusion_model())
    notes = ["**AI-edited**: lighting and colours adjusted by relive's fusion network. Drag the slider: "
             "left = plain cut-and-paste, right = fused.", *page.fused.notices]
    return (page.fused.composite, album.labelled(page.fused.image)), "\n\n".join(notes)


@friendly
@on_gpu
def make_album(avatar, slugs: list[str], scale: float, shadow: bool, request: gr.Request,
               progress=gr.Progress()):
    """The avatar in every chosen background: a gallery and a zip to take home."""
    cutout = _avatar(avatar)

    def report(done: int, total: int, title: str) -> None:
        progress(done / total, desc=f"{title} ({done} of {total})")

    pages = album.make_album(cutout, slugs, scale=scale, shadow=shadow, model=load_fusion_model(), progress=report)
    folder = downloads.session_folder(request)
    zip_path = album.write_album(pages, folder)
    gallery = [(album.labelled(page.fused.image), page.title) for page in pages]
    return gallery, str(zip_path)


def show_qr(kiosk: bool, request: gr.Request):
    """The QR code of the session's newest album (its phone page), and the link written out: only ever this
    session's own folder."""
    folder = downloads.latest_folder(request) if getattr(request, "session_hash", None) else None
    if folder is None:
        return gr.Column(visible=False), None, ""
    url = souvenirs.souvenir_url(souvenirs.base_url(request), folder.name)
    # On the kiosk the link is only shown (tapping it would leave the app); in a browser it opens the page.
    link = f"`{url}`" if kiosk else f"[{url}]({url})"
    return gr.Column(visible=True), souvenirs.qr_image(url), link


def model_problem() -> str:
    """'' when the fusion checkpoint is there (the server loads it once it answers), else what is wrong and the fix."""
    try:
        check_fusion_model()
    except ModelUnavailable as err:
        log.warning("Carousel: the fusion model is unavailable: %s", err)
        return str(err)
    return ""


def build_carousel_tab(cutout: gr.State, kiosk: bool = False) -> None:
    """Lay out the tab; ``cutout`` is the Avatar tab's transparent avatar (state)."""
    backgrounds = list_backgrounds()
    problem = model_problem()
    if problem:  # the other tabs work as usual; this one says what is missing and how to fix it
        gr.Markdown("**" + t("carousel.unavailable") + "** " + problem, elem_id="carousel-model-problem")
    with gr.Row(equal_height=False):
        with gr.Column(scale=4):
            avatar = PhotoInput(type="filepath", image_mode="RGBA", format="png", sources=["upload"], height=260,
                              label=t("carousel.avatar"), elem_id="carousel-avatar")
            if show_examples():
                gr.Examples([[example(EXAMPLE_AVATAR)]], inputs=avatar, label=t("carousel.examples"))
            first = backgrounds[0]  # chosen from the start: the avatar shows up on a stage as soon as it arrives
            gallery = gr.Gallery([(str(b.path), b.title) for b in backgrounds], label=t("carousel.gallery"),
                                 columns=3, height=330, allow_preview=False, selected_index=0,
                                 elem_id="carousel-gallery")
            own = gr.UploadButton(t("carousel.upload"), file_types=["image"], elem_id="carousel-upload")
            # The chosen background's file: the /fuse API takes it; the stage shows a preview of it instead.
            scene = PhotoInput(str(first.path), type="filepath", visible=False, label="Background")
            with gr.Row():
                feet_x = gr.Slider(0, 1, value=first.foot[0], step=0.01, label=t("carousel.x"), buttons=[])
                feet_y = gr.Slider(0, 1, value=first.foot[1], step=0.01, label=t("carousel.y"), buttons=[])
            with gr.Row():
                scale = gr.Slider(0.2, 1.0, value=DEFAULT_SCALE, step=0.02, label=t("carousel.size"), buttons=[])
                shadow = gr.Checkbox(value=True, label=t("carousel.shadow"))
            fuse_button = gr.Button(t("carousel.fuse"), variant="primary", elem_classes="big-action",
                                    elem_id="carousel-fuse")
        with gr.Column(scale=6):
            stage = gr.Image(str(first.path), label=t("carousel.stage"), type="pil", interactive=False, height=420,
                             elem_id="carousel-stage")
            result = gr.ImageSlider(label=t("carousel.result"), type="pil", elem_id="carousel-result",
                                    buttons=["download", "fullscreen"])
            info = gr.Markdown(t("carousel.hint"))
    with gr.Group():
        gr.Markdown(t("album.title"))
        picks = gr.CheckboxGroup([(_title(b), b.slug) for b in backgrounds],
                                 value=[b.slug for b in backgrounds[:ALBUM_DEFAULT]], label=t("album.picks"),
                                 elem_id="album-picks")
        album_button = gr.Button(t("album.make"), variant="primary", elem_classes="big-action",
                                 elem_id="album-make")
        album_gallery = gr.Gallery(label=t("album.gallery"), columns=4, height=360, elem_id="album-gallery")
        with gr.Row(equal_height=False):
            album_file = gr.File(label=t("album.zip"), elem_id="album-zip", scale=3)
            with gr.Column(visible=False, scale=2, elem_id="album-qr-box") as qr_box:
                gr.Markdown(t("album.qr"))
                qr = gr.Image(show_label=False, type="pil", interactive=False, height=300, buttons=[],
                              elem_id="album-qr")  # no label floating over the code: phones must see all of it
                qr_link = gr.Markdown(elem_id="album-qr-link")
                gr.Markdown(t("album.qr_hint"))

    def qr_for_album(request: gr.Request):
        return show_qr(kiosk, request)

    placement = [avatar, scene, feet_x, feet_y, scale, shadow]
    cutout.change(lambda image: image, cutout, avatar, api_visibility="private")
    gallery.select(choose_background, avatar, [scene, feet_x, feet_y], api_visibility="private")
    own.upload(upload_background, own, [scene, feet_x, feet_y], api_visibility="private")
    stage.select(tap, [avatar, scene], [feet_x, feet_y], api_visibility="private")
    gr.on([scene.change, feet_x.release, feet_y.release, scale.release, shadow.change, feet_x.change], show_stage,
          placement, stage, api_visibility="private", trigger_mode="always_last", concurrency_id="preview")
    avatar.change(settle_feet, [avatar, feet_y], feet_y, api_visibility="private").then(
        show_stage, placement, stage, api_visibility="private", concurrency_id="preview")
    fuse_button.click(fuse, placement, [result, info], api_name="fuse", concurrency_id="gpu", concurrency_limit=model_slots())
    album_button.click(make_album, [avatar, picks, scale, shadow], [album_gallery, album_file], api_name="album",
                       concurrency_id="gpu", concurrency_limit=model_slots()
                       ).success(qr_for_album, None, [qr_box, qr, qr_link], api_visibility="private")
