"""Pure readers of open-access landing pages: where is the article's PDF?

A landing page is the publisher's or repository's HTML page for one article (a Highwire/Drupal
journal, OJS, DSpace, EPrints, a big publisher's platform). Every function here takes the page
as ``str``, ``bytes`` (decoded as its ``<meta charset>`` says, else UTF-8, with replacement) or
an already built :class:`parsel.Selector`, and never raises on broken input: junk gives ``[]``,
``None`` or ``False``.

:func:`find_pdf_candidates` scores every link that claims to be a PDF:

``citation_pdf_url`` (1.0)
    ``<meta name="citation_pdf_url">`` (Google Scholar's inclusion tags; also
    ``bepress_citation_pdf_url`` 1.0, ``wkhealth_pdf_url`` 0.95 and EPrints'
    ``eprints.document_url`` 0.95 when the URL says PDF, else 0.6: EPrints lists every document
    of a record, Word files and supplements included).
``link_alternate`` (0.9)
    ``<link rel="alternate" type="application/pdf" href>``.
``anchor`` (at most 0.85)
    ``<a href>`` with at least one signal, combined as a noisy-OR
    (``1 - Π(1 - w)``): the URL path ends in ``.pdf`` (0.6), has a ``pdf`` path segment
    (``/doi/pdf/…``, ``/article/1/pdf``) or ``pdf`` in its query (0.5); ``type="application/pdf"``
    (0.6); a ``download="….pdf"`` attribute (0.5); a short label (text, ``title``,
    ``aria-label``, image ``alt``) saying "PDF" (0.6; 0.4 in a long label); "Download" /
    "Full text" / "View/Open" without "PDF" (0.2, never enough alone); a class or id token with
    ``pdf`` (0.4; OJS's ``a.obj_galley_link.pdf`` 0.7, its ``/article/view/A/G`` viewer URL
    rewritten to the file itself, ``/article/download/A/G``).

Penalties multiply every kind's score: supplementary material or another decoy (appendix,
dataset, poster, slides, cover, reviewer reports, terms and licences, ...) named in the label
(×0.3) or in the URL (×0.35, e.g. Springer ``_ESM.pdf``, Elsevier ``mmc1.pdf``, PLOS
``.s001.pdf``, Highwire/ACS ``/suppl/``); an anchor inside a supplementary section (×0.4, by
its containers' id/class or its section heading), inside a reference list or a
related/recommended-articles box (×0.25, links to *other* articles), or in the site's header
or footer (×0.5). Candidates come best first, one per URL (the best-scored kind kept);
:func:`pick_pdf` takes the first scoring at least ``min_score`` (0.5: an unlabelled ``.pdf``
link passes, a class name alone does not).

:func:`needs_scripts` tells a JavaScript shell (an empty single-page-app root, almost no text,
a script writing the PDF link) from a static page; :func:`is_challenge` tells a bot-check
interstitial (Cloudflare, captcha, "Access denied") from the article. Callers test
:func:`is_challenge` first: a challenge page usually needs scripts as well.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from lxml import etree
from parsel import Selector
from w3lib.encoding import html_to_unicode

logger = logging.getLogger(__name__)

__all__ = [
    "KIND_ANCHOR",
    "KIND_CITATION_PDF_URL",
    "KIND_LINK_ALTERNATE",
    "PdfCandidate",
    "find_pdf_candidates",
    "is_challenge",
    "needs_scripts",
    "pick_pdf",
]

KIND_CITATION_PDF_URL: Final = "citation_pdf_url"
KIND_LINK_ALTERNATE: Final = "link_alternate"
KIND_ANCHOR: Final = "anchor"

# Ties are broken by kind, then by document order.
_KIND_RANK: Final = {KIND_CITATION_PDF_URL: 0, KIND_LINK_ALTERNATE: 1, KIND_ANCHOR: 2}

_META_SCORES: Final = {
    "citation_pdf_url": 1.0,
    "bepress_citation_pdf_url": 1.0,
    "wkhealth_pdf_url": 0.95,
}
_EPRINTS_DOCUMENT_URL: Final = "eprints.document_url"
_LINK_ALTERNATE_SCORE: Final = 0.9
# An anchor is only a hint: the page's own declarations (meta, link) come first.
_ANCHOR_MAX: Final = 0.85

_W_PATH_PDF_EXT: Final = 0.6
_W_PATH_PDF_SEGMENT: Final = 0.5
_W_TYPE_PDF: Final = 0.6
_W_DOWNLOAD_ATTR: Final = 0.5
_W_LABEL_PDF: Final = 0.6
_W_LABEL_PDF_LONG: Final = 0.4
_W_LABEL_WEAK: Final = 0.2
_W_CLASS_PDF: Final = 0.4
_W_OJS_GALLEY: Final = 0.7

_P_LABEL_DECOY: Final = 0.3
_P_URL_DECOY: Final = 0.35
_P_META_URL_DECOY: Final = 0.5
_P_SUPPLEMENT_SECTION: Final = 0.4
_P_OTHER_ARTICLES: Final = 0.25
_P_SITE_CHROME: Final = 0.5

_SHORT_LABEL: Final = 40
_MAX_LABEL: Final = 300
_MAX_URL: Final = 8192
# Files that are certainly not the PDF, whatever their link says.
_NOT_PDF_EXT_RE: Final = re.compile(
    r"\.(?:docx?|odt|rtf|txt|xlsx?|ods|csv|pptx?|odp|zip|gz|tgz|tar|rar|7z|bz2|xz|epub|mobi"
    r"|mp[34]|avi|mov|wav|png|jpe?g|gif|tiff?|svg|webp|xml|ris|bib|enw|nbib|json)$"
)

# lxml is untyped here: elements are plain ``Any`` to mypy.
_Element = Any

# --------------------------------------------------------------------------------------------
# patterns

_SCHEME_RE: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# Browsers drop ASCII tabs and newlines anywhere in a URL.
_URL_STRIP_RE: Final = re.compile(r"[\t\n\r]")
_PDF_WORD_RE: Final = re.compile(r"(?<![a-z0-9])pdf(?![a-z])", re.IGNORECASE)
# In a lower-cased URL path or query: "/pdf/", "/article/1/pdf", "/pdfft?", "/doi/pdfplus/",
# "getPDF.php", "download_pdf".
_URL_PDF_RE: Final = re.compile(
    r"(?<![a-z0-9])(?:get|view|show|open|download|full)?[-_]?pdf(?:ft|direct|plus)?(?![a-z])"
)
_SIZE_RE: Final = re.compile(r"\(?\s*\d+(?:[.,]\d+)?\s*[kmg]i?b\s*\)?", re.IGNORECASE)
_LABEL_WEAK_RE: Final = re.compile(
    r"\b(download|full[\s-]?text|view\s*/\s*open|open access|read (?:the )?article)\b",
    re.IGNORECASE,
)
_LABEL_DECOY_RE: Final = re.compile(
    r"\b(supplementa\w*|supplements?|suppl\b|supporting (?:information|info|material|data)"
    r"|additional (?:files?|material)|electronic supplementary|appendi\w*|data\s?sets?"
    r"|source data|extended data|posters?|slides?|slide deck|presentation|cover"
    r"|reviewers?|peer[\s-]review|review (?:history|report|file)s?|referee report"
    r"|terms|conditions|licen[cs]es?|copyright|permissions?|privacy|policy|guidelines"
    r"|instructions|erratum|errata|corrigendum|table of contents|front matter|back matter"
    r"|masthead|flyer|brochure|catalogue?|abstract only|for authors|help)\b",
    re.IGNORECASE,
)
# "SI" only in capitals: lower-case "si" is a word in several languages.
_LABEL_SI_RE: Final = re.compile(r"(?<![A-Za-z])SI(?![A-Za-z])")
_URL_TOKEN_RE: Final = re.compile(r"[a-z0-9]+")
_URL_SUPPLEMENT_TOKENS: Final = frozenset(
    [
        "supp",
        "suppl",
        "supplement",
        "supplements",
        "supplementary",
        "supplemental",
        "suppinfo",
        "suppdata",
        "supporting",
        "esm",
    ]
)
_FILENAME_DECOY_TOKENS: Final = frozenset(
    [
        "si",
        "appendix",
        "appendices",
        "dataset",
        "datasets",
        "poster",
        "slides",
        "cover",
        "coverletter",
        "license",
        "licence",
        "terms",
        "reviewer",
        "reviewers",
        "erratum",
        "toc",
        "instructions",
        "guidelines",
        "template",
        "policy",
    ]
)
# Springer "MOESM1", Elsevier "mmc1", PLOS "s001", Wiley "sup-0001".
_FILENAME_DECOY_TOKEN_RE: Final = re.compile(r"moesm\d*|mmc\d+|s\d{3}|sup\d*|suppl?\d+")
_SUPPLEMENT_CONTAINER_RE: Final = re.compile(
    r"(?<![a-z])(suppl\w*|supp|supp[-_]?(?:info|mat\w*|data)|supplementa\w*"
    r"|supporting[-_]?(?:info\w*|material\w*)|esm|appendi\w*)(?![a-z])"
)
_OTHER_ARTICLES_CONTAINER_RE: Final = re.compile(
    r"(?<![a-z])(references?|refs?|ref[-_]?list|reflist|bibliograph\w*|cit[-_]?list"
    r"|citation[-_]?list|cited[-_]?by|citedby|related\w*|recommend\w*|similar\w*"
    r"|more[-_]?like[-_]?this|also[-_]?read|most[-_]?(?:read|viewed|cited|popular)|trending)"
    r"(?![a-z])"
)
_SUPPLEMENT_HEADING_RE: Final = re.compile(
    r"^\W*(?:(?:online|electronic|additional|other)\s+)?(?:supplementa\w*|supplements?\b"
    r"|supporting (?:information|material|data)|additional (?:files?|information|material)"
    r"|appendi\w*|data availability|extended data|source data)",
    re.IGNORECASE,
)
_OTHER_ARTICLES_HEADING_RE: Final = re.compile(
    r"^(?:references?|bibliography|literature cited|works cited|notes and references"
    r"|cited by|citing articles|related\b|similar articles|recommended"
    r"|more (?:like this|articles)|you may also|people also read|most (?:read|viewed|cited))",
    re.IGNORECASE,
)
_MAX_HEADING: Final = 80
_OJS_VIEW_RE: Final = re.compile(r"^(.*/article/)view(/[^/]+/[^/]+)/?$")

# Not h1: that is the article's own title, whatever it says.
_HEADINGS: Final = frozenset({"h2", "h3", "h4", "h5", "h6"})
# Headings outside these do not title what is inside them (HTML sectioning and landmarks).
_SECTIONING: Final = frozenset({"section", "article", "aside", "nav", "main", "body"})
_HEADING_LEVELS: Final = 4

# ---- needs_scripts

_NOT_VISIBLE: Final = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "svg", "iframe", "object"}
)
_SPA_ROOT_IDS: Final = frozenset(
    {"root", "app", "__next", "__nuxt", "___gatsby", "app-root", "main-app", "svelte", "q-app"}
)
_SPA_ROOT_TAGS: Final = frozenset({"app-root"})
_SHELL_TEXT: Final = 200
_WRITE_NEAR: Final = 300
_THIN_TEXT: Final = 1500
_NOSCRIPT_JS_RE: Final = re.compile(
    r"enable\s+javascript|javascript\s+(?:is\s+)?(?:required|disabled|must be enabled|needs)"
    r"|(?:requires?|need|needs)\s+javascript|turn on javascript|javascript to (?:run|view|use)",
    re.IGNORECASE,
)
# A script that adds links or markup to the page (reading ``a.href`` is not writing it);
# it counts when "pdf" is written near it.
_WRITES_LINK_RE: Final = re.compile(
    r"createElement\(\s*['\"]a['\"]\s*\)|\.(?:inner|outer)HTML\s*\+?=(?!=)|insertAdjacentHTML\("
    r"|document\.write(?:ln)?\(|\.href\s*=(?!=)|setAttribute\(\s*['\"]href['\"]"
    r"|\.(?:append|prepend|html|after|before)\(\s*['\"`]\s*<a[\s>]|location\.(?:assign|replace)\(",
)

# ---- is_challenge

_BLOCKING_STATUSES: Final = frozenset({401, 403, 429, 503})
_CHALLENGE_TITLE_RE: Final = re.compile(
    r"just a moment|attention required!? \| cloudflare|please wait\.* \| cloudflare"
    r"|checking your browser|ddos-guard|one moment,? please|security check required",
    re.IGNORECASE,
)
_CHALLENGE_TEXT_RE: Final = re.compile(
    r"checking (?:your browser|if the site connection is secure)"
    r"|verify(?:ing)? you are (?:a )?human|enable javascript and cookies to continue"
    r"|ddos protection by|press (?:&|and) hold|please complete the security check"
    r"|incapsula incident id|needs to review the security of your connection",
    re.IGNORECASE,
)
_CHALLENGE_IDS: Final = frozenset(
    [
        "cf-challenge",
        "challenge-form",
        "challenge-running",
        "challenge-stage",
        "challenge-body-text",
        "challenge-error-text",
        "cf-browser-verification",
        "cf-please-wait",
        "cf-error-details",
        "px-captcha",
        "sec-if-cpt",
        "trk_jschal_js",
    ]
)
_CHALLENGE_URL_RE: Final = re.compile(
    r"/cdn-cgi/challenge-platform/h/|__cf_chl_|captcha-delivery\.com|_incapsula_resource"
    r"|/cdn-cgi/l/chk_",
    re.IGNORECASE,
)
_CHALLENGE_SCRIPT_RE: Final = re.compile(r"_cf_chl_opt|cf_chl_|/cdn-cgi/challenge-platform/h/")
_WEAK_TITLE_RE: Final = re.compile(
    r"access denied|forbidden|\b40[13]\b|\b429\b|too many requests|captcha|are you a robot"
    r"|human verification|security check|request (?:rejected|blocked|unsuccessful)|blocked"
    r"|bot (?:check|detection)|verify",
    re.IGNORECASE,
)
_WEAK_TEXT_RE: Final = re.compile(
    r"access denied|you (?:don't|do not) have permission to access|are you a robot"
    r"|unusual traffic|too many requests|request (?:rejected|blocked|unsuccessful)"
    r"|you have been blocked|complete the captcha|solve (?:the|this) captcha|not a robot"
    r"|automated (?:access|requests|queries)",
    re.IGNORECASE,
)
_WEAK_URL_RE: Final = re.compile(
    r"/cdn-cgi/challenge-platform/|google\.com/recaptcha|recaptcha\.net|hcaptcha\.com"
    r"|challenges\.cloudflare\.com",
    re.IGNORECASE,
)
_CAPTCHA_CLASSES: Final = frozenset({"g-recaptcha", "h-captcha", "cf-turnstile"})
_ARTICLE_META: Final = frozenset(
    {"citation_title", "citation_doi", "dc.title", "dc.identifier", "prism.doi", "eprints.title"}
)
_TEXT_SAMPLE: Final = 3000


# --------------------------------------------------------------------------------------------
# public API


@dataclass(frozen=True, slots=True)
class PdfCandidate:
    """One link that claims to lead to the article's PDF."""

    url: str
    """Absolute http(s) URL, fragment removed."""
    kind: str
    """``citation_pdf_url`` | ``link_alternate`` | ``anchor``."""
    score: float
    """Higher is better, in [0, 1] (see the module docstring)."""
    text: str | None
    """The anchor's label (text, else title/aria-label/image alt), whitespace-collapsed;
    a ``<link>``'s title; None for meta tags."""


