"""The replay server: routes, robots.txt, sign-in redirects, request log, CLI entry point."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from parsel import Selector
from protego import Protego

from scholarcrawl.replay.generator import Corpus, CorpusSpec, visible_text
from scholarcrawl.replay.robots import ROBOTS_TXT
from scholarcrawl.replay.server import (
    SIGNIN_PATH,
    ReplayRequest,
    ReplayResponse,
    ReplayServer,
    serve,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = CorpusSpec(seed=99, sizes=(130, 15, 0))


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


@pytest.fixture
def server(corpus: Corpus) -> Iterator[ReplayServer]:
    with ReplayServer(corpus) as srv:
        yield srv


def _get(server: ReplayServer, target: str, **kw: object) -> requests.Response:
    return requests.get(server.base_url + target, timeout=5, **kw)  # type: ignore[arg-type]


def _rows(response: requests.Response) -> list[str]:
    links = Selector(text=response.text).css("tr.gsc_a_tr a.gsc_a_at").xpath("string()")
    return [visible_text(t) for t in links.getall()]


# ------------------------------------------------------------------ robots.txt


def test_robots_txt_allows_first_pages_only(server: ReplayServer) -> None:
    response = _get(server, "/robots.txt")
    assert response.status_code == 200 and response.text == ROBOTS_TXT
    rp = Protego.parse(response.text)
    base = server.base_url
    uid = server.corpus.ids[0]
    assert rp.can_fetch(f"{base}/citations?user={uid}&hl=en&pagesize=100", "scholarcrawl")
    assert rp.can_fetch(f"{base}/citations?user={uid}&hl=en", "*")
    assert not rp.can_fetch(
        f"{base}/citations?user={uid}&hl=en&pagesize=100&cstart=100", "scholarcrawl"
    )
    assert not rp.can_fetch(f"{base}/citations?hl=en&user={uid}", "scholarcrawl")
    assert not rp.can_fetch(f"{base}/citations?view_op=search_authors&mauthors=x", "scholarcrawl")
    assert not rp.can_fetch(f"{base}/scholar?cites=1", "scholarcrawl")
    assert not rp.can_fetch(f"{base}/citations?user=x@example.org", "scholarcrawl")
    assert not rp.can_fetch(f"{base}/citations?user={uid}", "PetalBot")


# ------------------------------------------------------------------ profile pages


def test_profile_page_defaults_and_paging(server: ReplayServer, corpus: Corpus) -> None:
    uid = corpus.ids[0]
    profile = corpus.profile(uid)
    assert profile is not None
    response = _get(server, f"/citations?user={uid}&hl=en")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    sel = Selector(text=response.text)
    assert sel.css("#gsc_prf_in::text").get() == profile.header.name
    assert len(_rows(response)) == 20
    assert len(_rows(_get(server, f"/citations?user={uid}&hl=en&pagesize=100"))) == 100
    assert len(_rows(_get(server, f"/citations?user={uid}&hl=en&pagesize=1000"))) == 100
    last = _get(server, f"/citations?user={uid}&hl=en&pagesize=100&cstart=100")
    assert len(_rows(last)) == 30
    assert Selector(text=last.text).css("#gsc_bpf_more").attrib.get("disabled") is not None
    by_year = _get(server, f"/citations?user={uid}&hl=en&pagesize=100&sortby=pubdate")
    assert _rows(by_year) == [r.title for r in profile.sorted_publications("pubdate")[:100]]
    junk = _get(server, f"/citations?user={uid}&hl=en&pagesize=x&cstart=-5")
    assert len(_rows(junk)) == 20
    empty = _get(server, f"/citations?user={corpus.ids[2]}&hl=en")
    assert empty.status_code == 200 and "There are no articles in this profile." in empty.text


def test_unknown_or_missing_user_redirects_to_local_signin(server: ReplayServer) -> None:
    for target in ("/citations?user=AAAAAAAAAAAA&hl=en", "/citations?hl=en", "/citations"):
        response = _get(server, target, allow_redirects=False)
        assert response.status_code == 302
        location = response.headers["Location"]
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}" == server.base_url
        assert parts.path == SIGNIN_PATH
        cont = parse_qs(parts.query)["continue"][0]
        assert cont.startswith(server.base_url + "/citations")
        followed = _get(server, target)
        assert followed.status_code == 200
        assert followed.url.startswith(server.base_url + SIGNIN_PATH)
        sel = Selector(text=followed.text)
        assert sel.css("title::text").get() == "Google Scholar Citations"
        assert not sel.css("#gsc_prf_in, tr.gsc_a_tr, #gsc_a_b")
    assert "AAAAAAAAAAAA" in _get(server, "/citations?user=AAAAAAAAAAAA&hl=en").url


def test_other_paths_are_404(server: ReplayServer, corpus: Corpus) -> None:
    uid = corpus.ids[0]
    for target in (
        "/",
        "/scholar?q=x",
        "/citations/",
        f"/citations?view_op=view_citation&hl=en&user={uid}&citation_for_view={uid}:x",
    ):
        assert _get(server, target).status_code == 404, target
    assert requests.post(server.base_url + "/citations", timeout=5).status_code == 404


# ------------------------------------------------------------------ request log


def test_request_log_and_control_endpoints(server: ReplayServer, corpus: Corpus) -> None:
    uid = corpus.ids[1]
    _get(server, "/robots.txt")
    _get(server, f"/citations?user={uid}&hl=en&pagesize=100")
    _get(server, "/citations?user=AAAAAAAAAAAA&hl=en", allow_redirects=False)
    records = server.requests
    assert [(r.method, r.path, r.status) for r in records] == [
        ("GET", "/robots.txt", 200),
        ("GET", f"/citations?user={uid}&hl=en&pagesize=100", 200),
        ("GET", "/citations?user=AAAAAAAAAAAA&hl=en", 302),
    ]
    assert records[1].scholar_id == uid
    assert records[0].monotonic <= records[1].monotonic <= records[2].monotonic
    assert abs(records[0].wall - records[2].wall) < 5
    assert server.request_count() == 2
    assert server.request_count("/robots.txt") == 1
    assert server.request_count("") == 3

    log = _get(server, "/_replay/requests").json()
    assert [(r["path"], r["status"]) for r in log] == [(r.path, r.status) for r in records]
    assert set(log[0]) == {"monotonic", "wall", "method", "path", "status", "scholar_id"}
    assert requests.post(server.base_url + "/_replay/reset", timeout=5).status_code == 200
    assert server.requests == [] and _get(server, "/_replay/requests").json() == []


def test_concurrent_requests_are_all_logged(server: ReplayServer, corpus: Corpus) -> None:
    targets = [f"/citations?user={corpus.ids[i % 2]}&hl=en&pagesize=100" for i in range(80)]
    with requests.Session() as session, ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(lambda t: session.get(server.base_url + t, timeout=5).status_code, targets)
        )
    assert statuses == [200] * 80
    assert server.request_count() == 80


def test_fault_hook_can_replace_or_pass(corpus: Corpus) -> None:
    uid = corpus.ids[0]

    def rate_limit_after_two(request: ReplayRequest) -> ReplayResponse | None:
        if request.path == "/citations" and request.seen >= 2:
            return ReplayResponse.html(429, "<title>Sorry</title>", ("Retry-After", "30"))
        return None

    with ReplayServer(corpus, faults=[rate_limit_after_two]) as srv:
        statuses = [_get(srv, f"/citations?user={uid}&hl=en").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert _get(srv, f"/citations?user={uid}&hl=en").headers["Retry-After"] == "30"
        assert [r.status for r in srv.requests] == [200, 200, 429, 429]


# ------------------------------------------------------------------ lifecycle and serve()


def test_start_stop_and_port(corpus: Corpus) -> None:
    srv = ReplayServer(corpus).start()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", srv.base_url) and srv.port > 0
    assert _get(srv, "/robots.txt").status_code == 200
    srv.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(srv.base_url + "/robots.txt", timeout=2)


def test_serve_in_a_thread_prints_the_real_port() -> None:
    out = io.StringIO()
    stop = threading.Event()
    thread = threading.Thread(
        target=serve, args=(CorpusSpec(sizes=(5, 5)),), kwargs={"out": out, "stop": stop}
    )
    thread.start()
    try:
        for _ in range(100):
            if out.getvalue():
                break
            stop.wait(0.02)
        match = re.fullmatch(
            r"replay: serving 2 profiles on (http://127\.0\.0\.1:(\d+))\n", out.getvalue()
        )
        assert match and int(match[2]) > 0
        assert requests.get(match[1] + "/robots.txt", timeout=5).status_code == 200
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_serve_subprocess_stops_on_sigterm() -> None:
    code = (
        "from scholarcrawl.replay.generator import CorpusSpec\n"
        "from scholarcrawl.replay.server import serve\n"
        "raise SystemExit(serve(CorpusSpec(sizes=(3,)), port=0))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.fullmatch(r"replay: serving 1 profiles on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        uid = Corpus(CorpusSpec(sizes=(3,))).ids[0]
        assert requests.get(f"{match[1]}/citations?user={uid}&hl=en", timeout=5).ok
        log = requests.get(match[1] + "/_replay/requests", timeout=5).json()
        assert [r["status"] for r in log] == [200]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------ detail and co-author pages


def test_detail_page_route(server: ReplayServer, corpus: Corpus) -> None:
    uid = corpus.ids[0]
    profile = corpus.profile(uid)
    assert profile is not None
    row = profile.publications[3]
    key = row.scholar_pub_key or ""
    detail = profile.detail(key)
    assert detail is not None
    # as a profile row links it, and with user= first (what robots.txt allows)
    for target in (
        f"/citations?view_op=view_citation&hl=en&user={uid}&citation_for_view={key}",
        f"/citations?user={uid}&hl=en&view_op=view_citation&citation_for_view={key}",
        f"/citations?view_op=view_citation&hl=en&citation_for_view={key}",  # no user=
    ):
        response = _get(server, target)
        assert response.status_code == 200, target
        assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
        sel = Selector(text=response.text)
        assert visible_text(sel.css("#gsc_oci_title").xpath("string()").get() or "") == row.title
        assert sel.css("form#gsc_vcpb_btns input[name=s]").attrib["value"] == key
    records = server.requests
    assert [r.scholar_id for r in records] == [uid] * 3
    assert [r.status for r in records] == [200] * 3


def test_missing_article_is_a_404_and_unknown_user_signs_in(
    server: ReplayServer, corpus: Corpus
) -> None:
    first, second = corpus.ids[0], corpus.ids[1]
    other = corpus.profile(second)
    assert other is not None
    foreign = other.publications[0].scholar_pub_key or ""
    for target in (
        f"/citations?view_op=view_citation&hl=en&user={first}&citation_for_view={first}:nope",
        f"/citations?view_op=view_citation&hl=en&user={first}&citation_for_view={foreign}",
        f"/citations?view_op=view_citation&hl=en&user={first}",
    ):
        response = _get(server, target)
        assert response.status_code == 404, target
        assert "Error 404 (Not Found)" in response.text
        assert not Selector(text=response.text).css("[id^=gsc_]")
    for target in (
        "/citations?view_op=view_citation&hl=en&user=AAAAAAAAAAAA"
        "&citation_for_view=AAAAAAAAAAAA:u5HHmVD_uO8C",
        "/citations?view_op=view_citation&hl=en",
        "/citations?view_op=list_colleagues&hl=en&user=AAAAAAAAAAAA",
    ):
        response = _get(server, target, allow_redirects=False)
        assert response.status_code == 302, target
        assert urlsplit(response.headers["Location"]).path == SIGNIN_PATH
    assert _get(server, f"/citations?view_op=list_mandates&user={first}").status_code == 404


def test_colleagues_route(server: ReplayServer, corpus: Corpus) -> None:
    uid = corpus.ids[0]
    profile = corpus.profile(uid)
    assert profile is not None
    plain = _get(server, f"/citations?view_op=list_colleagues&hl=en&user={uid}")
    as_script = _get(server, f"/citations?view_op=list_colleagues&hl=en&json=&user={uid}")
    assert plain.status_code == as_script.status_code == 200
    assert plain.text == as_script.text
    names = Selector(text=plain.text).css("#gsc_codb_content h3.gs_ai_name a::text").getall()
    assert names == [c.name for c in profile.all_coauthors]
    assert [r.scholar_id for r in server.requests] == [uid, uid]


def test_robots_txt_allows_detail_and_colleague_pages_with_user_first(
    server: ReplayServer, corpus: Corpus
) -> None:
    rp = Protego.parse(ROBOTS_TXT)
    base, uid = server.base_url, corpus.ids[0]
    key = f"{uid}:u5HHmVD_uO8C"
    allowed = [
        f"{base}/citations?user={uid}&hl=en&view_op=view_citation&citation_for_view={key}",
        f"{base}/citations?user={uid}&hl=en&view_op=list_colleagues",
    ]
    disallowed = [  # the order of Scholar's own links
        f"{base}/citations?view_op=view_citation&hl=en&user={uid}&citation_for_view={key}",
        f"{base}/citations?view_op=list_colleagues&hl=en&user={uid}",
        f"{base}/citations?user={uid}&hl=en&cstart=100&view_op=view_citation",
    ]
    assert all(rp.can_fetch(url, "scholarcrawl") for url in allowed)
    assert not any(rp.can_fetch(url, "scholarcrawl") for url in disallowed)
