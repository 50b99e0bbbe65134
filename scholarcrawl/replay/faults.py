"""Fault injection for the replay server: Scholar's blocks and failures, on demand.

A :class:`Fault` is a hook for ``ReplayServer(corpus, faults=[...])``: when a
request is in its scope and its trigger fires, it answers in place of the
server. :func:`random_faults` builds a seeded random mix for soak tests. Hooks
see ``/citations`` requests only unless told otherwise (``paths``);
``/_replay/*`` control routes never reach them.

Kinds, with the reason :func:`scholarcrawl.scholar.blocks.classify` gives:

=================== ==================================================================
``429``             429, Google's "too many requests" error page, ``Retry-After: N``
                    with ``retry_after`` [``blocked_http_429_rate_limited``]
``sorry429``        the ``/sorry/`` reCAPTCHA page in place, status 429, as Google
                    serves it [``blocked_captcha``: a CAPTCHA is never retried]
``sorry200``        the same page with status 200 [``blocked_captcha``]
``sorry_redirect``  302 to ``/sorry/index?continue=<original URL>&q=<token>`` on this
                    server, which answers it with the reCAPTCHA page and 429
                    [``blocked_sorry_redirect``]
``signin_redirect`` 302 to the server's sign-in page, as for an unknown id
                    [``profile_unavailable``]
``403``             403 error page [``blocked_http_403``]
``500``, ``503``    error pages (503 with ``Retry-After`` when given) [``server_error``]
``reset``           no response: the connection is reset (TCP RST); clients see a
                    network error
``slow``            the normal answer after ``delay`` seconds (default 35, longer than
                    the default ``DOWNLOAD_TIMEOUT``; give a small one in tests)
``truncated``       the normal page cut to its first ``fraction`` of bytes (default
                    0.4), never past the opening of the publication table unless
                    ``clamp=false``, with a Content-Length matching what is sent: a
                    complete HTTP response of broken HTML [the parser says
                    ``layout_unrecognised``]. Non-200 answers pass unchanged.
``captcha_inline``  a 200 Scholar page holding Scholar's own ``#gs_captcha_ccl``
                    CAPTCHA block [``blocked_captcha``]
``404``             Google's 404 page, as the server answers a detail request for an
                    article the profile does not hold (a vanished article)
``layout_changed``  the normal page, status 200, with Scholar's class and id names
                    renamed (``gsc_*`` -> ``gsr_*``, ``gs_ai*`` -> ``gs_ri*``): a
                    redesign the parsers do not know [``layout_unrecognised``, never an
                    empty result]. Non-200 answers pass unchanged.
``oversized``       the normal answer padded (an HTML comment, JSON or XML whitespace) to
                    ``size`` bytes (default 17 MiB, over the default
                    ``DOWNLOAD_MAXSIZE``), Content-Length included [the client cancels
                    it: ``response_too_large``]
``xxe``             an Atom feed whose DOCTYPE declares an external entity
                    (``file:///etc/passwd``) used in an entry's title, status 200; for
                    ``paths=/api/query`` [``forbidden_xml``]
``billion_laughs``  an Atom feed with nested entity expansions ("billion laughs"), status
                    200 [``forbidden_xml``]
``json_bomb``       a JSON array nested 100,000 deep, status 200; for ``paths=/works``
                    [``malformed_json``]
=================== ==================================================================

``truncated`` clamps on every Scholar page kind: before the publication table of a
profile page, before ``#gsc_oci_table`` of a detail page, before ``#gsc_codb_content``
of a co-author list.

Spec grammar (``scholarcrawl replay --fault SPEC``, one fault per spec)::

    SPEC   = KIND [ ":" OPTION { "," OPTION } ]
    OPTION = KEY "=" VALUE

Scope and trigger options, valid for every kind:

* ``ids=ID[;ID...]``: only these scholar ids (``*`` or ``all``: any, the default);
* ``cstart=N``: only the page at this ``cstart`` (a request without ``cstart``, or
  with an invalid one, is at 0; ``any``: every page, the default);
* ``paths=/PATH[;/PATH...]``: request paths in scope (default ``/citations``;
  e.g. ``/citations;/robots.txt``);
* ``pages=KIND[;KIND...]``: only these page kinds of ``/citations``
  (:data:`~.server.PAGE_KINDS`: ``profile``, ``detail`` for ``view_op=view_citation``,
  ``colleagues`` for ``view_op=list_colleagues``, ``other``; default: every kind);
* ``keys=USER:KEY[;USER:KEY...]``: only detail requests for these articles
  (``citation_for_view`` values);
* ``after=N``: the first N requests in scope pass normally (default 0);
* ``times=K``: fire at most K times, then pass forever (``inf``: no limit, the
  default);
* ``p=P`` (or ``probability=P``): fire with probability P, 0 to 1 (default 1);
* ``seed=S``: seed of that draw, for a repeatable sequence.

Kind options: ``retry_after=N`` (``429``, ``sorry429``, ``503``), ``delay=SECONDS``
(``slow``), ``fraction=F`` and ``clamp=true|false`` (``truncated``), ``size=BYTES``
(``oversized``).

Examples: ``429:retry_after=30,after=5,times=2``,
``503:ids=AAAAAAAAAAAA;BBBBBBBBBBBB,cstart=100``, ``reset:p=0.1,seed=7``,
``slow:delay=3``, ``oversized:size=2000000``, ``xxe:paths=/api/query``,
``truncated:fraction=0.5,clamp=false``; on detail and co-author pages:
``429:pages=detail,after=4,times=1`` (the fifth detail request),
``sorry429:keys=AAAAAAAAAAAA:u5HHmVD_uO8C`` (one article), ``404:pages=detail,p=0.1,seed=3``,
``layout_changed:pages=colleagues``, ``signin_redirect:pages=detail;colleagues``. A bad spec raises
``ValueError`` naming the faulty part; :meth:`Fault.to_spec` writes the
canonical spec back.

Triggering is thread-safe: a lock guards each fault's counters and its own
``random.Random``. For one fault, ``after`` counts requests in scope, then
``times`` is checked, then the probability is drawn; ``fired`` tells how many
times it answered.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final
from urllib.parse import quote

from scholarcrawl.replay.apis import ATOM, JSON
from scholarcrawl.replay.server import PAGE_KINDS, SORRY_PATH, ReplayRequest, ReplayResponse
from scholarcrawl.replay.templates import (
    render_google_error,
    render_moved,
    render_scholar_captcha_page,
)
from scholarcrawl.scholar.urls import SCHOLAR_ID_RE

__all__ = [
    "DEFAULT_PATHS",
    "KINDS",
    "RANDOM_KINDS",
    "Fault",
    "RandomFaults",
    "build_response",
    "change_layout",
    "parse_fault",
    "random_faults",
    "truncate_page",
]

logger = logging.getLogger(__name__)

KINDS: Final = (
    "429",
    "sorry429",
    "sorry200",
    "sorry_redirect",
    "signin_redirect",
    "403",
    "500",
    "503",
    "reset",
    "slow",
    "truncated",
    "captcha_inline",
    "404",
    "layout_changed",
    "oversized",
    "xxe",
    "billion_laughs",
    "json_bomb",
)
# a soak should not stall ("slow"); the page-specific kinds are asked for by name
RANDOM_KINDS: Final = tuple(
    k
    for k in KINDS
    if k not in ("slow", "404", "layout_changed", "oversized", "xxe", "billion_laughs", "json_bomb")
)
DEFAULT_PATHS: Final = frozenset({"/citations"})
DEFAULT_DELAY: Final = 35.0  # seconds; the default DOWNLOAD_TIMEOUT is 30
DEFAULT_FRACTION: Final = 0.4
DEFAULT_SIZE: Final = 17 * 1024 * 1024  # bytes; the default DOWNLOAD_MAXSIZE is 16 MiB
XXE_TARGET: Final = "file:///etc/passwd"
JSON_BOMB_DEPTH: Final = 100_000

_RETRY_AFTER_KINDS = frozenset({"429", "sorry429", "503"})
# where a page's data starts: a truncated page is cut before it (profile, detail, co-authors)
_DATA_OPENINGS = (b'<table id="gsc_a_t"', b'<div id="gsc_oci_table"', b'<div id="gsc_codb_content"')
_RENAMES = ((re.compile(rb"\bgsc_"), b"gsr_"), (re.compile(rb"\bgs_ai"), b"gs_ri"))


# --------------------------------------------------------------------------- responses


def truncate_page(body: bytes, fraction: float, clamp: bool = True) -> bytes:
    """The first ``fraction`` of ``body``; with ``clamp``, cut before the page's data.

    The data starts at a profile page's publication table, a detail page's
    ``#gsc_oci_table`` or a co-author list's ``#gsc_codb_content``. A page cut inside it
    still holds whole rows that a lenient HTML parser reads as a shorter page; cut
    before it, the page cannot parse. The cut never splits a UTF-8 sequence.
    """
    cut = int(len(body) * fraction)
    if clamp:
        for opening in _DATA_OPENINGS:
            start = body.find(opening)
            if start != -1:
                cut = min(cut, start)
    while 0 < cut < len(body) and body[cut] & 0xC0 == 0x80:
        cut -= 1
    return body[:cut]


def change_layout(body: bytes) -> bytes:
    """``body`` with Scholar's class and id names renamed (``gsc_`` -> ``gsr_``, ``gs_ai`` ->
    ``gs_ri``), as a redesign would leave it: the same content, no markup a parser knows."""
    for pattern, replacement in _RENAMES:
        body = pattern.sub(replacement, body)
    return body


def pad_to(body: bytes, content_type: str, size: int) -> bytes:
    """``body`` grown to ``size`` bytes with filler its format ignores (never shortened)."""
    missing = size - len(body)
    if missing <= 0:
        return body
    if "html" in content_type and missing >= 7:
        return body + b"<!--" + b" " * (missing - 7) + b"-->"
    return body + b" " * missing  # JSON and XML allow trailing whitespace


_ATOM_OPEN = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>ArXiv Query</title>'


@cache  # the same bytes for every request the fault answers
def xxe_feed() -> bytes:
    """An Atom feed reading a local file through an external entity, were entities resolved."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE feed [<!ENTITY xxe SYSTEM "'
        + XXE_TARGET.encode()
        + b'">]>\n'
        + _ATOM_OPEN
        + b"<entry><id>http://arxiv.org/abs/2101.00001v1</id><title>&xxe;</title>"
        b"<summary>&xxe;</summary></entry></feed>"
    )