def parse_page(html: str | bytes) -> Selector | None:
    """One parse of a page, to hand to the readers below in place of its text (None:
    nothing readable, which they treat as they treat the unreadable text)."""
    root = _root_of(html)
    return None if root is None else Selector(root=root, type="html")


def find_pdf_candidates(html: str | bytes | Selector | None, base_url: str) -> list[PdfCandidate]:
    """Best first, de-duplicated by URL (keeping the best-scored kind)."""
    root = _root_of(html)
    if root is None:
        return []
    base = _document_base(root, base_url)
    page_url = _absolute(base_url, base_url) if base_url else None
    found: list[PdfCandidate] = []
    found.extend(_meta_candidates(root, base))
    found.extend(_link_candidates(root, base))
    found.extend(_anchor_candidates(root, base, page_url))
    best: dict[str, tuple[int, PdfCandidate]] = {}
    for order, cand in enumerate(found):
        kept = best.get(cand.url)
        if kept is None or _rank(cand, order) < _rank(kept[1], kept[0]):
            best[cand.url] = (order, cand)
    ranked = sorted(best.values(), key=lambda item: _rank(item[1], item[0]))
    return [cand for _, cand in ranked]


def pick_pdf(candidates: Sequence[PdfCandidate], min_score: float = 0.5) -> PdfCandidate | None:
    """The best candidate scoring at least ``min_score`` (ties: kind, then list order)."""
    eligible = [(_rank(c, i), c) for i, c in enumerate(candidates) if c.score >= min_score]
    if not eligible:
        return None
    return min(eligible, key=lambda item: item[0])[1]


