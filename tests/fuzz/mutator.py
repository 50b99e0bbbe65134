"""A seeded mutator of HTML pages, for the parser fuzz tests.

:class:`HtmlMutator` turns one well-formed page into a broken one the way the network, a proxy,
a redesign or a hostile server would: cut short, nodes dropped, renamed, swapped or
duplicated, ids and classes renamed, numbers turned into garbage, chart geometry broken,
giant attributes and text, thousands of nesting levels, control characters, bad bytes,
wrong or unusable declared charsets, another encoding, or a body that is not HTML at all.

Everything depends on the seed only, so a failure is replayed from its seed and the list of
operations applied (:attr:`Mutant.ops`). Markup is edited as Latin-1 text, which maps every
byte to one character: the page's own bytes survive unchanged wherever no operation touched
them, whatever its encoding.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["GARBAGE_NUMBERS", "HtmlMutator", "Mutant"]

_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)\b[^<>]*>")
_ATTRIBUTE = re.compile(r"""\b(id|class|href|style|value|src|title|disabled)\s*=\s*(["'])(.*?)\2""")
_NAMED = re.compile(r"""\b(?:id|class)\s*=\s*["']([^"']*)["']""")
_DIGITS = re.compile(r"\d+")
_STYLE = re.compile(r"""style\s*=\s*(["'])(.*?)\1""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]*)", re.IGNORECASE)

# What a number on the page may turn into.
GARBAGE_NUMBERS: tuple[str, ...] = (
    "1,2,3",
    "∞",
    "9" * 25,
    "9" * 5000,
    "-7",
    "",
    "NaN",
    "١٢٣",  # Arabic-Indic digits
    "1e9",
    "0x1F",
    "²³",
    "1.5",
    "12 345 678",
    "2147483648",
    "0",
    "0000",
)
# Broken chart geometry (``style`` of the chart's labels and bars).
_GARBAGE_STYLES: tuple[str, ...] = (
    "right:NaNpx",
    "left:1e400px;z-index:99999999999999999999",
    "right:-5px;z-index:-1",
    "z-index:0",
    "",
    "left:" + "9" * 400 + "px",
    "right:3.5.5px;height:-9px",
    "z-index:" + "9" * 5000,
    "right:8px;z-index:1;right:8px;z-index:1",
    "display:block",
)
# Characters a hostile or broken page may carry in text.
_CONTROL = "\x00\x01\x07\x08\x0b\x0c\x0e\x1b\x1f\x7f\x85\u200b\u202e\u2028\ufeff\ufffe"
_ENTITIES = ("&#0;", "&#xD800;", "&#99999999;", "&bogus;", "&#x1b;", "&", "&amp", "&#;")
_CHARSETS = (
    "utf-8",
    "UTF-16",
    "utf-16le",
    "utf-32",
    "iso-8859-1",
    "windows-1252",
    "shift_jis",
    "gb18030",
    "utf-7",
    "rot13",
    "base64",
    "hex",
    "zlib",
    "uu",
    "idna",
    "undefined",
    "punycode",
    "unicode_escape",
    "x-no-such-charset",
    "",
)
_TRANSCODINGS = ("latin-1", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "shift_jis")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00")
_BAD_BYTES = (b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")
_CONTENT_TYPES = (
    "text/html",
    "text/html; charset=utf-8",
    "application/json",
    "application/octet-stream",
    "application/pdf",
    "text/plain",
    "image/png",
    "text/html; charset=",
    None,
)
_STATUSES = (204, 301, 302, 303, 307, 308, 400, 403, 404, 429, 500, 503, 999)
_LOCATIONS = (
    "https://scholar.google.com/sorry/index?continue=x",
    "https://accounts.google.com/v3/signin/identifier?continue=x",
    "/ServiceLogin?x",
    "http://[::1",
    "//[",
    "",
    "\u00ff\u00fe" + "x" * 10_000,
    "/citations?user=AAAAAAAAAAAA",
)
_OTHER_BODIES: tuple[bytes, ...] = (
    b"",
    b"   \n\t ",
    json.dumps({"user": "AAAAAAAAAAAA", "rows": [1, 2, 3]}).encode(),
    b'{"gsc_prf_in": "<div id=\\"gsc_prf_in\\">x</div>"}',
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(200)),
    b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry/></feed>",
    b"<html></html>",
    b"<" * 5000,
    b"<!--" + b"x" * 1000,
    b"\x00" * 4096,
)


@dataclass(slots=True)
class Mutant:
    """One mutated answer: its body, headers and status, and how it was made."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    ops: list[str] = field(default_factory=list)


class HtmlMutator:
    """Seeded mutations of HTML pages (see the module docstring).

    ``giant`` adds one MB-sized operation (an attribute or a text); they cost the most time,
    so callers ask for them on a share of the pages only.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._text_ops: list[tuple[str, Callable[[str], str]]] = [
            ("truncate", self.truncate),
            ("drop_element", self.drop_element),
            ("duplicate_element", self.duplicate_element),
            ("swap_elements", self.swap_elements),
            ("rename_tag", self.rename_tag),
            ("edit_attribute", self.edit_attribute),
            ("rename_name", self.rename_name),
            ("garbage_number", self.garbage_number),
            ("garbage_style", self.garbage_style),
            ("control_chars", self.control_chars),
            ("entities", self.entities),
            ("unclosed_markup", self.unclosed_markup),
            ("deep_nesting", self.deep_nesting),
        ]
        self._giant_ops: list[tuple[str, Callable[[str], str]]] = [
            ("giant_attribute", self.giant_attribute),
            ("giant_text", self.giant_text),
        ]

    # --- driver ---------------------------------------------------------------------------

    def mutate(self, page: bytes, *, giant: bool = False) -> Mutant:
        """One mutant of ``page``: one to four markup operations, then maybe an encoding."""
        rng = self.rng
        if rng.random() < 0.03:
            body = rng.choice(_OTHER_BODIES)
            return Mutant(body, headers=self._headers(), ops=[f"other_body:{body[:12]!r}"])
        text = page.decode("latin-1")
        ops: list[str] = []
        for _ in range(rng.randint(1, 4)):
            name, op = rng.choice(self._text_ops)
            text = op(text)
            ops.append(name)
        if giant:
            name, op = rng.choice(self._giant_ops)
            text = op(text)
            ops.append(name)
        body = text.encode("latin-1")
        headers: dict[str, str] = {"Content-Type": "text/html; charset=UTF-8"}
        if rng.random() < 0.25:
            body, headers, op_name = self._encoding(body)
            ops.append(op_name)
        if rng.random() < 0.05:
            headers = self._headers()
            ops.append(f"content_type:{headers.get('Content-Type')}")
        status = 200
        if rng.random() < 0.05:
            status = rng.choice(_STATUSES)
            if rng.random() < 0.7:
                headers["Location"] = rng.choice(_LOCATIONS)
            ops.append(f"status:{status}:{headers.get('Location', '')[:40]!r}")
        return Mutant(body, status=status, headers=headers, ops=ops)

    def _headers(self) -> dict[str, str]:
        content_type = self.rng.choice(_CONTENT_TYPES)
        return {} if content_type is None else {"Content-Type": content_type}

    # --- helpers --------------------------------------------------------------------------

    def _position(self, text: str) -> int:
        return self.rng.randrange(len(text) + 1)

    def _element(self, text: str) -> tuple[int, int] | None:
        """The span of a random element: its start tag to its matching end tag (or to the
        start tag's end for a void or unclosed one)."""
        starts = list(_START_TAG.finditer(text))
        if not starts:
            return None
        start = self.rng.choice(starts)
        tag = start.group(1).lower()
        depth = 0
        pattern = re.compile(rf"<(/?){re.escape(tag)}\b[^<>]*>", re.IGNORECASE)
        for match in pattern.finditer(text, start.start()):
            depth += -1 if match.group(1) else 1
            if depth == 0:
                return start.start(), match.end()
            if match.end() - start.start() > 400_000:
                break
        return start.start(), start.end()

    @staticmethod
    def _utf8(text: str) -> str:
        """``text`` as the Latin-1 view of its UTF-8 bytes (what the markup is edited as)."""
        return text.encode("utf-8", "surrogatepass").decode("latin-1")

    # --- markup operations ----------------------------------------------------------------

    def truncate(self, text: str) -> str:
        return text[: self._position(text)]

    def drop_element(self, text: str) -> str:
        span = self._element(text)
        return text if span is None else text[: span[0]] + text[span[1] :]

    def duplicate_element(self, text: str) -> str:
        span = self._element(text)
        if span is None:
            return text
        piece = text[span[0] : span[1]]
        at = span[1] if self.rng.random() < 0.5 else self._position(text)
        return text[:at] + piece * self.rng.choice((1, 2, 50)) + text[at:]

    def swap_elements(self, text: str) -> str:
        first, second = self._element(text), self._element(text)
        if first is None or second is None:
            return text
        a, b = sorted((first, second))
        if a[1] > b[0]:  # nested or overlapping: move the first to the end instead
            return text[: a[0]] + text[a[1] :] + text[a[0] : a[1]]
        return (
            text[: a[0]] + text[b[0] : b[1]] + text[a[1] : b[0]] + text[a[0] : a[1]] + text[b[1] :]
        )

    def rename_tag(self, text: str) -> str:
        starts = list(_START_TAG.finditer(text))
        if not starts:
            return text
        match = self.rng.choice(starts)
        new = self.rng.choice(("div", "span", "tr", "td", "table", "a", "x-gsc", "script", "p"))
        return text[: match.start(1)] + new + text[match.end(1) :]

    def edit_attribute(self, text: str) -> str:
        matches = list(_ATTRIBUTE.finditer(text))
        if not matches:
            return text
        match = self.rng.choice(matches)
        value = match.group(3)
        choice = self.rng.randrange(7)
        if choice == 0:
            return text[: match.start()] + text[match.end() :]  # attribute removed
        new = (
            "",
            value + "x",
            value[:-1],
            value.replace("gsc", "gsr").replace("gs_", "gr_"),
            f"{value} {value}",
            self._utf8("javascript:alert(1)//\x00\u202e" + value[::-1]),
        )[choice - 1]
        return text[: match.start(3)] + new + text[match.end(3) :]

    def rename_name(self, text: str) -> str:
        """Every occurrence of one id or class token renamed or removed (a redesign)."""
        names = sorted({token for m in _NAMED.finditer(text) for token in m.group(1).split()})
        if not names:
            return text
        name = self.rng.choice(names)
        new = self.rng.choice(("", name + "_v2", name.upper(), "gsc_a_e", "gs_vis"))
        return re.sub(rf"(?<=[\s\"']){re.escape(name)}(?=[\s\"'])", new, text)

    def _replace_some(
        self,
        text: str,
        pattern: re.Pattern[str],
        group: int,
        counts: tuple[int, ...],
        new: Callable[[], str],
    ) -> str:
        """A few of ``pattern``'s matches (how many: one of ``counts``) have their ``group``
        replaced by ``new()``."""
        matches = list(pattern.finditer(text))
        chosen = self.rng.sample(matches, min(len(matches), self.rng.choice(counts)))
        # replaced from the end, so that the spans not yet replaced stay valid
        for match in sorted(chosen, key=lambda m: m.start(), reverse=True):
            text = text[: match.start(group)] + new() + text[match.end(group) :]
        return text

    def garbage_number(self, text: str) -> str:
        return self._replace_some(
            text, _DIGITS, 0, (1, 3, 20), lambda: self._utf8(self.rng.choice(GARBAGE_NUMBERS))
        )

    def garbage_style(self, text: str) -> str:
        return self._replace_some(
            text, _STYLE, 2, (1, 5, 40), lambda: self.rng.choice(_GARBAGE_STYLES)
        )

    def control_chars(self, text: str) -> str:
        for _ in range(self.rng.randint(1, 20)):
            at = self._position(text)
            junk = "".join(self.rng.choice(_CONTROL) for _ in range(self.rng.randint(1, 4)))
            text = text[:at] + self._utf8(junk) + text[at:]
        return text

    def entities(self, text: str) -> str:
        for _ in range(self.rng.randint(1, 10)):
            at = self._position(text)
            text = text[:at] + self.rng.choice(_ENTITIES) + text[at:]
        return text

    def unclosed_markup(self, text: str) -> str:
        at = self._position(text)
        junk = self.rng.choice(("<!--", "<![CDATA[", "<script>", "<style>", "</html>", "<", "<a"))
        return text[:at] + junk + text[at:]

    # --- giant operations -----------------------------------------------------------------

    def giant_attribute(self, text: str) -> str:
        starts = list(_START_TAG.finditer(text))
        if not starts:
            return text
        match = self.rng.choice(starts)
        size = self.rng.choice((100_000, 1_000_000, 3_000_000))
        name = self.rng.choice(("data-x", "class", "style", "href", "id", "title"))
        value = self.rng.choice(("A", "gsc_a_at ", "9", "left:1px;")) * (size // 4)
        at = match.end() - 1
        return text[:at] + f' {name}="{value}"' + text[at:]

    def giant_text(self, text: str) -> str:
        at = self._position(text)
        piece = self.rng.choice(("word ", "9", "\u00e9".encode().decode("latin-1"), "<b>x</b>"))
        return text[:at] + piece * (self.rng.choice((200_000, 2_000_000)) // len(piece)) + text[at:]

    def deep_nesting(self, text: str) -> str:
        """Thousands of levels, anywhere or (half the time) just inside an element with an id."""
        depth = self.rng.choice((300, 1100, 2100, 5000))
        tag = self.rng.choice(("div", "span", "b", "table", "a"))
        inside = [m.end() for m in _START_TAG.finditer(text) if " id=" in m.group(0)]
        at = self.rng.choice(inside) if inside and self.rng.random() < 0.5 else self._position(text)
        close = f"</{tag}>" * depth if self.rng.random() < 0.5 else ""
        return text[:at] + f"<{tag}>" * depth + "deep" + close + text[at:]

    # --- encodings ------------------------------------------------------------------------

    def _encoding(self, body: bytes) -> tuple[bytes, dict[str, str], str]:
        rng = self.rng
        headers: dict[str, str] = {"Content-Type": "text/html"}
        choice = rng.randrange(5)
        if choice == 0:
            for _ in range(rng.randint(1, 10)):
                at = rng.randrange(len(body) + 1)
                body = body[:at] + rng.choice(_BAD_BYTES) + body[at:]
            return body, headers, "bad_bytes"
        if choice == 1:
            codec = rng.choice(_TRANSCODINGS)
            body = body.decode("utf-8", "replace").encode(codec, "replace")
            if rng.random() < 0.5:
                headers["Content-Type"] = f"text/html; charset={codec}"
            return body, headers, f"transcode:{codec}"
        if choice == 2:
            return rng.choice(_BOMS) + body, headers, "bom"
        charset = rng.choice(_CHARSETS)
        if choice == 3:
            headers["Content-Type"] = f"text/html; charset={charset}"
            return body, headers, f"header_charset:{charset}"
        text = body.decode("latin-1")
        if _CHARSET.search(text):
            text = _CHARSET.sub(f"charset={charset}", text, count=1)
        else:
            text = f'<meta charset="{charset}">' + text
        return text.encode("latin-1"), headers, f"meta_charset:{charset}"
