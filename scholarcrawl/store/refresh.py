"""What earlier runs stored of a profile, read by the ``scholar`` spider to save requests.

``-a refresh=new`` asks which rows of a page are already known (:meth:`ProfileState.known_rows`)
and ``-a skip_unchanged=1`` compares page one's header with the stored one
(:meth:`ProfileState.stored_header`). Both are read-only; each call is one query in its own
transaction, made before the page's items are stored (storing them makes them known).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from scholarcrawl.store.models import Authorship, Scholar
from scholarcrawl.store.repository import Repository


@dataclass(frozen=True, slots=True)
class StoredHeader:
    """A profile's stored citation indices and how its last crawl ended (``scholars`` row)."""

    scholar_id: str
    citations_all: int | None
    h_index_all: int | None
    i10_all: int | None
    crawl_status: str | None  # the profile outcome: complete, blocked, deferred, ...
    pages_fetched: int | None  # pages of the profile as its last crawl saw it
    rows_seen: int | None  # publication rows of the profile as its last crawl saw it


class ProfileState:
    """Read-only view of what is stored about profiles (``scholars``, ``authorships``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._repository = Repository(engine)  # its sessions: one transaction per read

    def known_rows(self, scholar_id: str, keys: Iterable[str]) -> dict[str, int]:
        """The stored citation count of each of ``keys`` (Scholar's ``citation_for_view`` key
        of a row) that this scholar has an authorship with; unknown keys are left out."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        with self._repository.session() as session:
            rows = session.execute(
                select(Authorship.scholar_pub_key, Authorship.citations).where(
                    Authorship.scholar_id == scholar_id,
                    Authorship.scholar_pub_key.in_(wanted),
                )
            )
            return {key: citations for key, citations in rows if key is not None}

    def stored_coauthors(self, scholar_id: str) -> list[str]:
        """The ids of the profile's stored co-authors: its full list when one was fetched,
        else those page one showed; [] for a profile never stored."""
        with self._repository.session() as session:
            row = session.execute(
                select(Scholar.coauthors_full, Scholar.coauthors).where(
                    Scholar.scholar_id == scholar_id
                )
            ).one_or_none()
        if row is None:
            return []
        listed = row[0] if row[0] is not None else row[1]
        return [
            str(entry["scholar_id"])
            for entry in listed or []
            if isinstance(entry, dict) and entry.get("scholar_id")
        ]

    def stored_header(self, scholar_id: str) -> StoredHeader | None:
        """The profile's stored header and last outcome; None when it was never stored."""
        with self._repository.session() as session:
            row = session.execute(
                select(
                    Scholar.citations_all,
                    Scholar.h_index_all,
                    Scholar.i10_all,
                    Scholar.crawl_status,
                    Scholar.pages_fetched,
                    Scholar.rows_seen,
                ).where(Scholar.scholar_id == scholar_id)
            ).one_or_none()
        if row is None:
            return None
        return StoredHeader(scholar_id, *row)