def needs_scripts(html: str | bytes | Selector | None) -> bool:
    """True when the page is a shell that builds its content with JavaScript: no candidate
    can be expected in the raw HTML.

    That is: an inline script writes a PDF link (``createElement('a')``, ``innerHTML``,
    ``document.write``, ``.href =`` ... with "pdf" in it); or the page runs scripts and shows
    almost no text (under 200 characters outside scripts, styles and ``<noscript>``); or it
    shows little text (under 1500) beside an empty single-page-app root (``#root``, ``#app``,
    ``#__next``, ``<app-root>``, ...) or a ``<noscript>`` asking to enable JavaScript. A static
    page with real article text is False whatever analytics scripts it carries.
    """
    root = _root_of(html)
    if root is None:
        return False
    try:
        return _needs_scripts(root)
    except (ValueError, TypeError, etree.LxmlError):  # pragma: no cover - defensive
        logger.debug("needs_scripts: unreadable page", exc_info=True)
        return False


def is_challenge(html: str | bytes | Selector | None, status: int = 200) -> bool:
    """A bot-check interstitial, not the article.

    Strong signs decide alone: Cloudflare's "Just a moment..." / "Attention Required!" titles,
    its challenge ids (``cf-challenge``, ``challenge-form``, ...), ``_cf_chl_opt`` scripts and
    ``/cdn-cgi/challenge-platform/h/`` URLs, "Checking your browser", "Verify you are human",
    DataDome, Incapsula and PerimeterX markers. Weak signs ("Access denied", "Too many
    requests", a reCAPTCHA/hCaptcha/Turnstile widget, Cloudflare's passive
    ``challenge-platform`` script that normal pages carry too) count on a short page without
    article metadata (``citation_title``, ``dc.title``, ``og:type=article``, ...), and with a
    blocking status (401, 403, 429, 503) on any page but a full article.
    """
    root = _root_of(html)
    if root is None:
        return False
    try:
        return _is_challenge(root, status)
    except (ValueError, TypeError, etree.LxmlError):  # pragma: no cover - defensive
        logger.debug("is_challenge: unreadable page", exc_info=True)
        return False


