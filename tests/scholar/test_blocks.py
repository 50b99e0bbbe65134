from __future__ import annotations

from pathlib import Path

import pytest

from scholarcrawl.scholar import blocks
from tests.conftest import SHARED

BLOCKED = SHARED / "scholar-pages" / "blocked"


@pytest.mark.parametrize(
    ("status", "location", "reason"),
    [
        (302, "https://www.google.com/sorry/index?continue=x", blocks.BLOCKED_SORRY_REDIRECT),
        (302, "https://accounts.google.com/ServiceLogin?continue=x", blocks.PROFILE_UNAVAILABLE),
        (302, "http://127.0.0.1:9/accounts/ServiceLogin?x", blocks.PROFILE_UNAVAILABLE),
        (302, "/accounts/Login?continue=x", blocks.PROFILE_UNAVAILABLE),
        (301, "https://scholar.google.com/citations?user=x", blocks.UNEXPECTED_REDIRECT),
        # an unbalanced IPv6 bracket made urlsplit raise ValueError out of the classifier
        (302, "http://[::1", blocks.UNEXPECTED_REDIRECT),
        (429, "", blocks.BLOCKED_HTTP_429),
        (403, "", blocks.BLOCKED_HTTP_403),
        (503, "", blocks.SERVER_ERROR),
        (404, "", blocks.UNEXPECTED_STATUS),
    ],
)
def test_status_and_redirects(status: int, location: str, reason: str) -> None:
    assert blocks.classify(status, {"location": location}, b"") == reason


def test_a_profile_page_is_ok() -> None:
    body = b'<div id="gsc_prf_in">Ada</div><table id="gsc_a_t"></table>'
    assert blocks.classify(200, {}, body) == blocks.OK


@pytest.mark.parametrize(
    "marker",
    [
        b'<form id="captcha-form" action="index">',
        b'<div id="recaptcha" class="g-recaptcha">',
        b"Our systems have detected unusual traffic from your computer network.",
        b'<div id="gs_captcha_ccl"></div>',
    ],
)
def test_captcha_markers(marker: bytes) -> None:
    for status in (200, 429):
        assert blocks.classify(status, {}, b"<html><body>" + marker + b"</body></html>") == (
            blocks.BLOCKED_CAPTCHA
        )


def _shared(name: str) -> Path:
    path = BLOCKED / name
    if not path.exists():
        pytest.skip(f"../shared is not here ({path})")
    return path


def test_real_sorry_page_is_a_captcha() -> None:
    body = _shared("sorry_recaptcha_search_authors_2022.html").read_bytes()
    assert blocks.classify(200, {}, body) == blocks.BLOCKED_CAPTCHA
    # served with 429 as Google does, it is still a CAPTCHA: retrying it would prolong the block
    assert blocks.classify(429, {}, body) == blocks.BLOCKED_CAPTCHA
    assert blocks.classify(403, {}, body) == blocks.BLOCKED_CAPTCHA


def test_real_sign_in_page_is_an_unavailable_profile() -> None:
    body = _shared("invalid_user_AAAAAAAAAAAA_redirect_to_google_signin_2026.html").read_bytes()
    assert blocks.classify(200, {}, body) == blocks.PROFILE_UNAVAILABLE


def test_real_302_to_login_is_an_unavailable_profile() -> None:
    headers_text = _shared("citations_no_user_302_redirect_to_login_2020.headers.txt").read_text()
    location = next(
        line.split(":", 1)[1].strip()
        for line in headers_text.splitlines()
        if line.lower().startswith("location:")
    )
    assert blocks.classify(302, {"location": location}, b"") == blocks.PROFILE_UNAVAILABLE
