"""PDF files on disk: only real PDFs under the size limit, named by content, inside the store."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scholarcrawl.pdfstore import NotAPdf, PdfStore, TooLarge

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"


def test_a_pdf_is_stored_once_under_its_digest(tmp_path: Path) -> None:
    store = PdfStore(tmp_path / "pdfs", max_bytes=1024)
    first = store.store(PDF)
    again = store.store(PDF)
    digest = hashlib.sha256(PDF).hexdigest()
    assert first == again
    assert (first.sha256, first.size) == (digest, len(PDF))
    assert first.path == (tmp_path / "pdfs" / digest[:2] / f"{digest}.pdf").resolve()
    assert first.path.read_bytes() == PDF
    assert [p.name for p in (tmp_path / "pdfs").rglob("*") if p.is_file()] == [f"{digest}.pdf"]


def test_a_body_that_is_not_a_pdf_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = PdfStore(tmp_path, max_bytes=1024)
    for body in (b"<html><body>Sign in</body></html>", b"", b" %PDF-1.4 leading space"):
        with pytest.raises(NotAPdf):
            store.store(body)
    assert list(tmp_path.iterdir()) == []


def test_a_body_over_the_limit_is_refused(tmp_path: Path) -> None:
    store = PdfStore(tmp_path, max_bytes=len(PDF) - 1)
    with pytest.raises(TooLarge, match="PDF_MAX_BYTES"):
        store.store(PDF)
    assert list(tmp_path.iterdir()) == []
    assert PdfStore(tmp_path, max_bytes=len(PDF)).store(PDF).size == len(PDF)


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "..", "ab/../../x", "A" * 64, "0" * 63]
)
def test_no_name_but_a_digest_makes_a_path(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        PdfStore(tmp_path, max_bytes=1024).path_for(name)


def test_the_store_folder_is_resolved_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = PdfStore("relative/pdfs", max_bytes=1024)
    stored = store.store(PDF)
    assert stored.path.is_relative_to(tmp_path / "relative" / "pdfs")


def test_partial_files_of_killed_writers_are_removed_and_others_kept(tmp_path: Path) -> None:
    """A process killed between writing and renaming leaves a partial file: the next
    downloading run removes it when its writer (named in it) is dead on this host."""
    store = PdfStore(tmp_path, max_bytes=1024)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    host = socket.gethostname().replace("-", "_")
    (tmp_path / "ab").mkdir()
    orphan = tmp_path / "ab" / f".partial-{host}-{dead.stdout.strip()}-x1.pdf"
    live = tmp_path / "ab" / f".partial-{host}-{os.getpid()}-x2.pdf"
    elsewhere = tmp_path / "ab" / f".partial-otherhost-{dead.stdout.strip()}-x3.pdf"
    for path in (orphan, live, elsewhere):
        path.write_bytes(PDF[:8])
    stored = store.store(PDF)

    assert store.remove_orphans() == 1
    assert not orphan.exists() and live.exists() and elsewhere.exists() and stored.path.exists()
    assert store.remove_orphans() == 0