@cache  # the same bytes for every request the fault answers
def billion_laughs_feed() -> bytes:
    """An Atom feed whose one entity expands to 10^9 "lol"s, were entities expanded."""
    entities = [b'<!ENTITY lol "lol">']
    for level in range(1, 10):
        previous = b"lol" if level == 1 else b"lol%d" % (level - 1)
        entities.append(b'<!ENTITY lol%d "%s">' % (level, (b"&" + previous + b";") * 10))
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE feed ['
        + b"".join(entities)
        + b"]>\n"
        + _ATOM_OPEN
        + b"<entry><id>http://arxiv.org/abs/2101.00001v1</id><title>&lol9;</title></entry></feed>"
    )


@cache  # the same bytes for every request the fault answers
def json_bomb() -> bytes:
    """A JSON array nested :data:`JSON_BOMB_DEPTH` deep (a recursive decoder's stack)."""
    return b"[" * JSON_BOMB_DEPTH + b"]" * JSON_BOMB_DEPTH


def _url(request: ReplayRequest) -> str:
    return request.server.base_url + request.target


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _sorry_token(request: ReplayRequest) -> str:
    """A token shaped like Google's ``q``: client IPv4, time, 16 opaque bytes, base64url."""
    try:
        ip = ipaddress.IPv4Address(request.client).packed
    except ValueError:
        ip = bytes([127, 0, 0, 1])
    now = int(time.time())
    opaque = hashlib.md5(f"{request.target}|{now}".encode(), usedforsecurity=False).digest()
    raw = b"\x12\x04" + ip + b"\x18" + _varint(now) + b"\x22\x10" + opaque + b"\x32\x01r"
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _retry(retry_after: int | None) -> tuple[tuple[str, str], ...]:
    return () if retry_after is None else (("Retry-After", str(retry_after)),)


