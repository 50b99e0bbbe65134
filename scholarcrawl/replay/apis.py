"""Mock arXiv and Crossref APIs for the replay server, over a deterministic catalogue of works.

Tests, the demo and benchmarks resolve identifiers against these mocks, never the real hosts.
:class:`ApiCatalogue` holds what the mocks know: Crossref works (:class:`CrossrefWork`) and
arXiv papers (:class:`ArxivPaper`), and, for a catalogue built from a replay
:class:`~.generator.Corpus`, the ground truth of every Scholar row (:class:`Truth`).

Routes (answered by :meth:`ApiCatalogue.answer`, wired into :class:`~.server.ReplayServer`):

* ``GET /api/query``: export.arxiv.org's Atom 1.0 API. ``search_query`` (field prefixes
  ``ti au abs co jr cat rn id all`` and ``submittedDate:[YYYYMMDDTTTT TO YYYYMMDDTTTT]``;
  ``AND``, ``OR``, ``ANDNOT``, parentheses, quoted phrases; ``au:del_maestro``: underscores
  stand for spaces), ``id_list`` (comma separated, versions allowed), ``start``,
  ``max_results`` (default 10), ``sortBy``, ``sortOrder``. A malformed id, a malformed query
  or a bad ``start``/``max_results`` answers HTTP 400 with arXiv's one-entry error feed; a
  well-formed id that does not exist is simply absent (an empty feed when it is alone).
* ``GET /works``: api.crossref.org's work list. ``query``, ``query.bibliographic``,
  ``query.author``, ``query.title``, ``query.container-title`` (other field queries are
  accepted and ignored), ``rows`` (default 20, at most 1000), ``offset`` (at most 10000),
  ``cursor``, ``select``, ``filter`` (``from-pub-date``, ``until-pub-date``, ``type``,
  ``doi``), ``sort``/``order``, ``mailto`` (accepted, ignored). Bad parameters answer 400
  with Crossref's ``validation-failure`` message.
* ``GET /works/{doi}``: one work; an unknown DOI answers 404 ``Resource not found.`` in
  plain text, a field query parameter 400 ``parameter-not-allowed``.

Matching is a faithful approximation, not a search engine: text is folded (case and
diacritics) into words; an arXiv phrase matches when its words appear contiguously in the
field, ``au:`` when every word of the value is a word (or, for one letter, an initial) of one
author's name. Results are ordered by relevance (exact title first, then word overlap, then
newest), deterministically. Crossref ranks by an unnormalised score over title, author,
container and year words (the real API's scores are not normalised either: tens, for a good
match) and counts in ``total-results`` every work sharing a word with the query.

A corpus catalogue is built lazily on first use, in profile order, from a separate
``random.Random`` per paper seeded with ``(corpus seed, title, year, authors line)``: the
Scholar pages never change. About 79 % of Scholar rows have a Crossref work (full author
names, full venue names, titles equal modulo case and punctuation or split into title and
subtitle, years off by one for online-first articles), about 16 % an arXiv preprint (rows
whose venue is ``arXiv preprint arXiv:NNNN.NNNNN`` have exactly that id; 6 % have both),
about 12 % neither (:attr:`ApiCatalogue.stats`).
Distractors make the mocks a fair test of matching: near-identical titles by other authors
(on Crossref and on arXiv), ``Erratum:``/``Correction to:`` notices with ``update-to``, the
same title in another year, posted-content preprints linked by ``relation``, and background
works (reference entries, chapters, works without authors or without a date).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import threading
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final, NamedTuple
from urllib.parse import quote, unquote

from scholarcrawl.replay import generator as gen
from scholarcrawl.scholar.model import PublicationRow

__all__ = [
    "ARXIV_PATH",
    "CROSSREF_WORKS_PATH",
    "ApiCatalogue",
    "ApiResponse",
    "ArxivPaper",
    "CatalogueStats",
    "CrossrefWork",
    "Distractor",
    "Person",
    "QuerySyntaxError",
    "Truth",
    "Update",
    "fold",
    "is_api_path",
    "parse_search_query",
    "split_arxiv_id",
    "title_key",
    "words",
]

ARXIV_PATH: Final = "/api/query"
CROSSREF_WORKS_PATH: Final = "/works"

ATOM: Final = "application/atom+xml; charset=utf-8"
JSON: Final = "application/json"
TEXT: Final = "text/plain"

ARXIV_DEFAULT_MAX_RESULTS: Final = 10
ARXIV_MAX_RESULTS: Final = 30000  # the API's documented ceiling per call
CROSSREF_DEFAULT_ROWS: Final = 20
CROSSREF_MAX_ROWS: Final = 1000
CROSSREF_MAX_OFFSET: Final = 10000

DateParts = tuple[int, ...]


class ApiResponse(NamedTuple):
    """One mock answer: status, body, content type and extra headers."""

    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


def is_api_path(path: str) -> bool:
    """Whether ``path`` is one of the mock API routes."""
    return path in (ARXIV_PATH, CROSSREF_WORKS_PATH) or path.startswith(CROSSREF_WORKS_PATH + "/")


# --------------------------------------------------------------------------- text

_FOLD_EXTRA = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ı": "i",
        "ß": "ss",
    }
)
_WORD = re.compile(r"[^\W_]+")
# combining marks (Latin, Greek, Cyrillic, Hebrew, Arabic, kana voicing) left by NFKD
_COMBINING = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06ed\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\u3099\u309a\ufe20-\ufe2f]"
)
# inline markup Crossref keeps in titles (<i>, <sub>, MathML, JATS); never "<caching>"-like text
_MARKUP = re.compile(
    r"</?(?:i|b|u|em|strong|sub|sup|scp|sc|mml:[\w-]+|jats:[\w-]+)(?:\s[^<>]*)?/?>", re.IGNORECASE
)
# fmt: off
STOPWORDS: Final = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it",
    "of", "on", "or", "the", "to", "with",
})
# fmt: on


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    if decomposed.isascii():
        return decomposed
    return _COMBINING.sub("", decomposed)


def fold(text: str) -> str:
    """Case- and diacritics-insensitive form of ``text`` (``"Müller"`` -> ``"muller"``)."""
    return _strip_accents(text).casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text``, inline markup dropped (``"Self-Supervised"`` -> two words)."""
    return _WORD.findall(fold(_MARKUP.sub(" ", text)))


@lru_cache(maxsize=1 << 16)
def _name_words(name: str) -> tuple[str, ...]:
    """:func:`words` of a person's name (names recur: cached)."""
    return tuple(words(name))


def title_key(title: str) -> str:
    """A title's identity modulo case, diacritics, punctuation and markup."""
    return " ".join(words(title))


def _keywords(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS}


def _contains_run(seq: Sequence[str], run: Sequence[str]) -> bool:
    """Whether ``run`` appears contiguously in ``seq``."""
    n = len(run)
    if n == 0:
        return True
    first = run[0]
    for i in range(len(seq) - n + 1):
        if seq[i] == first and tuple(seq[i : i + n]) == tuple(run):
            return True
    return False


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Person:
    """A Crossref contributor: ``family`` always, ``given`` when known."""

    family: str
    given: str | None = None

    @property
    def name(self) -> str:
        """``"Given Family"`` (``family`` alone without a given name)."""
        return f"{self.given} {self.family}" if self.given else self.family

    def to_json(self, first: bool) -> dict[str, Any]:
        """Crossref's author object."""
        out: dict[str, Any] = {}
        if self.given:
            out["given"] = self.given
        out["family"] = self.family
        out["sequence"] = "first" if first else "additional"
        out["affiliation"] = []
        return out


@dataclass(frozen=True, slots=True)
class Update:
    """An ``update-to`` entry: this work corrects the work ``doi``."""

    doi: str
    type: str = "correction"  # Crossref's update types: correction, erratum, retraction, ...
    label: str = "Correction"
    date: DateParts = (2020, 1, 1)


@dataclass(frozen=True, slots=True)
class CrossrefWork:
    """One Crossref work. ``doi`` keeps its registered case; the API answers it lower-cased.

    ``issued`` None is Crossref's unknown date (``[[null]]``); ``authors`` empty means the
    record has no ``author`` key; ``relations`` are ``(relation type, DOI)`` pairs such as
    ``("has-preprint", "10.21203/rs.3.rs-123456/v1")``.
    """

    doi: str
    title: str
    type: str = "journal-article"
    authors: tuple[Person, ...] = ()
    subtitle: str | None = None
    container_title: str | None = None
    short_container_title: str | None = None
    issued: DateParts | None = None
    published_print: DateParts | None = None
    published_online: DateParts | None = None
    volume: str | None = None
    issue: str | None = None
    page: str | None = None
    publisher: str = "Example Publisher"
    member: str = "0"
    cited_by: int = 0
    reference_count: int = 0
    update_to: tuple[Update, ...] = ()
    relations: tuple[tuple[str, str], ...] = ()
    abstract: str | None = None
    issn: tuple[str, ...] = ()
    isbn: tuple[str, ...] = ()
    language: str | None = "en"
    resource: str | None = None  # the publisher's landing page
    indexed: DateParts = (2026, 3, 19)

    @property
    def year(self) -> int | None:
        """The issued year, or None for an unknown date."""
        return self.issued[0] if self.issued else None

    @property
    def prefix(self) -> str:
        """The DOI prefix (``10.1038``)."""
        return self.doi.split("/", 1)[0].lower()

    def to_json(self, score: float = 1) -> dict[str, Any]:
        """The work as Crossref's API writes it (key order as in the 2026 answers)."""
        doi = self.doi.lower()
        created = _first_day(self.published_online or self.issued or self.published_print)
        deposited = _shift(created, 2 + sum(map(ord, doi)) % 400)
        out: dict[str, Any] = {
            "indexed": _stamped(self.indexed),
            "reference-count": self.reference_count,
            "publisher": self.publisher,
        }
        if self.issue:
            out["issue"] = self.issue
        out["content-domain"] = {"domain": [], "crossmark-restriction": False}
        out["short-container-title"] = (
            [self.short_container_title] if self.short_container_title else []
        )
        if self.published_print:
            out["published-print"] = _date_parts(self.published_print)
        if self.abstract:
            out["abstract"] = self.abstract
        out["DOI"] = doi
        out["type"] = self.type
        out["created"] = _stamped(created)
        if self.page:
            out["page"] = self.page
        if self.update_to:
            out["update-policy"] = f"https://doi.org/{self.prefix}/crossmark_policy"
        out["source"] = "Crossref"
        out["is-referenced-by-count"] = self.cited_by
        out["title"] = [self.title]
        out["prefix"] = self.prefix
        if self.volume:
            out["volume"] = self.volume
        if self.authors:
            out["author"] = [p.to_json(i == 0) for i, p in enumerate(self.authors)]
        out["member"] = self.member
        if self.published_online:
            out["published-online"] = _date_parts(self.published_online)
        out["container-title"] = [self.container_title] if self.container_title else []
        out["original-title"] = []
        if self.language:
            out["language"] = self.language
        out["deposited"] = _stamped(deposited)
        out["score"] = score
        out["resource"] = {"primary": {"URL": self.resource or _landing_page(doi, self.type)}}
        out["subtitle"] = [self.subtitle] if self.subtitle else []
        out["short-title"] = []
        out["issued"] = _date_parts(self.issued)
        if self.isbn:
            out["ISBN"] = list(self.isbn)
            out["isbn-type"] = [{"value": v, "type": "print"} for v in self.isbn]
        out["references-count"] = self.reference_count
        if self.issue and (self.published_print or self.published_online):
            when = self.published_print or self.published_online
            key = "published-print" if self.published_print else "published-online"
            out["journal-issue"] = {"issue": self.issue, key: _date_parts(when)}
        out["URL"] = f"https://doi.org/{doi}"
        relation: dict[str, list[dict[str, str]]] = {}
        for kind, target in self.relations:
            relation.setdefault(kind, []).append(
                {"id-type": "doi", "id": target.lower(), "asserted-by": "subject"}
            )
        out["relation"] = relation
        if self.issn:
            out["ISSN"] = list(self.issn)
            kinds = ("print", "electronic")
            out["issn-type"] = [{"type": kinds[i % 2], "value": v} for i, v in enumerate(self.issn)]
        out["subject"] = []
        if self.issued:
            out["published"] = _date_parts(self.issued)
        if self.update_to:
            out["update-to"] = [
                {
                    "updated": _stamped(_first_day(u.date)),
                    "DOI": u.doi.lower(),
                    "type": u.type,
                    "source": "publisher",
                    "label": u.label,
                }
                for u in self.update_to
            ]
        return out


