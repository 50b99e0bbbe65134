from __future__ import annotations

import pytest
from protego import Protego

from scholarcrawl.replay.robots import ROBOTS_TXT
from scholarcrawl.scholar.urls import (
    colleagues_url,
    detail_url,
    extract_scholar_id,
    is_valid_scholar_id,
    profile_url,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("RxmmtT8AAAAJ", "RxmmtT8AAAAJ"),
        ("  gM5i-iYAAAAJ ", "gM5i-iYAAAAJ"),
        ("https://scholar.google.com/citations?user=Pm3O_58AAAAJ&hl=en", "Pm3O_58AAAAJ"),
        (
            "https://scholar.google.co.in/citations?hl=en&user=amIMrIEAAAAJ&view_op=x",
            "amIMrIEAAAAJ",
        ),
        ("scholar.google.com/citations?user=P1RwlvoAAAAJ", "P1RwlvoAAAAJ"),
        ("not an id", "not an id"),
    ],
)
def test_extract_scholar_id(value: str, expected: str) -> None:
    assert extract_scholar_id(value) == expected


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("RxmmtT8AAAAJ", True),
        ("gM5i-iYAAAAJ", True),
        ("Pm3O_58AAAAJ", True),
        ("RxmmtT8AAAA", False),  # 11 characters
        ("RxmmtT8AAAAJJ", False),  # 13 characters
        ("RxmmtT8AAA;J", False),
        ("Rxmmt T8AAAJ", False),
        ("'; DROP TABLE", False),
        ("", False),
    ],
)
def test_is_valid_scholar_id(value: str, valid: bool) -> None:
    assert is_valid_scholar_id(value) is valid


def test_profile_url_puts_user_first_and_cstart_last() -> None:
    assert (
        profile_url("https://scholar.google.com/", "RxmmtT8AAAAJ")
        == "https://scholar.google.com/citations?user=RxmmtT8AAAAJ&hl=en&pagesize=100"
    )
    assert (
        profile_url("http://127.0.0.1:8000", "RxmmtT8AAAAJ", cstart=200, sortby="pubdate")
        == "http://127.0.0.1:8000/citations?user=RxmmtT8AAAAJ&hl=en&pagesize=100"
        "&sortby=pubdate&cstart=200"
    )


def test_detail_url_puts_user_first_and_keeps_the_stored_key_whole() -> None:
    # scholar_pub_key is stored as the whole citation_for_view value, "USER:KEY"
    assert (
        detail_url("https://scholar.google.com/", "SbUmSEAAAAAJ", "SbUmSEAAAAAJ:HoB7MX3m0LUC")
        == "https://scholar.google.com/citations?user=SbUmSEAAAAAJ&hl=en&view_op=view_citation"
        "&citation_for_view=SbUmSEAAAAAJ:HoB7MX3m0LUC"
    )


def test_detail_url_takes_a_bare_key_as_the_profiles_and_a_language() -> None:
    assert (
        detail_url("http://127.0.0.1:8000", "Fx7aQ2kAAAAJ", "u-x6o8ySG0sC", language="es")
        == "http://127.0.0.1:8000/citations?user=Fx7aQ2kAAAAJ&hl=es&view_op=view_citation"
        "&citation_for_view=Fx7aQ2kAAAAJ:u-x6o8ySG0sC"
    )


@pytest.mark.parametrize(
    ("scholar_id", "pub_key"),
    [
        ("SbUmSEAAAAA", "SbUmSEAAAAAJ:HoB7MX3m0LUC"),  # 11-character id
        ("SbUmSEAAAAAJ", ""),
        ("SbUmSEAAAAAJ", "SbUmSEAAAAAJ:"),
        ("SbUmSEAAAAAJ", "SbUmSEAAAAAJ:HoB7&cstart=100"),  # would smuggle a parameter in
        ("SbUmSEAAAAAJ", "x@example.org"),
        ("SbUmSEAAAAAJ", "SbUmSEAAAA:HoB7MX3m0LUC"),  # owner part is not an id
    ],
)
def test_detail_url_refuses_malformed_ids_and_keys(scholar_id: str, pub_key: str) -> None:
    with pytest.raises(ValueError, match="is not a Scholar"):
        detail_url("https://scholar.google.com", scholar_id, pub_key)


def test_colleagues_url_puts_user_first() -> None:
    assert (
        colleagues_url("https://scholar.google.com/", "gM5i-iYAAAAJ")
        == "https://scholar.google.com/citations?user=gM5i-iYAAAAJ&hl=en&view_op=list_colleagues"
    )
    assert colleagues_url("http://127.0.0.1:9", "gM5i-iYAAAAJ", language="zh-CN").endswith(
        "?user=gM5i-iYAAAAJ&hl=zh-CN&view_op=list_colleagues"
    )
    with pytest.raises(ValueError, match="is not a Scholar id"):
        colleagues_url("https://scholar.google.com", "gM5i-iYAAAA;")


def test_detail_and_colleagues_urls_are_allowed_by_robots_txt() -> None:
    robots = Protego.parse(ROBOTS_TXT)
    base = "https://scholar.google.com"
    urls = [
        detail_url(base, "SbUmSEAAAAAJ", "SbUmSEAAAAAJ:HoB7MX3m0LUC"),
        detail_url(base, "gM5i-iYAAAAJ", "gM5i-iYAAAAJ:_FxGoFyzp5QC", language="zh-CN"),
        colleagues_url(base, "SbUmSEAAAAAJ"),
        colleagues_url(base, "gM5i-iYAAAAJ", language="zh-CN"),
    ]
    for url in urls:
        assert robots.can_fetch(url, "scholarcrawl"), url
    # The same pages with another parameter first fall under "Disallow: /citations?": the
    # order of the parameters is what makes them fetchable.
    for url in urls:
        path, query = url.split("?", 1)
        first, rest = query.split("&", 1)
        assert not robots.can_fetch(f"{path}?{rest}&{first}", "scholarcrawl"), url
