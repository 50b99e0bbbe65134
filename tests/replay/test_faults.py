"""Fault modes of the replay server: every kind as the crawler's classifier sees it, scopes,
triggers, spec parsing and the random mix."""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
from parsel import Selector

from scholarcrawl.apis import ApiResponseError, arxiv, crossref
from scholarcrawl.replay.faults import (
    KINDS,
    RANDOM_KINDS,
    Fault,
    change_layout,
    parse_fault,
    random_faults,
    truncate_page,
)
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.robots import ROBOTS_TXT
from scholarcrawl.replay.server import (
    SIGNIN_PATH,
    SORRY_PATH,
    FaultHook,
    ReplayRequest,
    ReplayServer,
)
from scholarcrawl.scholar import blocks
from scholarcrawl.scholar.colleagues import parse_colleagues_page
from scholarcrawl.scholar.detail import parse_detail_page
from scholarcrawl.scholar.model import ScholarPageError
from scholarcrawl.scholar.parser import parse_profile_page

SPEC = CorpusSpec(seed=11, sizes=(60, 8))
OTHER_ID = "AAAAAAAAAAAA"

Serve = Callable[..., ReplayServer]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


@pytest.fixture(scope="module")
def uid(corpus: Corpus) -> str:
    return corpus.ids[0]


@pytest.fixture(scope="module")
def target(uid: str) -> str:
    return f"/citations?user={uid}&hl=en&pagesize=100"