@dataclass(frozen=True, slots=True)
class ArxivPaper:
    """One arXiv paper. ``arxiv_id`` has no version; ``version`` is the latest one.

    ``categories[0]`` is the primary category; ``doi`` and ``journal_ref`` are set when the
    authors reported the published version; ``updated`` is the latest version's date.
    """

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    published: datetime
    summary: str = ""
    updated: datetime | None = None
    version: int = 1
    categories: tuple[str, ...] = ("cs.LG",)
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None

    def version_date(self, version: int) -> datetime:
        """When ``version`` (1 .. ``self.version``) was submitted."""
        last = self.updated or self.published
        if version <= 1 or self.version <= 1:
            return self.published
        if version >= self.version:
            return last
        return self.published + (last - self.published) * (version - 1) / (self.version - 1)


@dataclass(frozen=True, slots=True)
class Truth:
    """What a Scholar row really is: its DOI (lower case) and arXiv id (no version).

    ``notes`` say how the records differ from the row (``title_case``, ``subtitle_split``,
    ``online_first``, ``initials_only``, ``no_authors``, ``no_date``, ...), for targeted tests.
    """

    doi: str | None = None
    arxiv_id: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        """Whether either API knows the paper."""
        return self.doi is not None or self.arxiv_id is not None


@dataclass(frozen=True, slots=True)
class Distractor:
    """A record that looks like a Scholar row's paper but is not it.

    ``kind``: ``near_title``, ``arxiv_near_title``, ``same_title_other_year``, ``erratum``,
    ``correction``, ``preprint`` (a posted-content version, linked by ``relation``).
    ``identifier`` is a DOI (lower case) or an arXiv id.
    """

    kind: str
    identifier: str
    of_title: str
    of_doi: str | None = None


@dataclass(frozen=True, slots=True)
class CatalogueStats:
    """Counts over a catalogue's Scholar rows (unique papers) and records."""

    papers: int
    with_doi: int
    with_arxiv: int
    with_both: int
    neither: int
    works: int
    arxiv_papers: int
    distractors: tuple[tuple[str, int], ...]

    @property
    def doi_fraction(self) -> float:
        """Share of papers with a DOI."""
        return self.with_doi / self.papers if self.papers else 0.0

    @property
    def arxiv_fraction(self) -> float:
        """Share of papers on arXiv."""
        return self.with_arxiv / self.papers if self.papers else 0.0

    @property
    def neither_fraction(self) -> float:
        """Share of papers known to neither API."""
        return self.neither / self.papers if self.papers else 0.0


def _landing_page(doi: str, kind: str) -> str:
    host = _HOSTS.get(doi.split("/", 1)[0])
    if host is None:
        return f"https://doi.org/{doi}"
    if kind in ("journal-article", "posted-content", "report"):
        return f"https://{host}/doi/{doi}"
    return f"https://{host}/document/{doi.split('/', 1)[1]}"


# --------------------------------------------------------------------------- dates


