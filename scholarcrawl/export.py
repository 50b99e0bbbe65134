"""``scholarcrawl export``: full publication records with identifiers and PDF links.

    scholarcrawl export --format jsonl|csv|bibtex [--scholar ID] [--output FILE] [--database URL]

Records come from :class:`scholarcrawl.store.export.Exporter` (one snapshot, read in pages)
and are written as they come, so memory does not grow with the database. ``--output`` writes
a temporary file beside FILE and renames it at the end: an export that fails leaves no file,
and never half of one. Formats, columns and the BibTeX entry-type rule: ``docs/export.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from pylatexenc.latexencode import (
    RULE_DICT,
    UnicodeToLatexConversionRule,
    UnicodeToLatexEncoder,
)

from scholarcrawl.fingerprint import (
    AUTHOR_SPLIT,
    ELLIPSES,
    SPACES,
    first_author_surname,
    normalise_title,
)
from scholarcrawl.pdfstore import PdfStore
from scholarcrawl.scholar.urls import checked_scholar_id
from scholarcrawl.store.export import ExportDetails, Exporter, ExportProfile, ExportRecord
from scholarcrawl.store.pdfqueue import DONE

if TYPE_CHECKING:
    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

FORMATS = ("jsonl", "csv", "bibtex")
#: Separator of the values of a multi-valued CSV cell.
CSV_JOIN = "; "
#: What a text cell may not start with, unquoted: a spreadsheet reads it as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The CSV header, in order (one row per publication; see docs/export.md).
CSV_COLUMNS = (
    "id",
    "title",
    "authors",
    "year",
    "venue",
    "doi",
    "arxiv_id",
    "cluster_ids",
    "scholar_ids",
    "scholar_names",
    "scholar_citations",
    "scholar_positions",
    "citation_for_view",
    "citations",
    "identifiers",
    "identifier_status",
    "pdf_status",
    "pdf_url",
    "landing_url",
    "pdf_source",
    "oa_status",
    "download_status",
    "pdf_sha256",
    "pdf_size",
    "pdf_path",
    "created_at",
    "updated_at",
    # from the detail page (-a details): empty until it was asked for
    "details_status",
    "details_fetched_at",
    "publication_date",
    "journal",
    "conference",
    "book",
    "volume",
    "issue",
    "pages",
    "publisher",
    "description",
    "detail_citations",
    "detail_fields",
    "link_url",
    "fulltext_url",
    "fulltext_kind",
)
#: The CSV header of ``--profiles`` (one row per profile; see docs/export.md).
PROFILE_CSV_COLUMNS = (
    "scholar_id",
    "name",
    "affiliation",
    "email_domain",
    "homepage",
    "interests",
    "citations_all",
    "citations_since",
    "h_index_all",
    "h_index_since",
    "i10_all",
    "i10_since",
    "since_year",
    "cites_per_year",
    "coauthors",
    "coauthors_full",
    "coauthors_full_at",
    "crawl_status",
    "last_crawled_at",
    "created_at",
    "updated_at",
)

Writer = Callable[[Iterable[ExportRecord], TextIO], int]
T = TypeVar("T")
ProfileWriter = Callable[[Iterable[ExportProfile], TextIO], int]


# --- JSON Lines ----------------------------------------------------------------------------


def record_json(record: ExportRecord) -> dict[str, Any]:
    """The JSON object of one record (one line of the ``jsonl`` export)."""
    pdf = record.pdf
    return {
        "id": record.id,
        "title": record.title,
        "year": record.year,
        "venue": record.venue,
        "authors": record.authors,
        "doi": record.doi,
        "arxiv_id": record.arxiv_id,
        "cluster_ids": list(record.cluster_ids),
        "identifier_status": record.identifier_status,
        "scholars": [
            {
                "scholar_id": scholar.scholar_id,
                "name": scholar.name,
                "citations": scholar.citations,
                "position": scholar.position,
                "citation_for_view": scholar.citation_for_view,
            }
            for scholar in record.scholars
        ],
        "identifiers": [
            {
                "kind": ident.kind,
                "value": ident.value,
                "role": ident.role,
                "source": ident.source,
                "confidence": ident.confidence,
            }
            for ident in record.identifiers
        ],
        "pdf": None
        if pdf is None
        else {
            "status": pdf.status,
            "pdf_url": pdf.pdf_url,
            "landing_url": pdf.landing_url,
            "source": pdf.source,
            "oa_status": pdf.oa_status,
            "download_status": pdf.download_status,
            "sha256": pdf.sha256,
            "size": pdf.size,
            "path": pdf.path,
            "resolved_at": pdf.resolved_at.isoformat() if pdf.resolved_at else None,
        },
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "details": _details_json(record.details),
    }


def _details_json(details: ExportDetails | None) -> dict[str, Any] | None:
    if details is None:
        return None
    return {
        "status": details.status,
        "fetched_at": _iso(details.fetched_at),
        "publication_date": details.publication_date,
        "journal": details.journal,
        "conference": details.conference,
        "book": details.book,
        "volume": details.volume,
        "issue": details.issue,
        "pages": details.pages,
        "publisher": details.publisher,
        "description": details.description,
        "citations": details.citations,
        "fields": dict(details.fields),
        "link_url": details.link_url,
        "fulltext_url": details.fulltext_url,
        "fulltext_kind": details.fulltext_kind,
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def profile_json(profile: ExportProfile) -> dict[str, Any]:
    """The JSON object of one profile (one line of ``--profiles --format jsonl``)."""
    return {
        "scholar_id": profile.scholar_id,
        "name": profile.name,
        "affiliation": profile.affiliation,
        "email_domain": profile.email_domain,
        "homepage": profile.homepage,
        "interests": list(profile.interests),
        "citations_all": profile.citations_all,
        "citations_since": profile.citations_since,
        "h_index_all": profile.h_index_all,
        "h_index_since": profile.h_index_since,
        "i10_all": profile.i10_all,
        "i10_since": profile.i10_since,
        "since_year": profile.since_year,
        "cites_per_year": dict(profile.cites_per_year),
        "coauthors": [dict(c) for c in profile.coauthors],
        "coauthors_full": None
        if profile.coauthors_full is None
        else [dict(c) for c in profile.coauthors_full],
        "coauthors_full_at": _iso(profile.coauthors_full_at),
        "crawl_status": profile.crawl_status,
        "last_crawled_at": _iso(profile.last_crawled_at),
        "created_at": profile.created_at.isoformat(),
        "updated_at": profile.updated_at.isoformat(),
    }


def write_profiles_jsonl(profiles: Iterable[ExportProfile], out: TextIO) -> int:
    """One JSON object per profile and line; how many."""
    count = 0
    for profile in profiles:
        out.write(json.dumps(profile_json(profile), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_jsonl(records: Iterable[ExportRecord], out: TextIO) -> int:
    """One JSON object per line (UTF-8, not ASCII-escaped); how many."""
    count = 0
    for record in records:
        out.write(json.dumps(record_json(record), ensure_ascii=False) + "\n")
        count += 1
    return count


# --- CSV -----------------------------------------------------------------------------------


def _cell(value: object) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted (``'=…``).

    OWASP's rule for CSV injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return gets a leading ``'`` (titles, names and venues come from the
    web). Numbers are written as they are: they stay numbers, and none of ours is negative.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


def _joined(values: Iterable[object]) -> str:
    # the joined text becomes one cell: only its start matters to a spreadsheet
    return CSV_JOIN.join("" if value is None else str(value) for value in values)


def csv_row(record: ExportRecord) -> list[str]:
    """The cells of one record, in :data:`CSV_COLUMNS` order."""
    pdf = record.pdf
    scholars = record.scholars
    cells: dict[str, object] = {
        "id": record.id,
        "title": record.title,
        "authors": record.authors,
        "year": record.year,
        "venue": record.venue,
        "doi": record.doi,
        "arxiv_id": record.arxiv_id,
        "cluster_ids": _joined(record.cluster_ids),
        "scholar_ids": _joined(s.scholar_id for s in scholars),
        "scholar_names": _joined(s.name for s in scholars),
        "scholar_citations": _joined(s.citations for s in scholars),
        "scholar_positions": _joined(s.position for s in scholars),
        "citation_for_view": _joined(s.citation_for_view for s in scholars),
        "citations": max((s.citations for s in scholars), default=None),
        "identifiers": _joined(
            f"{i.kind}:{i.value} ({i.role}, {i.source}, {i.confidence:g})"
            for i in record.identifiers
        ),
        "identifier_status": record.identifier_status,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }
    details = record.details
    if details is not None:
        cells.update(
            {
                "details_status": details.status,
                "details_fetched_at": _iso(details.fetched_at),
                "publication_date": details.publication_date,
                "journal": details.journal,
                "conference": details.conference,
                "book": details.book,
                "volume": details.volume,
                "issue": details.issue,
                "pages": details.pages,
                "publisher": details.publisher,
                "description": details.description,
                "detail_citations": details.citations,
                "detail_fields": json.dumps(details.fields, ensure_ascii=False)
                if details.fields
                else None,
                "link_url": details.link_url,
                "fulltext_url": details.fulltext_url,
                "fulltext_kind": details.fulltext_kind,
            }
        )
    if pdf is not None:
        cells.update(
            {
                "pdf_status": pdf.status,
                "pdf_url": pdf.pdf_url,
                "landing_url": pdf.landing_url,
                "pdf_source": pdf.source,
                "oa_status": pdf.oa_status,
                "download_status": pdf.download_status,
                "pdf_sha256": pdf.sha256,
                "pdf_size": pdf.size,
                "pdf_path": pdf.path,
            }
        )
    return [_cell(cells.get(column)) for column in CSV_COLUMNS]


def write_csv(records: Iterable[ExportRecord], out: TextIO) -> int:
    """A header, then one row per publication (RFC 4180 quoting); how many rows."""
    return _write_table(out, CSV_COLUMNS, (csv_row(record) for record in records))


def _write_table(out: TextIO, header: Sequence[str], rows: Iterable[list[str]]) -> int:
    writer = csv.writer(out)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def _coauthor_cell(coauthors: Iterable[dict[str, Any]]) -> str:
    return _joined(f"{c.get('name') or ''} ({c.get('scholar_id') or ''})" for c in coauthors)


def profile_csv_row(profile: ExportProfile) -> list[str]:
    """The cells of one profile, in :data:`PROFILE_CSV_COLUMNS` order."""
    cells: dict[str, object] = {
        "scholar_id": profile.scholar_id,
        "name": profile.name,
        "affiliation": profile.affiliation,
        "email_domain": profile.email_domain,
        "homepage": profile.homepage,
        "interests": _joined(profile.interests),
        "citations_all": profile.citations_all,
        "citations_since": profile.citations_since,
        "h_index_all": profile.h_index_all,
        "h_index_since": profile.h_index_since,
        "i10_all": profile.i10_all,
        "i10_since": profile.i10_since,
        "since_year": profile.since_year,
        "cites_per_year": _joined(
            f"{year}:{count}" for year, count in sorted(profile.cites_per_year.items())
        ),
        "coauthors": _coauthor_cell(profile.coauthors),
        "coauthors_full": None
        if profile.coauthors_full is None
        else _coauthor_cell(profile.coauthors_full),
        "coauthors_full_at": _iso(profile.coauthors_full_at),
        "crawl_status": profile.crawl_status,
        "last_crawled_at": _iso(profile.last_crawled_at),
        "created_at": profile.created_at.isoformat(),
        "updated_at": profile.updated_at.isoformat(),
    }
    return [_cell(cells.get(column)) for column in PROFILE_CSV_COLUMNS]


def write_profiles_csv(profiles: Iterable[ExportProfile], out: TextIO) -> int:
    """A header, then one row per profile (RFC 4180 quoting); how many rows."""
    return _write_table(out, PROFILE_CSV_COLUMNS, (profile_csv_row(p) for p in profiles))


# --- BibTeX --------------------------------------------------------------------------------

# LaTeX for plain text: the specials escaped (\& \% \$ \# \_), braces, ~, ^ and backslashes
# as text macros (BibTeX counts braces whatever precedes them: \{ alone would unbalance an
# entry), accented letters and symbols as LaTeX in braces ({\"u}: the form BibTeX sorts and
# abbreviates right), characters without a macro (CJK) kept as UTF-8. A double quote stays
# one: a brace-delimited value needs no escape for it, and '' would close an opening quote.
_LATEX_OVERRIDES = {
    ord('"'): '"',
    ord("{"): r"\textbraceleft",
    ord("}"): r"\textbraceright",
}
_BARE_ESCAPE = re.compile(r'\\[&%$#_]|"')


def _protect(replacement: str) -> str:
    return replacement if _BARE_ESCAPE.fullmatch(replacement) else f"{{{replacement}}}"


_LATEX = UnicodeToLatexEncoder(
    conversion_rules=[UnicodeToLatexConversionRule(RULE_DICT, _LATEX_OVERRIDES), "defaults"],
    replacement_latex_protection=_protect,
    unknown_char_policy="keep",
    unknown_char_warning=False,
)
# Words a citation key skips at the start of a title.
_KEY_STOPWORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "from", "at", "by", "is"}
)
_NOT_KEY = re.compile(r"[^a-z0-9]")

# The entry-type rule (docs/export.md), tried in this order on the Scholar venue.
_PREPRINT = re.compile(r"\b(?:arxiv|biorxiv|medrxiv|chemrxiv|ssrn|preprint)", re.IGNORECASE)
_CONFERENCE = re.compile(
    r"\b(?:conference|conf\.|symposium|workshop|congress|meeting|colloquium"
    r"|neural information processing systems)",
    re.IGNORECASE,
)
_VOLUME_ISSUE = re.compile(r"\b\d+\s*\(\s*[\w./\u2013-]+\s*\)")
_PROCEEDINGS = re.compile(r"\b(?:proceedings|proc\.)", re.IGNORECASE)
_JOURNAL = re.compile(
    r"\b(?:journal|transactions|trans\.|letters|lett\.|reviews?\b|magazine|annals|bulletin"
    r"|quarterly|acta\b|j\.)",
    re.IGNORECASE,
)


def latex(text: str) -> str:
    """Plain text as LaTeX for a BibTeX value (whitespace, newlines too, made single spaces)."""
    return str(_LATEX.unicode_to_latex(SPACES.sub(" ", text).strip()))


def bibtex_entry_type(venue: str | None) -> str:
    """``article``, ``inproceedings`` or ``misc`` for a Scholar venue (the rule in
    docs/export.md): a preprint server is misc; conference words make inproceedings; a
    volume and issue ("12 (3)") make an article; "proceedings" alone makes inproceedings;
    journal words make an article; anything else is misc."""
    if not venue:
        return "misc"
    if _PREPRINT.search(venue):
        return "misc"
    if _CONFERENCE.search(venue):
        return "inproceedings"
    if _VOLUME_ISSUE.search(venue):
        return "article"
    if _PROCEEDINGS.search(venue):
        return "inproceedings"
    if _JOURNAL.search(venue):
        return "article"
    return "misc"


def split_authors(authors: str | None) -> tuple[list[str], bool]:
    """Scholar's author line as names, and whether it was cut short ("..." at the end)."""
    if not authors:
        return [], False
    names: list[str] = []
    truncated = False
    for part in AUTHOR_SPLIT.split(authors.strip()):
        name = part.strip()
        for mark in ELLIPSES:
            if name.endswith(mark):
                name, truncated = name[: -len(mark)].strip(), True
        if name:
            names.append(name)
    return names, truncated