def build_response(
    kind: str,
    request: ReplayRequest,
    *,
    retry_after: int | None = None,
    delay: float = DEFAULT_DELAY,
    fraction: float = DEFAULT_FRACTION,
    clamp: bool = True,
    size: int = DEFAULT_SIZE,
) -> ReplayResponse:
    """The answer of one fault ``kind`` to ``request`` (``slow`` sleeps first)."""
    server = request.server
    if kind in ("429", "403", "500", "503"):
        status = int(kind)
        page = render_google_error(status, request.path)
        return ReplayResponse.html(status, page, *_retry(retry_after))
    if kind in ("sorry429", "sorry200"):
        status = 429 if kind == "sorry429" else 200
        sorry = server.sorry_page(request, _url(request), status, q=_sorry_token(request))
        return ReplayResponse(status, sorry.body, sorry.content_type, _retry(retry_after))
    if kind == "sorry_redirect":
        cont = quote(_url(request), safe=":/")
        location = f"{server.base_url}{SORRY_PATH}?continue={cont}&q={_sorry_token(request)}"
        return ReplayResponse.html(302, render_moved(location), ("Location", location))
    if kind == "signin_redirect":
        return server.signin_redirect(request)
    if kind == "reset":
        return ReplayResponse.connection_reset()
    if kind == "slow":
        time.sleep(delay)
        return request.route()
    if kind == "truncated":
        normal = request.route()
        if normal.status != 200:
            return normal
        body = truncate_page(normal.body, fraction, clamp)
        return ReplayResponse(200, body, normal.content_type, normal.headers)
    if kind == "captcha_inline":
        return ReplayResponse.html(200, render_scholar_captcha_page(_url(request)))
    if kind == "404":
        return server.missing_article(request)
    if kind == "layout_changed":
        normal = request.route()
        if normal.status != 200:
            return normal
        return ReplayResponse(200, change_layout(normal.body), normal.content_type, normal.headers)
    if kind == "oversized":
        normal = request.route()
        body = pad_to(normal.body, normal.content_type, size)
        return ReplayResponse(normal.status, body, normal.content_type, normal.headers)
    if kind == "xxe":
        return ReplayResponse(200, xxe_feed(), ATOM)
    if kind == "billion_laughs":
        return ReplayResponse(200, billion_laughs_feed(), ATOM)
    if kind == "json_bomb":
        return ReplayResponse(200, json_bomb(), JSON)
    raise ValueError(f"unknown fault kind {kind!r}")


