"""The resolution rules, with a fake API client answering from canned bodies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

from scholarcrawl.apis.client import ApiAnswer, ApiUnavailable
from scholarcrawl.apis.config import ApiConfig, ServiceConfig
from scholarcrawl.matching import DEFAULT_POLICY
from scholarcrawl.resolver import (
    DEFERRED,
    DISABLED,
    ERROR,
    NO_MATCH,
    RESOLVED,
    UNINFORMATIVE,
    IdentifierResolver,
    ResolverSettings,
    is_preprint_row,
    local_identifiers,
)

T = TypeVar("T")
ATOM = "http://www.w3.org/2005/Atom"


def work(
    doi: str,
    title: str,
    family: str,
    year: int | None,
    container: str,
    kind: str = "journal-article",
    **extra: Any,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "DOI": doi,
        "title": [title],
        "author": [{"given": "A.", "family": family, "sequence": "first", "affiliation": []}],
        "issued": {"date-parts": [[year]]},
        "container-title": [container],
        "type": kind,
        "score": 30.0,
    }
    item.update(extra)
    return item


def works_body(*items: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "status": "ok",
            "message-type": "work-list",
            "message-version": "1.0.0",
            "message": {
                "facets": {},
                "total-results": len(items),
                "items": list(items),
                "items-per-page": 5,
            },
        }
    ).encode()


def feed(*entries: tuple[str, str, list[str], int, str | None]) -> bytes:
    parts = []
    for arxiv_id, title, authors, year, doi in entries:
        names = "".join(f"<author><name>{name}</name></author>" for name in authors)
        doi_xml = f"<arxiv:doi>{doi}</arxiv:doi>" if doi else ""
        parts.append(
            f"<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><title>{title}</title>"
            f"<published>{year}-01-02T00:00:00Z</published>"
            f"<updated>{year}-01-02T00:00:00Z</updated>{names}{doi_xml}"
            f'<link href="https://arxiv.org/abs/{arxiv_id}v1" rel="alternate"'
            ' type="text/html"/></entry>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<feed xmlns="{ATOM}" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">'
        "<title>arXiv Query</title>"
        f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>"
        f"{''.join(parts)}</feed>"
    ).encode()


class FakeClient:
    """Answers by service; records what was asked."""

    def __init__(self, answers: dict[str, ApiAnswer | Exception]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    async def fetch(self, service: ServiceConfig, url: str, parse: Callable[[ApiAnswer], T]) -> T:
        self.asked.append((service.name, url))
        answer = self.answers[service.name]
        if isinstance(answer, Exception):
            raise answer
        return parse(answer)


def answer(status: int, body: bytes) -> ApiAnswer:
    return ApiAnswer(status, body, None, False, "http://x")


def resolver(client: FakeClient | None, **settings: Any) -> IdentifierResolver:
    config = ApiConfig.from_settings({"SCHOLARCRAWL_CONTACT_EMAIL": "ops@example.org", **settings})
    return IdentifierResolver(client, config, DEFAULT_POLICY, ResolverSettings())


def resolve(
    r: IdentifierResolver,
    title: str,
    authors: str,
    venue: str | None,
    year: int | None,
    known: Any = (),
) -> Any:
    return asyncio.run(r.resolve(title, authors, venue, year, known))


EMPTY_FEED = feed()
JOURNAL = "Journal of Machine Learning Research"


def test_an_explicit_local_id_is_resolved_without_any_query() -> None:
    client = FakeClient({})
    local = local_identifiers(
        "Attention is all you need", "A Vaswani, N Shazeer", "arXiv preprint arXiv:1706.03762, 2017"
    )
    result = resolve(
        resolver(client),
        "Attention is all you need",
        "A Vaswani",
        "arXiv preprint arXiv:1706.03762",
        2017,
        local,
    )
    assert result.status == RESOLVED
    assert [(i["kind"], i["value"], i["source"], i["confidence"]) for i in result.identifiers] == [
        ("arxiv", "1706.03762", "local", 1.0)
    ]
    assert client.asked == []


def test_crossref_match_by_weighted_score_gives_a_self_doi_with_evidence() -> None:
    client = FakeClient(
        {
            "arxiv": answer(200, EMPTY_FEED),
            "crossref": answer(
                200,
                works_body(
                    work(
                        "10.1/other",
                        "Sparse coding of natural images revisited",
                        "Olshausen",
                        2009,
                        JOURNAL,
                    ),
                    work(
                        "10.5555/jmlr.2019.1",
                        "Sparse coding of natural images",
                        "Olshausen",
                        2019,
                        JOURNAL,
                    ),
                ),
            ),
        }
    )
    result = resolve(
        resolver(client),
        "Sparse coding of natural images",
        "BA Olshausen, DJ Field",
        "Journal of Machine Learning Research 20 (1), 1-10",
        2019,
    )
    assert result.status == RESOLVED
    (doi,) = [i for i in result.identifiers if i["kind"] == "doi"]
    assert (
        doi["value"] == "10.5555/jmlr.2019.1"
        and doi["role"] == "self"
        and doi["source"] == "crossref"
    )
    assert 0 < doi["confidence"] <= 1
    assert {"title", "author", "year", "venue"} <= set(doi["evidence"])
    assert "mailto" not in doi["evidence"]["query"]
    # the Crossref query carries the bibliographic string, the surname, rows and mailto
    (crossref_url,) = [url for service, url in client.asked if service == "crossref"]
    query = parse_qs(urlsplit(crossref_url).query)
    assert query["query.author"] == ["olshausen"]
    assert query["rows"] == ["5"] and query["mailto"] == ["ops@example.org"]


def test_a_negated_title_is_a_mismatch_whatever_its_similarity() -> None:
    client = FakeClient(
        {
            "arxiv": answer(200, EMPTY_FEED),
            "crossref": answer(
                200,
                works_body(
                    work("10.9/not", "Attention is not all you need", "Vaswani", 2017, "NeurIPS")
                ),
            ),
        }
    )
    result = resolve(
        resolver(client),
        "Attention is all you need",
        "A Vaswani, N Shazeer",
        "Advances in neural information processing systems 30",
        2017,
    )
    assert result.status == NO_MATCH
    assert result.identifiers == []


def test_a_title_differing_by_a_number_is_a_mismatch() -> None:
    client = FakeClient(
        {
            "arxiv": answer(200, EMPTY_FEED),
            "crossref": answer(
                200,
                works_body(
                    work(
                        "10.9/p2",
                        "Optimal transport on manifolds, part II",
                        "Villani",
                        2012,
                        JOURNAL,
                    )
                ),
            ),
        }
    )
    result = resolve(
        resolver(client), "Optimal transport on manifolds, part I", "C Villani", JOURNAL, 2012
    )
    assert result.status == NO_MATCH


def test_arxiv_finds_the_preprint_of_a_journal_row_as_a_version_and_its_doi_as_self() -> None:
    client = FakeClient(
        {
            "arxiv": answer(
                200,
                feed(
                    (
                        "2101.00001",
                        "Sharp bounds for random graph colouring",
                        ["Ada Lovelace", "Bo Li"],
                        2021,
                        "10.1214/21-aop1",
                    ),
                ),
            ),
            "crossref": answer(200, works_body()),
        }
    )
    result = resolve(
        resolver(client),
        "Sharp bounds for random graph colouring",
        "A Lovelace, B Li",
        "The Annals of Probability 49 (3)",
        2021,
    )
    kinds = {(i["kind"], i["value"], i["role"], i["source"]) for i in result.identifiers}
    assert ("arxiv", "2101.00001", "version", "arxiv") in kinds
    assert ("doi", "10.1214/21-aop1", "self", "arxiv") in kinds
    assert result.status == RESOLVED


def arxiv_only(*entries: tuple[str, str, list[str], int, str | None]) -> FakeClient:
    """arXiv answers with these entries; Crossref finds nothing."""
    return FakeClient({"arxiv": answer(200, feed(*entries)), "crossref": answer(200, works_body())})


def test_an_arxiv_entry_is_never_accepted_because_it_came_first() -> None:
    client = arxiv_only(
        ("1901.00002", "Random graph colouring in the wild", ["Zed Other"], 2019, None)
    )
    result = resolve(
        resolver(client),
        "Sharp bounds for random graph colouring",
        "A Lovelace",
        "Annals of Probability",
        2021,
    )
    assert result.status == NO_MATCH and result.identifiers == []


def test_a_preprint_row_gets_its_arxiv_id_as_self() -> None:
    client = arxiv_only(
        ("2203.01234", "Neural fields for fluid simulation", ["Mia Chen"], 2022, None)
    )
    result = resolve(
        resolver(client),
        "Neural fields for fluid simulation",
        "M Chen, J Park",
        "arXiv preprint",
        2022,
    )
    assert [(i["kind"], i["role"]) for i in result.identifiers] == [("arxiv", "self")]
    assert result.status == RESOLVED
    # a high-confidence self id makes Crossref unnecessary
    assert [service for service, _ in client.asked] == ["arxiv"]


def test_malformed_answers_are_recorded_errors_never_guesses() -> None:
    client = FakeClient(
        {"arxiv": answer(200, b"<html>oops"), "crossref": answer(200, b'{"status": "ok", "message')}
    )
    result = resolve(
        resolver(client), "Sparse coding of natural images", "BA Olshausen", JOURNAL, 2019
    )
    assert result.status == ERROR
    assert result.identifiers == []
    assert "unexpected_shape" in (result.error or "") or "malformed_xml" in (result.error or "")
    assert "malformed_json" in (result.error or "")


def test_an_unavailable_api_defers_the_row() -> None:
    client = FakeClient(
        {
            "arxiv": ApiUnavailable("arxiv", "cooldown", "900 s left"),
            "crossref": answer(200, works_body()),
        }
    )
    result = resolve(
        resolver(client), "Sparse coding of natural images", "BA Olshausen", JOURNAL, 2019
    )
    assert result.status == DEFERRED
    assert "cooldown" in (result.error or "")


def test_uninformative_titles_are_not_sent() -> None:
    client = FakeClient({})
    result = resolve(resolver(client), "Introduction", "J Smith", "Nature", 2010)
    assert result.status == UNINFORMATIVE and client.asked == []


def test_with_every_api_off_nothing_is_asked() -> None:
    client = FakeClient({})
    r = resolver(client, ARXIV_ENABLED=False, CROSSREF_ENABLED=False)
    assert (
        resolve(r, "Sparse coding of natural images", "BA Olshausen", JOURNAL, 2019).status
        == DISABLED
    )
    assert client.asked == []


@pytest.mark.parametrize(
    ("venue", "preprint"),
    [
        ("arXiv preprint arXiv:2101.00001", True),
        ("bioRxiv, 2020.01.01.123456", True),
        ("CoRR, abs/1706.03762", True),
        ("Nature 521 (7553), 436-444", False),
        (None, False),
    ],
)
def test_preprint_rows_are_told_by_their_venue(venue: str | None, preprint: bool) -> None:
    assert is_preprint_row(venue) is preprint


def test_server_errors_and_passing_faults_defer_internal_failures_too() -> None:
    flaky = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" '
        b'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"><title>q</title>'
        b"<opensearch:totalResults>7</opensearch:totalResults>"
        b"<opensearch:startIndex>0</opensearch:startIndex></feed>"
    )
    client = FakeClient({"arxiv": answer(200, flaky), "crossref": answer(503, b"busy")})
    result = resolve(
        resolver(client), "Sparse coding of natural images", "BA Olshausen", JOURNAL, 2019
    )
    assert result.status == DEFERRED
    assert "transient_empty" in (result.error or "") and "http_503" in (result.error or "")
    broken = FakeClient(
        {"arxiv": RuntimeError("database is locked"), "crossref": answer(200, works_body())}
    )
    result = resolve(
        resolver(broken), "Sparse coding of natural images", "BA Olshausen", JOURNAL, 2019
    )
    assert result.status == DEFERRED
    assert "internal: RuntimeError: database is locked" in (result.error or "")


@pytest.mark.parametrize(
    ("venue", "roles"),
    [
        # a journal row: the publisher's DOI is its own, an arXiv link its preprint
        ("IEEE Access", {"doi:10.1109/access.2018.1": "self", "arxiv:2001.01234": "version"}),
        # no venue: read as a published paper, never merged by an arXiv link
        (None, {"doi:10.1109/access.2018.1": "self", "arxiv:2001.01234": "version"}),
        # a preprint row: its arXiv id is its own, a journal DOI the published version
        (
            "arXiv preprint arXiv:2001.01234",
            {"doi:10.1109/access.2018.1": "version", "arxiv:2001.01234": "self"},
        ),
    ],
)
def test_identifiers_in_a_detail_pages_links_take_the_version_tables_roles(
    venue: str | None, roles: dict[str, str]
) -> None:
    links = ["https://doi.org/10.1109/ACCESS.2018.1", "https://arxiv.org/pdf/2001.01234v2"]
    found = local_identifiers("A paper", "A Author", venue, links)
    assert {f"{i['kind']}:{i['value']}": i["role"] for i in found} == roles
    assert {i["source"] for i in found} == {"local"} and {i["confidence"] for i in found} == {1.0}
    # the preprint row's own arXiv id is read from its venue text, not from the link
    fields = {i["evidence"]["field"] for i in found}
    assert fields == ({"venue", "link"} if venue and "arXiv" in venue else {"link"})


def test_arxivs_own_doi_in_a_link_is_a_preprints_identifier() -> None:
    found = local_identifiers(
        "A paper", "A Author", "Journal of Tests", ["https://doi.org/10.48550/arXiv.2001.01234"]
    )
    assert {(i["kind"], i["value"], i["role"]) for i in found} == {
        ("doi", "10.48550/arxiv.2001.01234", "version"),
        ("arxiv", "2001.01234", "version"),
    }


def test_identifiers_in_a_rows_own_text_stay_its_own_whatever_its_venue() -> None:
    found = local_identifiers("A paper arXiv:2001.01234", "A Author", "Journal of Tests")
    assert [(i["kind"], i["role"]) for i in found] == [("arxiv", "self")]