def _initials(word: str) -> bool:
    return len(word) <= 3 and word.isalpha() and word.isupper()


def _bibtex_name(name: str) -> str:
    """One Scholar name for BibTeX: initials given their dots ("JB Ernst" -> "J. B. Ernst"),
    so that styles abbreviate them right; a name holding the word "and" is braced whole."""
    words = name.split()
    words = [
        " ".join(f"{letter}." for letter in word)
        if index < len(words) - 1 and _initials(word)
        else word
        for index, word in enumerate(words)
    ]
    encoded = latex(" ".join(words))
    if re.search(r"\band\b", encoded, re.IGNORECASE):
        return f"{{{encoded}}}"
    return encoded


def bibtex_authors(authors: str | None) -> str | None:
    """The ``author`` value: names joined by " and ", "and others" for a cut-short list."""
    names, truncated = split_authors(authors)
    parts = [_bibtex_name(name) for name in names]
    if truncated and parts:
        parts.append("others")
    return " and ".join(parts) or None


def _bibtex_title(title: str) -> str:
    # Styles lowercase titles: a word with a capital after its first letter (an acronym,
    # "ImageNet", "3D") is braced to keep its case.
    words = SPACES.sub(" ", title).strip().split(" ")
    return " ".join(
        f"{{{latex(word)}}}" if any(char.isupper() for char in word[1:]) else latex(word)
        for word in words
    )