def _page_cstart(request: ReplayRequest) -> int:
    """The page a request asks for, as the server reads it (missing or invalid: 0)."""
    value = request.param("cstart")
    try:
        return max(int((value or "0").strip()), 0)
    except ValueError:
        return 0


# --------------------------------------------------------------------------- Fault


class _State:
    """A fault's mutable part: counters and RNG under one lock."""

    __slots__ = ("fired", "lock", "matched", "rng")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.matched = 0
        self.fired = 0
        self.rng = random.Random()


def _frozen(values: Collection[str] | None, what: str) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str):  # one id, not its characters
        values = (values,)
    out = frozenset(values)
    if not out:
        raise ValueError(f"{what} is empty")
    return out


@dataclass(frozen=True)
class Fault:
    """One fault mode and its scope/trigger (see the module docstring); a fault hook.

    ``ids`` None means every id; ``cstart`` None every page; ``pages`` None every page kind;
    ``keys`` None every article; ``times`` None no limit.
    ``retry_after``, ``delay``, ``fraction``, ``clamp`` and ``size`` belong to some kinds only
    and stay None for others. ``fired`` and ``matched`` count, thread-safely, the
    requests answered and the requests seen in scope.
    """

    kind: str
    ids: Collection[str] | None = None
    cstart: int | None = None
    after: int = 0
    times: int | None = None
    probability: float = 1.0
    seed: int | None = None
    paths: Collection[str] = DEFAULT_PATHS
    pages: Collection[str] | None = None
    keys: Collection[str] | None = None
    retry_after: int | None = None
    delay: float | None = None
    fraction: float | None = None
    clamp: bool | None = None
    size: int | None = None
    _state: _State = field(
        default_factory=_State, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(KINDS)})")
        ids = _frozen(self.ids, "ids")
        for sid in ids or ():
            if not SCHOLAR_ID_RE.match(sid):
                raise ValueError(f"ids: {sid!r} is not a 12-character scholar id")
        paths = _frozen(self.paths, "paths") or DEFAULT_PATHS
        for path in paths:
            if not path.startswith("/") or path.startswith("/_replay/"):
                raise ValueError(f"paths: {path!r} is not a path this server routes to hooks")
        pages = _frozen(self.pages, "pages")
        for page in pages or ():
            if page not in PAGE_KINDS:
                raise ValueError(f"pages: {page!r} is not a page kind ({', '.join(PAGE_KINDS)})")
        keys = _frozen(self.keys, "keys")
        for key in keys or ():
            owner, colon, rest = key.partition(":")
            if not (colon and rest and SCHOLAR_ID_RE.match(owner)):
                raise ValueError(f"keys: {key!r} is not an article key (SCHOLARID:KEY)")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "paths", paths)
        object.__setattr__(self, "pages", pages)
        object.__setattr__(self, "keys", keys)
        if self.cstart is not None and self.cstart < 0:
            raise ValueError(f"cstart must be >= 0, not {self.cstart}")
        if self.after < 0:
            raise ValueError(f"after must be >= 0, not {self.after}")
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be >= 1, not {self.times}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be between 0 and 1, not {self.probability}")
        self._check_kind_option("retry_after", _RETRY_AFTER_KINDS)
        self._check_kind_option("delay", {"slow"})
        self._check_kind_option("fraction", {"truncated"})
        self._check_kind_option("clamp", {"truncated"})
        self._check_kind_option("size", {"oversized"})
        if self.size is not None and self.size < 1:
            raise ValueError(f"size must be >= 1 byte, not {self.size}")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError(f"retry_after must be >= 0, not {self.retry_after}")
        if self.delay is not None and not (self.delay > 0 and math.isfinite(self.delay)):
            raise ValueError(f"delay must be a positive number of seconds, not {self.delay}")
        if self.fraction is not None and not 0.0 < self.fraction < 1.0:
            raise ValueError(f"fraction must be between 0 and 1 (exclusive), not {self.fraction}")
        self._state.rng.seed(self.seed)

    def _check_kind_option(self, name: str, kinds: Collection[str]) -> None:
        if getattr(self, name) is not None and self.kind not in kinds:
            raise ValueError(
                f"{name} is not an option of {self.kind!r} (only {', '.join(sorted(kinds))})"
            )

    # ------------------------------------------------------------ hook

    def __call__(self, request: ReplayRequest) -> ReplayResponse | None:
        if not self._fires(request):
            return None
        logger.debug("replay: fault %s on %s", self.kind, request.target)
        return build_response(
            self.kind,
            request,
            retry_after=self.retry_after,
            delay=DEFAULT_DELAY if self.delay is None else self.delay,
            fraction=DEFAULT_FRACTION if self.fraction is None else self.fraction,
            clamp=True if self.clamp is None else self.clamp,
            size=DEFAULT_SIZE if self.size is None else self.size,
        )

    def in_scope(self, request: ReplayRequest) -> bool:
        """Whether ``request`` is one this fault may answer (path, id, page, kind, article)."""
        if request.path not in self.paths:
            return False
        if self.ids is not None and request.scholar_id not in self.ids:
            return False
        if self.pages is not None and request.page_kind not in self.pages:
            return False
        if self.keys is not None and (
            request.page_kind != "detail" or request.param("citation_for_view") not in self.keys
        ):
            return False
        return self.cstart is None or _page_cstart(request) == self.cstart

    def _fires(self, request: ReplayRequest) -> bool:
        if not self.in_scope(request):
            return False
        state = self._state
        with state.lock:
            index = state.matched
            state.matched += 1
            if index < self.after:
                return False
            if self.times is not None and state.fired >= self.times:
                return False
            if self.probability < 1.0 and state.rng.random() >= self.probability:
                return False
            state.fired += 1
            return True

    @property
    def fired(self) -> int:
        """How many requests this fault answered."""
        with self._state.lock:
            return self._state.fired

    @property
    def matched(self) -> int:
        """How many requests in scope it has seen (fired or not)."""
        with self._state.lock:
            return self._state.matched

    # ------------------------------------------------------------ spec

    def to_spec(self) -> str:
        """The canonical spec of this fault: ``parse_fault(f.to_spec()) == f``."""
        opts: list[str] = []
        if self.ids is not None:
            opts.append("ids=" + ";".join(sorted(self.ids)))
        if self.cstart is not None:
            opts.append(f"cstart={self.cstart}")
        if self.paths != DEFAULT_PATHS:
            opts.append("paths=" + ";".join(sorted(self.paths)))
        if self.pages is not None:
            opts.append("pages=" + ";".join(sorted(self.pages)))
        if self.keys is not None:
            opts.append("keys=" + ";".join(sorted(self.keys)))
        if self.after:
            opts.append(f"after={self.after}")
        if self.times is not None:
            opts.append(f"times={self.times}")
        if self.probability != 1.0:
            opts.append(f"p={self.probability!r}")
        if self.seed is not None:
            opts.append(f"seed={self.seed}")
        if self.retry_after is not None:
            opts.append(f"retry_after={self.retry_after}")
        if self.delay is not None:
            opts.append(f"delay={self.delay!r}")
        if self.fraction is not None:
            opts.append(f"fraction={self.fraction!r}")
        if self.clamp is not None:
            opts.append(f"clamp={'true' if self.clamp else 'false'}")
        if self.size is not None:
            opts.append(f"size={self.size}")
        return self.kind + (":" + ",".join(opts) if opts else "")


