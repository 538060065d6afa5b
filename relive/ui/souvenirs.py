"""Souvenirs to the visitor's phone: a QR code on the album that opens a page served by the app itself.

    GET /souvenirs/<token>             a small page (in the phone's language) with a big download link per file
    GET /souvenirs/<token>/<filename>  one file of that scratch folder, as a download

``<token>`` is the name of a scratch folder (:mod:`relive.retention`): unguessable, and found only while it lives;
once opened it outlives its kiosk session until the retention window ends (:func:`relive.ui.downloads.claim`).
A malformed, unknown or expired token, and any name that is not a file of that very folder, is a 404 that says
nothing more — no path is ever built from the request. The QR's base address is ``RELIVE_PUBLIC_URL`` when set,
else the address the browser used — with this machine's own address (127.0.0.1, which no phone reaches) swapped
for its LAN address when the server listens on every interface (``GRADIO_SERVER_NAME=0.0.0.0``).

The folder holds each album picture, the pet card and the avatar (a preview and a one-tap save each on the phone
page) and the whole album as a zip, as an option.
"""

from __future__ import annotations

import html
import ipaddress
import os
import socket
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from PIL import Image

from relive import retention
from relive.carousel import album
from relive.config import settings
from relive.ui import downloads, i18n

PREFIX = "/souvenirs"
# Not cached, not indexed, and the secret address is not sent on as a referrer.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}
NOT_FOUND = ("<!doctype html><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
             "<title>relive</title><p style='font:1.2rem system-ui;margin:2rem'>This link has expired or does not "
             "exist. · Aquest enllaç ha caducat o no existeix. · Este enlace ha caducado o no existe.</p>")

router = APIRouter()


def base_url(request) -> str:
    """Where phones reach this app: ``RELIVE_PUBLIC_URL``, else the request's own address (proxy headers first).
    ``request`` is a ``gr.Request`` or a Starlette request."""
    configured = settings().public_url
    if configured:
        return configured.rstrip("/")
    headers = {str(k).lower(): str(v) for k, v in dict(getattr(request, "headers", None) or {}).items()}
    first = lambda name: headers.get(name, "").split(",")[0].strip()  # noqa: E731 - a proxy chain lists several
    url = getattr(request, "url", None)
    scheme = first("x-forwarded-proto") or getattr(url, "scheme", "") or "http"
    host = first("x-forwarded-host") or first("host") or getattr(url, "netloc", "") or "127.0.0.1"
    base = f"{scheme}://{host}"
    lan = lan_address() if _listens_everywhere() else None
    if lan and not reachable_from_phones(base):  # the kiosk's browser uses 127.0.0.1; phones need the LAN
        port = urlsplit(base).port
        base = f"{scheme}://{lan}" + (f":{port}" if port else "")
    return base


def reachable_from_phones(base: str) -> bool:
    """False for this machine's own address (localhost, 127.0.0.1, ::1), which a phone cannot open."""
    host = urlsplit(base).hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: trust it
        return True


def lan_address() -> str | None:
    """This machine's address on its network (the interface of its default route), or None. Nothing is sent:
    connecting a UDP socket only picks the route."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if ipaddress.ip_address(address).is_loopback else address


def _listens_everywhere() -> bool:
    """The server answers on every interface (so on the LAN address too), as ``GRADIO_SERVER_NAME`` says."""
    return os.environ.get("GRADIO_SERVER_NAME", "") in ("0.0.0.0", "::")


def souvenir_url(base: str, token: str) -> str:
    """The phone page of one scratch folder."""
    return f"{base.rstrip('/')}{PREFIX}/{quote(token)}"


def qr_image(url: str, box: int = 10) -> Image.Image:
    """``url`` as a black-on-white QR code (PIL, RGB), with the quiet zone phones need around it."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


PET_CARD = "pet-card.png"
PORTRAIT = "avatar.png"


def write_takeaway(folder: Path, pages: Sequence, *, pet_card: Image.Image | None = None,
                   portrait: Image.Image | None = None, label: str = album.LABEL) -> Path:
    """What the phone page offers, written into ``folder`` (a scratch folder: it expires): each album page as a
    JPEG labelled ``label`` (the visitor's language; or ``pages`` are :func:`relive.carousel.album.page_jpegs`'
    files already), the pet card and the avatar (when the visitor made them), and the album as one zip. Returns
    the zip's path."""
    files = album.as_page_jpegs(pages, label)
    for name, data in files:
        (folder / name).write_bytes(data)
    # zlib's fastest level: a fraction of the default's time for a somewhat bigger file, on the festival's network
    if pet_card is not None:
        pet_card.save(folder / PET_CARD, compress_level=1)
    if portrait is not None:
        portrait.save(folder / PORTRAIT, compress_level=1)
    return album.write_album(files, folder)