def _first_day(parts: DateParts | None) -> tuple[int, int, int]:
    if not parts:
        return (2004, 6, 22)
    return (parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _shift(day: tuple[int, int, int], days: int) -> tuple[int, int, int]:
    moved = datetime(*day, tzinfo=UTC) + timedelta(days=days)
    return (moved.year, moved.month, moved.day)


def _date_parts(parts: DateParts | None) -> dict[str, Any]:
    return {"date-parts": [list(parts)] if parts else [[None]]}


def _stamped(parts: DateParts) -> dict[str, Any]:
    y, m, d = _first_day(parts)
    # a time of day that depends on the date only, as deterministic as the rest
    seconds = (y * 7919 + m * 104729 + d * 1299709) % 86400
    when = datetime(y, m, d, tzinfo=UTC) + timedelta(seconds=seconds)
    return {
        "date-parts": [[y, m, d]],
        "date-time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timestamp": int(when.timestamp() * 1000),
    }


def _atom_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- arXiv ids

_NEW_ID = re.compile(r"^(\d{4}\.\d{4,5})(?:v(\d+))?$")
_OLD_ID = re.compile(r"^([a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?$")


def split_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """``(id without version, version or None)`` for a well-formed arXiv id, else None.

    New scheme ``2101.01234v2`` (4 or 5 digits after the dot), old scheme
    ``astro-ph/0601001`` or ``math.GT/0309136``.
    """
    for pattern in (_NEW_ID, _OLD_ID):
        m = pattern.match(text)
        if m:
            return m[1], int(m[2]) if m[2] else None
    return None


# --------------------------------------------------------------------------- arXiv query


class QuerySyntaxError(ValueError):
    """A ``search_query`` arXiv would refuse (the message goes into the error feed)."""


_FIELDS: Final = frozenset({"ti", "au", "abs", "co", "jr", "cat", "rn", "id", "all"})
_DATE_FIELD: Final = "submittedDate"
_BOOLEAN: Final = frozenset({"AND", "OR", "ANDNOT"})
_DATE_RANGE = re.compile(r"^\[(\d{8}(?:\d{4})?) TO (\d{8}(?:\d{4})?)\]$")


@dataclass(frozen=True, slots=True)
class _Term:
    field: str
    value: str
    quoted: bool = False

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(words(self.value.replace("_", " ")))


@dataclass(frozen=True, slots=True)
class _Bool:
    op: str
    left: _Node
    right: _Node


_Node = _Term | _Bool


def _field(prefix: str) -> str:
    if prefix in _FIELDS or prefix == _DATE_FIELD:
        return prefix
    raise QuerySyntaxError(f"unknown field prefix {prefix}")


def _tokenize(query: str) -> list[str | _Term]:
    tokens: list[str | _Term] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(c)
            i += 1
        elif c == '"':
            end = query.find('"', i + 1)
            if end == -1:
                raise QuerySyntaxError("unbalanced quotes in search query")
            tokens.append(_Term("all", query[i + 1 : end], True))
            i = end + 1
        elif query.startswith(_DATE_FIELD + ":[", i):
            end = query.find("]", i)
            if end == -1:
                raise QuerySyntaxError("unbalanced brackets in search query")
            value = query[i + len(_DATE_FIELD) + 1 : end + 1]
            if not _DATE_RANGE.match(value):
                raise QuerySyntaxError("submittedDate must be [YYYYMMDDTTTT TO YYYYMMDDTTTT]")
            tokens.append(_Term(_DATE_FIELD, value))
            i = end + 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"':
                j += 1
            word = query[i:j]
            if j < n and query[j] == '"':
                prefix, colon, rest = word.partition(":")
                if not colon or rest:
                    raise QuerySyntaxError(f"unexpected quote after {word}")
                end = query.find('"', j + 1)
                if end == -1:
                    raise QuerySyntaxError("unbalanced quotes in search query")
                tokens.append(_Term(_field(prefix), query[j + 1 : end], True))
                i = end + 1
                continue
            if word in _BOOLEAN:
                tokens.append(word)
            elif ":" in word:
                prefix, _, value = word.partition(":")
                field = _field(prefix)
                if field == _DATE_FIELD:
                    raise QuerySyntaxError("submittedDate must be [YYYYMMDDTTTT TO YYYYMMDDTTTT]")
                if not value:
                    raise QuerySyntaxError(f"empty term after {prefix}:")
                tokens.append(_Term(field, value))
            else:
                tokens.append(_Term("all", word))
            i = j
    return tokens


class _Parser:
    def __init__(self, tokens: list[str | _Term]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | _Term | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str | _Term:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expr(self) -> _Node:
        node = self.conjunction()
        while self.peek() == "OR":
            self.take()
            node = _Bool("OR", node, self.conjunction())
        return node

    def conjunction(self) -> _Node:
        node = self.unary()
        while True:
            token = self.peek()
            if token in ("AND", "ANDNOT"):
                self.take()
                node = _Bool(str(token), node, self.unary())
            elif isinstance(token, _Term) or token == "(":
                node = _Bool("AND", node, self.unary())  # adjacent terms: both required
            else:
                return node

    def unary(self) -> _Node:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("search query ends where a term is expected")
        if token == "(":
            self.take()
            node = self.expr()
            if self.peek() != ")":
                raise QuerySyntaxError("unbalanced parentheses in search query")
            self.take()
            return node
        if isinstance(token, _Term):
            self.take()
            return token
        raise QuerySyntaxError(f"unexpected {token} in search query")


def parse_search_query(query: str) -> _Node | None:
    """The syntax tree of an arXiv ``search_query`` (None when empty).

    Raises :class:`QuerySyntaxError` for what arXiv refuses: unbalanced quotes or
    parentheses, an unknown field prefix, a misplaced boolean operator, an empty term.
    """
    tokens = _tokenize(query)
    if not tokens:
        return None
    parser = _Parser(tokens)
    node = parser.expr()
    if parser.peek() is not None:
        token = parser.peek()
        if token == ")":
            raise QuerySyntaxError("unbalanced parentheses in search query")
        raise QuerySyntaxError(f"unexpected {token} in search query")
    return node


def _query_words(node: _Node | None) -> tuple[set[str], list[tuple[str, ...]]]:
    """Words and phrases of the positive title/abstract/all terms, for relevance."""
    found: set[str] = set()
    phrases: list[tuple[str, ...]] = []

    def walk(n: _Node, positive: bool) -> None:
        if isinstance(n, _Bool):
            walk(n.left, positive)
            walk(n.right, positive and n.op != "ANDNOT")
        elif positive and n.field in ("ti", "all", "abs"):
            ws = n.words
            found.update(w for w in ws if w not in STOPWORDS)
            if ws:
                phrases.append(ws)

    if node is not None:
        walk(node, True)
    return found, phrases


def _date_bounds(value: str) -> tuple[datetime, datetime]:
    m = _DATE_RANGE.match(value)
    assert m is not None

    def read(text: str, end: bool) -> datetime:
        text = text if len(text) == 12 else text + ("2359" if end else "0000")
        return datetime.strptime(text, "%Y%m%d%H%M").replace(tzinfo=UTC)

    return read(m[1], False), read(m[2], True)


# --------------------------------------------------------------------------- arXiv index


class _Postings:
    """Token -> the sorted positions of the records holding it (4 bytes a posting).

    Records are added in increasing position order. ``bitmap`` gives the same set as a
    Python int (cached), for cheap unions and counts.
    """

    __slots__ = ("_bitmaps", "lists")

    def __init__(self) -> None:
        self.lists: dict[str, array[int]] = {}
        self._bitmaps: dict[str, int] = {}

    def add(self, token: str, position: int) -> None:
        found = self.lists.get(token)
        if found is None:
            found = self.lists[token] = array("i")
        if not found or found[-1] != position:
            found.append(position)

    def get(self, token: str) -> array[int]:
        return self.lists.get(token, _NO_POSTINGS)

    def df(self, token: str) -> int:
        return len(self.lists.get(token, ()))

    def has(self, token: str, position: int) -> bool:
        found = self.lists.get(token)
        if not found:
            return False
        i = bisect_left(found, position)
        return i < len(found) and found[i] == position

    def bitmap(self, token: str, size: int) -> int:
        cached = self._bitmaps.get(token)
        if cached is None:
            bits = bytearray((size + 7) // 8)
            for position in self.lists.get(token, ()):
                bits[position >> 3] |= 1 << (position & 7)
            cached = self._bitmaps[token] = int.from_bytes(bits, "little")
        return cached


_NO_POSTINGS: Final = array("i")


def _intersect(postings: _Postings, keys: Iterable[str], everything: int) -> set[int]:
    """Positions holding every key (rarest first); ``range(everything)`` without keys."""
    ordered = sorted(set(keys), key=postings.df)
    if not ordered:
        return set(range(everything))
    found = set(postings.get(ordered[0]))
    for key in ordered[1:]:
        if not found:
            break
        found.intersection_update(postings.get(key))
    return found


class _ArxivIndex:
    def __init__(self, papers: Sequence[ArxivPaper]) -> None:
        self.papers = list(papers)
        self.by_id: dict[str, int] = {}
        self.title_words: list[tuple[str, ...]] = []
        self.author_words: list[tuple[tuple[str, ...], ...]] = []
        self.ti = _Postings()
        self.abs = _Postings()
        self.au = _Postings()
        intern: dict[str, str] = {}
        for i, p in enumerate(self.papers):
            self.by_id.setdefault(p.arxiv_id, i)
            tw = tuple(intern.setdefault(w, w) for w in words(p.title))
            names = tuple(_name_words(a) for a in p.authors)
            self.title_words.append(tw)
            self.author_words.append(names)
            for w in sorted(set(tw) - STOPWORDS):
                self.ti.add(w, i)
            for w in sorted(set(words(p.summary)) - STOPWORDS):
                self.abs.add(intern.setdefault(w, w), i)
            for w in sorted({w for name in names for w in name}):
                self.au.add(w, i)

    def _title(self, ws: tuple[str, ...]) -> set[int]:
        found = _intersect(self.ti, (w for w in ws if w not in STOPWORDS), len(self.papers))
        if len(ws) > 1:
            found = {d for d in found if _contains_run(self.title_words[d], ws)}
        return found

    def _abstract(self, ws: tuple[str, ...]) -> set[int]:
        found = _intersect(self.abs, (w for w in ws if w not in STOPWORDS), len(self.papers))
        if len(ws) > 1:
            found = {d for d in found if _contains_run(words(self.papers[d].summary), ws)}
        return found

    def _authors(self, ws: tuple[str, ...]) -> set[int]:
        found = _intersect(self.au, (w for w in ws if len(w) > 1), len(self.papers))
        return {d for d in found if any(_name_matches(ws, n) for n in self.author_words[d])}

    def _scan(self, ws: tuple[str, ...], text: Callable[[ArxivPaper], str | None]) -> set[int]:
        out: set[int] = set()
        for i, p in enumerate(self.papers):
            value = text(p)
            if value and _contains_run(words(value), ws):
                out.add(i)
        return out

    def term(self, t: _Term) -> set[int]:
        if t.field == _DATE_FIELD:
            lo, hi = _date_bounds(t.value)
            return {i for i, p in enumerate(self.papers) if lo <= p.published <= hi}
        if t.field == "id":
            split = split_arxiv_id(t.value)
            i = self.by_id.get(split[0]) if split else None
            return set() if i is None else {i}
        if t.field == "cat":
            value = t.value.lower()
            if value.endswith("*"):
                return {
                    i
                    for i, p in enumerate(self.papers)
                    if any(c.lower().startswith(value[:-1]) for c in p.categories)
                }
            return {
                i for i, p in enumerate(self.papers) if value in (c.lower() for c in p.categories)
            }
        ws = t.words
        if not ws or t.field == "rn":
            return set()
        if t.field == "ti":
            return self._title(ws)
        if t.field == "abs":
            return self._abstract(ws)
        if t.field == "au":
            return self._authors(ws)
        if t.field == "co":
            return self._scan(ws, lambda p: p.comment)
        if t.field == "jr":
            return self._scan(ws, lambda p: p.journal_ref)
        # all: any field
        return (
            self._title(ws)
            | self._abstract(ws)
            | self._authors(ws)
            | self._scan(ws, lambda p: p.comment)
            | self._scan(ws, lambda p: p.journal_ref)
        )

    def evaluate(self, node: _Node) -> set[int]:
        if isinstance(node, _Term):
            return self.term(node)
        left = self.evaluate(node.left)
        if node.op == "AND":
            return left & self.evaluate(node.right) if left else set()
        if node.op == "ANDNOT":
            return left - self.evaluate(node.right) if left else set()
        return left | self.evaluate(node.right)


def _name_matches(query: tuple[str, ...], name: tuple[str, ...]) -> bool:
    """Every query word is a word of ``name``; a one-letter word may be an initial."""
    for w in query:
        if w in name:
            continue
        if len(w) == 1 and any(part.startswith(w) for part in name):
            continue
        return False
    return True


# --------------------------------------------------------------------------- Atom

_NS_OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
_NS_ARXIV = "http://arxiv.org/schemas/atom"
_NS_ATOM = "http://www.w3.org/2005/Atom"
_FEED_OPEN = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    f'<feed xmlns:opensearch="{_NS_OPENSEARCH}" xmlns:arxiv="{_NS_ARXIV}" xmlns="{_NS_ATOM}">\n'
)
_ERRORS_URL = "https://arxiv.org/api/errors#"


def _x(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _a(text: str) -> str:
    return _x(text).replace('"', "&quot;")


def _opensearch(items_per_page: int, total: int, start: int) -> str:
    return (
        f"  <opensearch:itemsPerPage>{items_per_page}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
    )


def _entry_xml(paper: ArxivPaper, version: int) -> str:
    vid = f"{paper.arxiv_id}v{version}"
    when = paper.version_date(version)
    parts = [
        "  <entry>\n",
        f"    <id>http://arxiv.org/abs/{vid}</id>\n",
        f"    <title>{_x(paper.title)}</title>\n",
        f"    <updated>{_atom_time(when)}</updated>\n",
        f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>\n',
        f'    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf"'
        ' title="pdf"/>\n',
        f"    <summary>{_x(paper.summary)}</summary>\n",
    ]
    for category in paper.categories:
        parts.append(f'    <category term="{_a(category)}" scheme="{_NS_ARXIV}"/>\n')
    parts.append(f"    <published>{_atom_time(paper.published)}</published>\n")
    if paper.comment:
        parts.append(f"    <arxiv:comment>{_x(paper.comment)}</arxiv:comment>\n")
    parts.append(f'    <arxiv:primary_category term="{_a(paper.categories[0])}"/>\n')
    if paper.journal_ref:
        parts.append(f"    <arxiv:journal_ref>{_x(paper.journal_ref)}</arxiv:journal_ref>\n")
    for author in paper.authors:
        parts.append(f"    <author>\n      <name>{_x(author)}</name>\n    </author>\n")
    if paper.doi:
        parts.append(f"    <arxiv:doi>{_x(paper.doi)}</arxiv:doi>\n")
        parts.append(
            f'    <link rel="related" href="https://doi.org/{_a(paper.doi)}" title="doi"/>\n'
        )
    parts.append("  </entry>\n")
    return "".join(parts)


def _error_feed(message: str, now: datetime) -> ApiResponse:
    url = _ERRORS_URL + message.replace(" ", "_")
    stamp = _atom_time(now)
    body = (
        _FEED_OPEN
        + "  <id>https://arxiv.org/</id>\n"
        + "  <title>arXiv Search Results</title>\n"
        + f"  <updated>{stamp}</updated>\n"
        + _opensearch(1, 1, 0)
        + "  <entry>\n"
        + f"    <id>{_x(url)}</id>\n"
        + "    <title>Error</title>\n"
        + f"    <updated>{stamp}</updated>\n"
        + f'    <link href="{_a(url)}" rel="alternate" type="text/html"/>\n'
        + f"    <summary>{_x(message)}</summary>\n"
        + "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        + "  </entry>\n"
        + "</feed>\n"
    )
    return ApiResponse(400, body.encode("utf-8"), ATOM)


# --------------------------------------------------------------------------- Crossref index

# what select= may name (Crossref's list, in its order)
# fmt: off
_SELECTS: Final = (
    "abstract", "URL", "member", "posted", "score", "created", "degree", "update-policy",
    "short-title", "license", "ISSN", "container-title", "issued", "update-to", "issue", "prefix",
    "approved", "indexed", "article-number", "clinical-trial-number", "accepted", "author",
    "group-title", "DOI", "is-referenced-by-count", "updated-by", "event", "chair",
    "standards-body", "original-title", "funder", "translator", "archive", "published-print",
    "alternative-id", "subject", "subtitle", "published-online", "publisher-location",
    "content-domain", "reference", "title", "link", "type", "publisher", "volume",
    "references-count", "ISBN", "issn-type", "assertion", "deposited", "page", "content-created",
    "short-container-title", "relation", "editor", "published",
)
# fmt: on
# field queries the list route knows: (field it searches, or None when the mock ignores it)
_FIELD_QUERIES: Final[Mapping[str, str | None]] = {
    "query.bibliographic": "bib",
    "query.author": "author",
    "query.contributor": "author",
    "query.title": "title",
    "query.container-title": "container",
    "query.editor": None,
    "query.chair": None,
    "query.translator": None,
    "query.publisher-name": None,
    "query.publisher-location": None,
    "query.funder-name": None,
    "query.affiliation": None,
    "query.degree": None,
    "query.description": None,
    "query.event-name": None,
    "query.event-location": None,
    "query.event-acronym": None,
    "query.event-sponsor": None,
    "query.event-theme": None,
    "query.standards-body-name": None,
    "query.standards-body-acronym": None,
}
_LIST_PARAMS: Final = frozenset(
    {"query", "rows", "offset", "select", "mailto", "sort", "order", "filter", "cursor", "facet"}
    | {"sample"}
)
_FILTERS: Final = ("from-pub-date", "until-pub-date", "type", "doi")
_SORTS: Final = frozenset(
    {
        "score",
        "relevance",
        "published",
        "issued",
        "is-referenced-by-count",
        "references-count",
        "created",
        "deposited",
        "indexed",
        "updated",
        "published-print",
        "published-online",
    }
)
# how much a word weighs in each field of a bibliographic query
_FIELD_WEIGHT: Final = {"title": 1.0, "author": 0.8, "container": 0.45, "year": 0.6}
_SCORE_SCALE: Final = 0.55
_CANDIDATE_BUDGET: Final = 12000  # postings counted to pick candidates before exact scoring
_CANDIDATE_EXTRA: Final = 30  # candidates scored beyond the ones asked for
_Posting = tuple["array[int]", str, str, float]  # (works, field, token, weight)


class _CrossrefIndex:
    def __init__(self, works: Sequence[CrossrefWork]) -> None:
        self.works = list(works)
        self.n = len(self.works)
        self.by_doi: dict[str, int] = {}
        self.fields: dict[str, _Postings] = {f: _Postings() for f in _FIELD_WEIGHT}
        self.title_len = array("H")
        title_p, author_p = self.fields["title"], self.fields["author"]
        container_p, year_p = self.fields["container"], self.fields["year"]
        for i, w in enumerate(self.works):
            low = w.doi.lower()
            self.by_doi.setdefault(w.doi if low == w.doi else low, i)
            title = _keywords(w.title + " " + (w.subtitle or ""))
            self.title_len.append(min(len(title), 65535))
            for t in sorted(title):
                title_p.add(t, i)
            for t in sorted({t for p in w.authors for t in _name_words(p.name)}):
                author_p.add(t, i)
            for t in sorted(_keywords(w.container_title or "")):
                container_p.add(t, i)
            if w.year:
                year_p.add(str(w.year), i)
        self._doi_order: list[int] | None = None

    def doi_order(self) -> list[int]:
        """Every work's position, in DOI order (computed once)."""
        if self._doi_order is None:
            self._doi_order = sorted(range(self.n), key=lambda i: self.works[i].doi.lower())
        return self._doi_order

    def df(self, token: str) -> int:
        return sum(p.df(token) for p in self.fields.values())

    def idf(self, token: str) -> float:
        return math.log(1.0 + self.n / (1 + min(self.df(token), self.n)))

    def terms(self, queries: Sequence[tuple[str, str]]) -> list[_Posting]:
        """The non-empty postings of ``(field, text)`` queries ("bib": every field), weighted."""
        out: list[_Posting] = []
        for field, text in queries:
            fields = tuple(_FIELD_WEIGHT) if field == "bib" else (field,)
            for token in sorted(_keywords(text)):
                idf = self.idf(token)
                for f in fields:
                    postings = self.fields[f].get(token)
                    if postings:
                        weight = idf * (_FIELD_WEIGHT[f] if field == "bib" else 1.0)
                        out.append((postings, f, token, weight))
        return out

    def search(
        self, queries: Sequence[tuple[str, str]], need: int
    ) -> tuple[list[tuple[float, int]], int, bool]:
        """Rank works for ``(field, text)`` queries.

        Returns the best candidates scored, best first (at least ``need`` when there are
        that many: the works holding most of the query's rarer words), how many works
        share any word with the query, and whether the candidates are every such work.
        """
        lists = self.terms(queries)
        if not lists:
            return [], 0, True
        union = 0
        for _, field, token, _ in lists:
            union |= self.fields[field].bitmap(token, self.n)
        total = union.bit_count()
        # candidates: the works holding most of the rarest title and author words (counted
        # in C); container and year words, and initials, only score
        pick = [e[0] for e in lists if e[1] in ("title", "author") and len(e[2]) > 1]
        counts: Counter[int] = Counter()
        budget = 0
        for postings in sorted(pick or [e[0] for e in lists], key=len):
            if budget and budget + len(postings) > _CANDIDATE_BUDGET:
                break
            counts.update(postings)
            budget += len(postings)
        candidates = [d for d, _ in counts.most_common(need + _CANDIDATE_EXTRA)]
        return self._score(candidates, lists), total, len(counts) == total

    def score_all(
        self, docs: Iterable[int], queries: Sequence[tuple[str, str]]
    ) -> list[tuple[float, int]]:
        """Score every work of ``docs`` (the slow, exact path)."""
        return self._score(list(docs), self.terms(queries))

    def _score(self, docs: list[int], lists: Sequence[_Posting]) -> list[tuple[float, int]]:
        scored: list[tuple[float, int]] = []
        for d in docs:
            best_per_token: dict[str, float] = {}
            title_hits: set[str] = set()
            for postings, field, token, weight in lists:
                i = bisect_left(postings, d)
                if i < len(postings) and postings[i] == d:
                    if weight > best_per_token.get(token, 0.0):
                        best_per_token[token] = weight
                    if field == "title":
                        title_hits.add(token)
            raw = sum(best_per_token.values())
            if not raw:
                continue
            coverage = len(title_hits) / self.title_len[d] if self.title_len[d] else 0.0
            scored.append((round(raw * (1.0 + coverage) * _SCORE_SCALE, 6), d))
        # ties: the more cited first (a published version before its preprint), then DOI
        works = self.works
        scored.sort(key=lambda sd: (-sd[0], -works[sd[1]].cited_by, works[sd[1]].doi.lower()))
        return scored


def _json_bytes(obj: Any) -> bytes:
    # Crossref writes ASCII JSON with escaped slashes ("10.1038\/srep16696")
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


def _validation_failure(failures: list[dict[str, Any]]) -> ApiResponse:
    body = {"status": "failed", "message-type": "validation-failure", "message": failures}
    return ApiResponse(400, _json_bytes(body), JSON)


def _integer_failure(value: str, maximum: int) -> dict[str, Any]:
    return {
        "type": "integer-not-valid",
        "value": value,
        "message": (
            f"Integer specified as {value} but must be a positive integer less than or "
            f"equal to {maximum}. "
        ),
    }


def _date_filter(value: str) -> tuple[int, ...] | None:
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g)


# --------------------------------------------------------------------------- generation pools
# fmt: off

_CONFERENCE_FULL: Final[Mapping[str, tuple[str | None, str, str, int]]] = {
    # Scholar's short name: (publisher, container template, work type, first edition's year)
    "ACM Web Conference": ("ACM", "Proceedings of the ACM Web Conference {year}",
                           "proceedings-article", 1994),
    "IEEE ICC": ("IEEE", "ICC {year} - IEEE International Conference on Communications (ICC)",
                 "proceedings-article", 1965),
    "ECCV": ("SpringerNature", "Computer Vision – ECCV {year}", "book-chapter", 1990),
    "ACL": ("ACL", "Proceedings of the {nth} Annual Meeting of the Association for "
            "Computational Linguistics (Volume 1: Long Papers)", "proceedings-article", 1963),
    "NeurIPS": (None, "Advances in Neural Information Processing Systems {nth}",
                "proceedings-article", 1987),
    "SIGIR": ("ACM", "Proceedings of the {nth} International ACM SIGIR Conference on Research "
              "and Development in Information Retrieval", "proceedings-article", 1978),
    "CHI": ("ACM", "Proceedings of the {year} CHI Conference on Human Factors in Computing "
            "Systems", "proceedings-article", 1982),
    "KDD": ("ACM", "Proceedings of the {nth} ACM SIGKDD International Conference on Knowledge "
            "Discovery & Data Mining", "proceedings-article", 1995),
    "ACM CCS": ("ACM", "Proceedings of the {year} ACM SIGSAC Conference on Computer and "
                "Communications Security", "proceedings-article", 1993),
    "ICWSM": ("AAAI", "Proceedings of the International AAAI Conference on Web and Social Media",
              "journal-article", 2006),
    "WSDM": ("ACM", "Proceedings of the {nth} ACM International Conference on Web Search and "
             "Data Mining", "proceedings-article", 2008),
    "VLDB": ("VLDB", "Proceedings of the VLDB Endowment", "journal-article", 2007),
    "ICDE": ("IEEE", "{year} IEEE {nth} International Conference on Data Engineering (ICDE)",
             "proceedings-article", 1984),
    "EuroSys": ("ACM", "Proceedings of the {nth} European Conference on Computer Systems",
                "proceedings-article", 2006),
    "JCDL": ("ACM", "Proceedings of the ACM/IEEE Joint Conference on Digital Libraries in {year}",
             "proceedings-article", 2000),
    "TPDL": ("SpringerNature", "Linking Theory and Practice of Digital Libraries",
             "book-chapter", 1996),
}
_LONG_PUBLISHER: Final = ("IEEE", "AAAI", "ACM", "SpringerNature")
_JOURNAL_PUBLISHERS: Final[Mapping[str, tuple[str, ...]]] = {
    "Journal of": ("Elsevier", "Wiley", "Springer"),
    "International Journal of": ("Wiley", "Springer", "IGI"),
    "IEEE Transactions on": ("IEEE",),
    "ACM Transactions on": ("ACM",),
    "Critical Reviews in": ("TandF",),
    "Annals of": ("Springer",),
    "Frontiers in": ("Frontiers",),
}
_BOOK_PUBLISHERS: Final[Mapping[str, str]] = {
    "Springer": "SpringerNature", "Elsevier": "Elsevier", "CRC Press": "CRC", "Wiley": "Wiley",
    "Cambridge University Press": "CUP",
}
# key: (publisher name, member, DOI prefix, landing host)
_PUBLISHERS: Final[Mapping[str, tuple[str, str, str, str]]] = {
    "IEEE": ("Institute of Electrical and Electronics Engineers (IEEE)", "263", "10.1109",
             "ieeexplore.ieee.org"),
    "ACM": ("Association for Computing Machinery (ACM)", "320", "10.1145", "dl.acm.org"),
    "Springer": ("Springer Science and Business Media LLC", "297", "10.1007",
                 "link.springer.com"),
    "SpringerNature": ("Springer Nature Switzerland", "297", "10.1007", "link.springer.com"),
    "Elsevier": ("Elsevier BV", "78", "10.1016", "www.sciencedirect.com"),
    "Wiley": ("Wiley", "311", "10.1002", "onlinelibrary.wiley.com"),
    "TandF": ("Informa UK Limited", "301", "10.1080", "www.tandfonline.com"),
    "Frontiers": ("Frontiers Media SA", "1965", "10.3389", "www.frontiersin.org"),
    "IGI": ("IGI Global", "2432", "10.4018", "www.igi-global.com"),
    "AAAI": ("Association for the Advancement of Artificial Intelligence (AAAI)", "9382",
             "10.1609", "ojs.aaai.org"),
    "VLDB": ("Association for Computing Machinery (ACM)", "320", "10.14778", "dl.acm.org"),
    "ACL": ("Association for Computational Linguistics", "1254", "10.18653",
            "aclanthology.org"),
    "CRC": ("CRC Press", "301", "10.1201", "www.taylorfrancis.com"),
    "CUP": ("Cambridge University Press (CUP)", "56", "10.1017", "www.cambridge.org"),
    "ResearchSquare": ("Research Square Platform LLC", "8761", "10.21203",
                       "www.researchsquare.com"),
    "SSRN": ("Elsevier BV", "78", "10.2139", "www.ssrn.com"),
}
_HOSTS: Final[Mapping[str, str]] = {prefix: host for _, _, prefix, host in _PUBLISHERS.values()}
_GIVEN_BY_INITIAL: Final[Mapping[str, tuple[str, ...]]] = {
    initial: tuple(g for g in gen._GIVEN if g.startswith(initial))
    for initial in sorted({g[0] for g in gen._GIVEN})
}
_ABBREVIATIONS: Final[Mapping[str, str]] = {
    "journal": "J", "international": "Int", "transactions": "Trans", "reviews": "Rev",
    "annals": "Ann", "frontiers": "Front", "computer": "Comput", "networks": "Netw",
    "communication": "Commun", "systems": "Syst", "medical": "Med", "research": "Res",
    "artificial": "Artif", "intelligence": "Intell", "information": "Inf", "science": "Sci",
    "engineering": "Eng", "distributed": "Distrib", "computing": "Comput",
    "biochemistry": "Biochem", "applied": "Appl", "mechanics": "Mech", "social": "Soc",
    "studies": "Stud", "software": "Softw", "cognitive": "Cogn", "psychology": "Psychol",
    "nutrition": "Nutr", "critical": "Crit",
}
_SMALL_WORDS: Final = STOPWORDS | {"via", "over", "under", "across", "beyond", "vs"}
_EXTRA_SUBTITLES: Final = (
    "A case study", "Evidence from a field experiment", "An empirical analysis",
    "Lessons from practice", "A multi-site study", "Design, implementation and evaluation",
    "A systematic mapping", "Extended version",
)
_ARXIV_CATEGORIES: Final = (
    "cs.LG", "cs.AI", "cs.CL", "cs.CV", "cs.IR", "cs.DL", "cs.NI", "cs.DC", "cs.DB", "cs.SE",
    "cs.CR", "cs.SI", "cs.HC", "stat.ML", "q-bio.QM", "physics.soc-ph", "eess.SP", "math.OC",
)
_ARXIV_COMMENTS: Final = (
    "12 pages, 5 figures", "Accepted for publication", "Extended version", "8 pages",
    "Preprint; under review", "Camera-ready version", "30 pages, 11 figures, 4 tables",
    "Code and data available on request",
)
_ABSTRACT_SENTENCES: Final = (
    "We propose a simple method and analyse its behaviour in detail.",
    "Experiments on {k} public datasets show consistent improvements over strong baselines.",
    "Our results suggest that {noun} benefit from {adj} designs.",
    "We release our implementation to support reproducibility.",
    "A theoretical analysis explains when the approach is expected to fail.",
    "We discuss limitations and directions for future work.",
    "The evaluation covers {k} settings and {m} metrics.",
    "Compared with prior work, the approach reduces cost by {p}%.",
)
_REFERENCE_WORKS: Final = (
    "Encyclopedia of Database Systems", "Encyclopedia of Machine Learning and Data Mining",
    "Encyclopedia of Social Network Analysis and Mining", "Encyclopedia of Big Data Technologies",
)
# fmt: on


def _abbreviate(name: str) -> str:
    parts = []
    for word in name.split():
        low = word.lower()
        if low in ("of", "in", "on", "and", "&"):
            continue
        parts.append(_ABBREVIATIONS.get(low, word))
    return " ".join(parts)


def _initials(name: str) -> str:
    return "".join(w[0].upper() for w in name.split() if w.lower() not in _SMALL_WORDS)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _title_case(title: str) -> str:
    out: list[str] = []
    after_colon = True
    for word in title.split(" "):
        low = word.lower()
        if not after_colon and low in _SMALL_WORDS:
            out.append(low)
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in word.split("-")))
        after_colon = word.endswith(":")
    return " ".join(out)


