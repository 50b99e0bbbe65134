"""Title normalisation and publication fingerprints (pure functions).

A fingerprint identifies a paper across profiles and runs when Scholar gives no
shared key (``citation_for_view`` is per profile; cluster ids are missing on rows
without citations). It is built from the normalised title, the year and the
first author's surname.

Normalisation keeps the letters and digits of every script: NFKC, case-folded,
Latin/Greek/Cyrillic diacritics removed, punctuation and symbols turned into
spaces, spaces collapsed. Combining marks are kept when they belong to a script
whose marks are letters in their own right (Devanagari vowel signs, Arabic
harakat, ...), so two different non-Latin titles never collapse to one key.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Scripts whose combining marks are accents on a base letter (é -> e), so dropping
# them is what a reader expects. For any other script a mark is part of the letter.
_ACCENTED_SCRIPT_PREFIXES = ("LATIN", "GREEK", "CYRILLIC")
# How Scholar text is split, shared by every reader of author lines (matching, export).
SPACES = re.compile(r"\s+")
AUTHOR_SPLIT = re.compile(r"\s*[,;]\s*")  # between the names of an author line
ELLIPSES = ("...", "…")  # the mark of an author line Scholar cut short


def _base_is_accented_script(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith(_ACCENTED_SCRIPT_PREFIXES)


_ASCII_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_title(title: str) -> str:
    """Return the comparison key of a title (may be empty only for a title of pure punctuation)."""
    if title.isascii():
        # the same key as below, without the per-character Unicode work: an ASCII letter has
        # no accent to drop, and everything but letters and digits is a space
        return _ASCII_NON_ALNUM.sub(" ", title.lower()).strip()
    return _normalise_unicode(title)


def _normalise_unicode(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    out: list[str] = []
    previous_base = ""
    for char in decomposed:
        category = unicodedata.category(char)
        if category.startswith("M"):
            if previous_base and _base_is_accented_script(previous_base):
                continue  # an accent on a Latin/Greek/Cyrillic letter
            out.append(char)
        elif category.startswith(("L", "N")):
            previous_base = char
            out.append(char)
        else:
            previous_base = ""
            out.append(" ")
    recomposed = unicodedata.normalize("NFC", "".join(out))
    return SPACES.sub(" ", recomposed).strip()


def first_author_surname(authors: str | None) -> str:
    """The normalised surname of the first author of a Scholar authors line.

    Scholar writes authors as initials then surname ("JB Ernst, W Cai, ..."); the
    surname is the last word of the first name in the list.
    """
    if not authors:
        return ""
    first = AUTHOR_SPLIT.split(authors.strip(), maxsplit=1)[0]
    for mark in ELLIPSES:
        first = first.replace(mark, " ")
    words = normalise_title(first).split()
    return words[-1] if words else ""


def publication_fingerprint(title: str, year: int | None, authors: str | None) -> str:
    """A stable 32-hex-digit key for (normalised title, year, first-author surname).

    An empty normalised title (a title made only of punctuation) falls back to the
    raw title so that it never shares a key with another such title.
    """
    key_title = normalise_title(title) or f"raw:{title.strip()}"
    key = f"{key_title}\x1f{year if year is not None else ''}\x1f{first_author_surname(authors)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
