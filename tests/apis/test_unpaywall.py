"""Unpaywall request URL and the /v2 parser, on hand-written answers shaped like real ones.

The field names and value shapes follow real 2024 and 2026 answers; the works are invented.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from scholarcrawl.apis import ApiResponseError
from scholarcrawl.apis.unpaywall import (
    OaLocation,
    UnpaywallRecord,
    parse_unpaywall,
    unpaywall_url,
)

API = "https://api.unpaywall.org"


def _location(
    *,
    pdf: str | None,
    landing: str | None,
    host_type: str = "publisher",
    is_best: bool = True,
    version: str = "publishedVersion",
    license: str | None = None,
    institution: str | None = None,
) -> dict[str, Any]:
    return {
        "url": pdf or landing,
        "url_for_pdf": pdf,
        "url_for_landing_page": landing,
        "evidence": "deprecated",
        "license": license,
        "version": version,
        "host_type": host_type,
        "is_best": is_best,
        "pmh_id": None,
        "endpoint_id": None,
        "repository_institution": institution,
        "oa_date": "2019-03-04",
        "updated": "deprecated",
    }


def _record(
    doi: str,
    *,
    oa_status: str,
    locations: list[dict[str, Any]],
    best: dict[str, Any] | None = None,
    genre: str = "journal-article",
    year: int | None = 2019,
    z_authors: Any = None,
) -> dict[str, Any]:
    if best is None and locations:
        best = next(loc for loc in locations if loc.get("is_best"))
    return {
        "doi": doi,
        "doi_url": f"https://doi.org/{doi}",
        "title": f"An invented work ({oa_status})",
        "genre": genre,
        "is_paratext": False,
        "published_date": "2019-03-04",
        "year": year,
        "journal_name": "Journal of Invented Results",
        "journal_issns": "0000-0000,1111-1111",
        "journal_issn_l": "0000-0000",
        "journal_is_oa": False,
        "journal_is_in_doaj": False,
        "publisher": "Invented Publisher",
        "is_oa": bool(locations),
        "oa_status": oa_status,
        "has_repository_copy": any(loc["host_type"] == "repository" for loc in locations),
        "best_oa_location": best,
        "first_oa_location": locations[0] if locations else None,
        "oa_locations": locations,
        "oa_locations_embargoed": [],
        "data_standard": 2,
        "z_authors": z_authors,
        "updated": "2025-05-22T18:42:22Z",
    }


CLOSED = _record("10.5555/closed.1", oa_status="closed", locations=[])

# Hybrid as Unpaywall often reports it: no PDF URL, the doi.org landing page as url.
HYBRID = _record(
    "10.5555/hybrid.2",
    oa_status="hybrid",
    locations=[
        _location(pdf=None, landing="https://doi.org/10.5555/hybrid.2", license="cc-by-nc-nd")
    ],
    z_authors=[
        {
            "author_position": "first",
            "raw_author_name": "Ada Example",
            "is_corresponding": True,
            "raw_affiliation_strings": ["Invented Institute"],
        }
    ],
)

# Bronze with a publisher PDF first and a second, non-best repository copy without a PDF.
BRONZE = _record(
    "10.5555/bronze.3",
    oa_status="bronze",
    locations=[
        _location(
            pdf="https://www.example.org/content/3/E1.full.pdf",
            landing="https://doi.org/10.5555/bronze.3",
        ),
        _location(
            pdf=None,
            landing="http://europepmc.example/abstract/MED/123",
            host_type="repository",
            is_best=False,
            version="submittedVersion",
            institution="Invented Central",
        ),
    ],
)

# Green from a preprint server: updated is a timestamp and comes first in the location, and
# z_authors has the Crossref shape.
GREEN = _record(
    "10.5555/2024.01.01.000001",
    oa_status="green",
    genre="posted-content",
    year=2024,
    locations=[
        {
            "updated": "2024-04-03T02:38:26.107690",
            **_location(
                pdf="https://preprints.example/2024.01.01.000001.full.pdf",
                landing="https://doi.org/10.5555/2024.01.01.000001",
                host_type="repository",
                version="submittedVersion",
                license="cc-by",
            ),
        }
    ],
    z_authors=[
        {"given": "Bo", "family": "Sample", "sequence": "first"},
        {"ORCID": "http://orcid.org/0000-0000-0000-0000", "given": "Cy", "family": "Other"},
    ],
)
GREEN["oa_locations"][0]["evidence"] = "oa repository (via page says license)"


def _body(document: Any) -> bytes:
    return json.dumps(document).encode()


def _raises(body: bytes, status: int = 200) -> ApiResponseError:
    with pytest.raises(ApiResponseError) as info:
        parse_unpaywall(body, status)
    return info.value


def _error_document(status: int, message: str) -> bytes:
    return _body({"HTTP_status_code": status, "error": True, "message": message})


# --------------------------------------------------------------------------- URL


def test_unpaywall_url() -> None:
    assert unpaywall_url(API, "10.1038/nature12373", "ops@example.org") == (
        "https://api.unpaywall.org/v2/10.1038/nature12373?email=ops@example.org"
    )
    assert unpaywall_url(API + "/", " 10.5555/ABC_x-y.z~1 ", " ops@example.org ") == (
        "https://api.unpaywall.org/v2/10.5555/ABC_x-y.z~1?email=ops@example.org"
    )


def test_unpaywall_url_encodes_everything_but_unreserved_and_slashes() -> None:
    doi = "10.1002/(SICI)1097-4636(199812)43:4<351::AID-JBM2>3.0.CO;2-# x?y&z=1%"
    url = unpaywall_url(API, doi, "ops+unpaywall@example.org")
    assert url == (
        "https://api.unpaywall.org/v2/10.1002/%28SICI%291097-4636%28199812%2943%3A4"
        "%3C351%3A%3AAID-JBM2%3E3.0.CO%3B2-%23%20x%3Fy%26z%3D1%25"
        "?email=ops%2Bunpaywall@example.org"
    )
    # Nothing in the DOI can open the query or the fragment: the only "?" is ours, no "#".
    assert url.count("?") == 1
    assert "#" not in url
    assert " " not in url


@pytest.mark.parametrize(("doi", "email"), [("", "ops@example.org"), (" \n", "a@b.org")])
def test_unpaywall_url_refuses_empty_doi(doi: str, email: str) -> None:
    with pytest.raises(ValueError, match="doi"):
        unpaywall_url(API, doi, email)


@pytest.mark.parametrize("email", ["", "   "])
def test_unpaywall_url_refuses_empty_email(email: str) -> None:
    with pytest.raises(ValueError, match="email"):
        unpaywall_url(API, "10.5555/x", email)


# --------------------------------------------------------------------------- records


def test_closed_record() -> None:
    record = parse_unpaywall(_body(CLOSED))
    assert record == UnpaywallRecord(
        doi="10.5555/closed.1",
        is_oa=False,
        oa_status="closed",
        best_oa_location=None,
        oa_locations=(),
        title="An invented work (closed)",
        year=2019,
        genre="journal-article",
    )
    assert record.pdf_urls() == []
    assert record.landing_urls() == []


def test_hybrid_record_has_a_landing_page_but_no_pdf() -> None:
    record = parse_unpaywall(_body(HYBRID))
    landing = "https://doi.org/10.5555/hybrid.2"
    expected = OaLocation(
        url=landing,
        url_for_pdf=None,
        url_for_landing_page=landing,
        host_type="publisher",
        version="publishedVersion",
        license="cc-by-nc-nd",
        is_best=True,
        repository_institution=None,
    )
    assert (record.is_oa, record.oa_status) == (True, "hybrid")
    assert record.best_oa_location == expected
    assert record.oa_locations == (expected,)
    assert record.pdf_urls() == []
    assert record.landing_urls() == [landing]


def test_pdf_on_best_location_and_second_repository_location() -> None:
    record = parse_unpaywall(_body(BRONZE))
    assert record.best_oa_location is not None
    assert record.best_oa_location.url_for_pdf == "https://www.example.org/content/3/E1.full.pdf"
    assert len(record.oa_locations) == 2
    second = record.oa_locations[1]
    assert (second.is_best, second.host_type, second.version) == (
        False,
        "repository",
        "submittedVersion",
    )
    assert second.repository_institution == "Invented Central"
    assert second.url_for_pdf is None
    # The best location is repeated in oa_locations: each URL is listed once.
    assert record.pdf_urls() == ["https://www.example.org/content/3/E1.full.pdf"]
    assert record.landing_urls() == [
        "https://doi.org/10.5555/bronze.3",
        "http://europepmc.example/abstract/MED/123",
    ]


def test_green_preprint_with_timestamp_updated_and_crossref_style_authors() -> None:
    record = parse_unpaywall(_body(GREEN))
    assert (record.oa_status, record.genre, record.year) == ("green", "posted-content", 2024)
    assert record.best_oa_location is not None
    assert record.best_oa_location.host_type == "repository"
    assert record.best_oa_location.license == "cc-by"
    assert record.pdf_urls() == ["https://preprints.example/2024.01.01.000001.full.pdf"]


def test_pdf_on_second_location_only() -> None:
    document = copy.deepcopy(HYBRID)
    document["oa_status"] = "green"
    document["oa_locations"].append(
        _location(
            pdf="https://repository.example/bitstream/42/paper.pdf",
            landing="https://repository.example/handle/42",
            host_type="repository",
            is_best=False,
            version="acceptedVersion",
        )
    )
    record = parse_unpaywall(_body(document))
    assert record.pdf_urls() == ["https://repository.example/bitstream/42/paper.pdf"]
    assert record.landing_urls() == [
        "https://doi.org/10.5555/hybrid.2",
        "https://repository.example/handle/42",
    ]


def test_best_comes_first_then_unpaywall_order_without_duplicates() -> None:
    # The best location is deliberately not first in oa_locations.
    best = _location(pdf="https://pub.example/best.pdf", landing="https://pub.example/best")
    locations = [
        _location(
            pdf="https://repo-a.example/a.pdf",
            landing="https://repo-a.example/a",
            host_type="repository",
            is_best=False,
        ),
        best,
        _location(
            pdf="https://repo-a.example/a.pdf",  # the same PDF again, from a mirror
            landing="https://repo-b.example/b",
            host_type="repository",
            is_best=False,
        ),
        _location(
            pdf="https://repo-c.example/c.pdf",
            landing="https://pub.example/best",
            host_type="repository",
            is_best=False,
        ),
    ]
    record = parse_unpaywall(
        _body(_record("10.5555/order", oa_status="green", locations=locations))
    )
    assert record.pdf_urls() == [
        "https://pub.example/best.pdf",
        "https://repo-a.example/a.pdf",
        "https://repo-c.example/c.pdf",
    ]
    assert record.landing_urls() == [
        "https://pub.example/best",
        "https://repo-a.example/a",
        "https://repo-b.example/b",
    ]


def test_non_web_urls_are_kept_but_not_offered() -> None:
    locations = [
        _location(pdf="ftp://files.example/paper.pdf", landing="mailto:author@example.org"),
        _location(
            pdf="javascript:alert(1)",
            landing="//no-scheme.example/page",
            host_type="repository",
            is_best=False,
        ),
        _location(
            pdf="HTTPS://repo.example/ok.pdf",
            landing="http:///no-host",
            host_type="repository",
            is_best=False,
        ),
    ]
    record = parse_unpaywall(_body(_record("10.5555/ftp", oa_status="green", locations=locations)))
    assert record.best_oa_location is not None
    assert record.best_oa_location.url_for_pdf == "ftp://files.example/paper.pdf"
    assert record.oa_locations[1].url_for_pdf == "javascript:alert(1)"
    assert record.pdf_urls() == ["HTTPS://repo.example/ok.pdf"]
    assert record.landing_urls() == []


def test_lenient_on_extra_and_missing_optional_fields() -> None:
    document = {
        "doi": "10.5555/Minimal",
        "is_oa": True,
        "best_oa_location": {"url_for_pdf": " https://x.example/p.pdf ", "surprise": [1, 2]},
        "oa_locations": [{"url_for_landing_page": "", "is_best": False}],
        "z_authors": "whatever Unpaywall sends next",
        "new_field": {"nested": True},
    }
    record = parse_unpaywall(_body(document))
    assert record.doi == "10.5555/minimal"
    assert (record.oa_status, record.title, record.year, record.genre) == (None, None, None, None)
    best = record.best_oa_location
    assert best is not None
    assert best.is_best is True  # the best location, even when it does not say so
    assert (best.url_for_pdf, best.url, best.host_type) == ("https://x.example/p.pdf", None, None)
    assert record.oa_locations[0].url_for_landing_page is None
    assert record.oa_locations[0].is_best is False
    assert record.pdf_urls() == ["https://x.example/p.pdf"]
    # Without an oa_locations key at all there is nothing but the best location.
    del document["oa_locations"]
    assert parse_unpaywall(_body(document)).oa_locations == ()


def test_records_are_hashable() -> None:
    first = parse_unpaywall(_body(BRONZE))
    assert len({first, parse_unpaywall(_body(BRONZE)), parse_unpaywall(_body(GREEN))}) == 2


# --------------------------------------------------------------------------- errors


def test_404_with_unpaywall_message() -> None:
    message = "'10.5555/nope' is an invalid doi. See https://doi.org/10.5555/nope"
    error = _raises(_error_document(404, message), 404)
    assert (error.reason, error.detail) == ("http_404", message)


def test_404_with_non_json_body() -> None:
    error = _raises(b"<html><body><h1>404 Not Found</h1>\n</body></html>", 404)
    assert (error.reason, error.detail) == (
        "http_404",
        "<html><body><h1>404 Not Found</h1> </body></html>",
    )
    assert _raises(b"", 404).detail == "empty body"


def test_422_with_unpaywall_message_is_api_error() -> None:
    message = (
        "Please use your own email address in API calls. See http://unpaywall.org/products/api"
    )
    error = _raises(_error_document(422, message), 422)
    assert (error.reason, error.detail) == ("api_error", message)


def test_422_without_unpaywall_document_keeps_its_status() -> None:
    error = _raises(b"Unprocessable Entity", 422)
    assert (error.reason, error.detail) == ("http_422", "Unprocessable Entity")


def test_500_is_http_500() -> None:
    error = _raises(b"<html><title>502 Bad Gateway</title></html>", 500)
    assert error.reason == "http_500"
    assert "502 Bad Gateway" in error.detail
    error = _raises(_error_document(500, "Internal server error"), 500)
    assert (error.reason, error.detail) == ("http_500", "Internal server error")


def test_error_document_with_200_is_api_error() -> None:
    error = _raises(_error_document(200, "something went wrong"))
    assert (error.reason, error.detail) == ("api_error", "something went wrong")


def test_error_document_without_message_quotes_the_body() -> None:
    error = _raises(b'{"error": true}', 422)
    assert (error.reason, error.detail) == ("api_error", '{"error": true}')


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"<html>not json</html>", b'{"doi": "10.5555/x", "is_oa": tru}', b"\xff\xfe{"],
)
def test_malformed_json(body: bytes) -> None:
    assert _raises(body).reason == "malformed_json"


def _broken(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(BRONZE)
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    if value is _DROP:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


_DROP = object()


@pytest.mark.parametrize(
    "document",
    [
        pytest.param([BRONZE], id="answer-list"),
        pytest.param("10.5555/bronze.3", id="answer-string"),
        pytest.param(None, id="answer-null"),
        pytest.param(_broken(("doi",), _DROP), id="doi-missing"),
        pytest.param(_broken(("doi",), None), id="doi-null"),
        pytest.param(_broken(("doi",), ""), id="doi-empty"),
        pytest.param(_broken(("doi",), ["10.5555/bronze.3"]), id="doi-list"),
        pytest.param(_broken(("is_oa",), "true"), id="is-oa-string"),
        pytest.param(_broken(("is_oa",), 1), id="is-oa-number"),
        pytest.param(_broken(("is_oa",), _DROP), id="is-oa-missing"),
        pytest.param(_broken(("oa_locations",), {"0": {}}), id="locations-object"),
        pytest.param(_broken(("oa_locations",), None), id="locations-null"),
        pytest.param(_broken(("oa_locations", 1), "http://x.example"), id="location-string"),
        pytest.param(_broken(("best_oa_location",), []), id="best-list"),
        pytest.param(_broken(("best_oa_location", "url_for_pdf"), 7), id="best-pdf-number"),
        pytest.param(_broken(("oa_locations", 1, "url"), ["http://x"]), id="url-list"),
        pytest.param(
            _broken(("oa_locations", 0, "url_for_landing_page"), {"href": "x"}), id="landing-object"
        ),
        pytest.param(_broken(("oa_locations", 1, "is_best"), "false"), id="is-best-string"),
        pytest.param(_broken(("oa_locations", 1, "host_type"), 2), id="host-type-number"),
        pytest.param(_broken(("oa_status",), ["bronze"]), id="oa-status-list"),
        pytest.param(_broken(("title",), ["A title"]), id="title-list"),
        pytest.param(_broken(("year",), "2019"), id="year-string"),
        pytest.param(_broken(("year",), True), id="year-bool"),
    ],
)
def test_wrong_types_are_unexpected_shape(document: Any) -> None:
    assert _raises(_body(document)).reason == "unexpected_shape"


def test_unexpected_shape_says_where() -> None:
    error = _raises(_body(_broken(("oa_locations", 1, "url_for_pdf"), 3.5)))
    assert "oa_locations[1].url_for_pdf" in error.detail


def test_a_lone_surrogate_escape_becomes_a_replacement_character() -> None:
    # Found by fuzzing: JSON's grammar allows "\ud800", which gave a DOI no UTF-8 encoder (and
    # so no database) takes.
    record = parse_unpaywall(b'{"doi": "10.1/\\ud800x\\udfff", "is_oa": false, "year": 2020}')
    assert (record.doi, record.year) == ("10.1/\ufffdx\ufffd", 2020)


def test_a_surrogate_pair_escape_is_text() -> None:
    record = parse_unpaywall(b'{"doi": "10.1/x", "is_oa": false, "title": "\\ud83d\\ude00"}')
    assert record.title == "\U0001f600"


def test_urls_with_control_characters_are_not_web_urls() -> None:
    # Found by fuzzing: a NUL or a line break in a URL passed as an http(s) URL to fetch.
    location = _location(pdf="https://x.org/a\x00.pdf", landing="https://x.org/\r\nb")
    record = parse_unpaywall(_body({"doi": "10.1/x", "is_oa": True, "best_oa_location": location}))
    assert record.best_oa_location is not None
    assert record.best_oa_location.url_for_pdf == "https://x.org/a\x00.pdf"
    assert (record.pdf_urls(), record.landing_urls()) == ([], [])
