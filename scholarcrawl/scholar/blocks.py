"""Classify a Scholar response before parsing it (pure).

Every response is ``ok`` or one machine-readable reason. A block must never be read as an
empty profile, and a redirect to /sorry/ or to a sign-in page is classified, never followed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from scrapy.http import Response

OK = "ok"
BLOCKED_HTTP_429 = "blocked_http_429_rate_limited"
BLOCKED_CAPTCHA = "blocked_captcha"
BLOCKED_SORRY_REDIRECT = "blocked_sorry_redirect"
BLOCKED_HTTP_403 = "blocked_http_403"
PROFILE_UNAVAILABLE = "profile_unavailable"
SERVER_ERROR = "server_error"
UNEXPECTED_REDIRECT = "unexpected_redirect"
UNEXPECTED_STATUS = "unexpected_status"

BLOCK_REASONS = frozenset(
    {BLOCKED_HTTP_429, BLOCKED_CAPTCHA, BLOCKED_SORRY_REDIRECT, BLOCKED_HTTP_403}
)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

_CAPTCHA_MARKERS = (
    b'id="captcha-form"',
    b'id="recaptcha"',
    b"gs_captcha_ccl",
    b"unusual traffic from your computer network",
)
# Google's sign-in page, served after redirects for a missing or private id.
_SIGN_IN_MARKERS = (b"accounts.google.com/v3/signin", b"accounts.google.com/ServiceLogin")
# Profile markup of every generation (2014 cit-table, gsc_* since late 2014).
# A real Scholar page of each kind we read: a profile (today's and the legacy markup), a
# publication's detail page, a full co-author list.
_PROFILE_MARKERS = (b"gsc_prf_in", b"cit-name-display", b"gsc_oci_title", b"gsc_codb_content")


_SIGN_IN_PATH = re.compile(r"/(?:ServiceLogin|Login|signin)\b", re.IGNORECASE)


def _is_sign_in_location(location: str) -> bool:
    try:
        parts = urlsplit(location)
    except ValueError:  # an unbalanced IPv6 bracket: no sign-in page, just a broken redirect
        return False
    return parts.netloc.startswith("accounts.") or bool(_SIGN_IN_PATH.search(parts.path))


def classify(status: int, headers: Mapping[str, str], body: bytes) -> str:
    """``ok`` or the reason this response is not a profile page.

    ``headers`` maps lower-case names to values (only ``location`` is read).
    ``layout_unrecognised`` is decided by the parser, which knows what a profile looks like.
    """
    if status in REDIRECT_STATUSES:
        location = headers.get("location", "")
        if "/sorry/" in location:
            return BLOCKED_SORRY_REDIRECT
        if _is_sign_in_location(location):
            return PROFILE_UNAVAILABLE
        return UNEXPECTED_REDIRECT
    head = body[:200_000]
    # A CAPTCHA is a CAPTCHA whatever its status (Google serves /sorry/ with 429): retrying it
    # as a rate limit would only prolong the block.
    if any(marker in head for marker in _CAPTCHA_MARKERS):
        return BLOCKED_CAPTCHA
    if status == 429:
        return BLOCKED_HTTP_429
    if status == 403:
        return BLOCKED_HTTP_403
    if status >= 500:
        return SERVER_ERROR
    if status != 200:
        return UNEXPECTED_STATUS
    if any(marker in head for marker in _SIGN_IN_MARKERS) and not any(
        marker in body for marker in _PROFILE_MARKERS
    ):
        return PROFILE_UNAVAILABLE
    return OK


def classify_response(response: Response) -> str:
    """:func:`classify` for a Scrapy response (its ``Location`` header decoded as Latin-1)."""
    location = (response.headers.get("Location") or b"").decode("latin-1")
    return classify(response.status, {"location": location}, response.body)
