"""Spiders for tests: the ``scholar`` spider with a database that cannot be read back.

Loaded with ``-s SPIDER_MODULES=scholarcrawl.spiders,tests.support.spiders``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

from sqlalchemy.exc import OperationalError

from scholarcrawl.spiders.scholar import ScholarSpider
from scholarcrawl.store.details import DetailTarget
from scholarcrawl.store.refresh import ProfileState, StoredHeader
from scholarcrawl.store.repository import Repository


def _fail(statement: str) -> NoReturn:
    raise OperationalError(statement, None, ConnectionError("simulated: the read failed"))


class UnreadableState(ProfileState):
    """Every read of what earlier runs stored fails (writes go on as usual)."""

    def known_rows(self, scholar_id: str, keys: Iterable[str]) -> dict[str, int]:
        _fail("SELECT ... FROM authorships")

    def stored_header(self, scholar_id: str) -> StoredHeader | None:
        _fail("SELECT ... FROM scholars")


class UnreadableStateScholarSpider(ScholarSpider):
    """The ``scholar`` spider whose reads of stored state fail."""

    name = "scholar_unreadable_state"

    def _open_state(self) -> None:
        super()._open_state()
        assert self._engine is not None
        self._state = UnreadableState(self._engine)


class UnreadableDetailsRepository(Repository):
    """Which publications need a detail page cannot be read (everything else works)."""

    def details_pending(
        self, scholar_id: str, mode: str, limit: int | None = None
    ) -> list[DetailTarget]:
        _fail("SELECT ... FROM publications JOIN authorships")


class UnreadableDetailsScholarSpider(ScholarSpider):
    """The ``scholar`` spider whose read of the publications needing details fails."""

    name = "scholar_unreadable_details"

    def _open_state(self) -> None:
        super()._open_state()
        assert self._engine is not None
        self._repository = UnreadableDetailsRepository(self._engine)
