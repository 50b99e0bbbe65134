"""Scholarly identifiers: extraction from Scholar text and normalisation (pure functions).

This is the one place identifiers are normalised (STYLE rule 5):

* **DOI**: lower-cased, without resolver prefix (``doi:``, ``https://doi.org/``,
  ``http://dx.doi.org/``), URL-decoded, without the sentence punctuation or the unbalanced
  closing bracket that prose puts after it: ``10.1038/srep16696``. The prefix must be
  ``10.`` and 4 to 9 digits (``10.1000.5/x`` sub-prefixes are not accepted).
* **arXiv**: without version. New scheme ``YYMM.NNNN`` (April 2007 to December 2014) and
  ``YYMM.NNNNN`` (2015 on), e.g. ``2101.00001``; old scheme ``archive/YYMMNNN`` (August
  1991 to March 2007), e.g. ``hep-th/9901001``. The old scheme's subject class
  (``math.AG/0309136``) is *not* part of the identifier -- arXiv lists that paper as
  ``math/0309136`` -- so it is dropped. Month, period and digit count are checked against
  the scheme; archive names against arXiv's list, historic archives included.
* **PMID**: 1 to 8 digits, no leading zeros. **PMCID**: ``PMC`` then digits, upper-case.

Extraction favours precision over recall: a wrong identifier is worse than none.

* Free text (the fields of a Scholar row) gives a DOI wherever ``10.NNNN/suffix`` stands,
  but an arXiv id only after an explicit marker (``arXiv:``, ``arXiv preprint``,
  ``CoRR abs/``, an ``arxiv.org`` URL) or, for the old scheme, an archive name; a PMID
  only after ``PMID``; a PMCID as a ``PMC`` word of 5 to 9 digits (``PMC`` then fewer
  digits is too often a product name) or after ``PMCID``.
* Links (URLs) give only what their URL form says: ``doi.org`` URLs, publisher
  ``/doi/[abs|full|pdf|...]/10.x/y`` paths (Atypon, used by ACM, Wiley, T&F, SAGE, ACS,
  Science, ...), ``arxiv.org/abs|pdf``, PubMed and PMC article URLs. Other publisher URLs
  that merely contain a DOI-like string (bioRxiv's ``.../10.1101/2020.01.01.123v1.full``)
  are ignored.
* A DOI in prose stops at whitespace, quotes, ``< >`` (except a SICI ``<...::...>`` group)
  and any non-ASCII character; one followed directly by a non-ASCII letter is dropped,
  as it may be a Unicode DOI cut short.
* Anything followed by an ellipsis (``…`` or ``..``, with or without a space before it) is
  dropped: Scholar cuts long venue text that way, so the identifier may be truncated.
* A text matched by one identifier is not searched again for another (the ``PMC123``
  inside a DOI suffix is not a PMCID), except that arXiv's own DOI
  (``10.48550/arXiv.2101.00001``) yields both the DOI and the arXiv id.

Every regular expression is free of nested or adjacent unbounded quantifiers that could
backtrack, so extraction is linear in the input; no function raises on any input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

IdentifierKind = Literal["doi", "arxiv", "pmid", "pmcid"]

__all__ = [
    "FoundIdentifier",
    "IdentifierKind",
    "arxiv_version",
    "doi_is_arxiv",
    "extract_identifiers",
    "normalise_arxiv",
    "normalise_doi",
    "normalise_pmcid",
    "normalise_pmid",
]


@dataclass(frozen=True, slots=True)
class FoundIdentifier:
    """One identifier found in a Scholar row or link, with where and how it was found."""

    kind: IdentifierKind
    value: str  # normalised
    field: str  # the key of the ``fields`` mapping, or "link"
    text: str  # the exact matched text, for evidence


# --------------------------------------------------------------------------- limits

# Longer inputs are not identifiers (real DOIs stay well under 300 characters); the
# limits also keep a stray 200 kB token from being copied around.
_MAX_RAW_LENGTH = 2048
_MAX_DOI_LENGTH = 300
_MAX_ARXIV_RAW_LENGTH = 300

# --------------------------------------------------------------------------- DOI

_ARXIV_DOI_PREFIX = "10.48550/arxiv."

# Characters of a DOI in prose: printable ASCII except quotes and < > (HTML-ish context).
_DOI_CHAR = r"[^\s\"'<>`\x00-\x1f\x7f-\U0010ffff]"
# A SICI DOI (10.1002/(SICI)1097-4636(199812)43:4<404::AID-JBM8>3.0.CO;2-F) keeps its
# <...::...> group; bounded so that a lone "<" costs constant work.
_SICI_GROUP = r"<(?=[^\s\"'<>]{0,64}::)[^\s\"'<>]{1,64}>"
_DOI_IN_TEXT = re.compile(rf"(?<![\w.-])10\.\d{{4,9}}/(?:{_DOI_CHAR}|{_SICI_GROUP})+")
# Case-insensitive only in the host: IGNORECASE would let the non-ASCII range of
# _DOI_CHAR exclude "i", "k" and "s" too (they case-fold to U+0130, U+212A, U+017F).
_DOI_URL = re.compile(rf"(?<![\w.-])(?i:(?:https?://)?(?:dx\.|www\.)?doi\.org/){_DOI_CHAR}+")
# Atypon publisher paths: the rest of the path is the DOI, up to the query or fragment.
_DOI_PUBLISHER_PATH = re.compile(
    r"/doi/(?:(?:abs|full|pdf|epdf|pdfdirect|epub|reader|book|fullHtml)/)?"
    r"(?P<doi>10\.\d{4,9}/[^\s\"'<>`?#\x00-\x1f\x7f-\U0010ffff]+)"
)
_DOI_PREFIX = re.compile(
    r"(?:(?P<url>(?:https?://)?(?:dx\.|www\.)?doi\.org/)"
    r"|info:doi/|urn:doi:|doi\s{0,3}[:/]?\s{0,3})",
    re.IGNORECASE,
)
# A whole DOI once prefixes are gone: any printable non-space character in the suffix
# (Crossref holds a few Unicode DOIs), but no control, format or ellipsis character.
_DOI_WHOLE = re.compile(
    r"10\.\d{4,9}/[^\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff…]+"
)
_LEADING_WRAPPERS = "([{<\"'“‘«"
_TRAILING_QUOTES = "\"'”’»"
_TRAILING_PUNCTUATION = frozenset(".,;:!?")
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}


def _trim_end(text: str, start: int, end: int) -> int:
    """The end of ``text[start:end]`` without trailing punctuation and unbalanced closers."""
    surplus: dict[str, int] | None = None  # closers minus openers, counted once
    while end > start:
        char = text[end - 1]
        if char in _TRAILING_PUNCTUATION:
            end -= 1
            continue
        if char not in _CLOSERS:
            break
        if surplus is None:
            segment = text[start:end]
            surplus = {c: segment.count(c) - segment.count(o) for c, o in _CLOSERS.items()}
        if surplus[char] <= 0:
            break
        surplus[char] -= 1
        end -= 1
    return end


def _valid_doi(candidate: str) -> str | None:
    if len(candidate) > _MAX_DOI_LENGTH or not _DOI_WHOLE.fullmatch(candidate):
        return None
    return candidate.lower()


def normalise_doi(raw: str) -> str | None:
    """The canonical form of a DOI (lower-case, no resolver prefix), or None if not a DOI.

    Accepts a bare DOI, ``doi:``/``DOI:`` forms, ``info:doi/``, ``https://doi.org/`` and
    ``http://dx.doi.org/`` URLs (query and fragment dropped) and percent-encoded forms.
    Sentence punctuation and unbalanced closing brackets at the end are removed. A DOI
    containing or ending in an ellipsis is treated as truncated and refused.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_RAW_LENGTH:
        return None
    text = text.lstrip(_LEADING_WRAPPERS).rstrip(_TRAILING_QUOTES)
    is_url = False
    for _ in range(2):  # once as given, once more after percent-decoding
        prefix = _DOI_PREFIX.match(text)
        if prefix:
            if prefix.group("url") is not None:
                is_url = True
                text = re.split(r"[?#]", text[prefix.end() :], maxsplit=1)[0]
            else:
                text = text[prefix.end() :]
        if "%" not in text:
            break
        text = unquote(text)
    text = text.strip()
    if "…" in text or text.endswith(".."):
        return None
    if is_url:
        text = text.rstrip("/")
    return _valid_doi(text[: _trim_end(text, 0, len(text))])


