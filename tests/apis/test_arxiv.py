"""arXiv request URLs and the Atom feed parser, on hand-written feeds shaped like real answers.

The feeds below follow the structure of real 2016 and 2026 answers (namespaces, where the
OpenSearch namespace is declared, id and link forms, the error feed) with invented content.
"""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest
from lxml import etree

from scholarcrawl.apis import ApiResponseError, arxiv
from scholarcrawl.apis.arxiv import ArxivEntry, id_list_url, parse_feed, search_url

API = "https://export.arxiv.org/api/query"

# 2016 era: namespaces declared on each element, http ids and links, titles wrapped over lines.
FEED_2016 = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query%3Dau%3Aexample%26id_list%3D%26start%3D0%26max_results%3D10" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=au:example&amp;id_list=&amp;start=0&amp;max_results=10</title>
  <id>http://arxiv.org/api/AbCdEfGhIjKlMnOpQrStUvWxYz0</id>
  <updated>2016-10-09T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">17</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">10</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/1301.0001v3</id>
    <updated>2014-05-02T10:00:00Z</updated>
    <published>2013-01-01T09:30:00Z</published>
    <title>Superfluid Flow Through Very Narrow
  Channels at Low Temperature</title>
    <summary>  An invented abstract.
</summary>
    <author>
      <name>Ada Example</name>
    </author>
    <author>
      <name>Bruno  Van der Sample</name>
    </author>
    <arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">10.1103/PhysRevB.00.000001</arxiv:doi>
    <link title="doi" href="http://dx.doi.org/10.1103/PhysRevB.00.000001" rel="related"/>
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">12 pages, 3 figures</arxiv:comment>
    <arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">Phys. Rev. B 0, 000001 (2014)</arxiv:journal_ref>
    <link href="http://arxiv.org/abs/1301.0001v3" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/1301.0001v3" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cond-mat.other" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cond-mat.other" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
  <entry>
    <id>http://arxiv.org/abs/cond-mat/0501234v1</id>
    <updated>2005-01-10T12:00:00Z</updated>
    <published>2005-01-10T12:00:00Z</published>
    <title>Density Waves on a Lattice</title>
    <summary>Another invented abstract.</summary>
    <author>
      <name>Ada Example</name>
    </author>
    <link href="http://arxiv.org/abs/cond-mat/0501234v1" rel="alternate" type="text/html"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cond-mat.str-el" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
  <entry>
    <id>http://arxiv.org/abs/1302.0002v1</id>
    <published>2013-02-01T09:30:00Z</published>
    <summary>An entry without a title.</summary>
  </entry>
  <entry>
    <title>An entry without an id</title>
  </entry>
</feed>
"""  # noqa: E501

# 2026 era: namespaces on the root, https links beside http ids, children in a new order.
FEED_2026 = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/ZyXwVuTsRqPoNmLkJiHgFeDcBa9</id>
  <title>arXiv Query: search_query=ti:"x"&amp;id_list=&amp;start=0&amp;max_results=5</title>
  <updated>2026-04-12T22:09:27Z</updated>
  <link href="https://arxiv.org/api/query?search_query=ti:%22x%22&amp;start=0&amp;max_results=5&amp;id_list=" type="application/atom+xml"/>
  <opensearch:itemsPerPage>5</opensearch:itemsPerPage>
  <opensearch:totalResults>2</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <entry>
    <id>http://arxiv.org/abs/2203.01234v2</id>
    <title>Gödel Numbering for Testing: A Study</title>
    <updated>2023-06-30T08:00:00Z</updated>
    <link href="https://arxiv.org/abs/2203.01234v2" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/2203.01234v2" rel="related" type="application/pdf" title="pdf"/>
    <summary>Invented.</summary>
    <category term="cs.SE" scheme="http://arxiv.org/schemas/atom"/>
    <published>2022-03-02T15:05:19Z</published>
    <arxiv:comment>Workshop paper</arxiv:comment>
    <arxiv:primary_category term="cs.SE"/>
    <arxiv:journal_ref>Proc. Invented Workshop 2023, pp. 1-4</arxiv:journal_ref>
    <author>
      <name>Zoë Müller</name>
      <arxiv:affiliation>Nowhere University</arxiv:affiliation>
    </author>
    <author>
      <name>Wei Zhang</name>
    </author>
    <author>
      <name>Jean-Luc Tester</name>
    </author>
    <arxiv:doi>10.1109/ICSTW00000.2023.00001</arxiv:doi>
    <link rel="related" href="https://doi.org/10.1109/ICSTW00000.2023.00001" title="doi"/>
  </entry>
  <entry>
    <id>http://arxiv.org/abs/astro-ph/0601999v1</id>
    <title>Hot Planets Toward the Bulge</title>
    <updated>2006-01-02T14:57:58Z</updated>
    <link href="https://arxiv.org/abs/astro-ph/0601999v1" rel="alternate" type="text/html"/>
    <summary>Invented.</summary>
    <published>2006-01-02T14:57:58Z</published>
    <arxiv:primary_category term="astro-ph"/>
    <author>
      <name>Andrea Observer</name>
    </author>
  </entry>
</feed>
""".encode()  # noqa: E501

