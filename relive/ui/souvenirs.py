"""Souvenirs to the visitor's phone: a QR code on the album that opens a page served by the app itself.

    GET /souvenirs/<token>             a small page (in the phone's language) with a big download link per file
    GET /souvenirs/<token>/<filename>  one file of that scratch folder, as a download

``<token>`` is the name of a scratch folder (:mod:`relive.retention`): unguessable, and found only while it lives;
once opened it outlives its kiosk session until the retention window ends (:func:`relive.ui.downloads.claim`).
A malformed, unknown or expired token, and any name that is not a file of that very folder, is a 404 that says
nothing more — no path is ever built from the request. The QR's base address is ``RELIVE_PUBLIC_URL`` when set
(the kiosk's LAN address, reachable from phones), else the address the browser used.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from PIL import Image

from relive import retention
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
    return f"{scheme}://{host}"


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


def shared_files(folder: Path) -> list[Path]:
    """The plain files directly inside a scratch folder (no folders, no links), by name."""
    return sorted((p for p in folder.iterdir() if p.is_file() and not p.is_symlink()), key=lambda p: p.name)


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{max(1, round(size / 1e3))} kB"


def page_html(token: str, files: list[Path], lang: str) -> str:
    minutes = i18n.retention_minutes()
    say = lambda key, **values: html.escape(i18n.text(key, lang, **values))  # noqa: E731
    links = "".join(f'<a class="file" href="{quote(token)}/{quote(f.name)}" download="{html.escape(f.name)}">'
                    f'⬇ {say("souvenir.download")} <span>{html.escape(f.name)} · {_size(f)}</span></a>'
                    for f in files)
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>{say("souvenir.title")}</title>
<style>
body {{font: 1.15rem/1.45 system-ui, sans-serif; margin: 0; padding: 1.5rem; background: #fdf2f8; color: #1c1917;}}
h1 {{font-size: 1.8rem; margin: 0 0 0.5rem;}}
a.file {{display: block; margin: 1.2rem 0; padding: 1.2rem 1.4rem; border-radius: 18px; background: #db2777;
  color: white; font-size: 1.5rem; font-weight: 700; text-decoration: none; text-align: center;}}
a.file span {{display: block; font-size: 0.95rem; font-weight: 400; opacity: 0.9;}}
small {{color: #57534e;}}
</style></head>
<body><h1>{say("souvenir.title")}</h1><p>{say("souvenir.intro")}</p>{links}
<p><small>{say("souvenir.expires", minutes=minutes)}</small></p></body></html>"""


def _not_found() -> HTMLResponse:
    return HTMLResponse(NOT_FOUND, status_code=404, headers=PRIVATE_HEADERS)


@router.get(PREFIX + "/{token}", response_class=HTMLResponse, include_in_schema=False)
def souvenir_page(token: str, request: Request):
    folder = retention.find_scratch(token)
    if folder is None:
        return _not_found()
    downloads.claim(folder)  # a phone has it now: a kiosk reset must not pull it away mid-download
    lang = i18n.pick_language(request.headers.get("accept-language"))
    return HTMLResponse(page_html(token, shared_files(folder), lang), headers=PRIVATE_HEADERS)


@router.get(PREFIX + "/{token}/{filename}", include_in_schema=False)
def souvenir_file(token: str, filename: str):
    folder = retention.find_scratch(token)
    if folder is None:
        return _not_found()
    by_name = {p.name: p for p in shared_files(folder)}
    if filename not in by_name:  # only the names that are there: no path is built from the request
        return _not_found()
    downloads.claim(folder)
    return FileResponse(by_name[filename], filename=filename, headers=PRIVATE_HEADERS)
