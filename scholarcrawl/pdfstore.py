"""Downloaded PDFs on disk, named by their content (``PDF_STORE``, ``PDF_MAX_BYTES``).

A file is kept only when its body starts with ``%PDF-`` and is at most ``PDF_MAX_BYTES``. Its
name is the SHA-256 of the body (``<store>/ab/abcdef….pdf``), never anything taken from the URL
or the response headers, so no URL (``../``, an absolute path, a ``Content-Disposition``
name) can place a file outside the store. The file is written under a temporary name in the
same folder and renamed, so a killed process never leaves half a PDF under a final name; the
same PDF found twice is stored once. The temporary name says which process wrote it
(``.partial-<host>-<pid>-….pdf``): :meth:`PdfStore.remove_orphans`, called when a downloading
run starts, removes those of this host whose process is gone (killed mid-write), and leaves
alone those of live processes and of other hosts sharing the store.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

PDF_MAGIC = b"%PDF-"
PARTIAL_PREFIX = ".partial-"


class NotAPdf(ValueError):
    """The body is not a PDF (a login page, an HTML interstitial)."""


class TooLarge(ValueError):
    """The body is larger than ``PDF_MAX_BYTES``."""


@dataclass(frozen=True, slots=True)
class StoredPdf:
    sha256: str
    size: int
    path: Path  # absolute, inside the store


class PdfStore:
    """Content-addressed PDF files under ``root``."""

    def __init__(self, root: str | os.PathLike[str], max_bytes: int) -> None:
        if max_bytes < len(PDF_MAGIC):
            raise ValueError(f"PDF_MAX_BYTES must be at least {len(PDF_MAGIC)}, not {max_bytes}")
        self.root = Path(root).expanduser().resolve()
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> Path:
        """Where the PDF with this digest lives (always inside the store)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / f"{sha256}.pdf"

    def check(self, body: bytes) -> None:
        """Raise :class:`NotAPdf` or :class:`TooLarge` for a body that may not be kept."""
        if len(body) > self.max_bytes:
            raise TooLarge(f"{len(body)} bytes, more than PDF_MAX_BYTES ({self.max_bytes})")
        if not body.startswith(PDF_MAGIC):
            raise NotAPdf(f"the body starts with {body[:16]!r}, not %PDF-")

    def store(self, body: bytes) -> StoredPdf:
        """Keep ``body`` (checked first); returns its digest, size and path."""
        self.check(body)
        digest = hashlib.sha256(body).hexdigest()
        path = self.path_for(digest)
        if path.is_file() and path.stat().st_size == len(body):
            return StoredPdf(digest, len(body), path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f"{_partial_owner()}-", suffix=".pdf"
        )
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return StoredPdf(digest, len(body), path)

    def remove_orphans(self) -> int:
        """Remove the partial files that processes of this host left when they were killed
        mid-write; how many. A live process's partial file, or another host's, is kept."""
        removed = 0
        mine = f"{PARTIAL_PREFIX}{_host()}-"
        for path in self.root.glob(f"??/{mine}*.pdf"):  # nothing when there is no store yet
            pid = path.name[len(mine) :].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _host() -> str:
    """This host's name, without the ``-`` that separates the parts of a partial name."""
    return socket.gethostname().replace("-", "_")


def _partial_owner() -> str:
    return f"{PARTIAL_PREFIX}{_host()}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