EMPTY_2026 = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/EmptyEmptyEmptyEmptyEmpty00</id>
  <title>arXiv Query: search_query=&amp;id_list=9999.99999&amp;start=0&amp;max_results=1</title>
  <updated>2026-04-12T22:09:26Z</updated>
  <link href="https://arxiv.org/api/query?search_query=&amp;start=0&amp;max_results=1&amp;id_list=9999.99999" type="application/atom+xml"/>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <opensearch:totalResults>0</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
</feed>
"""  # noqa: E501

ERROR_2026 = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/</id>
  <title>arXiv Search Results</title>
  <updated>2026-04-12T22:59:06Z</updated>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <entry>
    <id>https://arxiv.org/api/errors#incorrect_id_format_for_xyz</id>
    <title>Error</title>
    <updated>2026-04-12T22:59:06Z</updated>
    <link href="https://arxiv.org/api/errors#incorrect_id_format_for_xyz" rel="alternate" type="text/html"/>
    <summary>incorrect id format for xyz</summary>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
"""  # noqa: E501

ERROR_2016 = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: search_query=&amp;id_list=&amp;start=0&amp;max_results=-1</title>
  <id>http://arxiv.org/api/0000000000000000000000000000</id>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/api/errors#max_results_must_be_non-negative</id>
    <title>Error</title>
    <summary>max_results must be non-negative</summary>
  </entry>
