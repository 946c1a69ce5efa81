"""PDFs of the app's own pages (paper copies of casework, the printable services
directory) with WeasyPrint. WeasyPrint needs the Pango library; it is imported only when a
PDF is made, so print pages work on a server without it, and a PDF then fails with
``PdfUnavailable`` saying how to fix it."""

from __future__ import annotations

import importlib
import mimetypes
import posixpath
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage

# Relative URLs in a paper copy resolve against this made-up origin (".invalid" can never
# resolve), and the URL fetcher serves only static files below it.
PAPER_BASE_URL = "https://paper.joinedup.invalid/"
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"


class PdfUnavailable(Exception):
    """WeasyPrint, or the Pango library it needs, cannot be loaded on this server."""


def load_weasyprint() -> Any:
    """WeasyPrint, imported on first use. Without Pango its import fails with OSError
    ("cannot load library ..."): that becomes PdfUnavailable, with how to fix it."""
    try:
        return importlib.import_module("weasyprint")
    except (OSError, ImportError) as problem:
        raise PdfUnavailable(
            "WeasyPrint cannot be loaded on this server: install Pango "
            f"(apt-get install {PANGO_PACKAGES}) and restart Joined Up. ({problem})"
        ) from problem


def static_file(url: str) -> tuple[bytes, str]:
    """The bytes and media type of one of the app's own static files named by ``url`` (as
    resolved against PAPER_BASE_URL). Anything else is refused with ValueError, so a
    paper copy never reaches the network or the rest of the file system."""
    prefix = urljoin(PAPER_BASE_URL, settings.STATIC_URL)
    if not url.startswith(prefix):
        raise ValueError(f"Paper copies load only the app's own static files, not {url}")
    name = unquote(urlsplit(url[len(prefix) :]).path)
    clean = posixpath.normpath(name)
    if not name or clean.startswith(("..", "/")) or clean != name:
        raise ValueError(f"Not a static file: {url}")
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if staticfiles_storage.exists(name):  # collected (production: hashed names)
        with staticfiles_storage.open(name) as collected:
            return collected.read(), media_type
    found = finders.find(name)  # development: the apps' static folders
    if not found or isinstance(found, list):
        raise ValueError(f"No such static file: {name}")
    with open(found, "rb") as source:
        return source.read(), media_type


def _url_fetcher(weasyprint: Any) -> Any:
    urls = weasyprint.urls

    class StaticFilesOnly(urls.URLFetcher):  # type: ignore[name-defined]
        def fetch(self, url: str, headers: Any = None) -> Any:
            body, media_type = static_file(url)
            return urls.URLFetcherResponse(url, body, {"Content-Type": media_type})

    return StaticFilesOnly(fail_on_errors=False)


def render_pdf_document(html: str) -> Any:
    """Lay the HTML out as pages (a weasyprint Document: its pages can be inspected)."""
    weasyprint = load_weasyprint()
    return weasyprint.HTML(
        string=html, base_url=PAPER_BASE_URL, url_fetcher=_url_fetcher(weasyprint)
    ).render()


def pdf_bytes(html: str) -> bytes:
    """The HTML as a tagged PDF (headings, tables and reading order for screen readers).
    Raises PdfUnavailable when WeasyPrint cannot be loaded."""
    return bytes(render_pdf_document(html).write_pdf(pdf_tags=True))
