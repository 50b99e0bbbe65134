"""A spider that only sends API requests through :class:`ApiClient` (``scrapy runspider``).

Arguments: ``service`` (arxiv | crossref), ``urls`` (a file with one URL per line; repeated
lines are asked at the same time, to show coalescing), ``out`` (a JSON file written at the
end: per URL the status or the error). Used by the request-control tests.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import DeferredList

from scholarcrawl.apis.client import ApiAnswer, ApiClient, ApiUnavailable
from scholarcrawl.apis.config import ApiConfig
from scholarcrawl.store.db import ensure_schema, make_engine, resolve_database_url


def _status(answer: ApiAnswer) -> dict[str, Any]:
    return {"status": answer.status, "from_cache": answer.from_cache, "bytes": len(answer.body)}


class ApiProbe(scrapy.Spider):
    name = "apiprobe"

    async def start(self) -> AsyncIterator[Any]:
        settings = self.crawler.settings
        engine = make_engine(resolve_database_url(settings))
        ensure_schema(engine, auto_migrate=True)
        config = ApiConfig.from_settings(settings)
        client = ApiClient(self.crawler, engine, config)
        service = config.services()[self.service]  # type: ignore[attr-defined]
        urls = Path(self.urls).read_text().split()  # type: ignore[attr-defined]

        async def one(url: str) -> dict[str, Any]:
            try:
                return await client.fetch(service, url, _status)
            except ApiUnavailable as exc:
                return {"error": exc.reason}

        results = await maybe_deferred_to_future(
            DeferredList([deferred_from_coro(one(url)) for url in urls], consumeErrors=True)
        )
        out = [
            {"url": url, **(value if ok else {"error": repr(value)})}
            for url, (ok, value) in zip(urls, results, strict=True)
        ]
        Path(self.out).write_text(json.dumps(out))  # type: ignore[attr-defined]
        engine.dispose()
        return
        yield