def _ascii_fold_name(name: str) -> str:
    return _strip_accents(name)


@dataclass(frozen=True, slots=True)
class _Name:
    given: str
    middle: str | None
    family: str

    def crossref(self, style: str) -> Person:
        if style == "initials":
            given = f"{self.given[0]}." + (f" {self.middle}." if self.middle else "")
        else:
            given = self.given + (f" {self.middle}." if self.middle else "")
        return Person(self.family, given)

    @property
    def full(self) -> str:
        middle = f" {self.middle}." if self.middle else ""
        return f"{self.given}{middle} {self.family}"


@dataclass(frozen=True, slots=True)
class _Venue:
    kind: str  # journal, proceedings, long, arxiv, thesis, book, none
    name: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    nth: str | None = None
    arxiv_id: str | None = None


_JOURNAL_VENUE = re.compile(r"^(?P<name>.+?) (?P<vol>\d+) \((?P<issue>\d+)\), (?P<pages>\S+)$")
_PROC_VENUE = re.compile(r"^Proceedings of the (?P<conf>.+?)(?: (?P<year>\d{4}))?, (?P<pages>\S+)$")
_LONG_VENUE = re.compile(r"^Proceedings of the (?P<nth>\d+(?:st|nd|rd|th)) (?P<rest>.*?) ?…$")
_ARXIV_VENUE = re.compile(r"^arXiv preprint arXiv:(?P<id>\d{4}\.\d{4,5})$")
_ORG_NAMES: Final = frozenset(org for org, _, _ in gen._ORGS)


def _parse_venue(venue: str | None) -> _Venue:
    if not venue:
        return _Venue("none")
    m = _ARXIV_VENUE.match(venue)
    if m:
        return _Venue("arxiv", arxiv_id=m["id"])
    m = _LONG_VENUE.match(venue)
    if m:
        rest = m["rest"]
        for conf in gen._LONG_CONFERENCES:
            if conf.startswith(rest):
                return _Venue("long", conf, nth=m["nth"])
        return _Venue("long", rest, nth=m["nth"])
    m = _PROC_VENUE.match(venue)
    if m and m["conf"] in _CONFERENCE_FULL:
        return _Venue("proceedings", m["conf"], pages=m["pages"])
    m = _JOURNAL_VENUE.match(venue)
    if m:
        return _Venue("journal", m["name"], m["vol"], m["issue"], m["pages"])
    if venue in _ORG_NAMES:
        return _Venue("thesis", venue)
    if venue in _BOOK_PUBLISHERS:
        return _Venue("book", venue)
    return _Venue("none", venue)