def shared_files(folder: Path) -> list[Path]:
    """The plain files directly inside a scratch folder (no folders, no links), by name."""
    return sorted((p for p in folder.iterdir() if p.is_file() and not p.is_symlink()), key=lambda p: p.name)


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{max(1, round(size / 1e3))} kB"


def _caption(path: Path, lang: str) -> str:
    """What a file is, in the visitor's words: a festival's title, "my pet card", "my avatar", "everything"."""
    if path.name == PET_CARD:
        return i18n.text("album.pet_card", lang)
    if path.name == PORTRAIT:
        return i18n.text("album.avatar_file", lang)
    if path.suffix == ".zip":
        return i18n.text("album.zip_all", lang)
    slug = path.stem.partition("-")[2]
    if i18n.has(f"bg.{slug}"):
        return i18n.text(f"bg.{slug}", lang)
    return i18n.text("album.own_photo", lang) if slug == album.OWN_PHOTO else slug


def _picture_html(token: str, path: Path, lang: str) -> str:
    """A preview with its own one-tap save button."""
    href, name = f"{quote(token)}/{quote(path.name)}", html.escape(path.name)
    caption = html.escape(_caption(path, lang))
    return (f'<figure><img src="{href}" alt="{caption}" loading="lazy"><figcaption>{caption}</figcaption>'
            f'<a class="file" href="{href}" download="{name}">⬇ {html.escape(i18n.text("souvenir.download", lang))}'
            f' <span>{_size(path)}</span></a></figure>')


def page_html(token: str, files: list[Path], lang: str) -> str:
    """The phone page that lists a visitor's souvenirs for download."""
    minutes = i18n.retention_minutes()
    say = lambda key, **values: html.escape(i18n.text(key, lang, **values))  # noqa: E731
    pictures = "".join(_picture_html(token, f, lang) for f in files if f.suffix != ".zip")
    archives = "".join(f'<a class="file zip" href="{quote(token)}/{quote(f.name)}" download="{html.escape(f.name)}">'
                       f'⬇ {html.escape(_caption(f, lang))} <span>{html.escape(f.name)} · {_size(f)}</span></a>'
                       for f in files if f.suffix == ".zip")
    links = pictures + archives
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>{say("souvenir.title")}</title>
<style>
body {{font: 1.15rem/1.45 system-ui, sans-serif; margin: 0; padding: 1.5rem; background: #fdf2f8; color: #1c1917;}}
h1 {{font-size: 1.8rem; margin: 0 0 0.5rem;}}
a.file {{display: block; margin: 1.2rem 0; padding: 1.2rem 1.4rem; border-radius: 18px; background: #db2777;
  color: white; font-size: 1.5rem; font-weight: 700; text-decoration: none; text-align: center;}}
a.file span {{display: block; font-size: 0.95rem; font-weight: 400; opacity: 0.9;}}
figure {{margin: 1.5rem 0; padding: 0;}}
figure img {{display: block; width: 100%; height: auto; border-radius: 14px; background: white;}}
figcaption {{font-weight: 700; margin: 0.5rem 0 -0.6rem;}}
a.zip {{background: white; color: #db2777; border: 2px solid #db2777; font-size: 1.2rem;}}
small {{color: #57534e;}}
</style></head>
<body><h1>{say("souvenir.title")}</h1><p>{say("souvenir.intro")}</p>{links}
<p><small>{say("souvenir.expires", minutes=minutes)}</small></p></body></html>"""


def _not_found() -> HTMLResponse:
    return HTMLResponse(NOT_FOUND, status_code=404, headers=PRIVATE_HEADERS)


@router.get(PREFIX + "/{token}", response_class=HTMLResponse, include_in_schema=False)
def souvenir_page(token: str, request: Request):
    """The download page for a QR token; not found once the files are gone."""
    folder = retention.find_scratch(token)
    if folder is None:
        return _not_found()
    downloads.claim(folder)  # a phone has it now: a kiosk reset must not pull it away mid-download
    lang = i18n.pick_language(request.headers.get("accept-language"))
    return HTMLResponse(page_html(token, shared_files(folder), lang), headers=PRIVATE_HEADERS)


@router.get(PREFIX + "/{token}/{filename}", include_in_schema=False)
def souvenir_file(token: str, filename: str):
    """One souvenir file of a QR token; not found once the files are gone."""
    folder = retention.find_scratch(token)
    if folder is None:
        return _not_found()
    by_name = {p.name: p for p in shared_files(folder)}
    if filename not in by_name:  # only the names that are there: no path is built from the request
        return _not_found()
    downloads.claim(folder)
    return FileResponse(by_name[filename], filename=filename, headers=PRIVATE_HEADERS)