def doi_is_arxiv(doi: str) -> str | None:
    """The arXiv id behind arXiv's own DOI (``10.48550/arXiv.2101.00001``), else None."""
    normalised = normalise_doi(doi)
    if normalised is None or not normalised.startswith(_ARXIV_DOI_PREFIX):
        return None
    parsed = _parse_arxiv_core(normalised[len(_ARXIV_DOI_PREFIX) :])
    return parsed[0] if parsed else None


# --------------------------------------------------------------------------- arXiv

_ARXIV_ARCHIVES = frozenset(
    {
        # current
        "astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph",
        "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph", "math", "cs", "q-bio", "q-fin",
        "stat", "eess", "econ",
        # historic, merged into the above
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "atom-ph", "bayes-an", "chao-dyn",
        "chem-ph", "cmp-lg", "comp-gas", "dg-ga", "funct-an", "mtrl-th", "patt-sol",
        "plasm-ph", "q-alg", "solv-int", "supr-con",
    }
)  # fmt: skip
# Longest first, so that "math-ph" is tried before "math".
_ARCHIVE_ALTERNATION = "|".join(
    re.escape(name) for name in sorted(_ARXIV_ARCHIVES, key=lambda n: (-len(n), n))
)
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = rf"(?:{_ARCHIVE_ALTERNATION})(?:\.[A-Za-z]{{2,8}}(?:-[A-Za-z]{{2,4}})?)?/\d{{7}}"
_VERSION = r"(?:v\d{1,4})?"
_ID_END = r"(?![\w/])"