def _verbatim(value: str) -> str:
    """A URL, DOI or arXiv id as it is, but unable to unbalance BibTeX's braces."""
    return value.strip().replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


class BibtexKeys:
    """Citation keys: first author's surname + year + first title word (``smith2020deep``),
    ASCII lower case; a key already given gets a, b, ... z, aa, ab, ... appended.

    Keys depend on the order records come in (by id, or a profile's order with --scholar),
    so the same database exported with the same options gives the same keys.
    """

    def __init__(self) -> None:
        self._used: set[str] = set()

    @staticmethod
    def base(record: ExportRecord) -> str:
        surname = _NOT_KEY.sub("", first_author_surname(record.authors))
        year = str(record.year) if record.year is not None else "nd"
        word = next(
            (
                key_word
                for key_word in (_NOT_KEY.sub("", w) for w in normalise_title(record.title).split())
                if key_word and key_word not in _KEY_STOPWORDS
            ),
            "",
        )
        return f"{surname or 'anon'}{year}{word}"

    def key(self, record: ExportRecord) -> str:
        base = self.base(record)
        key = base
        if key in self._used:
            key = next(base + suffix for suffix in _suffixes() if base + suffix not in self._used)
        self._used.add(key)
        return key


def _suffixes() -> Iterator[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    for length in itertools.count(1):
        for combination in itertools.product(letters, repeat=length):
            yield "".join(combination)


def bibtex_entry(record: ExportRecord, key: str) -> str:
    """One BibTeX entry (see docs/export.md for its type and fields)."""
    entry_type = bibtex_entry_type(record.venue)
    fields: list[tuple[str, str]] = []
    authors = bibtex_authors(record.authors)
    if authors:
        fields.append(("author", authors))
    fields.append(("title", _bibtex_title(record.title)))
    if record.venue:
        venue_field = {"article": "journal", "inproceedings": "booktitle"}.get(
            entry_type, "howpublished"
        )
        fields.append((venue_field, latex(record.venue)))
    if record.year is not None:
        fields.append(("year", str(record.year)))
    if record.doi:
        fields.append(("doi", _verbatim(record.doi)))
    if record.arxiv_id:
        fields.append(("eprint", _verbatim(record.arxiv_id)))
        fields.append(("archivePrefix", "arXiv"))
    pdf = record.pdf
    if pdf is not None and pdf.status == DONE and pdf.pdf_url:
        fields.append(("url", _verbatim(pdf.pdf_url)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def write_bibtex(records: Iterable[ExportRecord], out: TextIO) -> int:
    """One entry per publication, with unique keys (:class:`BibtexKeys`); how many."""
    keys = BibtexKeys()
    count = 0
    for record in records:
        if count:
            out.write("\n")
        out.write(bibtex_entry(record, keys.key(record)))
        count += 1
    return count


WRITERS: dict[str, Writer] = {"jsonl": write_jsonl, "csv": write_csv, "bibtex": write_bibtex}
PROFILE_WRITERS: dict[str, ProfileWriter] = {
    "jsonl": write_profiles_jsonl,
    "csv": write_profiles_csv,
}


# --- the command ---------------------------------------------------------------------------


def with_stored_paths(records: Iterable[ExportRecord], store: PdfStore) -> Iterator[ExportRecord]:
    """Records whose downloaded PDF is in ``store`` get its path (``pdf.path``)."""
    for record in records:
        pdf = record.pdf
        if pdf is not None and pdf.download_status == "stored" and pdf.sha256:
            try:
                path = store.path_for(pdf.sha256)
            except ValueError:  # not a digest: nothing the store can hold
                path = None
            if path is not None and path.is_file():
                record = replace(record, pdf=replace(pdf, path=str(path)))
        yield record


def add_export_command(subparsers: _SubParsers) -> argparse.ArgumentParser:
    """Register ``export`` on the ``scholarcrawl`` command's subparsers."""
    parser = subparsers.add_parser(
        "export",
        help="write publications with identifiers and PDF links as JSON Lines, CSV or BibTeX",
        description="Write every publication (or one profile's, in its order) with its "
        "authors, Scholar keys, identifiers and open-access PDF. Formats and columns: "
        "docs/export.md.",
    )
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument(
        "--scholar", metavar="ID", help="only the publications of this profile (id or URL)"
    )
    parser.add_argument(
        "--profiles",
        action="store_true",
        help="write the crawled profiles (headers and co-authors, the full list when fetched) "
        "instead of publications; jsonl or csv",
    )
    parser.add_argument(
        "--output", metavar="FILE", help="write FILE (replaced whole at the end); default stdout"
    )
    parser.add_argument("--database", help="SQLAlchemy URL (default: SCHOLARCRAWL_DATABASE_URL)")
    parser.set_defaults(func=cmd_export)
    return parser


def _pdf_store() -> PdfStore:
    from scholarcrawl.cli import _project_settings

    settings = _project_settings()
    return PdfStore(settings.get("PDF_STORE") or "pdfs", settings.getint("PDF_MAX_BYTES"))


def _utf8_stdout() -> TextIO:
    """sys.stdout, made UTF-8 when the locale gave it another encoding."""
    stream = sys.stdout
    if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") != "utf8":
        stream.reconfigure(encoding="utf-8")
    return stream


def _drop_stdout() -> None:
    """Point stdout at /dev/null after its reader went away (``| head``), so that Python's
    flush at exit does not fail on the closed pipe once more."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def write_atomically(target: Path, write: Callable[[T, TextIO], int], records: T) -> int:
    """Write to a temporary file beside ``target``, then rename it over ``target``; on any
    failure the temporary file is removed and ``target`` is left as it was."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        with open(temporary, "x", encoding="utf-8", newline="") as out:
            count = write(records, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return count


def cmd_export(args: argparse.Namespace) -> int:
    # cli imports this module to register the command: import it here, not at the top
    from scholarcrawl.cli import _read_engine

    profiles: bool = getattr(args, "profiles", False)
    if profiles and args.format not in PROFILE_WRITERS:
        print(
            "scholarcrawl export: --profiles writes jsonl or csv, not " + args.format,
            file=sys.stderr,
        )
        return 2
    scholar_id: str | None = None
    if args.scholar is not None:
        try:
            scholar_id = checked_scholar_id(args.scholar)
        except ValueError as exc:
            print(f"scholarcrawl export: --scholar {exc}", file=sys.stderr)
            return 2
    engine = _read_engine(args)
    try:
        exporter = Exporter(engine)
        if scholar_id is not None and not exporter.has_scholar(scholar_id):
            print(
                f"scholarcrawl export: scholar {scholar_id} is not in the database",
                file=sys.stderr,
            )
            return 1
        if profiles:
            with closing(exporter.profiles(scholar_id)) as found:
                written = _write(args.output, PROFILE_WRITERS[args.format], found)
        else:
            with closing(exporter.records(scholar_id)) as records:
                full = with_stored_paths(records, _pdf_store())
                written = _write(args.output, WRITERS[args.format], full)
    finally:
        engine.dispose()
    if written is None:
        return 1
    count, destination = written
    kind = "profile" if profiles else "publication"
    noun = kind if count == 1 else f"{kind}s"
    print(f"exported {count} {noun} to {destination}", file=sys.stderr)
    return 0


def _write(
    output: str | None, write: Callable[[T, TextIO], int], items: T
) -> tuple[int, str] | None:
    """Write ``items`` to ``output`` (whole or not at all) or to stdout: how many, and where;
    None when the output could not be written (said on stderr)."""
    if output:
        try:
            return write_atomically(Path(output), write, items), output
        except OSError as exc:
            print(
                f"scholarcrawl export: cannot write {output}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return None
    try:
        out = _utf8_stdout()
        count = write(items, out)
        out.flush()
    except BrokenPipeError:
        _drop_stdout()
        return None
    return count, "stdout"
