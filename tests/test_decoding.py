"""Decoding fetched pages whose declared charset names no text encoding.

Found by fuzzing (tests/fuzz): ``charset=rot13`` (or ``base64``, ``zlib``, ``idna``,
``undefined``...) in a ``Content-Type`` header or a ``<meta>`` made Scrapy's ``response.text``
raise ``LookupError`` / ``UnicodeError`` inside the spiders' callbacks, where nothing recorded
the page's outcome. Here: the helpers, and the PDF resolver reading such a landing page.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings

from scholarcrawl.apis.client import ApiAnswer
from scholarcrawl.decoding import response_selector, response_text
from scholarcrawl.pdfresolve import PdfConfig, PdfResolver
from scholarcrawl.store.pdfqueue import DONE, PdfOutcome, PdfTask

URL = "https://journal.example.org/article/1"
PAGE = "<html><head>{meta}</head><body><p>Gödel</p><a href='/a.pdf'>PDF</a></body></html>"
UNUSABLE = [
    "rot13",
    "base64",
    "zlib",
    "hex",
    "uu",
    "bz2",
    "quopri",
    "idna",
    "undefined",
    "punycode",
]


def page(meta: str = "", header: str | None = None, codec: str = "utf-8") -> HtmlResponse:
    headers = {"Content-Type": f"text/html; charset={header}"} if header else {}
    return HtmlResponse(url=URL, body=PAGE.format(meta=meta).encode(codec), headers=headers)


@pytest.mark.parametrize("charset", UNUSABLE)
@pytest.mark.parametrize("where", ["header", "meta"])
def test_an_unusable_declared_charset_is_ignored_for_utf8(charset: str, where: str) -> None:
    response = (
        page(header=charset) if where == "header" else page(meta=f'<meta charset="{charset}">')
    )
    with pytest.raises((LookupError, UnicodeError)):
        response.text  # noqa: B018 - Scrapy's own decoding, what the spiders used

    assert "<p>Gödel</p>" in response_text(response)
    assert response_selector(response).css("p::text").get() == "Gödel"
    assert response_selector(response).css("a::attr(href)").get() == "/a.pdf"


def test_a_usable_declared_charset_is_still_honoured() -> None:
    response = page(meta='<meta charset="iso-8859-1">', codec="latin-1")
    assert response_selector(response).css("p::text").get() == "Gödel"
    assert response_text(response) is response.text


def test_a_byte_order_mark_wins_over_an_unusable_header() -> None:
    body = "\ufeff".encode("utf-16-le") + PAGE.format(meta="").encode("utf-16-le")
    response = HtmlResponse(
        url=URL, body=body, headers={"Content-Type": "text/html; charset=rot13"}
    )
    assert response_selector(response).css("p::text").get() == "Gödel"


class _Unpaywall:
    """The Unpaywall answer for any DOI: one open-access landing page, no PDF URL."""

    async def fetch(self, service: Any, url: str, parse: Any) -> Any:
        body = (
            b'{"doi": "10.5555/x", "is_oa": true, "oa_status": "green", "best_oa_location":'
            b' {"url_for_landing_page": "' + URL.encode() + b'"}}'
        )
        return parse(ApiAnswer(200, body, "application/json", False, url))


def test_the_pdf_resolver_reads_a_landing_page_with_an_unusable_charset() -> None:
    async def fetch(request: Request) -> HtmlResponse:
        assert request.url == URL
        return page(header="rot13")

    settings = Settings({"UNPAYWALL_EMAIL": "oa@example.org", "PDF_BROWSER_ENABLED": False})
    resolver = PdfResolver(PdfConfig.from_settings(settings), _Unpaywall(), fetch)  # type: ignore[arg-type]

    outcome = asyncio.run(resolver.resolve(PdfTask(1, 1, "10.5555/x", None, 0)))

    assert isinstance(outcome, PdfOutcome)
    assert (outcome.status, outcome.pdf_url, outcome.source) == (
        DONE,
        "https://journal.example.org/a.pdf",
        "landing",
    )