class Answer:
    """One HTTP exchange, redirects not followed; headers keyed in lower case."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def reason(self) -> str:
        return blocks.classify(
            self.status, {"location": self.headers.get("location", "")}, self.body
        )


def fetch(server: ReplayServer, target: str, method: str = "GET") -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(method, target)
        response = conn.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, headers, response.read())
    finally:
        conn.close()


def status_or_error(server: ReplayServer, target: str) -> int | str:
    try:
        return fetch(server, target).status
    except ConnectionError:
        return "reset"


@pytest.fixture
def serve(corpus: Corpus) -> Iterator[Serve]:
    """``serve(faults)``: a started server, stopped at the end of the test."""
    started: list[ReplayServer] = []

    def start(*faults: FaultHook) -> ReplayServer:
        server = ReplayServer(corpus, faults=list(faults)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def request_for(server: ReplayServer, target: str, seen: int = 0) -> ReplayRequest:
    """A request as the server hands it to hooks, without HTTP."""
    parts = urlsplit(target)
    query = parse_qs(parts.query, keep_blank_values=True)
    user = query.get("user", [None])[0]
    return ReplayRequest("GET", parts.path, target, query, user, seen, server, "127.0.0.1")


# ------------------------------------------------------------------ every kind, classified


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("429", 429, blocks.BLOCKED_HTTP_429),
        ("sorry429", 429, blocks.BLOCKED_CAPTCHA),
        ("sorry200", 200, blocks.BLOCKED_CAPTCHA),
        ("sorry_redirect", 302, blocks.BLOCKED_SORRY_REDIRECT),
        ("signin_redirect", 302, blocks.PROFILE_UNAVAILABLE),
        ("403", 403, blocks.BLOCKED_HTTP_403),
        ("500", 500, blocks.SERVER_ERROR),
        ("503", 503, blocks.SERVER_ERROR),
        ("captcha_inline", 200, blocks.BLOCKED_CAPTCHA),
    ],
)
def test_kind_is_classified_as_its_reason(
    serve: Serve, target: str, kind: str, status: int, reason: str
) -> None:
    fault = Fault(kind)
    server = serve(fault)
    answer = fetch(server, target)
    assert (answer.status, answer.reason) == (status, reason)
    assert int(answer.headers["content-length"]) == len(answer.body)
    assert "retry-after" not in answer.headers
    assert b"gsc_prf_in" not in answer.body and b"gsc_a_tr" not in answer.body
    if status == 200:  # a block must never parse as a profile
        with pytest.raises(ScholarPageError) as raised:
            parse_profile_page(Selector(text=answer.text))
        assert raised.value.reason == "layout_unrecognised"
    assert fault.fired == 1


@pytest.mark.parametrize("kind", ["429", "sorry429", "503"])
def test_retry_after_header(serve: Serve, target: str, kind: str) -> None:
    server = serve(Fault(kind, retry_after=30))
    answer = fetch(server, target)
    assert answer.headers["retry-after"] == "30"


def test_plain_429_is_not_a_captcha_page(serve: Serve, target: str) -> None:
    answer = fetch(serve(Fault("429")), target)
    assert "Too Many Requests" in answer.text
    assert blocks.classify(200, {}, answer.body) == blocks.OK  # no captcha markers at all


@pytest.mark.parametrize(("kind", "status"), [("sorry429", 429), ("sorry200", 200)])
def test_sorry_page_in_place(serve: Serve, target: str, kind: str, status: int) -> None:
    server = serve(Fault(kind))
    answer = fetch(server, target)
    url = server.base_url + target
    assert answer.status == status
    assert answer.headers["content-type"] == "text/html; charset=UTF-8"
    sel = Selector(text=answer.text)
    assert sel.css("title::text").get() == url
    assert sel.css("form#captcha-form").attrib["action"] == "index"
    assert sel.css("div#recaptcha.g-recaptcha").attrib["data-sitekey"].startswith("6L")
    assert sel.css('form#captcha-form input[type="hidden"][name="continue"]').attrib["value"] == url
    assert re.fullmatch(r"[\w-]{40,}", sel.css('input[name="q"]').attrib["value"])
    assert "Our systems have detected unusual traffic from your computer network" in answer.text
    footer = re.search(r"IP address: (.+?)<br>Time: (.+?)<br>URL: (.+?)<br>", answer.text)
    assert footer is not None
    assert footer[1] == "127.0.0.1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", footer[2])
    assert footer[3] == url.replace("&", "&amp;")
    assert not sel.css("[id^=gsc_]")


def test_sorry_redirect_goes_to_this_servers_sorry_page(serve: Serve, target: str) -> None:
    server = serve(Fault("sorry_redirect"))
    answer = fetch(server, target)
    location = answer.headers["location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == server.base_url
    assert parts.path == SORRY_PATH == "/sorry/index"
    query = parse_qs(parts.query)
    assert query["continue"] == [server.base_url + target]
    assert "%3Fuser%3D" in location  # the original URL is encoded inside ``continue``
    assert query["q"][0]
    assert Selector(text=answer.text).css("a::attr(href)").get() == location  # "302 Moved"

    sorry = fetch(server, location[len(server.base_url) :])
    assert sorry.status == 429 and sorry.reason == blocks.BLOCKED_CAPTCHA
    sel = Selector(text=sorry.text)
    assert sel.css("title::text").get() == server.base_url + target
    assert sel.css('input[name="q"]').attrib["value"] == query["q"][0]
    assert blocks.classify(200, {}, sorry.body) == blocks.BLOCKED_CAPTCHA


def test_signin_redirect_is_the_unknown_id_redirect(serve: Serve, target: str, uid: str) -> None:
    server = serve(Fault("signin_redirect", ids={uid}))
    faulted = fetch(server, target)
    unknown = fetch(server, f"/citations?user={OTHER_ID}&hl=en")
    for answer in (faulted, unknown):
        parts = urlsplit(answer.headers["location"])
        assert f"{parts.scheme}://{parts.netloc}" == server.base_url
        assert parts.path == SIGNIN_PATH
    cont = parse_qs(urlsplit(faulted.headers["location"]).query)["continue"][0]
    assert cont == server.base_url + target


def test_captcha_inline_holds_scholars_captcha_block(serve: Serve, target: str) -> None:
    answer = fetch(serve(Fault("captcha_inline")), target)
    sel = Selector(text=answer.text)
    assert sel.css("#gs_top #gs_captcha_ccl form#gs_captcha_f .g-recaptcha")
    assert "not a robot" in sel.css("#gs_captcha_ccl h1::text").get("")


def test_reset_gives_a_connection_error(serve: Serve, target: str) -> None:
    fault = Fault("reset", times=1)
    server = serve(fault)
    with pytest.raises(ConnectionError):
        fetch(server, target)
    assert fetch(server, target).status == 200
    assert [r.status for r in server.requests] == [0, 200]
    assert fault.fired == 1


def test_slow_answers_normally_after_the_delay(serve: Serve, target: str) -> None:
    server = serve(Fault("slow", delay=0.3, times=1))
    started = time.monotonic()
    slow = fetch(server, target)
    assert time.monotonic() - started >= 0.3
    normal = fetch(server, target)
    assert slow.status == 200 and slow.reason == blocks.OK
    assert slow.body == normal.body


def test_truncated_is_a_complete_response_of_a_broken_page(serve: Serve, target: str) -> None:
    fault = Fault("truncated", times=1)
    server = serve(fault)
    cut = fetch(server, target)
    whole = fetch(server, target)
    assert cut.status == whole.status == 200
    assert int(cut.headers["content-length"]) == len(cut.body)
    assert 0 < len(cut.body) <= 0.4 * len(whole.body)
    assert whole.body.startswith(cut.body)
    assert b'id="gsc_a_t"' not in cut.body and b"</html>" not in cut.body
    assert cut.reason == blocks.OK  # only the parser can tell
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(Selector(text=cut.text))
    assert raised.value.reason == "layout_unrecognised"
    assert parse_profile_page(Selector(text=whole.text)).rows


def test_truncated_passes_redirects_unchanged(serve: Serve) -> None:
    server = serve(Fault("truncated"))
    answer = fetch(server, f"/citations?user={OTHER_ID}&hl=en")
    assert answer.status == 302 and answer.reason == blocks.PROFILE_UNAVAILABLE


def test_truncate_page_cut_points() -> None:
    page = b"<html>" + b"x" * 94 + b'<table id="gsc_a_t">' + b"y" * 100  # 220 bytes
    assert truncate_page(page, 0.4) == page[:88]
    assert truncate_page(page, 0.9) == page[:100]  # clamped before the table
    assert truncate_page(page, 0.9, clamp=False) == page[: int(len(page) * 0.9)]
    accented = "é".encode() * 10  # never split a UTF-8 sequence
    assert truncate_page(accented, 0.45).decode("utf-8") == "é" * 4


# ------------------------------------------------------------------ scope and triggers


def test_ids_scope(serve: Serve, corpus: Corpus) -> None:
    first, second = corpus.ids
    server = serve(Fault("403", ids={first}))
    assert fetch(server, f"/citations?user={first}&hl=en").status == 403
    assert fetch(server, f"/citations?user={second}&hl=en").status == 200
    assert fetch(server, f"/citations?user={OTHER_ID}&hl=en").status == 302


def test_cstart_scope(serve: Serve, uid: str) -> None:
    base = f"/citations?user={uid}&hl=en&pagesize=20"
    later = Fault("503", cstart=20)
    first = Fault("500", cstart=0)
    server = serve(later, first)
    assert fetch(server, base + "&cstart=20").status == 503
    assert fetch(server, base + "&cstart=40").status == 200
    assert fetch(server, base).status == 500  # no cstart is the first page
    assert fetch(server, base + "&cstart=0").status == 500
    assert (later.fired, first.fired) == (1, 2)


def test_after_and_times(serve: Serve, target: str) -> None:
    fault = Fault("429", retry_after=5, after=2, times=2)
    server = serve(fault)
    statuses = [fetch(server, target).status for _ in range(6)]
    assert statuses == [200, 200, 429, 429, 200, 200]
    assert (fault.fired, fault.matched) == (2, 6)


def test_first_matching_fault_wins_and_others_do_not_count(serve: Serve, target: str) -> None:
    first, second = Fault("403", times=1), Fault("503")
    server = serve(first, second)
    assert [fetch(server, target).status for _ in range(3)] == [403, 503, 503]
    assert (first.fired, second.fired) == (1, 2)


def test_robots_and_control_routes_are_never_faulted_unless_asked(
    serve: Serve, target: str
) -> None:
    everything = Fault("503")
    server = serve(everything)
    robots = fetch(server, "/robots.txt")
    assert robots.status == 200 and robots.text == ROBOTS_TXT
    assert fetch(server, "/_replay/requests").status == 200
    assert fetch(server, target).status == 503
    assert everything.fired == 1

    asked = serve(Fault("503", paths={"/robots.txt"}))
    assert fetch(asked, "/robots.txt").status == 503
    assert fetch(asked, target).status == 200


def _fired_pattern(fault: Fault, server: ReplayServer, n: int = 200) -> list[int]:
    return [
        i for i in range(n) if fault(request_for(server, f"/citations?user={OTHER_ID}")) is not None
    ]


def test_probability_is_deterministic_per_seed(corpus: Corpus) -> None:
    server = ReplayServer(corpus)  # never started: hooks are called directly
    try:
        one = _fired_pattern(Fault("403", probability=0.3, seed=7), server)
        two = _fired_pattern(parse_fault("403:p=0.3,seed=7"), server)
        other = _fired_pattern(Fault("403", probability=0.3, seed=8), server)
        assert one == two != other
        assert 20 < len(one) < 100
        assert _fired_pattern(Fault("403", probability=0.0, seed=7), server) == []
        assert len(_fired_pattern(Fault("403", probability=1.0), server)) == 200
    finally:
        server.stop()


def test_counting_is_thread_safe(serve: Serve, target: str) -> None:
    fault = Fault("403", after=5, times=10)
    server = serve(fault)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: fetch(server, target).status, range(40)))
    assert statuses.count(403) == 10 and statuses.count(200) == 30
    assert (fault.fired, fault.matched) == (10, 40)


# ------------------------------------------------------------------ the Fault value


def test_fault_normalises_ids_and_paths() -> None:
    assert Fault("403", ids="AAAAAAAAAAAA").ids == frozenset({"AAAAAAAAAAAA"})
    assert Fault("403", ids=["AAAAAAAAAAAA", "AAAAAAAAAAAA"]).ids == frozenset({"AAAAAAAAAAAA"})
    assert Fault("403").paths == frozenset({"/citations"})
    assert Fault("403") == Fault("403") and hash(Fault("403")) == hash(Fault("403"))
    with pytest.raises(ValueError, match="retry_after is not an option of 'reset'"):
        Fault("reset", retry_after=3)


# ------------------------------------------------------------------ spec parsing


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("429", Fault("429")),
        ("429:retry_after=30,after=5,times=2", Fault("429", retry_after=30, after=5, times=2)),
        (
            "503:ids=AAAAAAAAAAAA;BBBBBBBBBBBB,cstart=100",
            Fault("503", ids={"AAAAAAAAAAAA", "BBBBBBBBBBBB"}, cstart=100),
        ),
        ("reset:p=0.1,seed=7", Fault("reset", probability=0.1, seed=7)),
        ("slow:delay=3", Fault("slow", delay=3.0)),
        (
            " truncated : fraction=0.25 , clamp=false ",
            Fault("truncated", fraction=0.25, clamp=False),
        ),
        ("403:ids=*,cstart=any,times=inf,probability=1", Fault("403")),
        (
            "sorry200:paths=/citations;/robots.txt",
            Fault("sorry200", paths={"/citations", "/robots.txt"}),
        ),
    ],
)
def test_parse_fault(spec: str, expected: Fault) -> None:
    fault = parse_fault(spec)
    assert fault == expected
    assert parse_fault(fault.to_spec()) == fault


def test_every_kind_round_trips() -> None:
    for kind in KINDS:
        assert parse_fault(kind).to_spec() == kind
    spec = "429:ids=AAAAAAAAAAAA,cstart=20,after=1,times=3,p=0.5,seed=2,retry_after=9"
    assert parse_fault(spec).to_spec() == spec


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "missing kind"),
        (":after=1", "missing kind"),
        ("418", "unknown kind '418'"),
        ("429:", "no options after ':'"),
        ("429:retry_after", "option 'retry_after' is not key=value"),
        ("429:after=", "option 'after=' is not key=value"),
        ("429:foo=1", "unknown option 'foo'"),
        ("429:after=x", "after='x' is not an integer"),
        ("429:after=-1", "after must be >= 0"),
        ("429:times=0", "times must be >= 1"),
        ("429:after=1,after=2", "option 'after' given twice"),
        ("reset:p=1.5", "probability must be between 0 and 1"),
        ("reset:p=nan", "p='nan' is not a number between 0 and 1"),
        ("503:ids=short", "'short' is not a 12-character scholar id"),
        ("503:cstart=-20", "cstart must be >= 0"),
        ("403:retry_after=5", "retry_after is not an option of '403'"),
        ("429:delay=5", "delay is not an option of '429'"),
        ("slow:delay=0", "delay must be a positive number"),
        ("truncated:fraction=1", "fraction must be between 0 and 1"),
        ("truncated:clamp=maybe", "clamp='maybe' is not true or false"),
        ("403:paths=robots.txt", "'robots.txt' is not a path"),
        ("403:paths=/_replay/requests", "is not a path"),
    ],
)
def test_parse_fault_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        parse_fault(spec)
    assert repr(spec) in str(raised.value)


# ------------------------------------------------------------------ random mix


def test_random_faults_respects_max_total(serve: Serve, corpus: Corpus) -> None:
    mix = random_faults(seed=3, probability=0.6, max_total=6)
    server = serve(mix)
    targets = [f"/citations?user={corpus.ids[i % 2]}&hl=en&cstart={i}" for i in range(30)]
    outcomes = [status_or_error(server, t) for t in targets]
    injected = mix.injected
    assert len(injected) == mix.fired == 6
    assert all(kind in RANDOM_KINDS for kind, _ in injected)
    assert {t for _, t in injected} <= set(targets)
    # after the last fault everything is normal again
    last = targets.index(injected[-1][1])
    assert outcomes[last + 1 :] == [200] * (len(targets) - last - 1)
    assert fetch(server, "/robots.txt").status == 200
    assert len(mix.injected) == 6


def test_random_faults_is_deterministic_per_seed(corpus: Corpus) -> None:
    server = ReplayServer(corpus)
    kinds = ("403", "429", "503")

    def run(seed: int) -> list[tuple[str, str]]:
        mix = random_faults(seed, 0.5, kinds)
        for i in range(50):
            mix(request_for(server, f"/citations?user={OTHER_ID}&cstart={i}"))
        return mix.injected

    try:
        assert run(1) == run(1) != run(2)
        assert {kind for kind, _ in run(1)} == set(kinds)
        assert "slow" not in RANDOM_KINDS
        with pytest.raises(ValueError, match="unknown fault kinds"):
            random_faults(1, 0.5, ("nope",))
    finally:
        server.stop()


# ------------------------------------------------------------------ detail and co-author pages


def _detail(uid: str, key: str) -> str:
    return f"/citations?view_op=view_citation&hl=en&user={uid}&citation_for_view={key}"


def _colleagues(uid: str) -> str:
    return f"/citations?view_op=list_colleagues&hl=en&user={uid}"


@pytest.fixture(scope="module")
def keys(corpus: Corpus, uid: str) -> list[str]:
    profile = corpus.profile(uid)
    assert profile is not None
    return [r.scholar_pub_key or "" for r in profile.publications[:6]]


def test_block_on_the_nth_detail_request(
    serve: Serve, target: str, uid: str, keys: list[str]
) -> None:
    fault = Fault("429", pages={"detail"}, after=2, times=1, retry_after=60)
    server = serve(fault)
    assert fetch(server, target).status == 200  # profile pages are not counted
    answers = [fetch(server, _detail(uid, key)) for key in keys[:4]]
    assert [a.status for a in answers] == [200, 200, 429, 200]
    assert answers[2].reason == blocks.BLOCKED_HTTP_429
    assert answers[2].headers["retry-after"] == "60"
    assert fetch(server, _colleagues(uid)).status == 200
    assert (fault.fired, fault.matched) == (1, 4)


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("sorry429", 429, blocks.BLOCKED_CAPTCHA),
        ("sorry_redirect", 302, blocks.BLOCKED_SORRY_REDIRECT),
        ("captcha_inline", 200, blocks.BLOCKED_CAPTCHA),
    ],
)
def test_block_on_one_article(
    serve: Serve, uid: str, keys: list[str], kind: str, status: int, reason: str
) -> None:
    server = serve(Fault(kind, keys={keys[1]}))
    blocked = fetch(server, _detail(uid, keys[1]))
    assert (blocked.status, blocked.reason) == (status, reason)
    assert b"gsc_oci" not in blocked.body
    assert fetch(server, _detail(uid, keys[0])).status == 200
    assert fetch(server, _colleagues(uid)).status == 200
    # a profile page carrying the key elsewhere is not a detail request
    assert fetch(server, f"/citations?user={uid}&hl=en&citation_for_view={keys[1]}").status == 200


def test_login_redirect_on_detail_and_colleague_pages(
    serve: Serve, uid: str, keys: list[str]
) -> None:
    server = serve(Fault("signin_redirect", pages={"detail", "colleagues"}))
    for page in (_detail(uid, keys[0]), _colleagues(uid)):
        answer = fetch(server, page)
        assert answer.status == 302
        location = urlsplit(answer.headers["location"])
        assert location.path == SIGNIN_PATH
        assert parse_qs(location.query)["continue"] == [server.base_url + page]
    assert fetch(server, f"/citations?user={uid}&hl=en").status == 200


def test_404_article_is_the_missing_article_answer(serve: Serve, uid: str, keys: list[str]) -> None:
    fault = Fault("404", keys={keys[2]})
    server = serve(fault)
    gone = fetch(server, _detail(uid, keys[2]))
    missing = fetch(server, _detail(uid, f"{uid}:nope"))
    assert gone.status == missing.status == 404
    assert gone.body == missing.body  # the same page as a key the profile does not hold
    assert fetch(server, _detail(uid, keys[3])).status == 200
    assert fault.fired == 1


@pytest.mark.parametrize("page", ["profile", "detail", "colleagues"])
def test_layout_changed_never_parses_as_an_empty_result(
    serve: Serve, uid: str, keys: list[str], target: str, page: str
) -> None:
    targets = {"profile": target, "detail": _detail(uid, keys[0]), "colleagues": _colleagues(uid)}
    parsers = {
        "profile": parse_profile_page,
        "detail": parse_detail_page,
        "colleagues": parse_colleagues_page,
    }
    server = serve(Fault("layout_changed", pages={page}, times=1))
    changed = fetch(server, targets[page])
    normal = fetch(server, targets[page])
    assert changed.status == normal.status == 200 and changed.reason == blocks.OK
    assert len(changed.body) == len(normal.body)  # the same content, renamed
    assert b"gsc_" not in changed.body and b"gs_ai" not in changed.body
    with pytest.raises(ScholarPageError) as raised:
        parsers[page](Selector(text=changed.text))
    assert raised.value.reason == "layout_unrecognised"
    parsers[page](Selector(text=normal.text))  # parses


def test_layout_changed_passes_errors_unchanged(serve: Serve, uid: str) -> None:
    server = serve(Fault("layout_changed"))
    assert fetch(server, _detail(uid, f"{uid}:nope")).status == 404
    assert fetch(server, f"/citations?user={OTHER_ID}&hl=en").status == 302


@pytest.mark.parametrize(
    ("page", "opening", "parse"),
    [
        ("detail", b'id="gsc_oci_table"', parse_detail_page),
        ("colleagues", b'id="gsc_codb_content"', parse_colleagues_page),
    ],
)
def test_truncated_detail_and_colleague_pages(
    serve: Serve,
    uid: str,
    keys: list[str],
    page: str,
    opening: bytes,
    parse: Callable[[Selector], object],
) -> None:
    target = _detail(uid, keys[0]) if page == "detail" else _colleagues(uid)
    server = serve(Fault("truncated", pages={page}, fraction=0.95, times=1))
    cut = fetch(server, target)
    whole = fetch(server, target)
    assert cut.status == 200 and whole.body.startswith(cut.body)
    assert opening not in cut.body and opening in whole.body
    with pytest.raises(ScholarPageError) as raised:
        parse(Selector(text=cut.text))
    assert raised.value.reason == "layout_unrecognised"


def test_page_kind_scope(serve: Serve, uid: str, keys: list[str], target: str) -> None:
    only_profiles = Fault("503", pages={"profile"})
    server = serve(only_profiles)
    assert fetch(server, target).status == 503
    assert fetch(server, _detail(uid, keys[0])).status == 200
    assert fetch(server, _colleagues(uid)).status == 200
    others = serve(Fault("403", pages={"other"}))
    assert fetch(others, f"/citations?view_op=list_mandates&user={uid}").status == 403
    assert fetch(others, target).status == 200
    # ids match the owner of a detail request without user= too
    owner = serve(Fault("403", ids={uid}, pages={"detail"}))
    key_only = f"/citations?view_op=view_citation&hl=en&citation_for_view={keys[0]}"
    assert fetch(owner, key_only).status == 403


def test_page_and_key_specs() -> None:
    key = "AAAAAAAAAAAA:u5HHmVD_uO8C"
    fault = parse_fault(f"429:pages=detail,keys={key};BBBBBBBBBBBB:d1gkVwhDpl0C,after=4,times=1")
    assert fault == Fault(
        "429",
        pages={"detail"},
        keys={key, "BBBBBBBBBBBB:d1gkVwhDpl0C"},
        after=4,
        times=1,
    )
    assert parse_fault(fault.to_spec()) == fault
    assert parse_fault("layout_changed:pages=*,keys=all") == Fault("layout_changed")
    assert parse_fault("404:pages=detail;colleagues").pages == {"detail", "colleagues"}
    for spec, message in [
        ("429:pages=details", "'details' is not a page kind"),
        ("429:keys=u5HHmVD_uO8C", "is not an article key"),
        ("429:keys=short:u5HHmVD_uO8C", "is not an article key"),
        ("layout_changed:fraction=0.5", "fraction is not an option of 'layout_changed'"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            parse_fault(spec)
    assert "404" not in RANDOM_KINDS and "layout_changed" not in RANDOM_KINDS


def test_change_layout_renames_scholar_markup_only() -> None:
    page = b'<div id="gsc_oci_title" class="gs_scl gsc_x"><div class="gs_ai_name">gsc_</div>'
    assert change_layout(page) == (
        b'<div id="gsr_oci_title" class="gs_scl gsr_x"><div class="gs_ri_name">gsr_</div>'
    )
    assert change_layout(b"xgsc_ nogs_ai") == b"xgsc_ nogs_ai"


def test_oversized_pads_the_normal_answer_to_its_size_with_filler(
    serve: Serve, target: str
) -> None:
    server = serve(Fault("oversized", size=300_000, times=1))
    big, whole = fetch(server, target), fetch(server, target)
    assert int(big.headers["content-length"]) == len(big.body) == 300_000
    assert big.body.startswith(whole.body) and big.body.endswith(b"-->")
    rows = parse_profile_page(Selector(text=big.text)).rows
    assert rows == parse_profile_page(Selector(text=whole.text)).rows  # filler, no content
    with pytest.raises(ValueError, match="size is not an option of '429'"):
        parse_fault("429:size=10")


@pytest.mark.parametrize(
    ("spec", "path", "reason"),
    [
        ("xxe:paths=/api/query", "/api/query?search_query=ti:x", "forbidden_xml"),
        ("billion_laughs:paths=/api/query", "/api/query?search_query=ti:x", "forbidden_xml"),
        ("json_bomb:paths=/works", "/works?query.bibliographic=x", "malformed_json"),
    ],
)
def test_hostile_api_answers_are_what_their_parsers_refuse(
    serve: Serve, spec: str, path: str, reason: str
) -> None:
    answer = fetch(serve(parse_fault(spec)), path)
    assert answer.status == 200
    parse = arxiv.parse_feed if path.startswith("/api/") else crossref.parse_works
    with pytest.raises(ApiResponseError) as raised:
        parse(answer.body)
    assert raised.value.reason == reason
    if spec.startswith("xxe"):
        assert b'SYSTEM "file:///etc/passwd"' in answer.body and b"&xxe;" in answer.body
