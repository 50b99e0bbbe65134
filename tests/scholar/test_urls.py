from __future__ import annotations

import pytest

from scholarcrawl.scholar.urls import extract_scholar_id, is_valid_scholar_id, profile_url


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
