"""Crossref request URLs and the /works parsers, on hand-written answers shaped like real ones.

The envelopes, field names and value shapes follow real 2026 answers; the works are invented.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from scholarcrawl.apis import ApiResponseError
from scholarcrawl.apis.crossref import (
    SELECT_FIELDS,
    CrossrefWork,
    parse_work,
    parse_works,
    work_url,
    works_query_url,
)

API = "https://api.crossref.org"

# Fields Crossref accepts in select= (the list its validation error gives for /works).
_SELECTABLE = (
    "abstract URL resource member posted score created degree update-policy short-title "
    "license ISSN container-title issued update-to issue prefix approved indexed "
    "article-number clinical-trial-number accepted author group-title DOI "
    "is-referenced-by-count updated-by event chair standards-body original-title funder "
    "translator published archive published-print alternative-id subject subtitle "
    "published-online publisher-location content-domain reference title link type publisher "
    "volume references-count ISBN issn-type assertion deposited page content-created "
    "short-container-title relation editor"
)
CROSSREF_SELECTABLE = frozenset(_SELECTABLE.split())


def _date(*parts: int | None) -> dict[str, Any]:
    return {"date-parts": [list(parts)]}


JOURNAL_ARTICLE: dict[str, Any] = {
    "indexed": {"date-parts": [[2026, 3, 19]], "date-time": "2026-03-19T06:10:28Z"},
    "publisher": "Invented Publisher",
    "short-container-title": ["J Inv Res"],
    "DOI": "10.5555/JIR.2015.0042",
    "type": "journal-article",
    "title": ["Single-molecule   studies\n of invented proteins"],
    "subtitle": ["a case study"],
    "author": [
        {"given": "Laura", "family": "Example", "sequence": "first", "affiliation": []},
        {"given": "Mathew H.", "family": "Sample", "sequence": "additional", "affiliation": []},
        {"name": "The Invented Consortium", "sequence": "additional", "affiliation": []},
        {"given": "Mononym", "sequence": "additional", "affiliation": []},
    ],
    "container-title": ["Journal of Invented Research"],
    "published-print": _date(2016, 1),
    "published-online": _date(2015, 11, 19),
    "issued": _date(2015, 11, 19),
    "score": 27.5,
    "relation": {
        "has-preprint": [{"id-type": "doi", "id": "10.1101/000001", "asserted-by": "object"}]
    },
}

# A conference paper whose issued date is unknown, as in real answers: [[null]].
PROCEEDINGS_NULL_DATE: dict[str, Any] = {
    "DOI": "10.5555/conf.2003.7",
    "type": "proceedings-article",
    "title": ["Accurate differentiation of invented losses"],
    "subtitle": [],
    "author": [
        {"given": "V.", "family": "Alpha", "sequence": "first", "affiliation": []},
        {"given": "T.", "family": "Beta", "sequence": "additional", "affiliation": []},
    ],
    "container-title": ["Invented Workshops, 2003. Proceedings."],
    "short-container-title": [],
    "issued": {"date-parts": [[None]]},
    "score": 1,
    "relation": {},
}

# A reference entry: no author at all, no subtitle key, no relation key.
REFERENCE_ENTRY: dict[str, Any] = {
    "DOI": "10.5555/obo/0000-0238",
    "type": "reference-entry",
    "title": ["Communicating Invention"],
    "container-title": ["Invention"],
    "issued": _date(2022, 7, 26),
    "published": _date(2022, 7, 26),
    "score": 11.044969,
}

ERRATUM: dict[str, Any] = {
    "DOI": "10.5555/JIR.2016.0001",
    "type": "journal-article",
    "title": ["Correction: Single-molecule studies of invented proteins"],
    "author": [],
    "container-title": ["Journal of Invented Research", "J Inv Res"],
    "short-container-title": ["J Inv Res"],
    "issued": _date(2016),
    "update-to": [
        {
            "updated": _date(2016, 2, 1),
            "DOI": "10.5555/jir.2015.0042",
            "type": "correction",
            "label": "Correction",
        }
    ],
    "score": 9.25,
}


def _list_answer(items: list[Any], total: int | None = None) -> bytes:
    return json.dumps(
        {
            "status": "ok",
            "message-type": "work-list",
            "message-version": "1.0.0",
            "message": {
                "facets": {},
                "total-results": len(items) if total is None else total,
                "items": items,
                "items-per-page": len(items),
                "query": {"start-index": 0, "search-terms": None},
            },
        }
    ).encode()


def _work_answer(item: Any) -> bytes:
    return json.dumps(
        {"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": item}
    ).encode()


VALIDATION_FAILURE = (
    b'{"status":"failed","message-type":"validation-failure","message":[{"type":'
    b'"parameter-not-allowed","value":"query.*","message":"This route does not support '
    b'field query parameters"}]}'
)


def _raises_list(body: bytes, status: int = 200) -> ApiResponseError:
    with pytest.raises(ApiResponseError) as info:
        parse_works(body, status)
    return info.value


def _raises_work(body: bytes, status: int = 200) -> ApiResponseError:
    with pytest.raises(ApiResponseError) as info:
        parse_work(body, status)
    return info.value


# --------------------------------------------------------------------------- URLs


def test_works_query_url_full() -> None:
    url = works_query_url(
        API, "Attention is all you need", "Vaswani", rows=5, mailto="ops@example.org"
    )
    assert url == (
        "https://api.crossref.org/works?query.bibliographic=Attention+is+all+you+need"
        "&query.author=Vaswani&rows=5&select=DOI,title,subtitle,author,issued,published,"
        "published-print,published-online,container-title,short-container-title,type,"
        "update-to,relation,score&mailto=ops@example.org"
    )


def test_works_query_url_without_author_and_mailto() -> None:
    url = works_query_url(API + "/", "Deep  residual\nlearning", None, rows=2)
    assert url == (
        "https://api.crossref.org/works?query.bibliographic=Deep+residual+learning&rows=2"
        f"&select={','.join(SELECT_FIELDS)}"
    )
    assert "query.author" not in works_query_url(API, "x", "  ")


def test_works_query_url_escapes_values() -> None:
    url = works_query_url(API, 'Title: "quoted" & more +1 100% #2 é', "Del Maestro")
    assert "query.bibliographic=Title%3A+%22quoted%22+%26+more+%2B1+100%25+%232+%C3%A9&" in url
    assert "&query.author=Del+Maestro&" in url


@pytest.mark.parametrize("rows", [0, -5, 1001])
def test_works_query_url_refuses_bad_rows(rows: int) -> None:
    with pytest.raises(ValueError, match="rows"):
        works_query_url(API, "x", None, rows=rows)


def test_works_query_url_refuses_empty_query() -> None:
    with pytest.raises(ValueError, match="empty"):
        works_query_url(API, "  \n", "Smith")


def test_select_fields_are_all_selectable() -> None:
    assert set(SELECT_FIELDS) <= CROSSREF_SELECTABLE
    assert len(set(SELECT_FIELDS)) == len(SELECT_FIELDS)
    # Everything the parser reads is asked for.
    for name in ("DOI", "title", "author", "issued", "type", "update-to", "relation", "score"):
        assert name in SELECT_FIELDS


def test_work_url() -> None:
    assert work_url(API, "10.1038/srep16696") == "https://api.crossref.org/works/10.1038/srep16696"
    assert work_url(API + "/", " 10.1000/ABC ", mailto="ops@example.org") == (
        "https://api.crossref.org/works/10.1000/ABC?mailto=ops@example.org"
    )


def test_work_url_escapes_everything_but_slashes() -> None:
    doi = "10.1002/(SICI)1097-4636(199812)43:4<351::AID-JBM2>3.0.CO;2-#"
    assert work_url(API, doi) == (
        "https://api.crossref.org/works/10.1002/%28SICI%291097-4636%28199812%2943%3A4"
        "%3C351%3A%3AAID-JBM2%3E3.0.CO%3B2-%23"
    )
    assert (
        work_url(API, "10.1000/a b?c&d") == "https://api.crossref.org/works/10.1000/a%20b%3Fc%26d"
    )


def test_work_url_refuses_empty_doi() -> None:
    with pytest.raises(ValueError):
        work_url(API, " ")


# --------------------------------------------------------------------------- parse_works


def test_parse_works_list() -> None:
    items = [JOURNAL_ARTICLE, PROCEEDINGS_NULL_DATE, REFERENCE_ENTRY, ERRATUM]
    works, skipped = parse_works(_list_answer(items, total=586628))
    assert skipped == 0
    assert works[0] == CrossrefWork(
        doi="10.5555/jir.2015.0042",
        title="Single-molecule studies of invented proteins",
        subtitle="a case study",
        authors=(
            ("Laura", "Example"),
            ("Mathew H.", "Sample"),
            (None, "The Invented Consortium"),
            (None, "Mononym"),
        ),
        year=2015,
        container_titles=("Journal of Invented Research", "J Inv Res"),
        work_type="journal-article",
        is_update=False,
        score=27.5,
        relation={
            "has-preprint": [{"id-type": "doi", "id": "10.1101/000001", "asserted-by": "object"}]
        },
    )
    proceedings, reference, erratum = works[1:]
    assert proceedings.year is None
    assert proceedings.subtitle is None
    assert proceedings.authors == (("V.", "Alpha"), ("T.", "Beta"))
    assert proceedings.container_titles == ("Invented Workshops, 2003. Proceedings.",)
    assert proceedings.score == 1.0
    assert isinstance(proceedings.score, float)
    assert reference.authors == ()
    assert reference.relation == {}
    assert reference.work_type == "reference-entry"
    assert erratum.is_update is True
    assert erratum.year == 2016
    assert erratum.container_titles == ("Journal of Invented Research", "J Inv Res")


def test_parse_works_empty_list() -> None:
    assert parse_works(_list_answer([], total=0)) == ((), 0)


@pytest.mark.parametrize(
    ("dates", "year"),
    [
        ({"issued": _date(2015, 11, 19)}, 2015),
        ({"issued": _date(2015)}, 2015),
        ({"issued": {"date-parts": [[None]]}, "published-print": _date(2003)}, 2003),
        ({"issued": {"date-parts": [[None]]}, "published-online": _date(2004, 5)}, 2004),
        ({"published": _date(2001), "published-print": _date(2002)}, 2001),
        ({"issued": {"date-parts": [[]]}}, None),
        ({"issued": {"date-parts": []}}, None),
        ({"issued": {}}, None),
        ({}, None),
    ],
)
def test_year_falls_back_through_the_dates(dates: dict[str, Any], year: int | None) -> None:
    item = {"DOI": "10.5555/x", "title": ["T"], **dates}
    (work,), skipped = parse_works(_list_answer([item]))
    assert (work.year, skipped) == (year, 0)


def _broken(**changes: Any) -> dict[str, Any]:
    item = copy.deepcopy(JOURNAL_ARTICLE)
    for key, value in changes.items():
        key = key.replace("_", "-")
        if value is _DROP:
            del item[key]
        else:
            item[key] = value
    return item


_DROP = object()


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(_broken(title="A title as a string"), id="title-not-list"),
        pytest.param(_broken(title=["ok", 3]), id="title-holds-number"),
        pytest.param(_broken(DOI=_DROP), id="doi-missing"),
        pytest.param(_broken(DOI=""), id="doi-empty"),
        pytest.param(_broken(DOI=["10.5555/x"]), id="doi-list"),
        pytest.param(_broken(author={"given": "A", "family": "B"}), id="author-not-list"),
        pytest.param(_broken(author=["A. Author"]), id="author-entry-string"),
        pytest.param(_broken(author=[{"given": "A", "family": 7}]), id="family-number"),
        pytest.param(_broken(issued={"date-parts": [["2015", 11]]}), id="year-string"),
        pytest.param(_broken(issued={"date-parts": [[2015, "11"]]}), id="month-string"),
        pytest.param(_broken(issued={"date-parts": [[True]]}), id="year-bool"),
        pytest.param(_broken(issued={"date-parts": "2015"}), id="date-parts-string"),
        pytest.param(_broken(issued=[[2015]]), id="issued-not-object"),
        pytest.param(_broken(published_print={"date-parts": [["x"]]}), id="late-date-string"),
        pytest.param(_broken(container_title="Journal"), id="container-not-list"),
        pytest.param(_broken(type=["journal-article"]), id="type-list"),
        pytest.param(_broken(score="27.5"), id="score-string"),
        pytest.param(_broken(relation=[]), id="relation-list"),
        pytest.param(_broken(update_to={"DOI": "x"}), id="update-to-object"),
        pytest.param("10.5555/just-a-string", id="item-string"),
        pytest.param(None, id="item-null"),
    ],
)
def test_malformed_item_is_skipped_and_counted(item: Any) -> None:
    works, skipped = parse_works(_list_answer([REFERENCE_ENTRY, item, PROCEEDINGS_NULL_DATE]))
    assert [w.doi for w in works] == ["10.5555/obo/0000-0238", "10.5555/conf.2003.7"]
    assert skipped == 1


def test_work_without_title_has_empty_title() -> None:
    (work,), _ = parse_works(_list_answer([{"DOI": "10.5555/NoTitle", "title": []}]))
    assert (work.doi, work.title, work.subtitle, work.work_type) == (
        "10.5555/notitle",
        "",
        None,
        None,
    )
    assert work.score is None
    assert work.is_update is False
    (work,), _ = parse_works(_list_answer([{"DOI": "10.5555/x", "title": ["", "  ", "Second"]}]))
    assert work.title == "Second"


def test_works_are_hashable_despite_relation() -> None:
    works, _ = parse_works(_list_answer([JOURNAL_ARTICLE, JOURNAL_ARTICLE]))
    assert len({*works}) == 1


# --------------------------------------------------------------------------- parse_work


def test_parse_single_work() -> None:
    work = parse_work(_work_answer(PROCEEDINGS_NULL_DATE))
    assert work.doi == "10.5555/conf.2003.7"
    assert work.work_type == "proceedings-article"
    assert work.year is None
    assert len(work.authors) == 2


def test_parse_work_with_malformed_work_is_unexpected_shape() -> None:
    error = _raises_work(_work_answer(_broken(title="nope")))
    assert error.reason == "unexpected_shape"
    assert "title" in error.detail
    assert _raises_work(_work_answer(None)).reason == "unexpected_shape"


def test_message_types_are_not_interchangeable() -> None:
    assert _raises_work(_list_answer([JOURNAL_ARTICLE])).reason == "unexpected_shape"
    assert _raises_list(_work_answer(JOURNAL_ARTICLE)).reason == "unexpected_shape"


# --------------------------------------------------------------------------- errors


def test_404_plain_text() -> None:
    for raises in (_raises_work, _raises_list):
        error = raises(b"Resource not found.", 404)
        assert (error.reason, error.detail) == ("http_404", "Resource not found.")


def test_validation_failure_400_is_api_error() -> None:
    for raises in (_raises_work, _raises_list):
        error = raises(VALIDATION_FAILURE, 400)
        assert error.reason == "api_error"
        assert "This route does not support field query parameters" in error.detail
        assert "validation-failure" in error.detail


def test_failed_status_with_200_is_api_error() -> None:
    body = b'{"status":"failed","message-type":"exception","message":"Something broke"}'
    error = _raises_list(body)
    assert (error.reason, error.detail) == ("api_error", "exception: Something broke")


def test_400_that_is_not_a_failure_document() -> None:
    assert _raises_list(b"<html>Bad Request</html>", 400).reason == "http_400"
    assert _raises_list(b'{"status":"ok"}', 400).reason == "http_400"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_other_statuses_quote_at_most_200_chars(status: int) -> None:
    body = b"<html><body>" + b"Upstream error " * 100 + b"</body></html>"
    error = _raises_list(body, status)
    assert error.reason == f"http_{status}"
    assert error.detail.startswith("<html><body>Upstream error")
    assert len(error.detail) <= 200
    assert _raises_work(b"", status).detail == "empty body"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"status": "ok", ',
        b"Resource not found.",
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,
    ],
)
def test_malformed_json(body: bytes) -> None:
    assert _raises_list(body).reason == "malformed_json"
    assert _raises_work(body).reason == "malformed_json"


@pytest.mark.parametrize(
    "document",
    [
        [],
        "ok",
        {"status": "ok", "message-type": "work-list"},
        {"status": "ok", "message-type": "work-list", "message": []},
        {"status": "ok", "message-type": "work-list", "message": {"items": {}}},
        {"status": "ok", "message-type": "work-list", "message": {"total-results": 3}},
        {"status": "OK", "message-type": "work-list", "message": {"items": []}},
        {"message-type": "work-list", "message": {"items": []}},
        {"status": "ok", "message-type": "member-list", "message": {"items": []}},
    ],
)
def test_wrong_envelope_is_unexpected_shape(document: Any) -> None:
    assert _raises_list(json.dumps(document).encode()).reason == "unexpected_shape"