@dataclass(frozen=True, slots=True)
class _Placement:
    """Where a work was published: what its Crossref record says besides title and people."""

    type: str
    publisher_key: str
    container: str | None = None
    short_container: str | None = None
    volume: str | None = None
    issue: str | None = None
    page: str | None = None
    issn: tuple[str, ...] = ()
    isbn: tuple[str, ...] = ()
    style: str = "journal"  # DOI shape: journal, conference, chapter, book, thesis, ...
    abbr: str = "X"
    publisher_name: str | None = None  # when not the key's (theses)


# --------------------------------------------------------------------------- corpus builder


class _Built(NamedTuple):
    works: list[CrossrefWork]
    papers: list[ArxivPaper]
    truths: list[tuple[str, int | None, str, Truth]]  # (title key, year, first surname, truth)
    distractors: list[Distractor]


class _Builder:
    """Builds a corpus's catalogue, profile by profile, in a fixed order (deterministic)."""

    def __init__(self, corpus: gen.Corpus) -> None:
        self.corpus = corpus
        self.seed = corpus.spec.seed
        self.cy = corpus.spec.current_year
        self.works: list[CrossrefWork] = []
        self.dois: set[str] = set()
        self.papers: list[ArxivPaper] = []
        self.arxiv_ids: set[str] = set()
        self.truths: list[tuple[str, int | None, str, Truth]] = []
        self.distractors: list[Distractor] = []
        self._owners: dict[int, tuple[str, _Name]] = {}
        self._journals: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        self._persons: dict[tuple[str, str | None], Person] = {}
        self._strings: dict[str, str] = {}
        self._note_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._indexed: tuple[DateParts, ...] = tuple(
            (self.cy, m, d) for m in (1, 2, 3) for d in range(1, 29)
        )

    # ------------------------------------------------------------ driver

    def build(self) -> _Built:
        rows: list[tuple[int, PublicationRow]] = []
        seen: set[tuple[str, int | None, str | None]] = set()
        for i in range(len(self.corpus)):
            for row in self.corpus.profile_at(i).default_rows:
                key = (row.title, row.year, row.authors)
                if key not in seen:  # a paper shared by two profiles is one paper
                    seen.add(key)
                    rows.append((i, row))
        # ids written on Scholar rows belong to those rows: claim them before drawing others
        venue_ids: dict[str, tuple[str, int | None, str | None]] = {}
        for _, row in rows:
            m = _ARXIV_VENUE.match(row.venue or "")
            if m and m["id"] not in venue_ids:
                venue_ids[m["id"]] = (row.title, row.year, row.authors)
        self.arxiv_ids.update(venue_ids)
        for i, row in rows:
            m = _ARXIV_VENUE.match(row.venue or "")
            owns = bool(m) and venue_ids.get(m["id"] if m else "") == (
                row.title,
                row.year,
                row.authors,
            )
            self._paper(i, row, owns)
        self._background(max(8, len(rows) // 6))
        return _Built(self.works, self.papers, self.truths, self.distractors)

    # ------------------------------------------------------------ people

    def _owner(self, i: int) -> tuple[str, _Name]:
        cached = self._owners.get(i)
        if cached is None:
            given, middle, family = self.corpus.owner_name_parts(i)
            cached = (gen._short_name(given, middle, family), _Name(given, middle, family))
            self._owners[i] = cached
        return cached

    def _names(self, rng: random.Random, i: int, line: str | None) -> tuple[list[_Name], bool]:
        if not line:
            return [], False
        parts = [p.strip() for p in line.split(",") if p.strip()]
        truncated = bool(parts) and parts[-1] == "..."
        if truncated:
            parts = parts[:-1]
        owners = dict(self._owner(j) for j in (i - 1, i, i + 1) if 0 <= j < len(self.corpus))
        names = [owners.get(p) or self._guess(rng, p) for p in parts]
        if truncated:  # Scholar lists six authors, then "..."
            names += [self._random_name(rng) for _ in range(rng.randint(1, 8))]
        return names, truncated

    @staticmethod
    def _guess(rng: random.Random, short: str) -> _Name:
        initials, space, family = short.partition(" ")
        if not space:
            return _Name(rng.choice(gen._GIVEN), None, short)
        first = initials[:1]
        options = _GIVEN_BY_INITIAL.get(first)
        given = rng.choice(options) if options else f"{first}."
        return _Name(given, initials[1:] or None, family)

    @staticmethod
    def _random_name(rng: random.Random) -> _Name:
        given, middle, family = gen._random_name_parts(rng)
        return _Name(given, middle, family)

    def _people(
        self, rng: random.Random, names: Sequence[_Name], notes: list[str]
    ) -> tuple[Person, ...]:
        r = rng.random()
        if r < 0.03:
            notes.append("no_authors")
            return ()
        style = "initials" if r < 0.15 else "full"
        if style == "initials":
            notes.append("initials_only")
        people = [n.crossref(style) for n in names]
        if rng.random() < 0.08:
            folded = [Person(_ascii_fold_name(p.family), p.given) for p in people]
            if folded != people:
                notes.append("ascii_names")
                people = folded
        return self._intern(people)

    def _notes(self, notes: list[str]) -> tuple[str, ...]:
        key = tuple(notes)
        return self._note_tuples.setdefault(key, key)

    def _intern(self, people: Iterable[Person]) -> tuple[Person, ...]:
        """The same Person object for the same name (authors recur across a profile)."""
        out = []
        for person in people:
            out.append(self._persons.setdefault((person.family, person.given), person))
        return tuple(out)

    # ------------------------------------------------------------ identifiers

    def _doi(self, rng: random.Random, place: _Placement, year: int) -> str:
        prefix = (
            _PUBLISHERS[place.publisher_key][2]
            if place.publisher_key in _PUBLISHERS
            else ("10.5" + str(4000 + sum(map(ord, place.publisher_name or "x")) % 5000))
        )
        while True:
            doi = f"{prefix}/{self._doi_suffix(rng, place, year)}"
            if doi.lower() not in self.dois:
                self.dois.add(doi.lower())
                return doi

    @staticmethod
    def _doi_suffix(rng: random.Random, place: _Placement, year: int) -> str:
        key, style, abbr = place.publisher_key, place.style, place.abbr
        n7 = rng.randint(1000000, 9999999)
        if key == "IEEE":
            if style == "journal":
                return f"T{abbr}.{year}.{n7}"
            return f"{abbr}{rng.randint(10000, 99999)}.{year}.{rng.randint(1000000, 9999999)}"
        if key in ("ACM", "VLDB"):
            if style == "journal" and key == "ACM":
                return str(rng.randint(3000000, 3699999))
            return f"{rng.randint(3000000, 3699999)}.{rng.randint(3000000, 3699999)}"
        if key == "Springer":
            journal, serial = rng.randint(10000, 13999), rng.randint(10000, 99999)
            return f"s{journal}-0{year % 100:02d}-{serial}-{rng.randint(0, 9)}"
        if key == "SpringerNature":
            if style == "book":
                return (
                    f"978-3-0{rng.randint(30, 31)}-{rng.randint(10000, 99999)}-{rng.randint(0, 9)}"
                )
            return (
                f"978-3-0{rng.randint(30, 31)}-{rng.randint(10000, 99999)}-{rng.randint(0, 9)}"
                f"_{rng.randint(1, 60)}"
            )
        if key == "Elsevier":
            return f"j.{abbr.lower()}.{year}.{rng.randint(100000, 999999)}"
        if key == "Wiley":
            return f"{abbr.lower()}.{rng.randint(10000, 99999)}"
        if key == "TandF":
            return f"{rng.randint(10408398, 10549999)}.{year}.{n7}"
        if key == "Frontiers":
            return f"f{abbr.lower()}.{year}.{rng.randint(1000000, 1999999)}"
        if key == "IGI":
            return f"IJ{abbr}.{rng.randint(100000, 399999)}"
        if key == "AAAI":
            return f"icwsm.v{max(1, year - 2006)}i1.{rng.randint(10000, 39999)}"
        if key == "ACL":
            return f"v1/{year}.acl-long.{rng.randint(1, 900)}"
        if key in ("CRC", "CUP"):
            return f"97810{rng.randint(10000000, 99999999)}" + (
                f".{rng.randint(1, 30):03d}" if style == "chapter" else ""
            )
        if key == "ResearchSquare":
            return f"rs.3.rs-{rng.randint(100000, 4999999)}/v1"
        if key == "SSRN":
            return f"ssrn.{rng.randint(1000000, 4999999)}"
        return f"thesis.{year}.{rng.randint(1000, 99999)}"

    def _arxiv_id(self, rng: random.Random, when: datetime, category: str) -> str:
        while True:
            yy, mm = when.year % 100, when.month
            if when.year >= 2015:
                candidate = f"{yy:02d}{mm:02d}.{rng.randint(1, 29999):05d}"
            elif (when.year, when.month) >= (2007, 4):
                candidate = f"{yy:02d}{mm:02d}.{rng.randint(1, 9999):04d}"
            else:
                archive = category.split(".")[0] if category.startswith(("cs", "math")) else "cs"
                candidate = f"{archive}/{yy:02d}{mm:02d}{rng.randint(1, 999):03d}"
            if candidate not in self.arxiv_ids:
                self.arxiv_ids.add(candidate)
                return candidate

    # ------------------------------------------------------------ placements

    def _journal(self, name: str) -> tuple[str, str, tuple[str, ...]]:
        """(publisher key, short title, ISSNs) of a journal: fixed per journal name."""
        cached = self._journals.get(name)
        if cached is None:
            cached = self._journals[name] = self._new_journal(name)
        return cached

    def _new_journal(self, name: str) -> tuple[str, str, tuple[str, ...]]:
        rng = random.Random(f"{self.seed}:api:journal:{name}")
        prefix = next((p for p in _JOURNAL_PUBLISHERS if name.startswith(p + " ")), "Journal of")
        key = rng.choice(_JOURNAL_PUBLISHERS[prefix])

        def issn() -> str:
            digits = [rng.randint(0, 9) for _ in range(7)]
            check = (11 - sum((8 - i) * d for i, d in enumerate(digits)) % 11) % 11
            text = "".join(map(str, digits)) + ("X" if check == 10 else str(check))
            return f"{text[:4]}-{text[4:]}"

        return key, _abbreviate(name), (issn(), issn())

    def _journal_placement(
        self,
        rng: random.Random,
        name: str,
        volume: str | None,
        issue: str | None,
        pages: str | None,
    ) -> _Placement:
        name = self._strings.setdefault(name, name)
        key, short, issn = self._journal(name)
        if pages is None:
            p1 = rng.randint(1, 2000)
            pages = f"{p1}-{p1 + rng.randint(3, 25)}"
        page: str | None = pages
        if pages.startswith("e"):  # an article number, not pages
            page = None
        return _Placement(
            type="journal-article",
            publisher_key=key,
            container=name,
            short_container=short,
            volume=volume or str(rng.randint(1, 180)),
            issue=issue or str(rng.randint(1, 12)),
            page=page,
            issn=issn,
            style="journal",
            abbr=_initials(name.split(" ", 2)[-1]) or "J",
        )

    def _random_journal(self, rng: random.Random) -> str:
        return f"{rng.choice(gen._JOURNAL_PREFIX)} {rng.choice(gen._JOURNAL_FIELDS)}"

    def _placement(self, rng: random.Random, venue: _Venue, year: int) -> _Placement:
        if venue.kind == "journal" and venue.name:
            return self._journal_placement(rng, venue.name, venue.volume, venue.issue, venue.pages)
        if venue.kind == "proceedings" and venue.name:
            key, template, kind, first = _CONFERENCE_FULL[venue.name]
            container = template.format(year=year, nth=_ordinal(max(1, year - first + 1)))
            acronym = venue.name.split()[-1].upper()
            return _Placement(
                type=kind,
                publisher_key=key or "ACM",
                container=container,
                short_container=f"{venue.name.split()[-1]} '{year % 100:02d}"
                if key == "ACM"
                else None,
                volume=str(max(1, year - first)) if kind == "journal-article" else None,
                issue="1" if kind == "journal-article" else None,
                page=venue.pages,
                isbn=(f"97984007{rng.randint(10000, 99999)}",) if key == "ACM" else (),
                style="chapter" if kind == "book-chapter" else "conference",
                abbr=acronym,
            )
        if venue.kind == "long" and venue.name:
            index = (
                gen._LONG_CONFERENCES.index(venue.name)
                if venue.name in gen._LONG_CONFERENCES
                else 0
            )
            key = _LONG_PUBLISHER[index % len(_LONG_PUBLISHER)]
            p1 = rng.randint(1, 900)
            return _Placement(
                type="book-chapter" if key == "SpringerNature" else "proceedings-article",
                publisher_key=key,
                container=f"Proceedings of the {venue.nth or '1st'} {venue.name}",
                page=f"{p1}-{p1 + rng.randint(4, 12)}",
                style="chapter" if key == "SpringerNature" else "conference",
                abbr=_initials(venue.name)[:6] or "CONF",
            )
        if venue.kind == "thesis" and venue.name:
            return _Placement(
                type="dissertation",
                publisher_key="Thesis",
                style="thesis",
                publisher_name=venue.name,
            )
        if venue.kind == "book" and venue.name:
            key = _BOOK_PUBLISHERS[venue.name]
            if rng.random() < 0.7:
                p1 = rng.randint(1, 400)
                noun = rng.choice(gen._NOUN)
                return _Placement(
                    type="book-chapter",
                    publisher_key=key,
                    container=rng.choice(
                        (f"Handbook of {noun.title()}", f"Advances in {noun.title()}")
                    ),
                    page=f"{p1}-{p1 + rng.randint(10, 30)}",
                    isbn=(f"978{rng.randint(1000000000, 9999999999)}",),
                    style="chapter",
                )
            return _Placement(
                type="book",
                publisher_key=key,
                isbn=(f"978{rng.randint(1000000000, 9999999999)}",),
                style="book",
            )
        # no venue on Scholar: a journal it did not show, or a report / posted preprint
        r = rng.random()
        if r < 0.6:
            return self._journal_placement(rng, self._random_journal(rng), None, None, None)
        if r < 0.8:
            return _Placement(type="report", publisher_key="CRC", style="book")
        return _Placement(type="posted-content", publisher_key="ResearchSquare", style="posted")

    def _record(
        self,
        rng: random.Random,
        place: _Placement,
        doi: str,
        title: str,
        subtitle: str | None,
        people: tuple[Person, ...],
        dates: tuple[DateParts | None, DateParts | None, DateParts | None],
        cited_by: int,
        **extra: Any,
    ) -> CrossrefWork:
        issued, online, printed = dates
        if place.publisher_key in _PUBLISHERS:
            publisher, member, _, _ = _PUBLISHERS[place.publisher_key]
        else:
            publisher, member = place.publisher_name or "University", "0"
        return CrossrefWork(
            doi=doi,
            title=title,
            type=place.type,
            authors=people,
            subtitle=subtitle,
            container_title=place.container,
            short_container_title=place.short_container,
            issued=issued,
            published_print=printed,
            published_online=online,
            volume=place.volume,
            issue=place.issue,
            page=place.page,
            publisher=publisher,
            member=member,
            cited_by=cited_by,
            reference_count=rng.randint(0, 80),
            issn=place.issn,
            isbn=place.isbn,
            indexed=self._indexed[rng.randrange(len(self._indexed))],
            **extra,
        )

    # ------------------------------------------------------------ dates and titles

    def _dates(
        self, rng: random.Random, year: int | None, kind: str, notes: list[str]
    ) -> tuple[DateParts | None, DateParts | None, DateParts | None]:
        """(issued, published-online, published-print) around Scholar's ``year``."""
        r = rng.random()
        if year is None:
            if r < 0.4:
                notes.append("no_date")
                return None, None, None
            year = rng.randint(self.cy - 15, self.cy - 1)
            notes.append("year_unknown_on_scholar")
        elif r < 0.02:
            notes.append("no_date")
            return None, None, None
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        if kind != "journal-article":
            when: DateParts = (year, month, day) if rng.random() < 0.7 else (year, month)
            if kind in ("posted-content", "dissertation", "report"):
                return when, when, None
            return when, None, when
        r = rng.random()
        if r < 0.12:  # online first, late the year before the issue
            online: DateParts = (year - 1, rng.randint(9, 12), day)
            notes.append("online_first")
            return online, online, (year, month)
        if r < 0.17 and year < self.cy:  # Scholar took the online date, the issue came later
            notes.append("year_plus_1")
            printed: DateParts = (year + 1, rng.randint(1, 6))
            return printed, None, printed
        online = (year, month, day)
        printed = (year, min(12, month + rng.randint(0, 3)))
        if rng.random() < 0.5:
            return online, online, printed
        return printed, None, printed

    def _title(self, rng: random.Random, title: str, notes: list[str]) -> tuple[str, str | None]:
        """Crossref's title and subtitle for a Scholar title."""
        if ": " in title and rng.random() < 0.25:
            head, tail = title.split(": ", 1)
            notes.append("subtitle_split")
            return head, tail[:1].upper() + tail[1:]
        for species in gen._SPECIES:
            if species in title and rng.random() < 0.5:
                notes.append("markup")
                title = title.replace(species, f"<i>{species}</i>")
        r = rng.random()
        if r < 0.10:
            notes.append("title_case")
            return _title_case(title), None
        if r < 0.16:
            notes.append("punctuation")
            if ": " in title:
                return title.replace(": ", " — ", 1), None
            if "-" in title:
                return title.replace("-", " ", 1), None
            return title.replace("'", "’") + ".", None
        if r < 0.20:
            notes.append("extra_subtitle")
            return title, rng.choice(_EXTRA_SUBTITLES)
        return title, None

    def _near_title(self, rng: random.Random, title: str) -> str:
        """A title one word away from ``title``."""
        tokens = title.split(" ")
        adjectives = [i for i, t in enumerate(tokens) if t.lower().rstrip(":") in gen._ADJ]
        if adjectives:
            i = rng.choice(adjectives)
            old = tokens[i].rstrip(":")
            new = rng.choice([a for a in gen._ADJ if a != old.lower()])
            if old[:1].isupper():
                new = new[:1].upper() + new[1:]
            tokens[i] = new + (":" if tokens[i].endswith(":") else "")
            return " ".join(tokens)
        if len(tokens) > 3 and tokens[0] in ("Towards", "On", "Revisiting", "Rethinking", "Beyond"):
            rest = " ".join(tokens[1:])
            return rest[:1].upper() + rest[1:]
        return "Towards " + title[:1].lower() + title[1:]

    # ------------------------------------------------------------ one Scholar paper

    def _paper(self, i: int, row: PublicationRow, owns_venue_id: bool) -> None:
        rng = random.Random(f"{self.seed}:api:{row.title}|{row.year}|{row.authors}")
        venue = _parse_venue(row.venue)
        names, truncated = self._names(rng, i, row.authors)
        notes: list[str] = ["more_authors_than_scholar"] if truncated else []
        r, r2 = rng.random(), rng.random()
        if venue.kind == "arxiv":
            has_doi, has_arxiv = r < 0.35, True
        elif venue.kind == "journal":
            has_doi = r < 0.97
            has_arxiv = r2 < (0.03 if has_doi else 0.5)
        elif venue.kind == "proceedings" and venue.name == "NeurIPS":
            has_doi, has_arxiv = False, r2 < 0.85  # NeurIPS papers have no DOI
        elif venue.kind == "proceedings":
            has_doi = r < 0.95
            has_arxiv = r2 < (0.04 if has_doi else 0.4)
        elif venue.kind == "long":
            has_doi, has_arxiv = r < 0.9, r2 < 0.05
        elif venue.kind == "thesis":
            has_doi, has_arxiv = r < 0.15, False
        elif venue.kind == "book":
            has_doi, has_arxiv = r < 0.6, False
        else:
            has_doi, has_arxiv = r < 0.3, r2 < 0.05
        # distractor draws come first, so that adding one never shifts another's draws
        d_erratum, d_near, d_same, d_preprint = (rng.random() for _ in range(4))
        base_year = row.year if row.year is not None else rng.randint(self.cy - 12, self.cy - 1)

        doi: str | None = None
        work: CrossrefWork | None = None
        pub_year: int | None
        if has_doi:
            if venue.kind == "arxiv":  # published after the preprint, in a journal
                place = self._journal_placement(rng, self._random_journal(rng), None, None, None)
                pub_year = min(self.cy, base_year + rng.choice((0, 1, 1)))
                if pub_year != row.year:
                    notes.append("published_after_preprint")
            else:
                place = self._placement(rng, venue, base_year)
                pub_year = row.year
                if venue.kind in ("proceedings", "long"):
                    notes.append("venue_expanded")
            title, subtitle = self._title(rng, row.title, notes)
            people = self._people(rng, names, notes)
            dates = self._dates(rng, pub_year, place.type, notes)
            doi = self._doi(rng, place, (dates[0] or (base_year,))[0])
            abstract = None
            if rng.random() < 0.25:
                abstract = f"<jats:p>{_x(self._abstract(rng, row.title))}</jats:p>"
            preprint_doi = None
            if d_preprint < 0.04 and place.type == "journal-article":
                pre_place = _Placement(
                    type="posted-content",
                    publisher_key=rng.choice(("ResearchSquare", "SSRN")),
                    style="posted",
                )
                preprint_doi = self._doi(rng, pre_place, base_year - 1)
                pre_year = max(base_year - 1, 1990)
                pre_date: DateParts = (pre_year, rng.randint(1, 12), rng.randint(1, 28))
                self.works.append(
                    self._record(
                        rng,
                        pre_place,
                        preprint_doi,
                        row.title,
                        None,
                        self._intern(n.crossref("full") for n in names),
                        (pre_date, pre_date, None),
                        rng.randint(0, 5),
                        relations=(("is-preprint-of", doi),),
                    )
                )
                self.distractors.append(
                    Distractor("preprint", preprint_doi.lower(), row.title, doi.lower())
                )
            work = self._record(
                rng,
                place,
                doi,
                title,
                subtitle,
                people,
                dates,
                int(row.citations * rng.uniform(0.4, 0.9)),
                abstract=abstract,
                relations=(("has-preprint", preprint_doi),) if preprint_doi else (),
            )
            self.works.append(work)

        arxiv_id: str | None = None
        if has_arxiv:
            arxiv_id = self._preprint(rng, row, venue, names, work, owns_venue_id, base_year, notes)

        if work is not None and d_erratum < 0.025:
            self._erratum(rng, row, work)
        if d_near < 0.05:
            self._near(rng, row, base_year)
        if d_same < 0.02:
            self._same_title(rng, row, names, base_year)

        first = words(names[0].family) if names else []
        self.truths.append(
            (
                title_key(row.title),
                row.year,
                " ".join(first),
                Truth(doi.lower() if doi else None, arxiv_id, self._notes(notes)),
            )
        )

    def _abstract(self, rng: random.Random, title: str) -> str:
        core = title.split(": ")[0].rstrip("?.")
        sentences = [f"This paper studies {core[:1].lower() + core[1:]}."]
        for template in rng.sample(_ABSTRACT_SENTENCES, 3):
            sentences.append(
                template.format(
                    k=rng.randint(2, 9),
                    m=rng.randint(2, 6),
                    p=rng.randint(5, 60),
                    noun=rng.choice(gen._NOUN),
                    adj=rng.choice(gen._ADJ),
                )
            )
        return " ".join(sentences)

    def _preprint(
        self,
        rng: random.Random,
        row: PublicationRow,
        venue: _Venue,
        names: Sequence[_Name],
        work: CrossrefWork | None,
        owns_venue_id: bool,
        base_year: int,
        notes: list[str],
    ) -> str:
        categories = tuple(dict.fromkeys(rng.sample(_ARXIV_CATEGORIES, rng.randint(1, 3))))
        if venue.kind == "arxiv" and venue.arxiv_id and owns_venue_id:
            arxiv_id = venue.arxiv_id
            yy, mm = int(arxiv_id[:2]), int(arxiv_id[2:4])
            published = datetime(2000 + yy, max(1, min(12, mm)), rng.randint(1, 28), tzinfo=UTC)
        else:
            if venue.kind == "arxiv":
                notes.append("scholar_arxiv_id_of_another_paper")
            year = max(1995, base_year - rng.choice((0, 1, 1)))
            published = datetime(year, rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC)
            arxiv_id = self._arxiv_id(rng, published, categories[0])
        published += timedelta(seconds=rng.randrange(86400))
        version = rng.choice((1, 1, 1, 2, 2, 3, 4))
        updated = published + timedelta(days=rng.randint(20, 400)) if version > 1 else None
        title = row.title
        if rng.random() < 0.1:
            title = _title_case(title)
            notes.append("arxiv_title_case")
        doi = journal_ref = None
        if work is not None and rng.random() < 0.75:
            doi = work.doi
            if rng.random() < 0.8:
                where = work.short_container_title or work.container_title or work.publisher
                pieces = [where, work.volume, f"({work.year})" if work.year else None, work.page]
                journal_ref = " ".join(p for p in pieces if p)
        elif work is not None:
            notes.append("arxiv_without_doi")
        self.papers.append(
            ArxivPaper(
                arxiv_id=arxiv_id,
                title=title,
                authors=tuple(n.full for n in names) or ("Anonymous",),
                published=published,
                summary=self._abstract(rng, row.title),
                updated=updated,
                version=version,
                categories=categories,
                comment=rng.choice((None, None, *_ARXIV_COMMENTS)),
                journal_ref=journal_ref,
                doi=doi,
            )
        )
        return arxiv_id

    # ------------------------------------------------------------ distractors

    def _erratum(self, rng: random.Random, row: PublicationRow, work: CrossrefWork) -> None:
        prefix, kind, label = rng.choice(
            (
                ("Erratum: ", "erratum", "Erratum"),
                ("Erratum to: ", "erratum", "Erratum"),
                ("Correction to: ", "correction", "Correction"),
                ("Correction: ", "correction", "Correction"),
            )
        )
        year = min(
            self.cy, (work.year or rng.randint(self.cy - 10, self.cy - 1)) + rng.randint(0, 1)
        )
        when: DateParts = (year, rng.randint(1, 12), rng.randint(1, 28))
        place = _Placement(
            type="journal-article" if work.type == "journal-article" else work.type,
            publisher_key=next(
                (k for k, v in _PUBLISHERS.items() if v[0] == work.publisher), "Elsevier"
            ),
            container=work.container_title,
            short_container=work.short_container_title,
            volume=work.volume,
            issue=work.issue,
            page=str(rng.randint(1, 3000)),
            issn=work.issn,
            style="journal",
            abbr=_initials(work.container_title or "X")[:5] or "X",
        )
        doi = self._doi(rng, place, year)
        people = work.authors if rng.random() < 0.4 else ()
        self.works.append(
            self._record(
                rng,
                place,
                doi,
                prefix + row.title,
                None,
                people,
                (when, when, None),
                0,
                update_to=(Update(work.doi, kind, label, when),),
            )
        )
        self.distractors.append(Distractor(kind, doi.lower(), row.title, work.doi.lower()))

    def _near(self, rng: random.Random, row: PublicationRow, base_year: int) -> None:
        title = self._near_title(rng, row.title)
        others = [self._random_name(rng) for _ in range(rng.randint(1, 4))]
        year = min(self.cy, max(1990, base_year + rng.randint(-3, 3)))
        if rng.random() < 0.3:
            published = datetime(year, rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC)
            categories = (rng.choice(_ARXIV_CATEGORIES),)
            arxiv_id = self._arxiv_id(rng, published, categories[0])
            self.papers.append(
                ArxivPaper(
                    arxiv_id=arxiv_id,
                    title=title,
                    authors=tuple(n.full for n in others),
                    published=published + timedelta(seconds=rng.randrange(86400)),
                    summary=self._abstract(rng, title),
                    categories=categories,
                )
            )
            self.distractors.append(Distractor("arxiv_near_title", arxiv_id, row.title))
            return
        place = self._journal_placement(rng, self._random_journal(rng), None, None, None)
        notes: list[str] = []
        dates = self._dates(rng, year, place.type, notes)
        doi = self._doi(rng, place, year)
        people = self._intern(n.crossref("full") for n in others)
        self.works.append(
            self._record(rng, place, doi, title, None, people, dates, rng.randint(0, 200))
        )
        self.distractors.append(Distractor("near_title", doi.lower(), row.title))

    def _same_title(
        self, rng: random.Random, row: PublicationRow, names: Sequence[_Name], base_year: int
    ) -> None:
        shift = rng.choice((-5, -4, -3, -2, 2, 3, 4))
        year = base_year + shift
        if year > self.cy:
            year = base_year - abs(shift)
        if names and rng.random() < 0.5:  # an extended version by the same first author
            people_names = [names[0], *(self._random_name(rng) for _ in range(rng.randint(0, 3)))]
        else:
            people_names = [self._random_name(rng) for _ in range(rng.randint(1, 4))]
        place = self._journal_placement(rng, self._random_journal(rng), None, None, None)
        when: DateParts = (year, rng.randint(1, 12), rng.randint(1, 28))
        doi = self._doi(rng, place, year)
        people = self._intern(n.crossref("full") for n in people_names)
        self.works.append(
            self._record(
                rng, place, doi, row.title, None, people, (when, when, None), rng.randint(0, 90)
            )
        )
        self.distractors.append(Distractor("same_title_other_year", doi.lower(), row.title))

    def _background(self, n: int) -> None:
        """Works no Scholar row is about: reference entries, chapters, undated, authorless."""
        for k in range(n):
            rng = random.Random(f"{self.seed}:api:background:{k}")
            title = gen._ascii_title(rng)
            year = rng.randint(self.cy - 25, self.cy)
            r = rng.random()
            if r < 0.08:
                place = _Placement(
                    type="reference-entry",
                    publisher_key="SpringerNature",
                    container=rng.choice(_REFERENCE_WORKS),
                    style="chapter",
                )
                people: tuple[Person, ...] = ()
            else:
                if r < 0.7:
                    place = self._journal_placement(
                        rng, self._random_journal(rng), None, None, None
                    )
                elif r < 0.85:
                    conf = rng.choice(sorted(c for c, v in _CONFERENCE_FULL.items() if v[0]))
                    place = self._placement(rng, _Venue("proceedings", conf), year)
                else:
                    place = _Placement(
                        type="posted-content", publisher_key="ResearchSquare", style="posted"
                    )
                count = 0 if rng.random() < 0.05 else rng.randint(1, 6)
                people = self._intern(self._random_name(rng).crossref("full") for _ in range(count))
            notes: list[str] = []
            dates = self._dates(rng, year, place.type, notes)
            doi = self._doi(rng, place, year)
            self.works.append(
                self._record(rng, place, doi, title, None, people, dates, rng.randint(0, 300))
            )
            if rng.random() < 0.25:
                published = datetime(year, rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC)
                category = rng.choice(_ARXIV_CATEGORIES)
                self.papers.append(
                    ArxivPaper(
                        arxiv_id=self._arxiv_id(rng, published, category),
                        title=title,
                        authors=tuple(p.name for p in people) or ("Anonymous",),
                        published=published + timedelta(seconds=rng.randrange(86400)),
                        summary=self._abstract(rng, title),
                        categories=(category,),
                        doi=doi if rng.random() < 0.5 else None,
                    )
                )


# --------------------------------------------------------------------------- catalogue


def _param(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


class ApiCatalogue:
    """The works the mock arXiv and Crossref APIs know, and the truth about Scholar rows.

    Build one with :meth:`from_corpus` (lazy: built on first use or by :meth:`prepare`, in
    profile order; about 7 s and 100 MB for 60,000 Scholar rows, then a few milliseconds a
    query) or :meth:`from_works` (hand-built, for tests).
    :meth:`answer` serves the routes; :meth:`truth_for` tells what a Scholar row really is.
    ``clock`` gives the feeds' ``updated`` time (default: now). Thread-safe.
    """

    def __init__(
        self,
        *,
        corpus: gen.Corpus | None = None,
        works: Iterable[CrossrefWork] = (),
        papers: Iterable[ArxivPaper] = (),
        truths: Mapping[tuple[str, int | None], Truth] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._corpus = corpus
        self._given = (list(works), list(papers), dict(truths or {}))
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._ready = False
        self._crossref: _CrossrefIndex | None = None
        self._arxiv: _ArxivIndex | None = None
        self._truths: dict[str, list[tuple[int | None, str, Truth]]] = {}
        self._distractors: list[Distractor] = []
        self._papers_count = 0

    @classmethod
    def from_corpus(
        cls, corpus: gen.Corpus, *, clock: Callable[[], datetime] | None = None
    ) -> ApiCatalogue:
        """The catalogue of a replay corpus (built on first use)."""
        return cls(corpus=corpus, clock=clock)

    @classmethod
    def from_works(
        cls,
        records: Iterable[CrossrefWork | ArxivPaper],
        truths: Mapping[tuple[str, int | None], Truth] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> ApiCatalogue:
        """A hand-built catalogue; ``truths`` maps ``(title, year)`` to the row's truth."""
        works: list[CrossrefWork] = []
        papers: list[ArxivPaper] = []
        for record in records:
            if isinstance(record, CrossrefWork):
                works.append(record)
            else:
                papers.append(record)
        return cls(works=works, papers=papers, truths=truths, clock=clock).prepare()

    # ------------------------------------------------------------ building

    def prepare(self) -> ApiCatalogue:
        """Build now (otherwise the first query does); returns self."""
        if self._ready:
            return self
        with self._lock:
            if self._ready:
                return self
            works, papers, given = self._given
            truths: list[tuple[str, int | None, str, Truth]] = [
                (title_key(title), year, "", truth) for (title, year), truth in given.items()
            ]
            if self._corpus is not None:
                built = _Builder(self._corpus).build()
                works = works + built.works
                papers = papers + built.papers
                truths += built.truths
                self._distractors = built.distractors
            for key, year, surname, truth in truths:
                self._truths.setdefault(key, []).append((year, surname, truth))
            self._papers_count = len(truths)
            self._crossref = _CrossrefIndex(works)
            self._arxiv = _ArxivIndex(papers)
            self._given = ([], [], {})
            self._ready = True
        return self

    @property
    def _cr(self) -> _CrossrefIndex:
        self.prepare()
        assert self._crossref is not None
        return self._crossref

    @property
    def _ax(self) -> _ArxivIndex:
        self.prepare()
        assert self._arxiv is not None
        return self._arxiv

    # ------------------------------------------------------------ records and truth

    @property
    def works(self) -> tuple[CrossrefWork, ...]:
        """Every Crossref work, in catalogue order."""
        return tuple(self._cr.works)

    @property
    def arxiv_papers(self) -> tuple[ArxivPaper, ...]:
        """Every arXiv paper, in catalogue order."""
        return tuple(self._ax.papers)

    def work(self, doi: str) -> CrossrefWork | None:
        """The work with this DOI (any case), or None."""
        i = self._cr.by_doi.get(doi.lower())
        return None if i is None else self._cr.works[i]

    def arxiv_paper(self, arxiv_id: str) -> ArxivPaper | None:
        """The paper with this id (a version suffix is ignored), or None."""
        split = split_arxiv_id(arxiv_id)
        i = self._ax.by_id.get(split[0]) if split else None
        return None if i is None else self._ax.papers[i]

    def truth_for(
        self, title: str, year: int | None = None, first_author: str | None = None
    ) -> Truth | None:
        """The truth of the Scholar row with this title (None: not a row of the corpus).

        ``year`` and ``first_author`` (a surname, or Scholar's ``"K Srinivasan"``) pick
        among rows sharing a title; a title held by one row needs neither.
        """
        self.prepare()
        entries = self._truths.get(title_key(title), [])
        if len(entries) > 1:
            same_year = [e for e in entries if e[0] == year]
            entries = same_year or entries
        if len(entries) > 1 and first_author:
            surname = " ".join(words(first_author.split(" ", 1)[-1]))
            entries = [e for e in entries if e[1] == surname] or entries
        return entries[0][2] if entries else None

    def truth_for_row(self, row: PublicationRow) -> Truth | None:
        """:meth:`truth_for` a parsed or generated Scholar row."""
        first = row.authors.split(",")[0].strip() if row.authors else None
        return self.truth_for(row.title, row.year, first)

    def truths(self) -> list[tuple[str, int | None, Truth]]:
        """``(title key, year, truth)`` of every Scholar row, in catalogue order."""
        self.prepare()
        return [(key, y, t) for key, entries in self._truths.items() for y, _, t in entries]

    def distractors(self, kind: str | None = None) -> list[Distractor]:
        """The distractor records (of one ``kind``), in catalogue order."""
        self.prepare()
        return [d for d in self._distractors if kind is None or d.kind == kind]

    @property
    def stats(self) -> CatalogueStats:
        """How many rows have a DOI, an arXiv id, both, neither; record counts."""
        truths = [t for _, _, t in self.truths()]
        kinds = Counter(d.kind for d in self._distractors)
        return CatalogueStats(
            papers=len(truths),
            with_doi=sum(1 for t in truths if t.doi),
            with_arxiv=sum(1 for t in truths if t.arxiv_id),
            with_both=sum(1 for t in truths if t.doi and t.arxiv_id),
            neither=sum(1 for t in truths if not t.found),
            works=len(self._cr.works),
            arxiv_papers=len(self._ax.papers),
            distractors=tuple(sorted(kinds.items())),
        )

    # ------------------------------------------------------------ routes

    def answer(self, path: str, query: Mapping[str, Sequence[str]]) -> ApiResponse | None:
        """The answer to ``GET path?query`` (query as ``parse_qs`` gives it); None: no route."""
        if path == ARXIV_PATH:
            return self.arxiv_query(query)
        if path == CROSSREF_WORKS_PATH:
            return self.crossref_works(query)
        if path.startswith(CROSSREF_WORKS_PATH + "/"):
            return self.crossref_work(unquote(path[len(CROSSREF_WORKS_PATH) + 1 :]), query)
        return None

    # ------------------------------------------------------------ arXiv

    def arxiv_query(self, query: Mapping[str, Sequence[str]]) -> ApiResponse:
        """``/api/query`` (see the module docstring)."""
        now = self.clock()
        search = _param(query, "search_query") or ""
        id_text = _param(query, "id_list") or ""
        start_text = _param(query, "start")
        max_text = _param(query, "max_results")
        try:
            start = int(start_text) if start_text not in (None, "") else 0
        except ValueError:
            return _error_feed("start must be an integer", now)
        if start < 0:
            return _error_feed("start must be non-negative", now)
        try:
            size = int(max_text) if max_text not in (None, "") else ARXIV_DEFAULT_MAX_RESULTS
        except ValueError:
            return _error_feed("max_results must be an integer", now)
        if size < 0:
            return _error_feed("max_results must be non-negative", now)
        size = min(size, ARXIV_MAX_RESULTS)
        sort_by = _param(query, "sortBy") or "relevance"
        if sort_by not in ("relevance", "lastUpdatedDate", "submittedDate"):
            return _error_feed(f"unknown sortBy {sort_by}", now)
        order = _param(query, "sortOrder") or "descending"
        if order not in ("ascending", "descending"):
            return _error_feed(f"unknown sortOrder {order}", now)
        wanted: list[tuple[str, int | None]] = []
        for raw in (s.strip() for s in id_text.split(",")):
            if not raw:
                continue
            split = split_arxiv_id(raw)
            if split is None:
                return _error_feed(f"incorrect id format for {raw}", now)
            wanted.append(split)
        try:
            node = parse_search_query(search)
        except QuerySyntaxError as exc:
            return _error_feed(str(exc), now)

        index = self._ax
        hits: list[tuple[int, int]] = []  # (paper, version)
        if wanted:
            allowed = index.evaluate(node) if node is not None else None
            for arxiv_id, version in wanted:
                i = index.by_id.get(arxiv_id)
                if i is None or (allowed is not None and i not in allowed):
                    continue
                latest = index.papers[i].version
                if version is not None and version > latest:
                    continue  # no such version
                hits.append((i, version or latest))
        elif node is not None:
            found = index.evaluate(node)
            hits = [(i, index.papers[i].version) for i in self._arxiv_order(found, node, sort_by)]
            if order == "ascending" and sort_by != "relevance":
                hits.reverse()
        total = len(hits)
        page = hits[start : start + size]
        entries = "".join(_entry_xml(index.papers[i], v) for i, v in page)
        echo = f"search_query={search}&id_list={id_text}&start={start}&max_results={size}"
        digest = hashlib.sha1(echo.encode("utf-8"), usedforsecurity=False).digest()
        feed_id = base64.b64encode(digest).decode("ascii").rstrip("=")
        link = (
            "https://arxiv.org/api/query?search_query="
            + quote(search, safe=":/,\"'()")
            + f"&start={start}&max_results={size}&id_list="
            + quote(id_text, safe=":/,")
        )
        body = (
            _FEED_OPEN
            + f"  <id>https://arxiv.org/api/{feed_id}</id>\n"
            + f"  <title>arXiv Query: {_x(echo)}</title>\n"
            + f"  <updated>{_atom_time(now)}</updated>\n"
            + f'  <link href="{_a(link)}" type="application/atom+xml"/>\n'
            + _opensearch(size, total, start)
            + entries
            + "</feed>\n"
        )
        return ApiResponse(200, body.encode("utf-8"), ATOM)

    def _arxiv_order(self, found: set[int], node: _Node, sort_by: str) -> list[int]:
        index = self._ax
        papers = index.papers
        if sort_by == "submittedDate":
            return sorted(
                found, key=lambda i: (papers[i].published, papers[i].arxiv_id), reverse=True
            )
        if sort_by == "lastUpdatedDate":
            return sorted(
                found,
                key=lambda i: (papers[i].updated or papers[i].published, papers[i].arxiv_id),
                reverse=True,
            )
        qwords, phrases = _query_words(node)

        def relevance(i: int) -> tuple[int, int, float, str]:
            tw = index.title_words[i]
            exact = any(tw == p for p in phrases)
            overlap = len(qwords.intersection(tw))
            return (
                0 if exact else 1,
                -overlap,
                -papers[i].published.timestamp(),
                papers[i].arxiv_id,
            )

        return sorted(found, key=relevance)

    # ------------------------------------------------------------ Crossref

    def crossref_work(self, doi: str, query: Mapping[str, Sequence[str]]) -> ApiResponse:
        """``/works/{doi}``."""
        if any(name.startswith("query") for name in query):
            return _validation_failure(
                [
                    {
                        "type": "parameter-not-allowed",
                        "value": "query.*",
                        "message": "This route does not support field query parameters",
                    }
                ]
            )
        work = self.work(doi.strip())
        if work is None:
            return ApiResponse(404, b"Resource not found.", TEXT)
        body = {
            "status": "ok",
            "message-type": "work",
            "message-version": "1.0.0",
            "message": work.to_json(1),
        }
        return ApiResponse(200, _json_bytes(body), JSON)

    def crossref_works(self, query: Mapping[str, Sequence[str]]) -> ApiResponse:
        """``/works`` (see the module docstring)."""
        failures: list[dict[str, Any]] = []
        searches: list[tuple[str, str]] = []
        for name in query:
            if name in _FIELD_QUERIES:
                field = _FIELD_QUERIES[name]
                text = _param(query, name) or ""
                if field is not None and text.strip():
                    searches.append((field, text))
            elif name not in _LIST_PARAMS:
                failures.append(
                    {
                        "type": "parameter-not-allowed",
                        "value": name,
                        "message": f"This route does not support {name}",
                    }
                )
        free = _param(query, "query")
        if free and free.strip():
            searches.insert(0, ("bib", free))
        rows_text = _param(query, "rows")
        rows = CROSSREF_DEFAULT_ROWS
        if rows_text is not None:
            if not rows_text.isdigit() or int(rows_text) > CROSSREF_MAX_ROWS:
                failures.append(_integer_failure(rows_text, CROSSREF_MAX_ROWS))
            else:
                rows = int(rows_text)
        offset_text = _param(query, "offset")
        offset = 0
        if offset_text is not None:
            if not offset_text.isdigit():
                failures.append(_integer_failure(offset_text, CROSSREF_MAX_OFFSET))
            elif int(offset_text) > CROSSREF_MAX_OFFSET:
                failures.append(
                    {
                        "type": "integer-not-valid",
                        "value": offset_text,
                        "message": f"Offset specified as {offset_text} is too large",
                    }
                )
            else:
                offset = int(offset_text)
        cursor = _param(query, "cursor")
        if cursor is not None and cursor != "*":
            try:
                offset = int(base64.urlsafe_b64decode(cursor.encode("ascii") + b"==").decode())
            except (ValueError, UnicodeDecodeError):
                failures.append(
                    {"type": "cursor-not-valid", "value": cursor, "message": "Invalid cursor"}
                )
        selected: list[str] | None = None
        select_text = _param(query, "select")
        if select_text is not None:
            selected = [s.strip() for s in select_text.split(",") if s.strip()]
            for name in selected:
                if name not in _SELECTS:
                    failures.append(
                        {
                            "type": "select-not-available",
                            "value": name,
                            "message": (
                                f"Select {name} specified but there is no such select for this "
                                "route. Valid selects for this route are: " + ", ".join(_SELECTS)
                            ),
                        }
                    )
        filters: list[tuple[str, str]] = []
        filter_text = _param(query, "filter")
        for part in (p.strip() for p in (filter_text or "").split(",")):
            if not part:
                continue
            name, _, value = part.partition(":")
            if name not in _FILTERS:
                failures.append(
                    {
                        "type": "filter-not-available",
                        "value": name,
                        "message": (
                            f"Filter {name} specified but there is no such filter for this "
                            "route. Valid filters for this route are: " + ", ".join(_FILTERS)
                        ),
                    }
                )
            elif name.endswith("-pub-date") and _date_filter(value) is None:
                failures.append(
                    {
                        "type": "date-not-valid",
                        "value": value,
                        "message": f"Date specified as {value} but must be of the form "
                        "yyyy or yyyy-MM or yyyy-MM-dd",
                    }
                )
            else:
                filters.append((name, value))
        sort = _param(query, "sort") or "score"
        if sort not in _SORTS:
            failures.append(
                {
                    "type": "sort-field-not-available",
                    "value": sort,
                    "message": f"Sort field {sort} specified but there is no such sort field",
                }
            )
        order = _param(query, "order") or "desc"
        if order not in ("asc", "desc"):
            failures.append(
                {
                    "type": "order-not-valid",
                    "value": order,
                    "message": f"Order specified as {order} but must be one of: asc, desc",
                }
            )
        if failures:
            return _validation_failure(failures)

        ranked, total = self._crossref_rank(searches, filters, offset + rows)
        if sort not in ("score", "relevance") or (not searches and order == "asc"):
            ranked = self._crossref_sort(ranked, sort, order)
        page = ranked[offset : offset + rows]
        works = self._cr.works
        items = []
        for score, i in page:
            item = works[i].to_json(score)
            if selected is not None:
                item = {k: v for k, v in item.items() if k in selected}
            items.append(item)
        message: dict[str, Any] = {"facets": {}}
        if cursor is not None:
            following = offset + len(page)
            message["next-cursor"] = base64.urlsafe_b64encode(str(following).encode()).decode()
        message["total-results"] = total
        message["items"] = items
        message["items-per-page"] = rows
        message["query"] = {"start-index": offset, "search-terms": free}
        body = {
            "status": "ok",
            "message-type": "work-list",
            "message-version": "1.0.0",
            "message": message,
        }
        return ApiResponse(200, _json_bytes(body), JSON)

    def _crossref_rank(
        self, searches: Sequence[tuple[str, str]], filters: Sequence[tuple[str, str]], need: int
    ) -> tuple[list[tuple[float, int]], int]:
        index = self._cr
        if not searches:  # no query: every work, in DOI order
            docs = [i for i in index.doi_order() if self._passes(i, filters)]
            return [(0.0, i) for i in docs], len(docs)
        ranked, total, complete = index.search(searches, need)
        if filters or (need > len(ranked) and not complete):
            # the exact path: every work sharing a word, scored (rare: deep pages, filters)
            matching: set[int] = set()
            for postings, *_ in index.terms(searches):
                matching.update(postings)
            docs = [i for i in matching if self._passes(i, filters)]
            ranked = index.score_all(docs, searches)
            total = len(docs)
        return ranked, total

    def _passes(self, i: int, filters: Sequence[tuple[str, str]]) -> bool:
        work = self._cr.works[i]
        for name, value in filters:
            if name == "type" and work.type != value:
                return False
            if name == "doi" and work.doi.lower() != value.lower():
                return False
            if name.endswith("-pub-date"):
                bound = _date_filter(value)
                if not work.issued or bound is None:
                    return False
                issued = tuple(work.issued[: len(bound)])
                if name == "from-pub-date" and issued < bound:
                    return False
                if name == "until-pub-date" and issued > bound:
                    return False
        return True

    def _crossref_sort(
        self, ranked: list[tuple[float, int]], sort: str, order: str
    ) -> list[tuple[float, int]]:
        works = self._cr.works

        def key(sd: tuple[float, int]) -> tuple[Any, ...]:
            work = works[sd[1]]
            if sort == "is-referenced-by-count":
                return (work.cited_by, work.doi.lower())
            if sort == "references-count":
                return (work.reference_count, work.doi.lower())
            return (_first_day(work.issued) if work.issued else (0, 0, 0), work.doi.lower())

        return sorted(ranked, key=key, reverse=order == "desc")