</feed>
"""

HTML_503 = b"""<!DOCTYPE html>
<html lang="en"><head><title>arXiv is temporarily unavailable</title></head>
<body><h1>Service Unavailable</h1><p>Please retry later.<br></p></body></html>
"""


def _raises(body: bytes, status: int = 200) -> ApiResponseError:
    with pytest.raises(ApiResponseError) as info:
        parse_feed(body, status)
    return info.value


# --------------------------------------------------------------------------- search_url


def test_search_url_title_and_surname() -> None:
    assert search_url(API, "Attention Is All You Need", "Vaswani") == (
        "https://export.arxiv.org/api/query?search_query=ti:%22Attention+Is+All+You+Need%22"
        "+AND+au:vaswani&start=0&max_results=5"
    )


def test_search_url_without_surname_omits_the_author_part() -> None:
    expected = (
        "https://export.arxiv.org/api/query?search_query=ti:%22Deep+Residual+Learning%22"
        "&start=0&max_results=3"
    )
    assert search_url(API, "Deep Residual Learning", None, max_results=3) == expected
    assert search_url(API, "Deep Residual Learning", "", max_results=3) == expected
    assert search_url(API, "Deep Residual Learning", " 123 ", max_results=3) == expected


def test_search_url_strips_query_syntax_from_the_title() -> None:
    url = search_url(API, 'BERT: Pre-training of "Deep" (Bidirectional) [v2] {x} \\ Models', None)
    assert url == (
        "https://export.arxiv.org/api/query?search_query="
        "ti:%22BERT+Pre-training+of+Deep+Bidirectional+v2+x+Models%22&start=0&max_results=5"
    )


def test_search_url_strips_typographic_quotes_and_collapses_spaces() -> None:
    url = search_url(API, "  “Why   Should I Trust You?”\n Explaining  ", None)
    assert "ti:%22Why+Should+I+Trust+You%3F+Explaining%22&" in url


def test_search_url_lower_cases_boolean_operators_inside_the_phrase() -> None:
    url = search_url(API, "Sense AND Sensibility OR Not ANDNOT", None)
    assert "ti:%22Sense+and+Sensibility+or+Not+andnot%22&" in url


def test_search_url_escapes_url_syntax() -> None:
    url = search_url(API, "C++ & R# at 100% / 2?", None)
    assert "ti:%22C%2B%2B+%26+R%23+at+100%25+/+2%3F%22&" in url


def test_search_url_non_ascii_title_is_utf8_and_nfc() -> None:
    composed = search_url(API, "Schrödinger équation", None)
    decomposed = search_url(API, "Schro\u0308dinger e\u0301quation", None)
    assert "ti:%22Schr%C3%B6dinger+%C3%A9quation%22&" in composed
    assert decomposed == composed


@pytest.mark.parametrize(
    ("surname", "expected"),
    [
        ("Del Maestro", "au:del_maestro"),
        ("  del   maestro ", "au:del_maestro"),
        ("Müller-Lüdenscheidt", "au:muller_ludenscheidt"),
        ("O'Brien", "au:obrien"),
        ("van der Waals", "au:van_der_waals"),
        ("Łukasiewicz", "au:łukasiewicz"),
    ],
)
def test_search_url_surname_letters_only_spaces_as_underscores(surname: str, expected: str) -> None:
    url = search_url(API, "A Title", surname)
    prefix = "https://export.arxiv.org/api/query?search_query=ti:%22A+Title%22+AND+"
    encoded = expected.replace("ł", "%C5%82")
    assert url == f"{prefix}{encoded}&start=0&max_results=5"


@pytest.mark.parametrize("title", ["", "   ", '"::"', "()[]{}"])
def test_search_url_refuses_a_title_without_words(title: str) -> None:
    with pytest.raises(ValueError, match="no searchable words"):
        search_url(API, title, "Smith")


@pytest.mark.parametrize("max_results", [0, -1, 2001])
def test_search_url_refuses_bad_max_results(max_results: int) -> None:
    with pytest.raises(ValueError, match="max_results"):
        search_url(API, "A Title", None, max_results=max_results)


# --------------------------------------------------------------------------- id_list_url


def test_id_list_url_both_schemes() -> None:
    url = id_list_url(API, ["2202.12139", "astro-ph/0601001v1", " arXiv:1201.4869 ", "0704.0001"])
    assert url == (
        "https://export.arxiv.org/api/query?id_list=2202.12139,astro-ph/0601001v1,1201.4869,"
        "0704.0001&start=0&max_results=4"
    )


def test_id_list_url_normalises_ids_and_keeps_versions() -> None:
    ids = ["math.GT/0309136", "https://arxiv.org/abs/2202.12139v2", "HEP-TH/9901001v1"]
    assert id_list_url(API, ids) == (
        "https://export.arxiv.org/api/query?id_list=math/0309136,2202.12139v2,hep-th/9901001v1"
        "&start=0&max_results=3"
    )


@pytest.mark.parametrize(
    "bad", ["abc", "2202.12139,1201.4869", "1201.4869&x=1", "", "10.1000/x", "1234.5678"]
)
def test_id_list_url_refuses_what_would_break_the_batch(bad: str) -> None:
    with pytest.raises(ValueError, match="not an arXiv id"):
        id_list_url(API, ["2202.12139", bad])


def test_id_list_url_refuses_empty_and_string_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        id_list_url(API, [])
    with pytest.raises(TypeError):
        id_list_url(API, "2202.12139")


# --------------------------------------------------------------------------- parse_feed


def test_parse_2016_feed_with_namespaces_on_elements() -> None:
    feed = parse_feed(FEED_2016)
    assert feed.total_results == 17
    assert feed.skipped == 2  # one entry without title, one without id
    assert feed.entries == (
        ArxivEntry(
            arxiv_id="1301.0001",
            version=3,
            title="Superfluid Flow Through Very Narrow Channels at Low Temperature",
            authors=("Ada Example", "Bruno Van der Sample"),
            published_year=2013,
            updated_year=2014,
            doi="10.1103/physrevb.00.000001",
            journal_ref="Phys. Rev. B 0, 000001 (2014)",
            primary_category="cond-mat.other",
            abs_url="http://arxiv.org/abs/1301.0001v3",
        ),
        ArxivEntry(
            arxiv_id="cond-mat/0501234",
            version=1,
            title="Density Waves on a Lattice",
            authors=("Ada Example",),
            published_year=2005,
            updated_year=2005,
            doi=None,
            journal_ref=None,
            primary_category="cond-mat.str-el",
            abs_url="http://arxiv.org/abs/cond-mat/0501234v1",
        ),
    )


def test_parse_2026_feed_with_namespaces_on_the_root() -> None:
    feed = parse_feed(FEED_2026)
    assert feed.total_results == 2
    assert feed.skipped == 0
    first, second = feed.entries
    assert first.arxiv_id == "2203.01234"
    assert first.version == 2
    assert first.title == "Gödel Numbering for Testing: A Study"
    assert first.authors == ("Zoë Müller", "Wei Zhang", "Jean-Luc Tester")
    assert (first.published_year, first.updated_year) == (2022, 2023)
    assert first.doi == "10.1109/icstw00000.2023.00001"
    assert first.journal_ref == "Proc. Invented Workshop 2023, pp. 1-4"
    assert first.primary_category == "cs.SE"
    assert first.abs_url == "https://arxiv.org/abs/2203.01234v2"
    assert (second.arxiv_id, second.version) == ("astro-ph/0601999", 1)
    assert second.doi is None
    assert second.journal_ref is None


def test_parse_empty_feed_is_an_answer_not_an_error() -> None:
    feed = parse_feed(EMPTY_2026)
    assert feed.total_results == 0
    assert feed.entries == ()
    assert feed.skipped == 0


@pytest.mark.parametrize("status", [400, 200])
def test_error_feed_raises_api_error_with_the_summary(status: int) -> None:
    error = _raises(ERROR_2026, status)
    assert error.reason == "api_error"
    assert error.detail == "incorrect id format for xyz"
    assert str(error) == "api_error: incorrect id format for xyz"


def test_error_feed_2016_http_id() -> None:
    error = _raises(ERROR_2016, 400)
    assert (error.reason, error.detail) == ("api_error", "max_results must be non-negative")


def test_400_without_an_error_entry_is_an_http_error() -> None:
    assert _raises(FEED_2026, 400).reason == "http_400"
    assert _raises(b"Bad Request", 400).reason == "http_400"


@pytest.mark.parametrize("status", [301, 403, 404, 429, 500, 503])
def test_other_statuses_raise_http_status(status: int) -> None:
    error = _raises(HTML_503, status)
    assert error.reason == f"http_{status}"
    assert "Service Unavailable" in error.detail
    assert len(error.detail) <= 200


def test_html_error_page_with_200_is_unexpected_shape() -> None:
    assert _raises(HTML_503).reason == "unexpected_shape"
    xhtml = b'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Oops</p></body></html>'
    assert _raises(xhtml).reason == "unexpected_shape"


def test_wrong_xml_root_is_unexpected_shape() -> None:
    error = _raises(b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>')
    assert error.reason == "unexpected_shape"
    # An Atom-looking root outside the Atom namespace is not a feed either.
    assert _raises(b"<feed><entry/></feed>").reason == "unexpected_shape"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>",
        b"not xml at all",
        FEED_2026[: len(FEED_2026) // 2],
    ],
)
def test_malformed_xml(body: bytes) -> None:
    assert _raises(body).reason == "malformed_xml"


def test_missing_or_odd_total_results_is_none() -> None:
    body = b"<feed xmlns='http://www.w3.org/2005/Atom'><id>x</id></feed>"
    assert parse_feed(body).total_results is None
    odd = (
        b"<feed xmlns='http://www.w3.org/2005/Atom' xmlns:o='http://a9.com/-/spec/opensearch/1.1/'>"
        b"<o:totalResults>many</o:totalResults></feed>"
    )
    assert parse_feed(odd).total_results is None


def test_entry_with_non_arxiv_id_is_skipped() -> None:
    body = (
        b"<feed xmlns='http://www.w3.org/2005/Atom'>"
        b"<entry><id>https://example.org/abs/1204.5678v1</id><title>T</title></entry>"
        b"<entry><id>http://arxiv.org/abs/1204.5678</id><title>Kept</title></entry>"
        b"</feed>"
    )
    feed = parse_feed(body)
    assert feed.skipped == 1
    (entry,) = feed.entries
    assert (entry.arxiv_id, entry.version, entry.abs_url) == (
        "1204.5678",
        None,
        "http://arxiv.org/abs/1204.5678",
    )
    assert entry.authors == ()
    assert entry.published_year is None


def test_doi_first_of_several_and_resolver_prefix_dropped() -> None:
    body = (
        b"<feed xmlns='http://www.w3.org/2005/Atom' xmlns:arxiv='http://arxiv.org/schemas/atom'>"
        b"<entry><id>http://arxiv.org/abs/1204.5678v1</id><title>T</title>"
        b"<arxiv:doi>https://doi.org/10.1000/ABC 10.2000/def</arxiv:doi></entry>"
        b"<entry><id>http://arxiv.org/abs/1204.5679v1</id><title>U</title>"
        b"<arxiv:doi>not a doi</arxiv:doi></entry>"
        b"</feed>"
    )
    first, second = parse_feed(body).entries
    assert first.doi == "10.1000/abc"
    assert second.doi is None


def test_api_response_error_pickles() -> None:
    error = pickle.loads(pickle.dumps(ApiResponseError("http_500", "boom")))
    assert (error.reason, error.detail, str(error)) == ("http_500", "boom", "http_500: boom")


# --------------------------------------------------------------------------- hostile XML


def _xxe(secret_file: Path) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret_file}">]>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        "<id>http://arxiv.org/abs/1204.5678v1</id><title>&e;</title></entry></feed>"
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1204.5678v1</id>
<title>&lol9;</title></entry></feed>
"""


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-CONTENT\n", encoding="utf-8")
    return path


