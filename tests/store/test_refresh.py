"""What the spider reads back to save requests, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from scholarcrawl.fingerprint import publication_fingerprint
from scholarcrawl.store.refresh import ProfileState, StoredHeader
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import RunStore

A, B = "AAAAAAAAAAAJ", "BBBBBBBBBBBJ"


def store_row(repo: Repository, run_id: str, scholar_id: str, title: str, **values: Any) -> None:
    row: dict[str, Any] = {
        "scholar_id": scholar_id,
        "title": title,
        "authors": "A Author",
        "venue": "Journal of Tests",
        "year": 2020,
        "citations": 3,
        "merged": False,
        "cluster_ids": [],
        "scholar_pub_key": f"{scholar_id}:{title}",
        "position": 1,
        "identifiers": [],
    }
    row |= values
    row["fingerprint"] = publication_fingerprint(row["title"], row["year"], row["authors"])
    repo.upsert_publication(row, run_id)


def test_known_rows_are_this_scholars_keys_with_their_stored_citations(engine: Engine) -> None:
    repo = Repository(engine)
    run_id = RunStore(engine).create("scholar", {})
    store_row(repo, run_id, A, "one", citations=7)
    store_row(repo, run_id, A, "two", citations=0)
    store_row(repo, run_id, A, "keyless", scholar_pub_key=None)
    # the same paper on another profile: B's key is not A's
    store_row(repo, run_id, B, "one", citations=7, scholar_pub_key="B:one")
    state = ProfileState(engine)

    assert state.known_rows(A, [f"{A}:one", f"{A}:two", f"{A}:three", "B:one"]) == {
        f"{A}:one": 7,
        f"{A}:two": 0,
    }
    assert state.known_rows(B, [f"{A}:one", "B:one", "B:one"]) == {"B:one": 7}
    assert state.known_rows(A, []) == {}
    assert state.known_rows("CCCCCCCCCCCJ", [f"{A}:one"]) == {}


def test_known_rows_take_a_full_page_of_keys_in_one_query(engine: Engine) -> None:
    repo = Repository(engine)
    run_id = RunStore(engine).create("scholar", {})
    for number in range(100):
        store_row(repo, run_id, A, f"paper {number}", citations=number)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        known = ProfileState(engine).known_rows(A, [f"{A}:paper {n}" for n in range(100)])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert known == {f"{A}:paper {n}": n for n in range(100)}
    assert len(statements) == 1 and "authorships" in statements[0]


def test_stored_header_is_the_indices_and_the_last_outcome(engine: Engine) -> None:
    repo = Repository(engine)
    state = ProfileState(engine)
    assert state.stored_header(A) is None

    repo.upsert_scholar(
        {"scholar_id": A, "name": "A", "citations_all": 120, "h_index_all": 5, "i10_all": 3},
        None,
    )
    assert state.stored_header(A) == StoredHeader(A, 120, 5, 3, None, None, None)

    repo.record_profile_outcome(
        A, status="complete", reason=None, pages_fetched=3, rows_seen=250, run_id=None
    )
    assert state.stored_header(A) == StoredHeader(A, 120, 5, 3, "complete", 3, 250)


@pytest.mark.parametrize("read", ["known_rows", "stored_header"])
def test_an_unreachable_database_raises_sqlalchemy_errors(read: str) -> None:
    from scholarcrawl.store.db import make_engine

    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    state = ProfileState(engine)
    with pytest.raises(sa.exc.SQLAlchemyError):
        if read == "known_rows":
            state.known_rows(A, ["k"])
        else:
            state.stored_header(A)
    engine.dispose()
