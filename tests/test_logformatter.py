"""The per-item "Scraped from" record is built only when LOG_LEVEL lets DEBUG through."""

from __future__ import annotations

import pytest
from scrapy import Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from scholarcrawl.logformatter import ScholarLogFormatter


@pytest.mark.parametrize(
    ("level", "logged"),
    [("DEBUG", True), ("INFO", False), ("WARNING", False), (10, True), (20, False)],
)
def test_items_are_logged_only_under_debug(level: str | int, logged: bool) -> None:
    crawler = get_crawler(Spider, {"LOG_LEVEL": level})
    formatter = ScholarLogFormatter.from_crawler(crawler)
    response = HtmlResponse("http://127.0.0.1/citations?user=x", body=b"<html></html>")
    result = formatter.scraped({"title": "A"}, response, Spider("s"))
    assert (result is not None) is logged
    if logged:
        assert result is not None and "Scraped from" in result["msg"]


def test_other_messages_are_scrapys() -> None:
    crawler = get_crawler(Spider, {"LOG_LEVEL": "INFO"})
    formatter = ScholarLogFormatter.from_crawler(crawler)
    spider = Spider.from_crawler(crawler, name="s")
    dropped = formatter.dropped({"title": "A"}, Exception("bad"), None, spider)
    assert "Dropped" in dropped["msg"]