_NEW_CORE = re.compile(r"(\d{2})(\d{2})\.(\d{4,5})(?:v(\d{1,4}))?", re.IGNORECASE)
_OLD_CORE = re.compile(
    r"([a-z]+(?:-[a-z]+)?)(?:\.[a-z]{2,8}(?:-[a-z]{2,4})?)?/(\d{2})(\d{2})(\d{3})(?:v(\d{1,4}))?",
    re.IGNORECASE,
)
_ARXIV_URL = re.compile(
    rf"(?<![\w-])arxiv\.org/(?:abs|pdf|ps|format|html)/(?P<id>(?:{_NEW_ID}|{_OLD_ID}){_VERSION})"
    r"(?:\.pdf)?(?!\w)",
    re.IGNORECASE,
)
# "arXiv:2101.00001", "arXiv preprint arXiv:1706.03762", "arXiv 2101.00001",
# "CoRR, abs/1706.03762", "ArXiv abs/1706.03762", "arXiv:hep-th/9901001".
_ARXIV_MARKED = re.compile(
    r"(?<![A-Za-z0-9])(?:arxiv|corr)(?:\s{1,3}(?:preprint|e-?prints?))?[\s:,.]{0,4}(?:abs/)?"
    rf"(?P<id>(?:{_NEW_ID}|{_OLD_ID}){_VERSION}){_ID_END}",
    re.IGNORECASE,
)
# A bare old-scheme id: the archive name makes it unambiguous.
_ARXIV_BARE_OLD = re.compile(rf"(?<![\w./-])(?P<id>{_OLD_ID}{_VERSION}){_ID_END}")
_ARXIV_URL_PREFIX = re.compile(
    r"(?:https?://)?(?:[\w-]{1,30}\.)?arxiv\.org/(?:abs|pdf|ps|format|html)/", re.IGNORECASE
)
_ARXIV_MARKER_PREFIX = re.compile(r"(?:arxiv|corr)?[\s:,.]*(?:abs/)?", re.IGNORECASE)


def _parse_arxiv_core(core: str) -> tuple[str, int | None] | None:
    """(id, version) of a bare arXiv id with optional version, validated; else None."""
    new = _NEW_CORE.fullmatch(core)
    if new:
        yy, mm, number, version = int(new[1]), int(new[2]), new[3], new[4]
        if not 1 <= mm <= 12 or (yy, mm) < (7, 4):
            return None
        if len(number) != (4 if (yy, mm) < (15, 1) else 5) or not number.strip("0"):
            return None
        canonical = f"{new[1]}{new[2]}.{number}"
    else:
        old = _OLD_CORE.fullmatch(core)
        if not old:
            return None
        archive, yy, mm, number, version = old[1].lower(), int(old[2]), int(old[3]), old[4], old[5]
        year = 1900 + yy if yy >= 91 else 2000 + yy
        if archive not in _ARXIV_ARCHIVES or not 1 <= mm <= 12 or number == "000":
            return None
        if not (1991, 8) <= (year, mm) <= (2007, 3):
            return None
        canonical = f"{archive}/{old[2]}{old[3]}{number}"
    if version is None:
        return canonical, None
    if int(version) < 1:
        return None
    return canonical, int(version)


