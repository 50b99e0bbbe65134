"""The ``import_pages`` spider: saved Scholar profile pages through the same pipelines.

    scholarcrawl import page1.html page2.html      (runs this spider)
    scrapy crawl import_pages -a files=/abs/a.html,/abs/b.html

Any markup generation the parser reads is accepted (browser "Save as", raw HTML, 2014 to now).
The page's own scholar id and range ("Articles 21–40") place its rows.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from scholarcrawl.items import profile_item_from, publication_item_from
from scholarcrawl.scholar.model import ScholarPageError
from scholarcrawl.scholar.parser import parse_profile_page
from scholarcrawl.scholar.urls import is_valid_scholar_id
from scholarcrawl.spiders.scholar import SpiderArgumentError, refuse_unknown
from scholarcrawl.stats import stat_key

logger = logging.getLogger(__name__)


class ImportPagesSpider(scrapy.Spider):
    """Reads saved profile pages from disk (``file://``) and yields profile/publication items."""

    name = "import_pages"
    # Files on disk: no host to be polite to, so no delay and no throttle.
    custom_settings = {  # noqa: RUF012 (Scrapy's documented class attribute)
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False,
    }

    def __init__(self, files: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arguments = self.check_arguments({"files": files, **kwargs})
        self.paths = [Path(name) for name in self.arguments["files"]]
        self.failures: list[str] = []

    @classmethod
    def check_arguments(cls, arguments: Mapping[str, Any]) -> dict[str, Any]:
        refuse_unknown(cls.name, arguments, ("files",))
        raw = [part.strip() for part in str(arguments.get("files") or "").split(",")]
        paths = [Path(part).expanduser().resolve() for part in raw if part]
        if not paths:
            raise SpiderArgumentError("no file to import: give -a files=PATH1,PATH2")
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise SpiderArgumentError(f"cannot read: {', '.join(missing)}")
        return {"files": [str(path) for path in paths]}

    async def start(self) -> AsyncIterator[Any]:
        for path in self.paths:
            yield scrapy.Request(
                path.as_uri(),
                callback=self.parse_file,
                errback=self.file_failed,
                meta={"dont_obey_robotstxt": True, "path": str(path)},
                dont_filter=True,
            )

    def parse_file(self, response: Response) -> Iterator[Any]:
        path: str = response.meta["path"]
        # Saved files carry no HTTP headers: decode as a browser would, from the meta charset.
        html = response.replace(cls=scrapy.http.HtmlResponse)
        try:
            page = parse_profile_page(html.selector)
        except ScholarPageError as exc:
            self._fail(path, exc.reason)
            return
        scholar_id = page.header.scholar_id
        if not scholar_id or not is_valid_scholar_id(scholar_id):
            self._fail(path, "scholar_id_not_found")
            return
        self._inc("file/imported")
        logger.info("Imported %s: profile %s, %d rows", path, scholar_id, len(page.rows))
        yield profile_item_from(scholar_id, page.header)
        for row in page.rows:
            yield publication_item_from(scholar_id, row)

    def file_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self._fail(request.meta["path"], failure.getErrorMessage())

    def _fail(self, path: str, reason: str) -> None:
        self.failures.append(f"{path}: {reason}")
        self._inc(f"file/failed/{reason.split(':', 1)[0]}")
        logger.error("Not imported %s: %s", path, reason)

    def _inc(self, event: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat_key("import", event))