# --------------------------------------------------------------------------------------------
# parsing and URLs


def _root_of(html: str | bytes | Selector | None) -> _Element | None:
    """The lxml root of an HTML document, or None for anything unusable."""
    try:
        if isinstance(html, Selector):
            root = html.root
        else:
            if isinstance(html, bytes | bytearray):
                _, text = html_to_unicode(None, bytes(html))
            elif isinstance(html, str):
                text = html
            else:
                return None
            if not text.strip():
                return None
            try:
                root = Selector(text=text, type="html").root
            except UnicodeError:
                # Lone surrogates in a str cannot be encoded for lxml: drop them.
                clean = text.encode("utf-8", "replace").decode("utf-8")
                root = Selector(text=clean, type="html").root
    except (ValueError, TypeError, LookupError, etree.LxmlError):
        logger.debug("unreadable landing page", exc_info=True)
        return None
    if not isinstance(root, etree._Element) or not isinstance(root.tag, str):
        return None
    return root


def _absolute(raw: str | None, base: str) -> str | None:
    """``raw`` resolved against ``base``: an absolute http(s) URL without fragment, or None."""
    if not raw or len(raw) > _MAX_URL:
        return None
    href = _URL_STRIP_RE.sub("", raw).strip()
    if not href or href.startswith("#"):
        return None
    scheme = _SCHEME_RE.match(href)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return None  # javascript:, mailto:, data:, ftp:, tel:, blob:, ...
    try:
        url, _ = urldefrag(urljoin(base, href))
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _document_base(root: _Element, base_url: str) -> str:
    """``base_url``, or the first ``<base href>`` resolved against it when that is http(s)."""
    for base in root.iter("base"):
        href = base.get("href")
        if href is None:
            continue
        resolved = _absolute(href, base_url)
        return resolved if resolved is not None else base_url
    return base_url