def _parse_arxiv(raw: str) -> tuple[str, int | None] | None:
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_ARXIV_RAW_LENGTH:
        return None
    if "10.48550/" in text.lower():
        doi = normalise_doi(text)
        if doi is None or not doi.startswith(_ARXIV_DOI_PREFIX):
            return None
        return _parse_arxiv_core(doi[len(_ARXIV_DOI_PREFIX) :])
    url = _ARXIV_URL_PREFIX.match(text)
    if url:
        text = re.split(r"[?#]", text[url.end() :], maxsplit=1)[0].rstrip("/")
        if text.lower().endswith(".pdf"):
            text = text[:-4]
    else:
        marker = _ARXIV_MARKER_PREFIX.match(text)
        if marker:
            text = text[marker.end() :]
    return _parse_arxiv_core(text)


def normalise_arxiv(raw: str) -> str | None:
    """The canonical arXiv id (no version, no subject class), or None if not an arXiv id.

    Accepts ``2101.00001v2``, ``arXiv:2101.00001``, ``CoRR abs/1706.03762``,
    ``https://arxiv.org/abs/...``, ``https://arxiv.org/pdf/....pdf``, arXiv's DOI
    ``10.48550/arXiv.2101.00001`` and old-scheme ids such as ``hep-th/9901001`` or
    ``math.AG/0309136`` (which gives ``math/0309136``).
    """
    parsed = _parse_arxiv(raw)
    return parsed[0] if parsed else None


def arxiv_version(raw: str) -> int | None:
    """The version of an arXiv id (``2101.00001v3`` -> 3); None when absent or not an id."""
    parsed = _parse_arxiv(raw)
    return parsed[1] if parsed else None


# --------------------------------------------------------------------------- PubMed

_PMID_RAW = re.compile(r"(?:pmid[\s:]*)?(\d{1,20})", re.IGNORECASE)
_PMCID_RAW = re.compile(r"(?:pmcid[\s:]*)?pmc(\d{1,20})", re.IGNORECASE)
_PUBMED_URL = re.compile(
    r"(?<![\w-])(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(?P<id>\d{1,8})(?!\d)",
    re.IGNORECASE,
)
_PMC_URL = re.compile(
    r"(?<![\w-])(?:ncbi\.nlm\.nih\.gov/pmc/articles/|pmc\.ncbi\.nlm\.nih\.gov/articles/)"
    r"(?P<id>PMC\d{1,9})(?!\d)",
    re.IGNORECASE,
)
_PMID_MARKED = re.compile(
    r"(?<![A-Za-z0-9])PMID(?:\s{0,3}:)?\s{0,3}(?P<id>\d{1,8})(?![\w])", re.IGNORECASE
)
_PMCID_MARKED = re.compile(
    r"(?<![A-Za-z0-9])(?:PMCID(?:\s{0,3}:)?\s{0,3}(?P<marked>(?:PMC)?\d{1,9})"
    r"|(?P<bare>PMC\d{5,9}))(?![\w])"
)


def _strip_zeros(digits: str, max_digits: int) -> str | None:
    significant = digits.lstrip("0")
    if not significant or len(significant) > max_digits:
        return None
    return significant


def normalise_pmid(raw: str) -> str | None:
    """A PubMed id as 1 to 8 digits without leading zeros, or None.

    Accepts ``12345678``, ``PMID: 12345678`` and PubMed URLs.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_RAW_LENGTH:
        return None
    url = _PUBMED_URL.search(text)
    if url:
        return _strip_zeros(url["id"], 8)
    whole = _PMID_RAW.fullmatch(text)
    return _strip_zeros(whole[1], 8) if whole else None


def normalise_pmcid(raw: str) -> str | None:
    """A PubMed Central id as ``PMC`` and digits (no leading zeros), or None.

    Accepts ``PMC1234567`` in any case, ``PMCID: PMC1234567`` and PMC article URLs.
    A number without the ``PMC`` prefix is refused: it could as well be a PMID.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_RAW_LENGTH:
        return None
    url = _PMC_URL.search(text)
    if url:
        text = url["id"]
    whole = _PMCID_RAW.fullmatch(text)
    digits = _strip_zeros(whole[1], 9) if whole else None
    return f"PMC{digits}" if digits else None


# --------------------------------------------------------------------------- extraction

_Found = tuple[IdentifierKind, str]
# (start, end, identifiers): the span claims the text even when it yields nothing.
_Span = tuple[int, int, list[_Found]]


def _ellipsis_at(text: str, pos: int) -> bool:
    """Whether an ellipsis starts at ``pos``, after at most three spaces."""
    limit = min(len(text), pos + 3)
    while pos < limit and text[pos] in " \t\u00a0\u202f":
        pos += 1
    return text.startswith(("…", ".."), pos)


