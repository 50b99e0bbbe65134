"""Decoding of fetched pages that never fails on a bad charset label.

Scrapy decodes a response with the charset its ``Content-Type`` header or its ``<meta>``
declares, looked up with :func:`codecs.lookup`. That finds Python's non-text codecs too: a page
declaring ``charset=rot13``, ``base64``, ``zlib``, ``idna`` or ``undefined`` makes
``response.text`` (and so ``response.selector``) raise ``LookupError`` or ``UnicodeError``
inside the spider's callback, where nothing records the page's outcome. Browsers ignore a label
they do not know; so do these helpers, and decode such a page as UTF-8 (a byte-order mark
still wins), invalid bytes replaced.
"""

from __future__ import annotations

from parsel import Selector
from scrapy.http import TextResponse

__all__ = ["response_selector", "response_text"]


def _readable(response: TextResponse) -> TextResponse:
    """``response`` when its declared charset decodes it, else the same answer as UTF-8."""
    try:
        response.text  # noqa: B018 - decoded once here, cached by Scrapy
    except (LookupError, UnicodeError):
        return response.replace(encoding="utf-8")
    return response


def response_text(response: TextResponse) -> str:
    """``response.text``, or the body as UTF-8 when its declared charset is unusable."""
    return _readable(response).text


def response_selector(response: TextResponse) -> Selector:
    """``response.selector``, or the selector of the body as UTF-8 when its declared charset is
    unusable."""
    return _readable(response).selector