def _rank(cand: PdfCandidate, order: int) -> tuple[float, int, int]:
    return (-cand.score, _KIND_RANK.get(cand.kind, len(_KIND_RANK)), order)


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _text(el: _Element, limit: int = _MAX_LABEL) -> str:
    """Collapsed text content of ``el``, at most ``limit`` characters (an unclosed ``<a>``
    can swallow the rest of the page)."""
    parts: list[str] = []
    size = 0
    for piece in el.itertext():
        parts.append(piece)
        size += len(piece)
        if size > limit * 4:
            break
    return _clean("".join(parts))[:limit]


def _attr_text(el: _Element, name: str) -> str:
    value = el.get(name)
    return _clean(value)[:_MAX_LABEL] if isinstance(value, str) else ""


def _id_class(el: _Element) -> str:
    return f"{el.get('id') or ''} {el.get('class') or ''}".lower()


# --------------------------------------------------------------------------------------------
# candidates


def _meta_candidates(root: _Element, base: str) -> Iterator[PdfCandidate]:
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        if name not in _META_SCORES and name != _EPRINTS_DOCUMENT_URL:
            continue
        url = _absolute(meta.get("content"), base)
        if url is None:
            continue
        path = _path_of(url)
        if _NOT_PDF_EXT_RE.search(path):
            continue
        if name == _EPRINTS_DOCUMENT_URL:
            score = 0.95 if _url_pdf_weight(url, path) > 0 else 0.6
        else:
            score = _META_SCORES[name]
        if _url_is_decoy(path):
            score *= _P_META_URL_DECOY
        yield PdfCandidate(url, KIND_CITATION_PDF_URL, round(score, 3), None)