@pytest.fixture
def parser_spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts XML parsers built: a refused document must never reach one."""
    built: list[int] = []
    real = arxiv._xml_parser

    def spy() -> etree.XMLParser:
        built.append(1)
        return real()

    monkeypatch.setattr(arxiv, "_xml_parser", spy)
    return built


def test_xxe_is_refused_before_parsing(secret_file: Path, parser_spy: list[int]) -> None:
    for status in (200, 400):
        error = _raises(_xxe(secret_file), status)
        assert error.reason == ("forbidden_xml" if status == 200 else "http_400")
        assert "TOP-SECRET" not in str(error)
    assert parser_spy == []


def test_parameter_entity_xxe_is_refused(secret_file: Path, parser_spy: list[int]) -> None:
    body = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "file://{secret_file}"> %p;]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"/>'
    ).encode()
    assert _raises(body).reason == "forbidden_xml"
    assert parser_spy == []


def test_lower_case_and_spaced_doctype_is_refused(parser_spy: list[int]) -> None:
    body = b'<!doctype feed SYSTEM "http://127.0.0.1:9/x.dtd"><feed xmlns="http://www.w3.org/2005/Atom"/>'
    assert _raises(body).reason == "forbidden_xml"
    assert parser_spy == []


def test_utf16_document_cannot_hide_a_doctype(secret_file: Path, parser_spy: list[int]) -> None:
    body = _xxe(secret_file).decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    error = _raises(body.encode("utf-16"))
    assert error.reason == "malformed_xml"
    assert parser_spy == []


def test_billion_laughs_is_refused_quickly(parser_spy: list[int]) -> None:
    started = time.perf_counter()
    error = _raises(BILLION_LAUGHS)
    assert error.reason == "forbidden_xml"
    assert time.perf_counter() - started < 0.5
    assert parser_spy == []


def test_dtd_that_slips_past_the_byte_check_is_still_refused(
    secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Disable the first line of defence: the parsed document's DOCTYPE must still be refused,
    # and the parser itself must neither read the file nor expand the entities.
    monkeypatch.setattr(arxiv, "_DTD_MARKERS", arxiv.re.compile(rb"(?!)"))
    error = _raises(_xxe(secret_file))
    assert error.reason == "forbidden_xml"
    assert "TOP-SECRET" not in str(error)
    root = etree.fromstring(_xxe(secret_file), arxiv._xml_parser())
    assert b"TOP-SECRET" not in etree.tostring(root)

    started = time.perf_counter()
    error = _raises(BILLION_LAUGHS)
    # libxml2 (2.13+) stops the amplification itself, as a syntax error; older ones leave the
    # entities unexpanded and the DOCTYPE check refuses the document. Either way: fast, refused.
    assert error.reason in {"forbidden_xml", "malformed_xml"}
    assert time.perf_counter() - started < 0.5


def test_a_page_that_should_hold_entries_but_has_none_is_a_passing_fault() -> None:
    flaky = EMPTY_2026.replace(
        b"<opensearch:totalResults>0</opensearch:totalResults>",
        b"<opensearch:totalResults>12</opensearch:totalResults>",
    )
    assert flaky != EMPTY_2026
    error = _raises(flaky, 200)
    assert error.reason == "transient_empty"


def test_a_total_past_int_s_digit_limit_is_none_not_a_value_error() -> None:
    # Found by fuzzing: int() refuses more than 4300 digits, and its ValueError escaped the
    # parser (the resolver logged it as an internal error and deferred the row forever).
    body = (
        b"<feed xmlns='http://www.w3.org/2005/Atom' xmlns:o='http://a9.com/-/spec/opensearch/1.1/'>"
        b"<o:totalResults>" + b"9" * 5000 + b"</o:totalResults>"
        b"<o:startIndex>" + b"0" * 30 + b"7</o:startIndex></feed>"
    )
    feed = parse_feed(body)
    assert (feed.total_results, feed.entries) == (None, ())
