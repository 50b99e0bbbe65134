"""The replay server's robots.txt: Scholar's own, as served in February 2026.

Key property (longest match wins): ``/citations?user=ID&hl=en&pagesize=100`` is
allowed by ``Allow: /citations?user=`` while any URL with ``cstart=`` is
disallowed by the longer ``Disallow: /citations?*cstart=``. Author search
(``view_op=search_authors``) falls under ``Disallow: /citations?``.
"""

from __future__ import annotations

__all__ = ["ROBOTS_TXT"]

ROBOTS_TXT = """\
User-agent: *
Disallow: /search
Disallow: /index.html
Disallow: /scholar
Disallow: /citations?
Allow: /citations?user=
Disallow: /citations?*cstart=
Disallow: /citations?user=*%40
Disallow: /citations?user=*@
Allow: /citations?view_op=list_classic_articles
Allow: /citations?view_op=mandates_leaderboard
Allow: /citations?view_op=metrics_intro
Allow: /citations?view_op=new_profile
Allow: /citations?view_op=sitemap
Allow: /citations?view_op=top_venues

User-agent: Twitterbot
Disallow:

User-agent: facebookexternalhit
Disallow:

User-agent: PetalBot
Disallow: /
"""