def _link_candidates(root: _Element, base: str) -> Iterator[PdfCandidate]:
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        mime = (link.get("type") or "").strip().lower()
        if "alternate" not in rel or not mime.startswith("application/pdf"):
            continue
        url = _absolute(link.get("href"), base)
        if url is None:
            continue
        path = _path_of(url)
        if _NOT_PDF_EXT_RE.search(path):
            continue
        score = _LINK_ALTERNATE_SCORE
        if _url_is_decoy(path):
            score *= _P_META_URL_DECOY
        title = _attr_text(link, "title") or None
        yield PdfCandidate(url, KIND_LINK_ALTERNATE, round(score, 3), title)


def _anchor_candidates(root: _Element, base: str, page_url: str | None) -> Iterator[PdfCandidate]:
    for anchor in root.iter("a"):
        url = _absolute(anchor.get("href"), base)
        if url is None or url == page_url:
            continue
        scored = _score_anchor(anchor, url)
        if scored is not None:
            yield scored


def _score_anchor(anchor: _Element, url: str) -> PdfCandidate | None:
    classes = (anchor.get("class") or "").lower().split()
    ojs_galley = "obj_galley_link" in classes and "pdf" in classes
    if ojs_galley:
        # OJS links its galley to a viewer page (/article/view/A/G) that frames the file
        # served at /article/download/A/G.
        url = _OJS_VIEW_RE.sub(r"\1download\2", url)
    path = _path_of(url)
    if _NOT_PDF_EXT_RE.search(path):
        return None
    text = _text(anchor)
    extra = [
        _attr_text(anchor, "title"),
        _attr_text(anchor, "aria-label"),
        *(_attr_text(img, "alt") for img in anchor.iter("img")),
    ]
    parts = [part for part in (text, *extra) if part]
    label = " ".join(parts)[:_MAX_LABEL]

    weights: list[float] = []
    if (url_weight := _url_pdf_weight(url, path)) > 0:
        weights.append(url_weight)
    if (anchor.get("type") or "").strip().lower().startswith("application/pdf"):
        weights.append(_W_TYPE_PDF)
    download = anchor.get("download")
    if isinstance(download, str) and _PDF_WORD_RE.search(download):
        weights.append(_W_DOWNLOAD_ATTR)
    saying_pdf = [part for part in parts if _PDF_WORD_RE.search(part)]
    if saying_pdf:
        short = any(len(_SIZE_RE.sub("", part).strip()) <= _SHORT_LABEL for part in saying_pdf)
        weights.append(_W_LABEL_PDF if short else _W_LABEL_PDF_LONG)
    elif _LABEL_WEAK_RE.search(label):
        weights.append(_W_LABEL_WEAK)
    if ojs_galley:
        weights.append(_W_OJS_GALLEY)
    elif any("pdf" in token and "epdf" not in token for token in _id_class(anchor).split()):
        # "epdf" is Wiley's HTML reader, not a file.
        weights.append(_W_CLASS_PDF)
    if not weights or weights == [_W_LABEL_WEAK]:
        return None  # no signal, or only "Download": not a PDF link

    miss = 1.0
    for weight in weights:
        miss *= 1.0 - weight
    score = min(1.0 - miss, _ANCHOR_MAX)
    if _LABEL_DECOY_RE.search(label) or _LABEL_SI_RE.search(label):
        score *= _P_LABEL_DECOY
    if _url_is_decoy(path):
        score *= _P_URL_DECOY
    score *= _context_penalty(anchor)
    return PdfCandidate(url, KIND_ANCHOR, round(score, 3), text or _first_nonempty(extra))


