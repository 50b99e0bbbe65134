"""``scholarcrawl export``: the JSON Lines, CSV and BibTeX formatters, and the command (its
output file, its exit statuses) on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import pytest

from scholarcrawl import export
from scholarcrawl.export import (
    CSV_COLUMNS,
    PROFILE_CSV_COLUMNS,
    BibtexKeys,
    add_export_command,
    bibtex_authors,
    bibtex_entry,
    bibtex_entry_type,
    profile_json,
    record_json,
    split_authors,
    with_stored_paths,
    write_bibtex,
    write_csv,
    write_jsonl,
    write_profiles_csv,
    write_profiles_jsonl,
)
from scholarcrawl.pdfstore import PdfStore
from scholarcrawl.store.db import DatabaseError, make_engine, upgrade
from scholarcrawl.store.export import (
    ExportAuthorship,
    ExportDetails,
    ExportIdentifier,
    ExportPdf,
    ExportProfile,
    ExportRecord,
)
from scholarcrawl.store.repository import Repository
from tests.conftest import REPO_ROOT
from tests.store.test_export import SHA, A, build_library

NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def record(**overrides: Any) -> ExportRecord:
    values: dict[str, Any] = {
        "id": 1,
        "title": "Deep learning",
        "year": 2015,
        "venue": "Nature 521 (7553), 436-444",
        "authors": "Y LeCun, Y Bengio, G Hinton",
        "cluster_ids": ("5362332738201102290",),
        "identifier_status": "resolved",
        "scholars": (ExportAuthorship(A, "Ada Author", 70000, 1, f"{A}:u5HHmVD_uO8C"),),
        "identifiers": (ExportIdentifier("doi", "10.1038/nature14539", "self", "crossref", 0.98),),
        "pdf": None,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(overrides)
    return ExportRecord(**values)


PDF = ExportPdf(
    status="done",
    pdf_url="https://oa.example/a_b%20c.pdf",
    landing_url="https://publisher.example/x",
    source="unpaywall",
    oa_status="green",
    download_status="stored",
    sha256=SHA,
    size=2048,
    resolved_at=NOW,
)


def written(writer: Any, records: Iterable[ExportRecord]) -> str:
    out = io.StringIO(newline="")
    writer(records, out)
    return out.getvalue()


def balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


# --- JSON Lines ----------------------------------------------------------------------------


def test_jsonl_is_one_utf8_object_per_line_that_reads_back_whole() -> None:
    records = [
        record(),
        record(
            id=2,
            title='Über Gödel — 数据 "quoted"\nsecond line',
            identifiers=(
                ExportIdentifier("doi", "10.1/x", "self", "crossref", 0.95),
                ExportIdentifier("arxiv", "2101.00001", "version", "arxiv", 0.9),
            ),
            pdf=PDF,
        ),
    ]
    text = written(write_jsonl, records)
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 3  # two lines, each ending in a newline
    assert "数据" in text and "\\u" not in text  # not ASCII-escaped
    decoded = [json.loads(line) for line in lines[:2]]
    assert decoded == [record_json(r) for r in records]
    second = decoded[1]
    assert second["title"] == 'Über Gödel — 数据 "quoted"\nsecond line'
    assert (second["doi"], second["arxiv_id"]) == ("10.1/x", "2101.00001")
    assert second["identifiers"][1] == {
        "kind": "arxiv",
        "value": "2101.00001",
        "role": "version",
        "source": "arxiv",
        "confidence": 0.9,
    }
    assert second["pdf"]["pdf_url"] == "https://oa.example/a_b%20c.pdf"
    assert second["pdf"]["sha256"] == SHA and second["pdf"]["path"] is None
    assert second["pdf"]["resolved_at"] == "2026-03-01T12:30:00+00:00"
    assert decoded[0]["scholars"] == [
        {
            "scholar_id": A,
            "name": "Ada Author",
            "citations": 70000,
            "position": 1,
            "citation_for_view": f"{A}:u5HHmVD_uO8C",
        }
    ]
    assert decoded[0]["pdf"] is None and decoded[0]["created_at"] == NOW.isoformat()


# --- CSV -----------------------------------------------------------------------------------


def test_csv_has_the_documented_columns_and_quotes_commas_newlines_and_quotes() -> None:
    tricky = 'Commas, "quotes" and\na newline; plus; semicolons'
    records = [
        record(
            title=tricky,
            authors='A "Al" Author, B Other',
            cluster_ids=("111", "222"),
            scholars=(
                ExportAuthorship(A, "Ada, Countess", 12, 3, f"{A}:k1"),
                ExportAuthorship("BBBBBBBBBBBJ", None, 40, None, None),
            ),
            identifiers=(
                ExportIdentifier("doi", "10.1/x", "self", "crossref", 0.95),
                ExportIdentifier("arxiv", "2101.00001", "version", "arxiv", 0.9),
            ),
            pdf=PDF,
        ),
        record(id=2, identifiers=(), scholars=(), cluster_ids=(), year=None, venue=None),
    ]
    text = written(write_csv, records)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 3
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first["title"] == tricky and first["authors"] == 'A "Al" Author, B Other'
    assert (first["doi"], first["arxiv_id"]) == ("10.1/x", "2101.00001")
    assert first["cluster_ids"] == "111; 222"
    assert first["scholar_ids"] == f"{A}; BBBBBBBBBBBJ"
    assert first["scholar_names"] == "Ada, Countess; "
    assert first["scholar_citations"] == "12; 40" and first["citations"] == "40"
    assert first["scholar_positions"] == "3; " and first["citation_for_view"] == f"{A}:k1; "
    assert first["identifiers"] == (
        "doi:10.1/x (self, crossref, 0.95); arxiv:2101.00001 (version, arxiv, 0.9)"
    )
    assert (first["pdf_status"], first["pdf_url"], first["pdf_size"]) == (
        "done",
        "https://oa.example/a_b%20c.pdf",
        "2048",
    )
    assert first["created_at"] == "2026-03-01T12:30:00+00:00"
    second = dict(zip(CSV_COLUMNS, rows[2], strict=True))
    assert second["id"] == "2" and second["year"] == "" and second["venue"] == ""
    assert second["doi"] == second["pdf_status"] == second["citations"] == ""
    # the quoting that makes this work: the tricky cells are quoted, quotes doubled
    assert '"Commas, ""quotes"" and\na newline; plus; semicolons"' in text


def test_docs_list_every_csv_column() -> None:
    doc = (REPO_ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    for column in CSV_COLUMNS:
        assert re.search(rf"^\| `{column}` \|", doc, re.MULTILINE), column


# --- BibTeX --------------------------------------------------------------------------------


def test_bibtex_escapes_latex_specials_and_keeps_braces_balanced() -> None:
    title = r"R&D at 100% for $5: #1 a_b {set} f(x} ~x^2 back\slash"
    entry = bibtex_entry(record(title=title, venue="Journal of A & B_C 1 (2)"), "k")
    [line] = [line for line in entry.splitlines() if line.strip().startswith("title")]
    assert line == (
        r"  title = {{R\&D} at 100\% for \$5: \#1 a\_b {\textbraceleft}set{\textbraceright} "
        r"f(x{\textbraceright} {\textasciitilde}x{\textasciicircum}2 back{\textbackslash}slash},"
    )
    assert r"journal = {Journal of A \& B\_C 1 (2)}" in entry
    assert balanced(entry)
    for special in ("&", "%", "$", "#", "_"):
        assert not re.search(rf"(?<!\\){re.escape(special)}", line), special


def test_bibtex_keys_are_surname_year_first_word_and_unique() -> None:
    keys = BibtexKeys()
    same = [record(id=i) for i in range(1, 5)]
    assert [keys.key(r) for r in same] == [
        "lecun2015deep",
        "lecun2015deepa",
        "lecun2015deepb",
        "lecun2015deepc",
    ]
    # a title whose own key is one already given as a suffixed key gets a suffix in turn
    assert keys.key(record(title="Deepa: a study")) == "lecun2015deepaa"
    assert keys.key(record(title="The art of it", year=None, authors="É Müller-Lüdenscheidt")) == (
        "ludenscheidtndart"  # the surname the fingerprint takes: the last word
    )
    assert keys.key(record(title="数据", authors="张 伟")) == "anon2015"
    assert keys.key(record(title="数据", authors="张 伟")) == "anon2015a"


def test_bibtex_key_suffixes_go_past_z() -> None:
    keys = BibtexKeys()
    given = [keys.key(record()) for _ in range(29)]
    assert given[26:] == ["lecun2015deepz", "lecun2015deepaa", "lecun2015deepab"]
    assert len(set(given)) == len(given)


def test_a_truncated_author_list_ends_in_and_others_never_in_dots() -> None:
    assert split_authors("A Author, B Other, ...") == (["A Author", "B Other"], True)
    assert split_authors("A Author, B Other…") == (["A Author", "B Other"], True)
    assert split_authors("A Author, B Other") == (["A Author", "B Other"], False)
    assert split_authors(None) == ([], False)
    assert bibtex_authors("JB Ernst, W Cai, ...") == "J. B. Ernst and W. Cai and others"
    assert bibtex_authors("Geoffrey Hinton, JM van der Berg") == (
        "Geoffrey Hinton and J. M. van der Berg"
    )
    assert bibtex_authors("A Author, Research and Development Team") == (
        "A. Author and {Research and Development Team}"
    )
    assert bibtex_authors("...") is None
    entry = bibtex_entry(record(authors="Y LeCun, Y Bengio, ..."), "k")
    assert "author = {Y. LeCun and Y. Bengio and others}," in entry
    assert "..." not in entry and "…" not in entry


def test_unicode_titles_and_names_are_latex_or_kept_as_utf8() -> None:
    entry = bibtex_entry(
        record(title="Über Gödel–Escher: 数据 α", authors="É Müller, Ł Wałęsa"), "k"
    )
    # "Gödel–Escher:" has a capital inside: braced whole
    title = r"title = {{\"U}ber {G{\"o}del{\textendash}Escher:} 数据 {\ensuremath{\alpha}}},"
    assert title in entry
    assert r"author = {{\'E}. M{\"u}ller and {\L}. Wa{\l}{\k{e}}sa}," in entry
    assert balanced(entry)
    out = io.StringIO()
    write_bibtex([record(title="数据")], out)
    assert "数据" in out.getvalue()


def test_titles_keep_the_case_of_acronyms_and_inner_capitals() -> None:
    entry = bibtex_entry(record(title="BERT: pre-training with ImageNet in 3D, the\nend"), "k")
    assert "title = {{BERT:} pre-training with {ImageNet} in {3D,} the end}," in entry


@pytest.mark.parametrize(
    ("venue", "entry_type"),
    [
        ("Nature 521 (7553), 436-444", "article"),
        ("The Journal of Machine Learning Research 15 (1), 1929-1958", "article"),
        ("IEEE Transactions on Pattern Analysis and Machine Intelligence", "article"),
        ("Physical review letters", "article"),
        ("Proceedings of the National Academy of Sciences 79 (8), 2554-2558", "article"),
        ("Proceedings of the IEEE conference on computer vision, 770-778", "inproceedings"),
        ("Proceedings of the AAAI Conference on Artificial Intelligence 35 (12)", "inproceedings"),
        ("International conference on machine learning, 1597-1607", "inproceedings"),
        ("2016 IEEE Symposium on Security and Privacy (SP), 582-597", "inproceedings"),
        ("Advances in neural information processing systems 30", "inproceedings"),
        ("Proceedings of the 26th Annual Meeting, 1-8", "inproceedings"),
        ("Proceedings of EMNLP 2020", "inproceedings"),
        ("arXiv preprint arXiv:1706.03762", "misc"),
        ("bioRxiv, 2020.01.01", "misc"),
        ("MIT press", "misc"),
        ("US Patent 9,123,456", "misc"),
        ("", "misc"),
        (None, "misc"),
    ],
)
def test_the_entry_type_follows_the_documented_venue_rule(
    venue: str | None, entry_type: str
) -> None:
    assert bibtex_entry_type(venue) == entry_type


def test_bibtex_fields_name_the_venue_by_type_and_carry_doi_eprint_and_pdf_url() -> None:
    article = bibtex_entry(
        record(
            identifiers=(
                ExportIdentifier("doi", "10.1/a_b", "self", "crossref", 0.95),
                ExportIdentifier("arxiv", "2101.00001", "version", "arxiv", 0.9),
            ),
            pdf=PDF,
        ),
        "lecun2015deep",
    )
    assert article == (
        "@article{lecun2015deep,\n"
        "  author = {Y. LeCun and Y. Bengio and G. Hinton},\n"
        "  title = {Deep learning},\n"
        "  journal = {Nature 521 (7553), 436-444},\n"
        "  year = {2015},\n"
        "  doi = {10.1/a_b},\n"
        "  eprint = {2101.00001},\n"
        "  archivePrefix = {arXiv},\n"
        "  url = {https://oa.example/a_b%20c.pdf}\n"
        "}\n"
    )
    paper = bibtex_entry(record(venue="International Conference on X, 1-9"), "k")
    assert paper.startswith("@inproceedings{k,") and "booktitle = {International" in paper
    preprint = bibtex_entry(
        record(
            venue="arXiv preprint arXiv:2101.00001",
            year=None,
            identifiers=(ExportIdentifier("arxiv", "2101.00001", "self", "local", 1.0),),
            pdf=ExportPdf("pending", None, None, None, None, None, None, None, None),
        ),
        "k",
    )
    assert preprint.startswith("@misc{k,")
    assert "howpublished = {arXiv preprint arXiv:2101.00001}" in preprint
    assert "eprint = {2101.00001}" in preprint and "doi" not in preprint
    assert "url" not in preprint and "year" not in preprint  # no PDF found yet, no year
    # a URL cannot unbalance the entry
    odd = bibtex_entry(record(pdf=replace_pdf(pdf_url="https://x.example/{a}\\b}.pdf")), "k")
    assert "url = {https://x.example/%7Ba%7D%5Cb%7D.pdf}" in odd and balanced(odd)


def replace_pdf(**changes: Any) -> ExportPdf:
    from dataclasses import replace

    return replace(PDF, **changes)


def test_write_bibtex_separates_entries_and_counts_them() -> None:
    out = io.StringIO()
    assert write_bibtex([record(), record(id=2, title="Other")], out) == 2
    text = out.getvalue()
    assert text.count("@article{") == 2 and "\n}\n\n@article{lecun2015other," in text


def test_stored_pdfs_get_their_path_when_the_file_is_there(tmp_path: Path) -> None:
    store = PdfStore(tmp_path / "pdfs", 1024)
    other = "cd" + "1" * 62
    kept = store.path_for(SHA)
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"%PDF-1.4")
    records = [
        record(pdf=PDF),
        record(id=2, pdf=replace_pdf(sha256=other)),  # stored elsewhere: no path
        record(id=3, pdf=replace_pdf(sha256="not-a-digest")),
        record(id=4, pdf=replace_pdf(download_status=None, sha256=None)),
        record(id=5),
    ]
    paths = [r.pdf.path if r.pdf else None for r in with_stored_paths(records, store)]
    assert paths == [str(kept), None, None, None, None]


# --- the command ---------------------------------------------------------------------------


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="scholarcrawl")
    add_export_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["export", *argv])
    return int(args.func(args))


@pytest.fixture
def database(migrated_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated database holding three papers; the working directory has PDF_STORE."""
    engine = make_engine(migrated_database_url)
    build_library(engine)
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCHOLARCRAWL_DATABASE_URL", raising=False)
    return migrated_database_url


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "bibtex"])
def test_export_writes_the_output_file_and_says_how_many(
    database: str, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / f"papers.{fmt}"
    stored = PdfStore("pdfs", 1024).path_for(SHA)  # relative to the working directory
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"%PDF-1.4")
    assert run("--format", fmt, "--output", str(target), "--database", database) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"exported 3 publications to {target}\n"
    assert files_in(folder) == [target.name]  # no temporary file left beside it
    text = target.read_text(encoding="utf-8")
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
        assert [row["title"] for row in rows] == [
            "Graph kernels, revisited",
            "Données sans identifiant",
            "Sparse things",
        ]
        assert rows[0]["pdf"]["path"] == str(stored.resolve())
        assert {s["scholar_id"] for s in rows[0]["scholars"]} == {A, "BBBBBBBBBBBJ"}
    elif fmt == "csv":
        table = list(csv.DictReader(io.StringIO(text, newline="")))
        assert [row["doi"] for row in table] == ["10.1/graphs", "", ""]
        assert table[0]["pdf_path"] == str(stored.resolve())
    else:
        assert text.count("\n@") == 2 and text.startswith("@article{author2020graph,")
        assert "author = {A. Author and B. Other and C. Third and others}" in text
        assert "url = {https://oa.example/graphs.pdf}" in text
        assert balanced(text)


