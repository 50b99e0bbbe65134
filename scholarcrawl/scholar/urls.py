"""Scholar URLs and scholar ids (pure)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

SCHOLAR_ID_RE = re.compile(r"^[A-Za-z0-9_-]{12}$")
# A profile row's key as stored (parser ``scholar_pub_key``): the whole ``citation_for_view``
# value, "USER:KEY" (owner's scholar id, then the article's key).
PUB_KEY_RE = re.compile(r"^(?:([A-Za-z0-9_-]{12}):)?([A-Za-z0-9_-]+)$")


def extract_scholar_id(value: str) -> str:
    """The scholar id in ``value``: a bare id, or any URL with a ``user=`` parameter.

    Returns the input stripped when it holds no ``user=`` parameter, so that the caller's
    validation names exactly what was given.
    """
    text = value.strip()
    if "user=" in text:
        query = urlsplit(text).query or text.split("?", 1)[-1]
        users = parse_qs(query).get("user")
        if users:
            return users[0].strip()
    return text


def is_valid_scholar_id(value: str) -> bool:
    """Scholar ids are exactly 12 characters of ``[A-Za-z0-9_-]``."""
    return bool(SCHOLAR_ID_RE.match(value))


#: What a Scholar id looks like, for error messages.
SCHOLAR_ID_HINT = "a Scholar id is 12 characters of A-Z a-z 0-9 _ -, or a profile URL with user="


def checked_scholar_id(value: str) -> str:
    """The scholar id in ``value`` (a bare id or a profile URL), or ValueError saying why not."""
    scholar_id = extract_scholar_id(value)
    if not is_valid_scholar_id(scholar_id):
        raise ValueError(f"{value.strip()!r} is not a Scholar id ({SCHOLAR_ID_HINT})")
    return scholar_id


def profile_url(
    base_url: str,
    scholar_id: str,
    *,
    cstart: int = 0,
    pagesize: int = 100,
    language: str = "en",
    sortby: str | None = None,
) -> str:
    """A profile page URL. ``user=`` comes first: robots.txt allows ``/citations?user=``."""
    params: list[tuple[str, str | int]] = [
        ("user", scholar_id),
        ("hl", language),
        ("pagesize", pagesize),
    ]
    if sortby:
        params.append(("sortby", sortby))
    if cstart:
        params.append(("cstart", cstart))
    return f"{base_url.rstrip('/')}/citations?{urlencode(params)}"


def detail_url(base_url: str, scholar_id: str, pub_key: str, *, language: str = "en") -> str:
    """A publication's detail page (``view_op=view_citation``), ``user=`` first for robots.txt.

    ``pub_key`` is the key as stored, the whole ``citation_for_view`` value "USER:KEY"; a bare
    "KEY" is taken as ``scholar_id``'s. ValueError for a malformed id or key (a key with ``@``
    or ``&`` would also change what robots.txt allows).
    """
    if not is_valid_scholar_id(scholar_id):
        raise ValueError(f"{scholar_id!r} is not a Scholar id ({SCHOLAR_ID_HINT})")
    match = PUB_KEY_RE.match(pub_key)
    if match is None:
        raise ValueError(
            f"{pub_key!r} is not a Scholar publication key (USER:KEY, as citation_for_view)"
        )
    owner, key = match.groups()
    params = [
        ("user", scholar_id),
        ("hl", language),
        ("view_op", "view_citation"),
        ("citation_for_view", f"{owner or scholar_id}:{key}"),
    ]
    # ":" stays literal, as in Scholar's own links.
    return f"{base_url.rstrip('/')}/citations?{urlencode(params, safe=':')}"


def colleagues_url(base_url: str, scholar_id: str, *, language: str = "en") -> str:
    """A profile's full co-author list (``view_op=list_colleagues``), ``user=`` first."""
    if not is_valid_scholar_id(scholar_id):
        raise ValueError(f"{scholar_id!r} is not a Scholar id ({SCHOLAR_ID_HINT})")
    params = [("user", scholar_id), ("hl", language), ("view_op", "list_colleagues")]
    return f"{base_url.rstrip('/')}/citations?{urlencode(params)}"