def _first_nonempty(values: Sequence[str]) -> str | None:
    return next((value for value in values if value), None)


def _path_of(url: str) -> str:
    try:
        return unquote(urlsplit(url).path).lower()
    except ValueError:  # pragma: no cover - _absolute already split it
        return ""


def _url_pdf_weight(url: str, path: str) -> float:
    """How strongly the URL itself says PDF: extension, path segment, query."""
    if path.endswith(".pdf"):
        return _W_PATH_PDF_EXT
    if _URL_PDF_RE.search(path):
        return _W_PATH_PDF_SEGMENT
    try:
        query = unquote(urlsplit(url).query)
    except ValueError:  # pragma: no cover - _absolute already split it
        return 0.0
    if _URL_PDF_RE.search(query.lower()):
        return _W_PATH_PDF_SEGMENT
    return 0.0


def _url_is_decoy(path: str) -> bool:
    """Supplementary material anywhere in the path, or a decoy file name."""
    tokens = _URL_TOKEN_RE.findall(path)
    if any(token in _URL_SUPPLEMENT_TOKENS for token in tokens):
        return True
    filename = path.rsplit("/", 1)[-1]
    for token in _URL_TOKEN_RE.findall(filename):
        if token in _FILENAME_DECOY_TOKENS or _FILENAME_DECOY_TOKEN_RE.fullmatch(token):
            return True
    return False


def _context_penalty(anchor: _Element) -> float:
    """Penalties for where the anchor sits: supplements, other articles, the site's header
    and footer (author guidelines, policies)."""
    supplement = other_articles = footer = header = in_article = False
    for ancestor in anchor.iterancestors():
        tag = ancestor.tag if isinstance(ancestor.tag, str) else ""
        if tag in ("body", "html"):
            break  # CMS body classes describe the whole page (Drupal: path, node type, ...)
        role = (ancestor.get("role") or "").strip().lower()
        footer = footer or tag == "footer" or role == "contentinfo"
        header = header or tag == "header" or role == "banner"
        in_article = in_article or tag in ("article", "main") or role == "main"
        marks = _id_class(ancestor)
        if marks.strip():
            supplement = supplement or bool(_SUPPLEMENT_CONTAINER_RE.search(marks))
            other_articles = other_articles or bool(_OTHER_ARTICLES_CONTAINER_RE.search(marks))
    heading = _section_heading(anchor)
    if heading:
        supplement = supplement or bool(_SUPPLEMENT_HEADING_RE.search(heading))
        other_articles = other_articles or bool(_OTHER_ARTICLES_HEADING_RE.search(heading))
    penalty = 1.0
    if supplement:
        penalty *= _P_SUPPLEMENT_SECTION
    if other_articles:
        penalty *= _P_OTHER_ARTICLES
    # An <article>'s own <header> holds its title and tools, not the site's menu.
    if footer or (header and not in_article):
        penalty *= _P_SITE_CHROME
    return penalty


def _section_heading(anchor: _Element) -> str:
    """The heading of the section holding ``anchor``: the nearest heading before it among
    the earlier siblings (or their children) of its first few ancestors, not looking past a
    sectioning element (a sidebar after the references is not part of them)."""
    node = anchor
    for _ in range(_HEADING_LEVELS):
        parent = node.getparent()
        if parent is None:
            return ""
        for sibling in node.itersiblings(preceding=True):
            tag = sibling.tag if isinstance(sibling.tag, str) else ""
            if tag in _HEADINGS:
                return _heading_text(sibling)
            headings = [child for child in sibling if child.tag in _HEADINGS]
            if headings:
                return _heading_text(headings[-1])
        if parent.tag in _SECTIONING:
            return ""
        node = parent
    return ""


def _heading_text(heading: _Element) -> str:
    text = _text(heading, _MAX_HEADING + 1)
    return text if len(text) <= _MAX_HEADING else ""


# --------------------------------------------------------------------------------------------
# needs_scripts


