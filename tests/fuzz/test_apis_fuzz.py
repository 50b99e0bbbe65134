"""Fuzzing the arXiv, Crossref and Unpaywall response parsers.

JSON answers are drawn by hypothesis: the APIs' envelopes and records with every field either
of its type or of a wrong one (null, a number for a string, a string for a list, nested junk,
NaN, huge integers), in several encodings, plus bodies that are not JSON at all. arXiv feeds
are mutated from the replay server's feeds (and the real saved ones when ``../shared``
exists) by the seeded markup mutator, with XML's own troubles added (namespaces, DTDs and
entities, CDATA), and drawn by hypothesis with hostile field texts. Every answer must parse to
well-typed records or raise :class:`ApiResponseError` with a reason of the documented
vocabulary; nothing else may escape. Hypothesis runs derandomized, without a database.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scholarcrawl.apis import ApiResponseError
from scholarcrawl.apis.arxiv import ArxivEntry, ArxivFeed, parse_feed
from scholarcrawl.apis.crossref import CrossrefWork, parse_work, parse_works
from scholarcrawl.apis.unpaywall import OaLocation, UnpaywallRecord, parse_unpaywall
from scholarcrawl.identifiers import normalise_arxiv
from scholarcrawl.replay.apis import ApiCatalogue, ApiResponse
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.oa import OaCatalogue
from tests.conftest import SHARED
from tests.fuzz.mutator import HtmlMutator
from tests.fuzz.scholar_pages import check_strings

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REASONS = frozenset(
    {
        "api_error",
        "malformed_xml",
        "malformed_json",
        "unexpected_shape",
        "forbidden_xml",
        "transient_empty",
    }
)
MUTATED_FEEDS = 3000

STATUSES = st.one_of(
    st.just(200),
    st.sampled_from([400, 404, 422, 429, 500, 503]),
    st.integers(min_value=100, max_value=599),
)


def outcome(parse: Callable[[bytes, int], Any], body: bytes, status: int) -> Any:
    """``parse(body, status)``, or the reason of its :class:`ApiResponseError` (checked to be
    of the vocabulary). Any other exception escapes, failing the test."""
    try:
        return parse(body, status)
    except ApiResponseError as exc:
        if exc.reason.startswith("http_"):
            assert exc.reason == f"http_{status}", (exc.reason, status)
        else:
            assert exc.reason in REASONS, exc.reason
        assert isinstance(exc.detail, str)
        return exc.reason


def _optional_text(value: Any) -> None:
    assert value is None or (isinstance(value, str) and value == value.strip() and value)


def _int(value: Any, *, optional: bool = True) -> None:
    assert (value is None and optional) or (type(value) is int), value


# --------------------------------------------------------------------------------------------
# JSON: right or wrong types everywhere

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
# Texts a broken or hostile API may send: a lone surrogate (JSON escapes it as "\\ud800"),
# NUL and other control characters, blanks, markup, a number past int()'s digit limit.
HOSTILE_TEXTS = (
    "\ud800",
    "10.1/x\udfff",
    "a\x00b",
    "\r\n",
    "\x1b[31m",
    "   ",
    "<b>x</b>",
    "9" * 5000,
    "x" * 100_000,
)
TEXT = st.one_of(st.text(max_size=24), st.sampled_from(HOSTILE_TEXTS))
URL = st.one_of(TEXT, st.builds("https://x.org/{}".format, TEXT))


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The field's own type two times in three, else junk of any type."""
    return st.one_of(strategy, strategy, JUNK)


def _fields(
    required: dict[str, st.SearchStrategy[Any]] | None = None,
    /,
    **fields: st.SearchStrategy[Any],
) -> st.SearchStrategy[dict[str, Any]]:
    """An object whose ``required`` fields are present and whose other fields may be missing;
    each field of its type, or junk."""
    return st.fixed_dictionaries(
        {name: maybe(s) for name, s in (required or {}).items()},
        optional={name: maybe(s) for name, s in fields.items()},
    )


