"""Local Google Scholar replay server (stdlib HTTP, 127.0.0.1 only by default).

Routes:

* ``GET /robots.txt``: Scholar's robots.txt (:data:`~.robots.ROBOTS_TXT`);
* ``GET /citations?user=ID&hl=en[&pagesize=N][&cstart=N][&sortby=pubdate|title]``:
  the profile page (``pagesize`` 20 by default, capped at 100), rendered by
  :func:`~.templates.render_profile_html`;
* ``GET /citations?view_op=view_citation&user=ID&citation_for_view=ID:KEY``: the
  publication's detail page (:func:`~.templates.render_detail_html`; ``user=`` may be left
  out, the key names its owner). A key the profile does not hold answers 404 with Google's
  not-found page (:meth:`ReplayServer.missing_article`: what Scholar does there is not
  observed, this is the safe assumption);
* ``GET /citations?view_op=list_colleagues&user=ID[&json=]``: the full co-author list
  (:func:`~.templates.render_colleagues_html`; ``json=``, which the profile page's own
  script adds, is accepted and changes nothing). Other ``view_op`` values answer 404;
* unknown or missing ``user`` (for every page kind): 302 to :data:`SIGNIN_PATH`
  (``/accounts/ServiceLogin``) on this same server, never an external host, with the
  query of Scholar's redirect to Google's sign-in (``?hl=en&continue=<this
  URL>&service=citations``); it serves a sign-in page titled "Google Scholar Citations",
  without any profile markup. The ``hl`` parameter is accepted but pages are always
  English. The request log records the id of every page kind (``user=``, else the owner
  in ``citation_for_view``);
* ``GET /sorry/index?continue=URL&q=TOKEN``: Google's reCAPTCHA interstitial
  (:func:`~.templates.render_sorry_page`) with status 429, as Google serves it;
  the ``sorry_redirect`` fault sends crawlers here;
* ``GET /api/query``, ``GET /works``, ``GET /works/{doi}``: mock arXiv and Crossref
  APIs over an :class:`~.apis.ApiCatalogue` (by default built from the corpus on first
  use; ``apis=False`` turns them off), logged like every other request;
  ``arxiv_api_url`` and ``crossref_api_url`` are their base URLs;
* ``GET /v2/{doi}?email=...``, ``GET /doi/{doi}``, ``GET /publisher/landing/{doi}``,
  ``GET /publisher/pdf/{doi}.pdf``, ``GET /publisher/supp/{doi}.pdf``: mock Unpaywall,
  doi.org and publisher sites over an :class:`~.oa.OaCatalogue` (by default over the API
  catalogue; ``oa=False`` turns them off), logged and open to faults like every other
  request; ``unpaywall_api_url`` is Unpaywall's base URL;
* ``GET /_replay/requests``: the request log as JSON; ``POST /_replay/reset``
  clears it. Control requests are not logged;
* anything else: 404.

Fault injection (429 after N requests, 302 to ``/sorry/``, 403, 503, slow or
truncated pages) plugs in through ``faults``: callables run in order before
routing, each given a :class:`ReplayRequest` (method, path, query, scholar id,
how many requests the server has seen) and returning a :class:`ReplayResponse`
to send instead, or None to pass. A hook can also post-process the normal
answer: ``request.route()`` builds it. :mod:`~.faults` has ready-made hooks;
:meth:`ReplayResponse.connection_reset` closes the connection with a TCP RST
instead of answering (logged with status 0).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, Literal, TextIO
from urllib.parse import parse_qs, quote, urlsplit

from scholarcrawl.replay.apis import ARXIV_PATH, ApiCatalogue, is_api_path
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.oa import OaCatalogue, is_oa_path
from scholarcrawl.replay.robots import ROBOTS_TXT
from scholarcrawl.replay.templates import (
    render_colleagues_html,
    render_detail_html,
    render_moved,
    render_not_found,
    render_profile_html,
    render_signin_page,
    render_sorry_page,
)

__all__ = [
    "PAGE_KINDS",
    "SIGNIN_PATH",
    "SORRY_PATH",
    "FaultHook",
    "ReplayRequest",
    "ReplayResponse",
    "ReplayServer",
    "RequestRecord",
    "request_scholar_id",
    "serve",
]

logger = logging.getLogger(__name__)

SIGNIN_PATH = "/accounts/ServiceLogin"  # accounts.google.com's sign-in path, on this server
SORRY_PATH = "/sorry/index"  # www.google.com's reCAPTCHA interstitial, on this server
HTML = "text/html; charset=UTF-8"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One logged request: when, what, and the status sent."""

    monotonic: float
    wall: float
    method: str
    path: str  # path and query, as requested
    status: int
    scholar_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReplayResponse:
    """An answer: status, headers, body; or, with ``reset``, no answer at all."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()
    reset: bool = False  # close the connection with an RST instead of answering

    @classmethod
    def html(cls, status: int, text: str, *headers: tuple[str, str]) -> ReplayResponse:
        """An HTML answer encoded as UTF-8."""
        return cls(status, text.encode("utf-8"), HTML, tuple(headers))

    @classmethod
    def connection_reset(cls) -> ReplayResponse:
        """No HTTP response: the connection is reset (status 0 in the request log)."""
        return cls(0, reset=True)


@dataclass(slots=True)
class ReplayRequest:
    """What a fault hook sees of a request."""

    method: str
    path: str  # path only
    target: str  # path and query
    query: dict[str, list[str]]
    scholar_id: str | None
    seen: int  # requests received before this one (control requests excluded)
    server: ReplayServer = field(repr=False)
    client: str = ""  # the client's IP address

    def param(self, name: str) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def page_kind(self) -> str:
        """Which Scholar page a ``/citations`` request asks for (:data:`PAGE_KINDS`).

        ``profile`` (no ``view_op``, or ``list_works``), ``detail`` (``view_citation``),
        ``colleagues`` (``list_colleagues``); ``other`` for any other path or ``view_op``.
        """
        if self.path != "/citations":
            return "other"
        return _VIEW_OPS.get(self.param("view_op") or "", "other")

    def route(self) -> ReplayResponse:
        """The answer the server gives without faults."""
        return self.server.route(self)


FaultHook = Callable[[ReplayRequest], "ReplayResponse | None"]

#: The page kinds of :attr:`ReplayRequest.page_kind`.
PAGE_KINDS = ("profile", "detail", "colleagues", "other")
_VIEW_OPS = {
    "": "profile",
    "list_works": "profile",
    "view_citation": "detail",
    "list_colleagues": "colleagues",
}


def request_scholar_id(query: dict[str, list[str]]) -> str | None:
    """The scholar id a request is about: its ``user=``, else the owner part of its
    ``citation_for_view=USER:KEY`` (a detail link without ``user=``)."""
    user = query.get("user", [None])[0]
    if user:
        return user
    key = query.get("citation_for_view", [""])[0]
    owner, colon, _ = key.partition(":")
    return owner if colon and owner else None


def _int_param(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as Scrapy uses
    server_version = "citations"  # Scholar's Server header
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out without a delayed-ACK stall

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        length = _int_param(self.headers.get("Content-Length")) or 0
        if length:
            self.rfile.read(length)
        self._handle("POST")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def _handle(self, method: str) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        if parts.path.startswith("/_replay/"):
            self._send(owner.control(method, parts.path), method)
            return
        query = parse_qs(parts.query, keep_blank_values=True)
        user = request_scholar_id(query)
        request = ReplayRequest(
            method=method,
            path=parts.path,
            target=self.path,
            query=query,
            scholar_id=user,
            seen=owner.next_sequence(),
            server=owner,
            client=str(self.client_address[0]),
        )
        response: ReplayResponse | None = None
        try:
            for hook in owner.faults:
                response = hook(request)
                if response is not None:
                    break
            if response is None:
                response = owner.route(request)
        except Exception:
            logger.exception("replay: error answering %s %s", method, self.path)
            response = ReplayResponse.html(500, "<h1>500</h1>")
        owner.log_request(method, self.path, response.status, user)
        self._send(response, method)

    def _send(self, response: ReplayResponse, method: str) -> None:
        if response.reset:
            self._reset()
            return
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "private")
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            if method != "HEAD" and response.body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # a client that gave up waiting (a slow fault outlasting its timeout)
            logger.debug("replay: client went away before %s was answered", self.path)
            self.close_connection = True

    def _reset(self) -> None:
        """Drop the connection without a response: SO_LINGER 0 makes close() send an RST."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            # the socket's file descriptor is released once its reader is closed too
            self.rfile.close()
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("replay: " + format, *args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    owner: ReplayServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that hangs up (Scrapy cancelling a body over DOWNLOAD_MAXSIZE) is normal
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ReplayServer:
    """Serve a :class:`Corpus` as Google Scholar would, on ``host:port`` (0 = any free port).

    Use as a context manager or with ``start()``/``stop()``. ``base_url`` is
    ``http://127.0.0.1:PORT``; ``requests`` is the request log (thread-safe).
    ``apis``: the catalogue behind the mock arXiv and Crossref routes (None: the
    corpus's own, built on first use; False: no API routes). ``oa``: the catalogue behind
    the mock Unpaywall, doi.org and publisher routes (None: one over ``apis``; False: no
    OA routes).
    """

    def __init__(
        self,
        corpus: Corpus,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        faults: Sequence[FaultHook] = (),
        apis: ApiCatalogue | Literal[False] | None = None,
        oa: OaCatalogue | Literal[False] | None = None,
    ) -> None:
        self.corpus = corpus
        self.apis: ApiCatalogue | None = (
            None if apis is False else apis or ApiCatalogue.from_corpus(corpus)
        )
        self.oa: OaCatalogue | None = None if oa is False else oa or OaCatalogue(apis=self.apis)
        self.host = host
        self.faults: list[FaultHook] = list(faults)
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._received = 0
        self._httpd = _HTTPServer((host, port), _Handler, bind_and_activate=True)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        """The port actually bound."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of this server."""
        return f"http://{self.host}:{self.port}"

    @property
    def arxiv_api_url(self) -> str:
        """The mock arXiv API (``ARXIV_API_URL``): ``http://HOST:PORT/api/query``."""
        return self.base_url + ARXIV_PATH

    @property
    def crossref_api_url(self) -> str:
        """The mock Crossref API's base (``CROSSREF_API_URL``): ``http://HOST:PORT``."""
        return self.base_url

    @property
    def unpaywall_api_url(self) -> str:
        """The mock Unpaywall API's base (``UNPAYWALL_API_URL``): ``http://HOST:PORT``."""
        return self.base_url

    def warm_apis(self) -> threading.Thread | None:
        """Build the API catalogue in a daemon thread now, not on the first API request."""
        if self.apis is None:
            return None
        thread = threading.Thread(target=self.apis.prepare, name="replay-apis", daemon=True)
        thread.start()
        return thread

    def start(self) -> ReplayServer:
        """Serve in a daemon thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"replay-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ request log

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first."""
        with self._log_lock:
            return list(self._log)

    def request_count(self, path_prefix: str = "/citations") -> int:
        """Requests whose path starts with ``path_prefix``."""
        with self._log_lock:
            return sum(1 for r in self._log if r.path.startswith(path_prefix))

    def reset_requests(self) -> None:
        """Clear the request log (and the count fault hooks see as ``seen``)."""
        with self._log_lock:
            self._log.clear()
            self._received = 0

    def next_sequence(self) -> int:
        """Count one received request; returns how many came before it."""
        with self._log_lock:
            seen = self._received
            self._received += 1
            return seen

    def log_request(self, method: str, target: str, status: int, scholar_id: str | None) -> None:
        """Append one record (the handler calls this once per request)."""
        record = RequestRecord(time.monotonic(), time.time(), method, target, status, scholar_id)
        with self._log_lock:
            self._log.append(record)

    # ------------------------------------------------------------ routing

    def control(self, method: str, path: str) -> ReplayResponse:
        """``/_replay/*``: request log and reset."""
        if path == "/_replay/requests" and method in ("GET", "HEAD"):
            body = json.dumps([asdict(r) for r in self.requests], ensure_ascii=False)
            return ReplayResponse(200, body.encode("utf-8"), "application/json")
        if path == "/_replay/reset" and method == "POST":
            self.reset_requests()
            return ReplayResponse(200, b'{"ok": true}', "application/json")
        return ReplayResponse.html(404, render_not_found(path))

    def route(self, request: ReplayRequest) -> ReplayResponse:
        """The fault-free answer to ``request``."""
        if request.method not in ("GET", "HEAD"):
            return ReplayResponse.html(404, render_not_found(request.path))
        if request.path == "/robots.txt":
            return ReplayResponse(200, ROBOTS_TXT.encode("utf-8"), "text/plain")
        if request.path == "/citations":
            return self._citations(request)
        if request.path == SIGNIN_PATH:
            return ReplayResponse.html(200, render_signin_page(request.param("continue") or ""))
        if request.path == SORRY_PATH:
            return self.sorry_page(request, request.param("continue") or "", 429)
        if self.apis is not None and is_api_path(request.path):
            answer = self.apis.answer(request.path, request.query)
            if answer is not None:
                return ReplayResponse(
                    answer.status, answer.body, answer.content_type, answer.headers
                )
        if self.oa is not None and is_oa_path(request.path):
            answer = self.oa.answer(request.path, request.query, self.base_url)
            if answer is not None:
                return ReplayResponse(
                    answer.status, answer.body, answer.content_type, answer.headers
                )
        return ReplayResponse.html(404, render_not_found(request.path))

    def _citations(self, request: ReplayRequest) -> ReplayResponse:
        kind = request.page_kind
        if kind == "other":
            return ReplayResponse.html(404, render_not_found(request.path))
        profile = self.corpus.profile(request.scholar_id) if request.scholar_id else None
        if profile is None:
            return self.signin_redirect(request)
        if kind == "detail":
            key = request.param("citation_for_view") or ""
            if profile.detail(key) is None:
                return self.missing_article(request)
            return ReplayResponse.html(200, render_detail_html(profile, key))
        if kind == "colleagues":
            return ReplayResponse.html(200, render_colleagues_html(profile))
        page = render_profile_html(
            profile,
            _int_param(request.param("cstart")),
            _int_param(request.param("pagesize")),
            request.param("sortby"),
        )
        return ReplayResponse.html(200, page)

    def missing_article(self, request: ReplayRequest) -> ReplayResponse:
        """The answer to a detail request for an article the profile does not hold: 404.

        What Scholar answers there is not observed; Google's 404 page, as for any missing
        URL, is the assumption (a crawler must not read it as an article, nor as a block).
        """
        return ReplayResponse.html(404, render_not_found(request.path))

    def sorry_page(
        self, request: ReplayRequest, url: str, status: int, q: str | None = None
    ) -> ReplayResponse:
        """Google's reCAPTCHA interstitial for the blocked ``url``, sent with ``status``.

        ``q`` (Google's opaque token) defaults to the request's own ``q`` parameter.
        """
        now = datetime.now(UTC)
        token = q if q is not None else request.param("q") or ""
        digest = hashlib.sha256(f"{url}|{now.timestamp()}".encode()).digest()
        page = render_sorry_page(
            url,
            ip=request.client or self.host,
            time=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            q=token,
            data_s=base64.urlsafe_b64encode(digest * 4).decode("ascii").rstrip("="),
        )
        return ReplayResponse.html(status, page)

    def signin_redirect(self, request: ReplayRequest) -> ReplayResponse:
        """302 to this server's sign-in page, continuing to the requested URL."""
        cont = f"{self.base_url}{request.path}"
        query = urlsplit(request.target).query
        if query:
            cont += "%3F" + quote(query, safe="")
        location = f"{self.base_url}{SIGNIN_PATH}?hl=en&continue={cont}&service=citations"
        return ReplayResponse.html(302, render_moved(location), ("Location", location))


# --------------------------------------------------------------------------- CLI entry


def serve(
    spec: CorpusSpec,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
    faults: Sequence[FaultHook] = (),
    on_listening: Callable[[ReplayServer], None] | None = None,
) -> int:
    """Serve ``spec`` until SIGINT/SIGTERM (or ``stop`` is set); blocking.

    Prints ``replay: serving N profiles on http://HOST:PORT`` (the real port
    when ``port`` is 0) once listening and a line per fault, then calls
    ``on_listening(server)`` (the CLI prints the mock APIs' URLs there). Signal
    handlers are installed only when called from the main thread. Returns 0.
    """
    stream = out if out is not None else sys.stdout
    done = stop if stop is not None else threading.Event()
    corpus = Corpus(spec)
    previous: dict[signal.Signals, Any] = {}

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _on_signal)
    try:
        with ReplayServer(corpus, host, port, faults=faults) as server:
            print(f"replay: serving {len(corpus)} profiles on {server.base_url}", file=stream)
            for fault in faults:
                to_spec = getattr(fault, "to_spec", None)
                described = to_spec() if to_spec is not None else repr(fault)
                print(f"replay: fault {described}", file=stream)
            stream.flush()
            if on_listening is not None:
                on_listening(server)
            while not done.wait(0.2):
                pass
    finally:
        for signum, handler in previous.items():
            if handler is not None:
                signal.signal(signum, handler)
    return 0