def test_export_to_stdout_with_the_scholar_filter_in_the_profiles_order(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"https://scholar.google.com/citations?user={A}&hl=en"
    assert run("--format", "jsonl", "--scholar", url, "--database", database) == 0
    captured = capsys.readouterr()
    titles = [json.loads(line)["title"] for line in captured.out.splitlines()]
    assert titles == ["Données sans identifiant", "Graph kernels, revisited"]
    assert captured.err == "exported 2 publications to stdout\n"


def test_a_failure_mid_write_leaves_no_file_and_no_temporary_file(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails_after_one(records: Iterable[ExportRecord], out: TextIO) -> int:
        write_jsonl(itertools.islice(records, 1), out)
        out.flush()
        [partial] = [name for name in files_in(folder) if name.endswith(".partial")]
        assert (folder / partial).read_text(encoding="utf-8").count("\n") == 1
        raise RuntimeError("disk on fire")

    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setitem(export.WRITERS, "jsonl", fails_after_one)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run("--format", "jsonl", "--output", str(folder / "papers.jsonl"), "--database", database)
    assert files_in(folder) == []
    # an earlier export under that name stays as it was
    (folder / "papers.jsonl").write_text("earlier\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        run("--format", "jsonl", "--output", str(folder / "papers.jsonl"), "--database", database)
    assert files_in(folder) == ["papers.jsonl"]
    assert (folder / "papers.jsonl").read_text(encoding="utf-8") == "earlier\n"


def test_an_invalid_scholar_id_exits_2_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite:///{tmp_path / 'never-opened.sqlite3'}"
    assert run("--format", "csv", "--scholar", "too-short", "--database", database) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "'too-short' is not a Scholar id" in captured.err
    assert not (tmp_path / "never-opened.sqlite3").exists()


def test_a_scholar_not_in_the_database_exits_1_with_one_message(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "none.bib"
    argv = ("--format", "bibtex", "--scholar", "ZZZZZZZZZZZJ", "--output", str(target))
    assert run(*argv, "--database", database) == 1
    captured = capsys.readouterr()
    assert captured.err == "scholarcrawl export: scholar ZZZZZZZZZZZJ is not in the database\n"
    assert captured.out == "" and not target.exists()


def test_an_unwritable_output_exits_1_with_one_message(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no-such-folder" / "papers.csv"
    assert run("--format", "csv", "--output", str(target), "--database", database) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot write {target}" in err


def test_a_database_not_at_the_current_schema_is_refused(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    with pytest.raises(DatabaseError, match="scholarcrawl db upgrade"):
        run("--format", "jsonl", "--database", database)


def test_a_reader_that_stops_early_ends_the_export_without_a_traceback(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'many.sqlite3'}"
    engine = make_engine(database)
    upgrade(engine)
    build_library(engine)
    with engine.begin() as connection:  # enough rows to fill the pipe's buffer
        connection.exec_driver_sql(
            "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n "
            "WHERE value < 3000) INSERT INTO publications (fingerprint, title, "
            "normalized_title, authors, year, merged, cluster_ids, created_at, updated_at) "
            "SELECT printf('%032d', value), printf('Paper %d ', value) || hex(zeroblob(200)), "
            "'paper', 'A Author', 2020, 0, '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM n"
        )
    engine.dispose()
    code = (
        "import sys; from tests.test_export import run; "
        f"sys.exit(run('--format', 'jsonl', '--database', {database!r}))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    assert json.loads(first)["title"] == "Graph kernels, revisited"
    process.stdout.close()  # like `| head -1`
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


# --- detail pages and profiles -------------------------------------------------------------

#: The CSV columns before detail pages existed: they keep their places.
EARLIER_COLUMNS = (
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
)
DETAILS = ExportDetails(
    status="fetched",
    fetched_at=NOW,
    publication_date="2015/5/28",
    journal="Nature",
    conference=None,
    book=None,
    volume="521",
    issue="7553",
    pages="436-444",
    publisher="Nature Publishing Group",
    description="Deep learning allows computational models, that are composed",
    citations=70000,
    fields={"Institution": 'Université, "quoted"'},
    link_url="https://www.nature.com/articles/nature14539",
    fulltext_url="https://example.org/deep.pdf",
    fulltext_kind="pdf",
)


def test_detail_columns_come_after_the_earlier_ones_and_hold_the_detail_page() -> None:
    assert CSV_COLUMNS[: len(EARLIER_COLUMNS)] == EARLIER_COLUMNS
    rows = list(
        csv.DictReader(io.StringIO(written(write_csv, [record(details=DETAILS), record(id=2)])))
    )
    fetched, never = rows
    assert {column: fetched[column] for column in CSV_COLUMNS[len(EARLIER_COLUMNS) :]} == {
        "details_status": "fetched",
        "details_fetched_at": "2026-03-01T12:30:00+00:00",
        "publication_date": "2015/5/28",
        "journal": "Nature",
        "conference": "",
        "book": "",
        "volume": "521",
        "issue": "7553",
        "pages": "436-444",
        "publisher": "Nature Publishing Group",
        "description": "Deep learning allows computational models, that are composed",
        "detail_citations": "70000",
        "detail_fields": '{"Institution": "Université, \\"quoted\\""}',
        "link_url": "https://www.nature.com/articles/nature14539",
        "fulltext_url": "https://example.org/deep.pdf",
        "fulltext_kind": "pdf",
    }
    assert json.loads(fetched["detail_fields"]) == DETAILS.fields
    assert all(never[column] == "" for column in CSV_COLUMNS[len(EARLIER_COLUMNS) :])


def test_jsonl_records_end_with_their_detail_page_or_null() -> None:
    fetched, never = (
        json.loads(line)
        for line in written(write_jsonl, [record(details=DETAILS), record(id=2)]).splitlines()
    )
    assert list(fetched)[-1] == "details" and never["details"] is None
    assert fetched["details"] == {
        "status": "fetched",
        "fetched_at": "2026-03-01T12:30:00+00:00",
        "publication_date": "2015/5/28",
        "journal": "Nature",
        "conference": None,
        "book": None,
        "volume": "521",
        "issue": "7553",
        "pages": "436-444",
        "publisher": "Nature Publishing Group",
        "description": "Deep learning allows computational models, that are composed",
        "citations": 70000,
        "fields": {"Institution": 'Université, "quoted"'},
        "link_url": "https://www.nature.com/articles/nature14539",
        "fulltext_url": "https://example.org/deep.pdf",
        "fulltext_kind": "pdf",
    }


def profile(**overrides: Any) -> ExportProfile:
    values: dict[str, Any] = {
        "scholar_id": A,
        "name": "Ada Author",
        "affiliation": "Test University",
        "email_domain": "test.edu",
        "homepage": None,
        "interests": ("Testing", "Graphs; kernels"),
        "citations_all": 10,
        "citations_since": 5,
        "h_index_all": 1,
        "h_index_since": 1,
        "i10_all": 1,
        "i10_since": 0,
        "since_year": 2021,
        "cites_per_year": {"2021": 0, "2020": 3},
        "coauthors": ({"scholar_id": "BBBBBBBBBBBJ", "name": "Bo Other", "affiliation": None},),
        "coauthors_full": (
            {"scholar_id": "BBBBBBBBBBBJ", "name": "Bo Other", "affiliation": None},
            {"scholar_id": "CCCCCCCCCCCJ", "name": "Cy, Third", "affiliation": "X"},
        ),
        "coauthors_full_at": NOW,
        "crawl_status": "complete",
        "last_crawled_at": NOW,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(overrides)
    return ExportProfile(**values)


def test_profiles_as_jsonl_and_csv_carry_the_full_coauthor_list() -> None:
    profiles = [
        profile(),
        profile(
            scholar_id="BBBBBBBBBBBJ", coauthors_full=None, coauthors_full_at=None, coauthors=()
        ),
    ]
    lines = [json.loads(line) for line in written(write_profiles_jsonl, profiles).splitlines()]
    assert lines == [profile_json(p) for p in profiles]
    assert lines[0]["coauthors_full"][1] == {
        "scholar_id": "CCCCCCCCCCCJ",
        "name": "Cy, Third",
        "affiliation": "X",
    }
    assert lines[1]["coauthors_full"] is None and lines[1]["coauthors"] == []
    rows = list(csv.reader(io.StringIO(written(write_profiles_csv, profiles), newline="")))
    assert rows[0] == list(PROFILE_CSV_COLUMNS)
    first = dict(zip(PROFILE_CSV_COLUMNS, rows[1], strict=True))
    assert first["coauthors_full"] == "Bo Other (BBBBBBBBBBBJ); Cy, Third (CCCCCCCCCCCJ)"
    assert first["coauthors"] == "Bo Other (BBBBBBBBBBBJ)"
    assert first["interests"] == "Testing; Graphs; kernels"
    assert first["cites_per_year"] == "2020:3; 2021:0"
    second = dict(zip(PROFILE_CSV_COLUMNS, rows[2], strict=True))
    assert second["coauthors_full"] == second["coauthors_full_at"] == ""


FORMULAS = ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR")


@pytest.mark.parametrize("payload", FORMULAS)
def test_text_cells_that_a_spreadsheet_would_run_are_quoted_in_both_csvs(payload: str) -> None:
    records = [
        record(
            title=payload,
            authors=payload,
            venue=payload,
            scholars=(ExportAuthorship(A, payload, 7, 1, f"{A}:k"),),
        )
    ]
    row = dict(zip(CSV_COLUMNS, next(iter(csv_rows(write_csv, records))), strict=True))
    for column in ("title", "authors", "venue", "scholar_names"):
        assert row[column] == "'" + payload, column
    # numbers stay numbers, and text that cannot start a formula is untouched
    assert (row["year"], row["citations"], row["scholar_citations"]) == ("2015", "7", "7")
    assert row["identifiers"] == "doi:10.1038/nature14539 (self, crossref, 0.98)"
    hostile = profile(name=payload, affiliation=payload, interests=(payload, "=x"))
    cells = dict(zip(PROFILE_CSV_COLUMNS, csv_rows(write_profiles_csv, [hostile])[0], strict=True))
    assert cells["name"] == cells["affiliation"] == "'" + payload
    assert cells["interests"] == "'" + payload + "; =x"  # a cell is judged by its start
    assert cells["citations_all"] == "10" and cells["scholar_id"] == A
    # JSON keeps the text exactly: only the CSV is guarded
    assert json.loads(written(write_jsonl, records))["title"] == payload


def csv_rows(writer: Any, items: Iterable[Any]) -> list[list[str]]:
    """The data rows ``writer`` writes for ``items``, read back (the header checked)."""
    rows = list(csv.reader(io.StringIO(written(writer, items), newline="")))
    assert rows[0] in (list(CSV_COLUMNS), list(PROFILE_CSV_COLUMNS))
    return rows[1:]


def test_the_docs_list_the_profile_columns_in_order() -> None:
    doc = (REPO_ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    listed = doc[doc.index("## Profiles") :]
    assert re.findall(r"`(\w+)`", listed[listed.index("The CSV's columns") :]) == list(
        PROFILE_CSV_COLUMNS
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_profiles_writes_every_profile_or_the_one_asked_for(
    database: str, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(database)
    repo = Repository(engine)
    coauthors = [{"scholar_id": "BBBBBBBBBBBJ", "name": "Bo Other", "affiliation": None}]
    repo.store_full_coauthors(A, coauthors, repo.start_run("scholar", {}))
    engine.dispose()
    target = tmp_path / f"profiles.{fmt}"
    assert run("--profiles", "--format", fmt, "--output", str(target), "--database", database) == 0
    assert capsys.readouterr().err == f"exported 2 profiles to {target}\n"
    text = target.read_text(encoding="utf-8")
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
        assert [(r["scholar_id"], r["coauthors_full"]) for r in rows] == [
            (A, coauthors),
            ("BBBBBBBBBBBJ", None),
        ]
    else:
        table = list(csv.DictReader(io.StringIO(text, newline="")))
        assert [(r["scholar_id"], r["coauthors_full"]) for r in table] == [
            (A, "Bo Other (BBBBBBBBBBBJ)"),
            ("BBBBBBBBBBBJ", ""),
        ]
    assert run("--profiles", "--format", "jsonl", "--scholar", A, "--database", database) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["scholar_id"] for line in captured.out.splitlines()] == [A]
    assert captured.err == "exported 1 profile to stdout\n"


def test_profiles_are_not_bibtex(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = f"sqlite:///{tmp_path / 'never-opened.sqlite3'}"
    assert run("--profiles", "--format", "bibtex", "--database", database) == 2
    captured = capsys.readouterr()
    assert captured.err == "scholarcrawl export: --profiles writes jsonl or csv, not bibtex\n"
    assert not (tmp_path / "never-opened.sqlite3").exists()
