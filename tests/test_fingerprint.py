from __future__ import annotations

import random

import pytest

from scholarcrawl.fingerprint import (
    first_author_surname,
    normalise_title,
    publication_fingerprint,
)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Attention Is All You Need!", "attention is all you need"),
        ("Résumé  of   Ünïcode — tests", "resume of unicode tests"),
        ("ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ", "fullwidth text"),  # NFKC
        ("Straße", "strasse"),  # case-folded
        ("\u200eBidi-marked title\u200f", "bidi marked title"),
        ("深度学习的研究", "深度学习的研究"),
        ("التعلم العميق", "التعلم العميق"),
        ("Исследование систем", "исследование систем"),
    ],
)
def test_normalise_title(title: str, expected: str) -> None:
    assert normalise_title(title) == expected


def test_different_non_latin_titles_never_share_a_key() -> None:
    pairs = [
        ("深度学习的研究", "机器学习的研究"),
        ("التعلم العميق", "التعلم الآلي"),
        ("हिन्दी किताब", "हिंदी कताब"),  # Devanagari marks are letters, not accents
    ]
    for first, second in pairs:
        assert normalise_title(first)
        assert normalise_title(first) != normalise_title(second)
        assert publication_fingerprint(first, 2020, "张 三") != publication_fingerprint(
            second, 2020, "张 三"
        )


def test_first_author_surname() -> None:
    assert first_author_surname("JB Ernst, W Cai, Z Wang") == "ernst"
    assert first_author_surname("W Cai…") == "cai"
    assert first_author_surname("D Schreij, C Owens, J Theeuwes") == "schreij"
    assert first_author_surname(None) == ""
    assert first_author_surname("") == ""


def test_fingerprint_ignores_presentation_but_not_year_or_author() -> None:
    base = publication_fingerprint("Deep Learning: A Review", 2015, "Y LeCun, Y Bengio")
    assert base == publication_fingerprint("deep learning a review", 2015, "Y. LeCun, G Hinton")
    assert base != publication_fingerprint("Deep Learning: A Review", 2016, "Y LeCun")
    assert base != publication_fingerprint("Deep Learning: A Review", 2015, "Y Bengio")
    assert base != publication_fingerprint("Deep Learning: A Review", None, "Y LeCun")
    assert len(base) == 32


def test_titles_of_only_punctuation_keep_distinct_keys() -> None:
    assert publication_fingerprint("???", 2020, "A B") != publication_fingerprint(
        "!!!", 2020, "A B"
    )


def test_ascii_titles_take_the_short_way_to_the_same_key() -> None:
    """Every ASCII character, alone and between letters: the short way equals the Unicode way."""
    from scholarcrawl.fingerprint import _normalise_unicode

    rng = random.Random(5)
    characters = [chr(code) for code in range(128)]
    samples = [f"Ab{char}cD 1{char}2" for char in characters]
    samples += [
        "".join(rng.choice(characters) for _ in range(rng.randrange(40))) for _ in range(500)
    ]
    for title in samples:
        assert normalise_title(title) == _normalise_unicode(title), repr(title)