# --------------------------------------------------------------------------- spec parsing


def _int(value: str) -> int:
    return int(value)


def _float(value: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


def _ids(value: str) -> frozenset[str] | None:
    if value in ("*", "all"):
        return None
    return frozenset(v.strip() for v in value.split(";") if v.strip())


def _cstart(value: str) -> int | None:
    return None if value in ("*", "any") else int(value)


def _times(value: str) -> int | None:
    return None if value in ("inf", "forever") else int(value)


def _paths(value: str) -> frozenset[str]:
    return frozenset(v.strip() for v in value.split(";") if v.strip())


def _kinds(value: str) -> frozenset[str] | None:
    return None if value in ("*", "all") else _paths(value)


_OPTIONS: dict[str, tuple[str, Callable[[str], Any], str]] = {
    # spec key: (Fault field, parser, what a value looks like)
    "ids": ("ids", _ids, "scholar ids separated by ';', or '*'"),
    "cstart": ("cstart", _cstart, "an integer or 'any'"),
    "paths": ("paths", _paths, "paths separated by ';'"),
    "pages": ("pages", _kinds, "page kinds separated by ';', or '*'"),
    "keys": ("keys", _kinds, "article keys (SCHOLARID:KEY) separated by ';', or '*'"),
    "after": ("after", _int, "an integer"),
    "times": ("times", _times, "an integer or 'inf'"),
    "p": ("probability", _float, "a number between 0 and 1"),
    "probability": ("probability", _float, "a number between 0 and 1"),
    "seed": ("seed", _int, "an integer"),
    "retry_after": ("retry_after", _int, "an integer number of seconds"),
    "delay": ("delay", _float, "a number of seconds"),
    "fraction": ("fraction", _float, "a number between 0 and 1"),
    "clamp": ("clamp", _bool, "true or false"),
    "size": ("size", _int, "an integer number of bytes"),
}


def parse_fault(text: str) -> Fault:
    """A :class:`Fault` from a spec such as ``429:retry_after=30,after=5,times=2``.

    Raises ``ValueError`` naming the bad part (see the module docstring for the grammar).
    """
    spec = text.strip()
    kind, colon, rest = spec.partition(":")
    kind = kind.strip()
    if not kind:
        raise ValueError(f"fault spec {text!r}: missing kind (one of {', '.join(KINDS)})")
    if kind not in KINDS:
        raise ValueError(f"fault spec {text!r}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
    kwargs: dict[str, Any] = {}
    if colon:
        if not rest.strip():
            raise ValueError(f"fault spec {text!r}: no options after ':'")
        for part in rest.split(","):
            key, eq, value = (s.strip() for s in part.partition("="))
            if not eq or not key or not value:
                raise ValueError(f"fault spec {text!r}: option {part.strip()!r} is not key=value")
            if key not in _OPTIONS:
                raise ValueError(
                    f"fault spec {text!r}: unknown option {key!r} "
                    f"(known: {', '.join(sorted(_OPTIONS))})"
                )
            name, parse, expected = _OPTIONS[key]
            if name in kwargs:
                raise ValueError(f"fault spec {text!r}: option {key!r} given twice")
            try:
                kwargs[name] = parse(value)
            except ValueError:
                raise ValueError(
                    f"fault spec {text!r}: {key}={value!r} is not {expected}"
                ) from None
    try:
        return Fault(kind, **kwargs)
    except ValueError as exc:
        raise ValueError(f"fault spec {text!r}: {exc}") from None


# --------------------------------------------------------------------------- random mix


class RandomFaults:
    """A fault hook answering each request in ``paths`` with a random fault.

    Each request is faulted independently with ``probability``; the kind is drawn
    from ``kinds``; at most ``max_total`` faults in all (None: no limit). One
    seeded ``random.Random`` under a lock makes a run repeatable for the same
    sequence of requests. ``injected`` lists ``(kind, target)`` in order.
    """

    def __init__(
        self,
        seed: int,
        probability: float,
        kinds: Sequence[str] = RANDOM_KINDS,
        max_total: int | None = None,
        *,
        paths: Collection[str] = DEFAULT_PATHS,
        delay: float = DEFAULT_DELAY,
    ) -> None:
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be between 0 and 1, not {probability}")
        if not kinds:
            raise ValueError("kinds is empty")
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown} (known: {', '.join(KINDS)})")
        if max_total is not None and max_total < 0:
            raise ValueError(f"max_total must be >= 0, not {max_total}")
        self.seed = seed
        self.probability = probability
        self.kinds = tuple(kinds)
        self.max_total = max_total
        self.paths = _frozen(paths, "paths") or DEFAULT_PATHS
        self.delay = delay
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._injected: list[tuple[str, str]] = []

    def __call__(self, request: ReplayRequest) -> ReplayResponse | None:
        if request.path not in self.paths:
            return None
        with self._lock:
            if self.max_total is not None and len(self._injected) >= self.max_total:
                return None
            if self._rng.random() >= self.probability:
                return None
            kind = self._rng.choice(self.kinds)
            self._injected.append((kind, request.target))
        logger.debug("replay: random fault %s on %s", kind, request.target)
        return build_response(kind, request, delay=self.delay)

    @property
    def injected(self) -> list[tuple[str, str]]:
        """A copy of the faults injected so far: ``(kind, target)``, oldest first."""
        with self._lock:
            return list(self._injected)

    @property
    def fired(self) -> int:
        """How many faults were injected."""
        with self._lock:
            return len(self._injected)


def random_faults(
    seed: int,
    probability: float,
    kinds: Sequence[str] = RANDOM_KINDS,
    max_total: int | None = None,
) -> RandomFaults:
    """A seeded random fault mix for soak tests (all kinds but ``slow`` by default)."""
    return RandomFaults(seed, probability, kinds, max_total)
