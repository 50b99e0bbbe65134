"""Resolves each publication's DOI and arXiv id before it is stored (async item pipeline).

Settings: ``IDENTIFIERS_ENABLED``, ``IDENTIFIERS_HIGH_CONFIDENCE``,
``IDENTIFIERS_MIN_TITLE_INFORMATIVENESS``, ``MATCH_*`` (the matching policy), ``ARXIV_*``,
``CROSSREF_*``, ``API_CACHE_TTL_DAYS``, ``API_MAX_WAIT_SECONDS``,
``SCHOLARCRAWL_CONTACT_EMAIL``. API calls are Scrapy requests sent through the engine
(:class:`~scholarcrawl.apis.client.ApiClient`); rules in :mod:`scholarcrawl.resolver`.

A publication the database already holds as ``resolved`` is never queried again: its stored
identifiers travel with the item so that the store finds it by them.

A detail page (``publication_detail``) is resolved the same way, with its full author list,
and with the identifiers in its title link and [PDF]/[HTML] link as local evidence; the
stored paper it is checked against is the one the store will write it into (the profile's
row with its ``scholar_pub_key``). One whose paper is not stored is not resolved.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from scholarcrawl.apis.client import ApiClient
from scholarcrawl.apis.config import ApiConfig
from scholarcrawl.dbloss import DatabaseLoss
from scholarcrawl.matching import MatchPolicy
from scholarcrawl.resolver import (
    RESOLVED,
    IdentifierResolver,
    ResolverSettings,
    local_identifiers,
)
from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import make_engine, resolve_database_url
from scholarcrawl.store.repository import KnownPublication, Repository

logger = logging.getLogger(__name__)


class IdentifierPipeline:
    """Local ids first, then arXiv and Crossref under the shared request controls."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("IDENTIFIERS_ENABLED", True):
            raise NotConfigured("IDENTIFIERS_ENABLED is off")
        self.crawler = crawler
        self.loss = DatabaseLoss.of(crawler)
        self.config = ApiConfig.from_settings(settings)
        self.policy = MatchPolicy.from_settings(settings)
        self.settings = ResolverSettings(
            high_confidence=settings.getfloat("IDENTIFIERS_HIGH_CONFIDENCE", 0.9),
            min_title_informativeness=settings.getfloat(
                "IDENTIFIERS_MIN_TITLE_INFORMATIVENESS", 0.35
            ),
        )
        self.url = resolve_database_url(settings)
        self.repository: Repository | None = None
        self.resolver: IdentifierResolver | None = None
        self.dry_run = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        if getattr(spider, "dry_run", False):
            self.dry_run = True
            return
        engine = make_engine(self.url)
        self.repository = Repository(engine)
        any_api = self.config.arxiv.enabled or self.config.crossref.enabled
        client = ApiClient(self.crawler, engine, self.config) if any_api else None
        self.resolver = IdentifierResolver(client, self.config, self.policy, self.settings)
        if self.config.crossref.enabled and not self.config.polite:
            # said once per crawl: the public pool is slower and less reliable
            logger.warning(
                "SCHOLARCRAWL_CONTACT_EMAIL is not set: Crossref's public pool applies "
                "(one request every %.1f s, %d in flight); set it to use the polite pool",
                self.config.crossref.min_interval_seconds,
                self.config.crossref.max_in_flight,
            )

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.repository is not None:
            self.repository.engine.dispose()

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        item_type = adapter.get("item_type")
        if self.dry_run or item_type not in ("publication", "publication_detail"):
            return item
        # once the database is lost nothing could store the item: no read, no API request
        with self.loss.guard():
            return await self._process(item, adapter, item_type)

    async def _process(self, item: Any, adapter: ItemAdapter, item_type: str) -> Any:
        assert self.resolver is not None and self.repository is not None
        if item_type == "publication_detail":
            return await self._detail(item, adapter)
        local = local_identifiers(adapter["title"], adapter.get("authors"), adapter.get("venue"))
        known = self.repository.find_known(
            local, adapter.get("cluster_ids") or [], adapter["fingerprint"]
        )
        await self._resolve(adapter, local, known)
        return item

    async def _detail(self, item: Any, adapter: ItemAdapter) -> Any:
        """A detail page: its links are evidence too, and its full author list is what the
        resolver matches on. Its publication is the one the store writes it into."""
        assert self.repository is not None
        links = [url for url in (adapter.get("link_url"), adapter.get("fulltext_url")) if url]
        local = local_identifiers(
            adapter["title"], adapter.get("authors"), adapter.get("venue"), links
        )
        known = self.repository.find_known_detail(
            adapter["scholar_id"], adapter["scholar_pub_key"], adapter.get("publication_id")
        )
        if known is None:
            # nothing to write it into (the store drops it): no API request for it
            self._inc("skipped/no_publication")
            adapter["identifiers"] = local
            return item
        await self._resolve(adapter, local, known)
        return item

    async def _resolve(
        self, adapter: ItemAdapter, local: list[dict[str, Any]], known: KnownPublication | None
    ) -> None:
        """Set the item's identifiers and status: the stored ones when the paper is already
        ``resolved``, else what the resolver finds from them and the local ones."""
        assert self.resolver is not None
        carried = list(local)
        if known is not None:
            carried += [
                {
                    "kind": ident.kind,
                    "value": ident.value,
                    "role": ident.role,
                    "source": ident.source,
                    "confidence": ident.confidence,
                    "evidence": ident.evidence,
                }
                for ident in known.identifiers
            ]
        if known is not None and known.identifier_status == RESOLVED:
            self._inc("skipped/already_resolved")
            adapter["identifiers"] = _dedupe(carried)
            adapter["identifier_status"] = RESOLVED
            adapter["identifier_error"] = None
            return
        resolution = await self.resolver.resolve(
            adapter["title"],
            adapter.get("authors"),
            adapter.get("venue"),
            adapter.get("year"),
            carried,
        )
        adapter["identifiers"] = resolution.identifiers
        adapter["identifier_status"] = resolution.status
        adapter["identifier_error"] = resolution.error
        self._inc(f"status/{resolution.status}")
        for ident in resolution.identifiers:
            if ident["source"] == "local" or ident not in carried:
                self._inc(f"found/{ident['kind']}/{ident['source']}")

    def _inc(self, event: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stat_key("identifiers", event))


def _dedupe(identifiers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for ident in identifiers:
        key = (ident["kind"], ident["value"])
        if key not in seen or ident["confidence"] > seen[key]["confidence"]:
            seen[key] = ident
    return list(seen.values())