def _doi_found(doi: str | None) -> list[_Found]:
    if doi is None:
        return []
    found: list[_Found] = [("doi", doi)]
    arxiv = doi_is_arxiv(doi)
    if arxiv is not None:
        found.append(("arxiv", arxiv))
    return found


def _doi_spans(text: str, pattern: re.Pattern[str], group: int | str) -> Iterator[_Span]:
    for match in pattern.finditer(text):
        start, raw_end = match.span(group)
        end = _trim_end(text, start, raw_end)
        following = text[raw_end : raw_end + 1]
        cut = _ellipsis_at(text, end) or _ellipsis_at(text, raw_end)
        if cut or (following.isalnum() and not following.isascii()):
            yield start, raw_end, []
        elif pattern is _DOI_IN_TEXT:
            yield start, end, _doi_found(_valid_doi(text[start:end]))
        else:
            yield start, end, _doi_found(normalise_doi(text[start:end]))


def _id_spans(
    text: str,
    pattern: re.Pattern[str],
    kind: IdentifierKind,
    normalise: Callable[[str], str | None],
    groups: tuple[str, ...] = ("id",),
) -> Iterator[_Span]:
    for match in pattern.finditer(text):
        start, end = match.span()
        raw = next((match[g] for g in groups if match[g] is not None), None)
        value = None if raw is None or _ellipsis_at(text, end) else normalise(raw)
        yield start, end, [] if value is None else [(kind, value)]


def _pmcid_from_marked(raw: str) -> str | None:
    return normalise_pmcid(raw if raw[:3].upper() == "PMC" else f"PMC{raw}")


def _url_passes(text: str) -> list[Iterator[_Span]]:
    return [
        _doi_spans(text, _DOI_URL, 0),
        _doi_spans(text, _DOI_PUBLISHER_PATH, "doi"),
        _id_spans(text, _ARXIV_URL, "arxiv", normalise_arxiv),
        _id_spans(text, _PUBMED_URL, "pmid", normalise_pmid),
        _id_spans(text, _PMC_URL, "pmcid", normalise_pmcid),
    ]


def _text_passes(text: str) -> list[Iterator[_Span]]:
    return [
        _doi_spans(text, _DOI_IN_TEXT, 0),
        _id_spans(text, _ARXIV_MARKED, "arxiv", normalise_arxiv),
        _id_spans(text, _ARXIV_BARE_OLD, "arxiv", normalise_arxiv),
        _id_spans(text, _PMID_MARKED, "pmid", normalise_pmid),
        _id_spans(text, _PMCID_MARKED, "pmcid", _pmcid_from_marked, ("marked", "bare")),
    ]


def _scan(text: str, *, free_text: bool) -> list[tuple[int, IdentifierKind, str, str]]:
    """(start, kind, value, matched text) in ``text``, by position.

    Passes run from the most specific form to the least; a span already claimed by an
    earlier match (even one refused, e.g. as truncated) is not searched again.
    """
    claimed = bytearray(len(text))
    found: list[tuple[int, int, IdentifierKind, str, str]] = []
    passes = _url_passes(text) + (_text_passes(text) if free_text else [])
    for spans in passes:
        for start, end, identifiers in spans:
            if end <= start or claimed.find(1, start, end) != -1:
                continue
            claimed[start:end] = b"\x01" * (end - start)
            for kind, value in identifiers:
                found.append((start, len(found), kind, value, text[start:end]))
    found.sort()
    return [(start, kind, value, matched) for start, _, kind, value, matched in found]


def extract_identifiers(
    fields: Mapping[str, str | None], links: Sequence[str] = ()
) -> list[FoundIdentifier]:
    """Every DOI, arXiv id, PMID and PMCID in a Scholar row's fields and in links.

    ``fields`` maps a field name ("title", "authors", "venue", ...) to its text; ``links``
    are URLs, reported with field "link". Each (kind, value) is returned once, where it is
    first found: fields in mapping order, then links, each text by position.
    """
    texts: list[tuple[str, str, bool]] = []
    if isinstance(fields, Mapping):
        for name, value in fields.items():
            if isinstance(value, str) and value:
                texts.append((str(name), value, True))
    link_list: Sequence[object] = [links] if isinstance(links, str) else links or ()
    for link in link_list:
        if isinstance(link, str) and link:
            texts.append(("link", link, False))

    seen: set[tuple[str, str]] = set()
    result: list[FoundIdentifier] = []
    for field, text, free_text in texts:
        for _, kind, value, matched in _scan(text, free_text=free_text):
            if (kind, value) not in seen:
                seen.add((kind, value))
                result.append(FoundIdentifier(kind=kind, value=value, field=field, text=matched))
    return result