def _is_code(script: _Element) -> bool:
    kind = (script.get("type") or "").strip().lower()
    return not kind or any(word in kind for word in ("javascript", "ecmascript", "module", "jsx"))


def _needs_scripts(root: _Element) -> bool:
    scripts = [s for s in root.iter("script") if _is_code(s)]
    if not scripts:
        return False
    for script in scripts:
        code = script.text or ""
        for write in _WRITES_LINK_RE.finditer(code):
            start, end = write.start() - _WRITE_NEAR, write.end() + _WRITE_NEAR
            if _PDF_WORD_RE.search(code, max(start, 0), end):
                return True
    shown = _visible_text_length(root, _THIN_TEXT)
    if shown < _SHELL_TEXT:
        return True
    return shown < _THIN_TEXT and (_has_empty_app_root(root) or _noscript_asks_for_js(root))


def _body_of(root: _Element) -> _Element:
    body = next(root.iter("body"), None)
    return body if body is not None else root


def _visible_pieces(root: _Element) -> Iterator[str]:
    """The text a reader sees without scripts, piece by piece in document order."""
    stack: list[Any] = [_body_of(root)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
            continue
        tag = item.tag
        if (
            not isinstance(tag, str)
            or tag.lower() in _NOT_VISIBLE
            or item.get("hidden") is not None
        ):
            continue
        if item.text:
            yield item.text
        # A child's tail comes after the child's own subtree: push it underneath.
        for child in reversed(item):
            if child.tail:
                stack.append(child.tail)
            stack.append(child)


def _visible_text_length(root: _Element, limit: int) -> int:
    """Characters of visible text (whitespace collapsed), counted up to ``limit``."""
    total = 0
    for piece in _visible_pieces(root):
        total += len(_clean(piece))
        if total >= limit:
            break
    return total


def _visible_sample(root: _Element, limit: int) -> str:
    """The first ``limit`` characters of the visible text, whitespace-collapsed."""
    parts: list[str] = []
    size = 0
    for piece in _visible_pieces(root):
        parts.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return _clean(" ".join(parts))[:limit]


def _has_empty_app_root(root: _Element) -> bool:
    """An element a front-end framework mounts into, still (almost) empty."""
    for el in _body_of(root).iter(etree.Element):
        el_id = (el.get("id") or "").strip().lower()
        mount = el.tag in _SPA_ROOT_TAGS or el_id in _SPA_ROOT_IDS or el.get("ng-app") is not None
        if mount and len(_text(el, 100)) < 40:
            return True
    return False


def _noscript_asks_for_js(root: _Element) -> bool:
    return any(_NOSCRIPT_JS_RE.search(_text(ns, 500)) for ns in root.iter("noscript"))


# --------------------------------------------------------------------------------------------
# is_challenge


def _is_challenge(root: _Element, status: int) -> bool:
    title = " ".join(_text(t, 200) for t in root.iter("title"))
    if _CHALLENGE_TITLE_RE.search(title):
        return True
    weak = bool(_WEAK_TITLE_RE.search(title))
    for el in root.iter(etree.Element):
        if (el.get("id") or "").strip().lower() in _CHALLENGE_IDS:
            return True
        classes = set((el.get("class") or "").lower().split())
        if classes & _CHALLENGE_IDS:
            return True
        for attr in ("src", "action", "href", "data-sitekey"):
            value = el.get(attr)
            if not value or len(value) > _MAX_URL:
                continue
            if _CHALLENGE_URL_RE.search(value):
                return True
            weak = weak or bool(_WEAK_URL_RE.search(value))
        if el.tag == "script" and el.text and _CHALLENGE_SCRIPT_RE.search(el.text):
            return True
        weak = weak or bool(classes & _CAPTCHA_CLASSES)
    sample = _visible_sample(root, _TEXT_SAMPLE)
    if _CHALLENGE_TEXT_RE.search(sample):
        return True
    weak = weak or bool(_WEAK_TEXT_RE.search(sample))
    if not weak:
        return False
    thin = len(sample) < _THIN_TEXT
    if status in _BLOCKING_STATUSES:
        # An article page that happens to carry a captcha widget is still the article.
        return thin or not _looks_like_article(root)
    return thin and not _looks_like_article(root)


def _looks_like_article(root: _Element) -> bool:
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        if name in _ARTICLE_META:
            return True
        if name == "og:type" and (meta.get("content") or "").strip().lower() == "article":
            return True
    return False
