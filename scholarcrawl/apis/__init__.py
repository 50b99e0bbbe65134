"""Pure request builders and response parsers for the scholarly APIs (arXiv, Crossref, Unpaywall).

Nothing here touches the network or Scrapy: builders return URL strings for ordinary Scrapy
requests, parsers take the body bytes and the HTTP status and return frozen dataclasses, or
raise :class:`ApiResponseError` with a short machine-readable ``reason``:

``http_<status>``
    an HTTP status the API does not use for answers (``http_404``, ``http_500``, ...), or a
    400 whose body is not the API's own error document.
``api_error``
    the API answered with its own error document (arXiv's error feed, Crossref's
    ``"status": "failed"`` / ``validation-failure``).
``malformed_xml`` / ``malformed_json``
    the body is not well-formed XML / JSON.
``unexpected_shape``
    well-formed, but not the document expected (an HTML error page, a JSON envelope with the
    wrong types).
``forbidden_xml``
    an XML document carrying a DOCTYPE or entity declarations, refused unparsed.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["ApiResponseError", "body_excerpt", "json_or_none", "load_json"]

# Error details quote at most this much of a body: enough to recognise a proxy's or a
# load balancer's error page in a log line, never a whole document.
EXCERPT_CHARS = 200


class ApiResponseError(ValueError):
    """An API answer that cannot be used: reason is a short machine code, detail a human message."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[ApiResponseError], tuple[str, str]]:
        # The default pickling replays args=(str(self),) into __init__, which needs two.
        return (type(self), (self.reason, self.detail))


def body_excerpt(body: bytes, limit: int = EXCERPT_CHARS) -> str:
    """The start of a response body as one line of text, for error details and logs."""
    text = " ".join(body[: limit * 4].decode("utf-8", errors="replace").split())
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def load_json(body: bytes) -> Any:
    """The JSON document of an answer; ``malformed_json`` when the body is not one.

    JSON's grammar allows a lone surrogate escape (``"\\ud800"``), which no UTF-8 encoder, and
    so no database, takes: each becomes U+FFFD, as an invalid byte does in a decoded page, so
    that one broken string loses neither the answer nor its other records.
    """
    try:
        document = json.loads(body)
        text = json.dumps(document, ensure_ascii=False)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise ApiResponseError("malformed_json", f"{exc}: {body_excerpt(body)}") from exc
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # through UTF-16, where a lone surrogate is one code unit: one U+FFFD for each
        return json.loads(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
    return document


def json_or_none(body: bytes) -> Any:
    """The JSON document of an error answer, or None when its body is not JSON."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