def encoded(document: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """``document`` as JSON bytes (UTF-8, -16, -32, with a BOM, ASCII escapes or not), or as
    bytes that are not JSON at all."""

    def dump(value: Any, codec: str, ascii_only: bool) -> bytes:
        return json.dumps(value, ensure_ascii=ascii_only).encode(codec, "surrogatepass")

    as_json = st.builds(
        dump,
        document,
        st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-32", "utf-8-sig"]),
        st.booleans(),
    )
    broken = st.builds(
        lambda body, cut: body[:cut], as_json, st.integers(min_value=0, max_value=40)
    )
    return st.one_of(as_json, as_json, as_json, broken, st.binary(max_size=64))


DATE = _fields(
    **{
        "date-parts": st.lists(
            st.lists(st.none() | st.integers(min_value=-(10**6), max_value=10**12), max_size=3),
            max_size=2,
        )
    }
)
AUTHOR = _fields(given=TEXT, family=TEXT, name=TEXT, sequence=TEXT)
WORK = _fields(
    {"DOI": TEXT},
    title=st.lists(TEXT, max_size=2),
    subtitle=st.lists(TEXT, max_size=2),
    author=st.lists(AUTHOR, max_size=3),
    issued=DATE,
    published=DATE,
    **{
        "published-print": DATE,
        "published-online": DATE,
        "container-title": st.lists(TEXT, max_size=2),
        "short-container-title": st.lists(TEXT, max_size=2),
        "update-to": st.lists(JUNK, max_size=2),
    },
    type=TEXT,
    relation=st.dictionaries(TEXT, JUNK, max_size=2),
    score=st.floats(allow_nan=True, allow_infinity=True),
)
FAILURES = st.lists(_fields(message=TEXT, type=TEXT, value=TEXT), max_size=2)


def envelope(message_type: str, message: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return _fields(
        {
            "status": st.sampled_from(["ok", "ok", "failed"]),
            "message-type": st.sampled_from([message_type, message_type, "validation-failure"]),
            "message": st.one_of(message, message, FAILURES),
        }
    )


WORK_LIST = envelope(
    "work-list", _fields({"items": st.lists(WORK, max_size=4)}, **{"total-results": st.integers()})
)
ONE_WORK = envelope("work", WORK)


def check_work(work: Any) -> None:
    assert isinstance(work, CrossrefWork)
    check_strings(work, "work", nul=True)
    assert isinstance(work.doi, str) and work.doi and work.doi == work.doi.strip().lower()
    assert isinstance(work.title, str)
    _optional_text(work.subtitle)
    for given_name, family in work.authors:
        _optional_text(given_name)
        assert isinstance(family, str) and family
    _int(work.year)
    assert all(isinstance(c, str) and c for c in work.container_titles)
    _optional_text(work.work_type)
    assert isinstance(work.is_update, bool)
    assert work.score is None or isinstance(work.score, float)
    assert isinstance(work.relation, dict)
    hash(work)


@settings(FUZZ, max_examples=200)  # lists of works: the costliest examples
@given(body=encoded(WORK_LIST), status=STATUSES)
def test_crossref_work_lists(body: bytes, status: int) -> None:
    result = outcome(parse_works, body, status)
    if not isinstance(result, str):
        works, skipped = result
        assert type(skipped) is int and skipped >= 0
        for work in works:
            check_work(work)


@FUZZ
@given(body=encoded(ONE_WORK), status=STATUSES)
def test_crossref_single_works(body: bytes, status: int) -> None:
    result = outcome(parse_work, body, status)
    if not isinstance(result, str):
        check_work(result)


LOCATION = _fields(
    url=URL,
    url_for_pdf=URL,
    url_for_landing_page=URL,
    host_type=TEXT,
    version=TEXT,
    license=TEXT,
    is_best=st.booleans(),
    repository_institution=TEXT,
    evidence=TEXT,
)
UNPAYWALL = st.one_of(
    _fields(
        {"doi": TEXT, "is_oa": st.booleans()},
        oa_status=TEXT,
        best_oa_location=st.none() | LOCATION,
        oa_locations=st.lists(LOCATION, max_size=3),
        title=TEXT,
        year=st.integers(),
        genre=TEXT,
        z_authors=JUNK,
    ),
    _fields(HTTP_status_code=st.integers(), error=st.booleans(), message=TEXT),
)


def check_location(location: Any) -> None:
    assert isinstance(location, OaLocation)
    for name in ("url", "url_for_pdf", "url_for_landing_page", "host_type", "version"):
        _optional_text(getattr(location, name))
    assert isinstance(location.is_best, bool)


@FUZZ
@given(body=encoded(UNPAYWALL), status=STATUSES)
def test_unpaywall_records(body: bytes, status: int) -> None:
    result = outcome(parse_unpaywall, body, status)
    if not isinstance(result, str):
        check_record(result)


def check_record(result: Any) -> None:
    assert isinstance(result, UnpaywallRecord)
    check_strings(result, "record", nul=True)
    assert result.doi and result.doi == result.doi.strip().lower()
    assert isinstance(result.is_oa, bool)
    _int(result.year)
    for location in (*result.oa_locations, result.best_oa_location):
        if location is not None:
            check_location(location)
    for url in (*result.pdf_urls(), *result.landing_urls()):
        assert url.lower().startswith(("http://", "https://")), url
        assert not any(ord(char) < 0x20 or char == "\x7f" for char in url), url


# --------------------------------------------------------------------------------------------
# JSON bodies no strategy draws: deep, huge, and numbers past int()'s digit limit

HUGE_JSON = {
    "deep arrays": b"[" * 100_000 + b"]" * 100_000,
    "deep objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "deep message": json.dumps({"status": "ok", "message-type": "work", "message": 0}).encode()[:-2]
    + b"[" * 30_000,
    "number past int's digit limit": b'{"status":"ok","message-type":"work","message":'
    + b'{"DOI":"10.1/x","issued":{"date-parts":[['
    + b"9" * 5000
    + b"]]}}}",
    "year past int's digit limit": b'{"doi":"10.1/x","is_oa":false,"year":' + b"9" * 5000 + b"}",
    "huge items array": json.dumps(
        {
            "status": "ok",
            "message-type": "work-list",
            "message": {"items": [1, "x", None] * 100_000},
        }
    ).encode(),
    "2 MB title": json.dumps(
        {
            "status": "ok",
            "message-type": "work",
            "message": {"DOI": "10.1/x", "title": ["x" * 2_000_000]},
        }
    ).encode(),
    "NaN and Infinity": b'{"status":"ok","message-type":"work","message":'
    b'{"DOI":"10.1/x","score":NaN,"issued":{"date-parts":[[Infinity]]}}}',
    "lone surrogate escape": b'{"doi":"10.1/\\ud800","is_oa":true,"title":"\\udfff"}',
    "NUL": b'{"doi":"10.1/x\\u0000","is_oa":true}\x00',
    "control characters in URLs": b'{"doi":"10.1/x","is_oa":true,"best_oa_location":'
    b'{"url_for_pdf":"https://x.org/a\\u0000.pdf","url_for_landing_page":"https://x.org/\\r\\nb"}}',
}


def test_json_bodies_no_strategy_draws() -> None:
    seen = 0
    for name, body in HUGE_JSON.items():
        for parse in (parse_works, parse_work, parse_unpaywall):
            result = outcome(parse, body, 200)
            if isinstance(result, tuple):
                for work in result[0]:
                    check_work(work)
            elif isinstance(result, CrossrefWork):
                check_work(result)
            elif isinstance(result, UnpaywallRecord):
                check_record(result)
            seen += 1
        assert name
    assert seen == 3 * len(HUGE_JSON)


# --------------------------------------------------------------------------------------------
# arXiv Atom feeds


@cache
def feed_seeds() -> tuple[bytes, ...]:
    """The replay server's feeds (entries, no match, an error feed), then the real saved
    answers when ``../shared`` exists."""
    catalogue = ApiCatalogue.from_corpus(
        Corpus(CorpusSpec(seed=3, sizes=(30, 20))),
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    ).prepare()
    papers = catalogue.arxiv_papers
    queries = [
        {"id_list": [",".join(p.arxiv_id for p in papers[:4])]},
        {"id_list": [papers[-1].arxiv_id]},
        {"search_query": [f'ti:"{papers[0].title}"']},
        {"search_query": ['ti:"no such paper at all"']},
        {"id_list": ["not-an-id"]},
    ]
    bodies = [catalogue.arxiv_query(query).body for query in queries]
    bodies += [p.read_bytes() for p in sorted((SHARED / "api-samples" / "arxiv").glob("*.xml"))]
    return tuple(bodies)


_NAMESPACES = (
    "http://www.w3.org/2005/Atom",
    "http://arxiv.org/schemas/atom",
    "http://a9.com/-/spec/opensearch/1.1/",
)
_XML_JUNK = (
    '<!DOCTYPE feed [<!ENTITY x "y">]>',
    "&x;",
    "&amp",
    "<![CDATA[ <entry> ]]>",
    "<?pi x?>",
    "<!-- <entry> -->",
    "<entry><id>http://arxiv.org/abs/1234.5678v99999999999999999999</id><title>t</title></entry>",
    "<opensearch:totalResults>" + "9" * 5000 + "</opensearch:totalResults>",
    "<entry><id>https://arxiv.org/api/errors#x</id></entry>",
    "\x00",
)


def mutate_feed(mutator: HtmlMutator, body: bytes) -> tuple[bytes, list[str]]:
    """A markup mutant of ``body``, then maybe one of XML's own troubles."""
    mutant = mutator.mutate(body, giant=mutator.rng.random() < 0.01)
    text, ops = mutant.body.decode("latin-1"), mutant.ops
    rng = mutator.rng
    if rng.random() < 0.3:
        namespace = rng.choice(_NAMESPACES)
        text = text.replace(
            namespace, rng.choice(("", namespace + "/", "urn:x")), rng.choice((1, -1))
        )
        ops.append(f"namespace:{namespace}")
    if rng.random() < 0.3:
        at = rng.randrange(len(text) + 1)
        junk = rng.choice(_XML_JUNK)
        text = text[:at] + junk + text[at:]
        ops.append(f"xml_junk:{junk[:20]!r}")
    return text.encode("latin-1", "replace"), ops


def check_feed(feed: Any) -> None:
    assert isinstance(feed, ArxivFeed)
    check_strings(feed, "feed")
    _int(feed.total_results)
    assert type(feed.skipped) is int and feed.skipped >= 0
    for entry in feed.entries:
        assert isinstance(entry, ArxivEntry)
        assert normalise_arxiv(entry.arxiv_id) == entry.arxiv_id
        assert entry.version is None or (type(entry.version) is int and entry.version >= 0)
        assert isinstance(entry.title, str) and entry.title
        assert all(isinstance(a, str) and a for a in entry.authors)
        for year in (entry.published_year, entry.updated_year):
            assert year is None or 0 <= year <= 9999
        _optional_text(entry.doi)
        _optional_text(entry.journal_ref)
        assert isinstance(entry.abs_url, str) and entry.abs_url


def test_mutated_arxiv_feeds_parse_or_raise_a_documented_reason() -> None:
    mutator = HtmlMutator(seed=20260902)
    statuses = random.Random(20260903)
    seeds = feed_seeds()
    outcomes: Counter[str] = Counter()
    escapes: list[str] = []
    for index in range(MUTATED_FEEDS):
        body, ops = mutate_feed(mutator, mutator.rng.choice(seeds))
        status = 200 if statuses.random() < 0.8 else statuses.choice((400, 404, 500, 503))
        try:
            result = outcome(parse_feed, body, status)
            if not isinstance(result, str):
                check_feed(result)
                result = "feed"
        except Exception as exc:  # every escape is collected, then reported with its feed
            escapes.append(f"feed {index} {ops} ({status}): {type(exc).__name__}: {str(exc)[:200]}")
            continue
        outcomes[result] += 1

    assert not escapes, f"{len(escapes)} escapes:\n" + "\n".join(escapes[:20])
    assert sum(outcomes.values()) == MUTATED_FEEDS
    assert outcomes["feed"] >= 200, outcomes
    for reason in ("malformed_xml", "api_error", "forbidden_xml", "unexpected_shape"):
        assert outcomes[reason] > 0, outcomes


def _xml_text(value: str, raw: bool) -> str:
    return value if raw else escape(value)


ENTRY = st.fixed_dictionaries(
    {
        "id": st.one_of(
            st.sampled_from(
                [
                    "http://arxiv.org/abs/1201.4869v1",
                    "https://arxiv.org/abs/astro-ph/0601001v12",
                    "http://arxiv.org/abs/2202.12139",
                    "http://arxiv.org/abs/2202.12139v" + "9" * 30,
                ]
            ),
            TEXT,
        ),
        "title": TEXT,
        "author": st.lists(TEXT, max_size=3),
        "published": st.one_of(st.just("2016-01-02T00:00:00Z"), TEXT),
        "doi": TEXT,
        "journal_ref": TEXT,
        "category": TEXT,
    }
)


@st.composite
def feeds(draw: st.DrawFn) -> bytes:
    raw = draw(st.booleans())  # field texts unescaped: markup and entities straight into XML
    total = draw(st.one_of(st.integers(min_value=0).map(str), TEXT, st.just("9" * 5000)))
    parts = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"'
        ' xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">',
        f"<opensearch:totalResults>{_xml_text(total, raw)}</opensearch:totalResults>",
    ]
    entries: list[dict[str, Any]] = draw(st.lists(ENTRY, max_size=3))
    for entry in entries:
        authors = "".join(
            f"<author><name>{_xml_text(a, raw)}</name></author>" for a in entry["author"]
        )
        parts.append(
            f"<entry><id>{_xml_text(entry['id'], raw)}</id>"
            f"<title>{_xml_text(entry['title'], raw)}</title>{authors}"
            f"<published>{_xml_text(entry['published'], raw)}</published>"
            f"<arxiv:doi>{_xml_text(entry['doi'], raw)}</arxiv:doi>"
            f"<arxiv:journal_ref>{_xml_text(entry['journal_ref'], raw)}</arxiv:journal_ref>"
            f'<arxiv:primary_category term="{escape(entry["category"], {chr(34): "&quot;"})}"/>'
            "</entry>"
        )
    parts.append("</feed>")
    return "".join(parts).encode("utf-8", "surrogatepass")


@FUZZ
@given(body=feeds(), status=st.sampled_from([200, 200, 200, 400, 503]))
def test_drawn_arxiv_feeds(body: bytes, status: int) -> None:
    result = outcome(parse_feed, body, status)
    if not isinstance(result, str):
        check_feed(result)


def test_unpaywall_seeds_from_the_replay_server_survive_mutation() -> None:
    """The replay server's real-shaped Unpaywall records, cut and corrupted byte-wise."""
    catalogue = ApiCatalogue.from_corpus(Corpus(CorpusSpec(seed=3, sizes=(30, 20)))).prepare()
    oa = OaCatalogue(apis=catalogue)
    rng = random.Random(20260904)
    seen = 0
    for work in catalogue.works[:20]:
        answer = oa.answer(f"/v2/{work.doi}", {"email": ["fuzz@example.org"]}, "http://127.0.0.1:1")
        assert isinstance(answer, ApiResponse) and answer.status == 200
        body = answer.body
        for _ in range(20):
            cut = body[: rng.randrange(len(body) + 1)]
            flipped = bytearray(body)
            for _ in range(rng.randint(1, 8)):
                flipped[rng.randrange(len(flipped))] = rng.randrange(256)
            for mutant in (cut, bytes(flipped)):
                result = outcome(parse_unpaywall, mutant, 200)
                if not isinstance(result, str):
                    assert isinstance(result, UnpaywallRecord)
                seen += 1
    assert seen == 20 * 20 * 2
