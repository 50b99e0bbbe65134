"""Spiders for tests: the ``scholar`` spider with a database that cannot be read back.

Loaded with ``-s SPIDER_MODULES=scholarcrawl.spiders,tests.support.spiders``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

from sqlalchemy.exc import OperationalError

from scholarcrawl.spiders.scholar import ScholarSpider
from scholarcrawl.store.refresh import ProfileState, StoredHeader


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
