from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from scholarcrawl.spiders.scholar import ScholarSpider, SpiderArgumentError, parse_ids


def test_ids_accept_bare_ids_and_profile_urls_in_order_without_duplicates() -> None:
    ids = parse_ids(
        "RxmmtT8AAAAJ, https://scholar.google.com/citations?user=gM5i-iYAAAAJ&hl=en,RxmmtT8AAAAJ"
    )
    assert ids == ["RxmmtT8AAAAJ", "gM5i-iYAAAAJ"]


def test_ids_file_one_per_line_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text(
        "# lab members\nRxmmtT8AAAAJ\n\nhttps://scholar.google.com/citations?user=Pm3O_58AAAAJ\n"
        "gM5i-iYAAAAJ  # with a comment\n",
        encoding="utf-8",
    )
    assert parse_ids(None, str(path)) == ["RxmmtT8AAAAJ", "Pm3O_58AAAAJ", "gM5i-iYAAAAJ"]
    assert parse_ids("P1RwlvoAAAAJ", str(path))[0] == "P1RwlvoAAAAJ"


def test_every_invalid_id_is_named_in_one_message() -> None:
    with pytest.raises(SpiderArgumentError) as info:
        parse_ids("RxmmtT8AAAAJ,short,https://scholar.google.com/citations?user=bad$id_AAAJ,x;y")
    message = str(info.value)
    assert message.startswith("invalid Scholar ids: ")
    for bad in ("'short'", "bad$id_AAAJ", "'x;y'"):
        assert bad in message
    assert "RxmmtT8AAAAJ" not in message


def test_missing_ids_and_unreadable_file() -> None:
    with pytest.raises(SpiderArgumentError, match="no profile to crawl"):
        parse_ids(None, None)
    with pytest.raises(SpiderArgumentError, match="cannot read ids_file"):
        parse_ids(None, "/nonexistent/ids.txt")


def test_sortby_is_checked() -> None:
    with pytest.raises(SpiderArgumentError, match="sortby"):
        ScholarSpider.check_arguments({"ids": "RxmmtT8AAAAJ", "sortby": "title"})
    assert ScholarSpider.check_arguments({"ids": "RxmmtT8AAAAJ", "sortby": "pubdate"})[
        "sortby"
    ] == ("pubdate")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"refresh": "all"}, "refresh must be full or new"),
        ({"refresh": "New"}, "refresh must be full or new"),
        ({"refresh": "new", "sortby": "title"}, "refresh=new reads every profile newest first"),
        ({"skip_unchanged": "maybe"}, "skip_unchanged must be 1 or 0"),
    ],
)
def test_refresh_and_skip_unchanged_are_checked(arguments: dict[str, str], message: str) -> None:
    with pytest.raises(SpiderArgumentError, match=message):
        ScholarSpider.check_arguments({"ids": "RxmmtT8AAAAJ", **arguments})


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({}, ("full", None, False)),
        ({"refresh": "", "skip_unchanged": ""}, ("full", None, False)),
        ({"refresh": "full", "sortby": "pubdate"}, ("full", "pubdate", False)),
        ({"refresh": "new"}, ("new", "pubdate", False)),
        ({"refresh": "new", "sortby": "pubdate"}, ("new", "pubdate", False)),
        ({"skip_unchanged": "1"}, ("full", None, True)),
        ({"refresh": "new", "skip_unchanged": "yes"}, ("new", "pubdate", True)),
    ],
)
def test_refresh_new_implies_newest_first(
    arguments: dict[str, str], expected: tuple[str, str | None, bool]
) -> None:
    checked = ScholarSpider.check_arguments({"ids": "RxmmtT8AAAAJ", **arguments})
    assert (checked["refresh"], checked["sortby"], checked["skip_unchanged"]) == expected


def test_refresh_new_requests_every_page_newest_first_with_user_first() -> None:
    crawler = get_crawler(
        ScholarSpider, {"SCHOLAR_BASE_URL": "http://127.0.0.1:9", "SCHOLAR_PAGINATION": "all"}
    )
    spider = ScholarSpider.from_crawler(crawler, ids="RxmmtT8AAAAJ", refresh="new")
    first = spider.page_request("RxmmtT8AAAAJ", 0)
    second = spider.page_request("RxmmtT8AAAAJ", 100)
    assert first.url == (
        "http://127.0.0.1:9/citations?user=RxmmtT8AAAAJ&hl=en&pagesize=100&sortby=pubdate"
    )
    assert second.url == first.url + "&cstart=100"
    assert (spider.refresh, spider.skip_unchanged) == ("new", False)


def test_page_requests_put_first_pages_first_and_honour_pagination_mode() -> None:
    crawler = get_crawler(ScholarSpider, {"SCHOLAR_BASE_URL": "http://127.0.0.1:9"})
    spider = ScholarSpider.from_crawler(crawler, ids="RxmmtT8AAAAJ")
    first = spider.page_request("RxmmtT8AAAAJ", 0)
    third = spider.page_request("RxmmtT8AAAAJ", 200)
    assert first.url == "http://127.0.0.1:9/citations?user=RxmmtT8AAAAJ&hl=en&pagesize=100"
    assert third.url.endswith("&cstart=200")
    assert first.priority > third.priority
    assert first.meta["download_slot"] == third.meta["download_slot"] == "scholar"
    assert first.meta["dont_redirect"] is True
    assert "dont_obey_robotstxt" not in third.meta

    crawler = get_crawler(
        ScholarSpider, {"SCHOLAR_BASE_URL": "http://127.0.0.1:9", "SCHOLAR_PAGINATION": "all"}
    )
    spider = ScholarSpider.from_crawler(crawler, ids="RxmmtT8AAAAJ")
    assert spider.page_request("RxmmtT8AAAAJ", 100).meta["dont_obey_robotstxt"] is True
    assert "dont_obey_robotstxt" not in spider.page_request("RxmmtT8AAAAJ", 0).meta


def test_bad_pagination_setting_is_refused() -> None:
    crawler = get_crawler(ScholarSpider, {"SCHOLAR_PAGINATION": "everything"})
    with pytest.raises(SpiderArgumentError, match="SCHOLAR_PAGINATION"):
        ScholarSpider.from_crawler(crawler, ids="RxmmtT8AAAAJ")


def test_scholar_gets_its_own_slot_with_one_connection() -> None:
    crawler = get_crawler(ScholarSpider, {"SCHOLAR_DOWNLOAD_DELAY": 7.5})
    slots = crawler.settings.getdict("DOWNLOAD_SLOTS")
    assert slots["scholar"]["concurrency"] == 1
    assert slots["scholar"]["delay"] == 7.5


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"resume": "all"}, "resume must be due"),
        ({"resume": "due", "limit": "0"}, "limit must be at least 1"),
        ({"ids": "RxmmtT8AAAAJ", "limit": "5"}, "limit applies to -a resume=due only"),
        ({"ids": "RxmmtT8AAAAJ", "max_pages": "two"}, "max_pages must be a whole number"),
        ({"ids": "RxmmtT8AAAAJ", "max_pages": "-1"}, "max_pages must be at least 1"),
        ({"ids": "RxmmtT8AAAAJ", "max_seconds": "0"}, "max_seconds must be a positive"),
        ({"ids": "RxmmtT8AAAAJ", "max_seconds": "nan"}, "max_seconds must be a positive"),
        ({"ids": "RxmmtT8AAAAJ", "dry_run": "maybe"}, "dry_run must be 1 or 0"),
        ({"ids": "RxmmtT8AAAAJ", "maxpages": "3"}, "unknown argument maxpages"),
    ],
)
def test_bounded_and_resume_arguments_are_checked(arguments: dict[str, str], message: str) -> None:
    with pytest.raises(SpiderArgumentError, match=message):
        ScholarSpider.check_arguments(arguments)


def test_resume_needs_no_ids_and_bounds_are_parsed() -> None:
    checked = ScholarSpider.check_arguments(
        {"resume": "due", "limit": "7", "max_pages": "3", "max_seconds": "1.5", "dry_run": "yes"}
    )
    assert checked == {
        "scholar_ids": [],
        "sortby": None,
        "refresh": "full",
        "skip_unchanged": False,
        "resume": "due",
        "limit": 7,
        "max_pages": 3,
        "max_seconds": 1.5,
        "dry_run": True,
        "details": None,
        "max_detail_pages": None,
        "coauthors": None,
        "follow_coauthors": None,
        "max_profiles": None,
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"details": "some"}, "details must be missing or all"),
        ({"max_detail_pages": "5"}, "max_detail_pages applies to -a details"),
        ({"details": "all", "max_detail_pages": "0"}, "max_detail_pages must be at least 1"),
        ({"coauthors": "20"}, "coauthors must be full"),
        ({"follow_coauthors": "0"}, "follow_coauthors must be at least 1"),
        ({"follow_coauthors": "deep"}, "follow_coauthors must be a whole number"),
        ({"max_profiles": "10"}, "max_profiles applies to -a follow_coauthors"),
    ],
)
def test_detail_coauthor_and_follow_arguments_are_checked(
    arguments: dict[str, str], message: str
) -> None:
    with pytest.raises(SpiderArgumentError, match=message):
        ScholarSpider.check_arguments({"ids": "RxmmtT8AAAAJ", **arguments})


def test_detail_coauthor_and_follow_arguments_are_parsed() -> None:
    checked = ScholarSpider.check_arguments(
        {
            "ids": "RxmmtT8AAAAJ",
            "details": "missing",
            "max_detail_pages": "25",
            "coauthors": "full",
            "follow_coauthors": "2",
            "max_profiles": "40",
        }
    )
    assert (checked["details"], checked["max_detail_pages"], checked["coauthors"]) == (
        "missing",
        25,
        "full",
    )
    assert (checked["follow_coauthors"], checked["max_profiles"]) == (2, 40)


def test_bad_detail_follow_and_exclusion_settings_stop_the_crawl() -> None:
    for settings, message in (
        ({"SCHOLAR_MAX_DETAIL_PAGES": "-1"}, "SCHOLAR_MAX_DETAIL_PAGES"),
        ({"SCHOLAR_FOLLOW_MAX_PROFILES": "0"}, "SCHOLAR_FOLLOW_MAX_PROFILES"),
        ({"EXCLUSIONS_REFRESH_SECONDS": "soon"}, "EXCLUSIONS_REFRESH_SECONDS"),
    ):
        with pytest.raises(ValueError, match=message):
            ScholarSpider.check_settings(
                get_crawler(
                    ScholarSpider, {"SCHOLAR_BASE_URL": "http://127.0.0.1:9", **settings}
                ).settings
            )


def test_bad_cooldown_mode_and_proxies_are_refused_before_any_request() -> None:
    for settings, message in (
        ({"SCHOLAR_COOLDOWN_MODE": "sleep"}, "SCHOLAR_COOLDOWN_MODE"),
        ({"SCHOLAR_PROXIES": "socks5://u:secret@10.0.0.1:1080"}, "SCHOLAR_PROXIES"),
        ({"CONTINUATION_MAX_ATTEMPTS": "0"}, "CONTINUATION_MAX_ATTEMPTS"),
    ):
        crawler = get_crawler(ScholarSpider, {"SCHOLAR_BASE_URL": "http://127.0.0.1:9", **settings})
        with pytest.raises(SpiderArgumentError, match=message) as raised:
            ScholarSpider.from_crawler(crawler, ids="RxmmtT8AAAAJ")
        assert "secret" not in str(raised.value)


def test_each_proxy_gets_its_own_polite_download_slot() -> None:
    crawler = get_crawler(
        ScholarSpider,
        {
            "SCHOLAR_BASE_URL": "http://127.0.0.1:9",
            "SCHOLAR_PROXIES": "http://10.0.0.1:3128,http://10.0.0.2:3128",
            "SCHOLAR_CONCURRENCY": 1,
        },
    )
    spider = ScholarSpider.from_crawler(crawler, ids="RxmmtT8AAAAJ")
    slots = crawler.settings.getdict("DOWNLOAD_SLOTS")
    assert set(slots) >= {"scholar-proxy-1", "scholar-proxy-2"}
    assert all(slots[name]["concurrency"] == 1 for name in ("scholar-proxy-1", "scholar-proxy-2"))
    assert [egress.slot for egress in spider.egress_pool.egresses] == [
        "scholar-proxy-1",
        "scholar-proxy-2",
    ]


def test_bad_api_and_matching_settings_stop_the_crawl_before_any_request() -> None:

    from scholarcrawl.settings import __name__ as settings_module

    for settings, message in (
        ({"SCHOLARCRAWL_CONTACT_EMAIL": "nobody"}, "SCHOLARCRAWL_CONTACT_EMAIL"),
        ({"ARXIV_API_URL": "export.arxiv.org"}, "http"),
        ({"MATCH_ACCEPT_THRESHOLD": "1.5"}, "MATCH|threshold|accept"),
        ({"SCHOLARCRAWL_STORE_BATCH_SIZE": "0"}, "SCHOLARCRAWL_STORE_BATCH_SIZE"),
        ({"SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS": "-1"}, "SCHOLARCRAWL_STORE_BATCH_WAIT"),
    ):
        project = Settings()
        project.setmodule(settings_module)
        project.setdict(settings, priority="cmdline")
        with pytest.raises(ValueError, match=message):
            ScholarSpider.check_settings(project)
    # off: nothing about the APIs is checked
    project = Settings()
    project.setmodule(settings_module)
    project.setdict({"IDENTIFIERS_ENABLED": False, "ARXIV_API_URL": "x"}, priority="cmdline")
    ScholarSpider.check_settings(project)


def test_every_spider_accepts_scrapyds_job_id_and_refuses_unknown_arguments(
    tmp_path: Path,
) -> None:
    from scholarcrawl.spiders.importer import ImportPagesSpider
    from scholarcrawl.spiders.pdfs import PdfsSpider

    page = tmp_path / "page.html"
    page.write_text("<html></html>", encoding="utf-8")
    job = {"_job": "0b6f2c1e-5a7d-4c39-9f0e-2d1c3b4a5e6f"}
    assert ScholarSpider.check_arguments({"ids": "RxmmtT8AAAAJ", **job})["scholar_ids"] == [
        "RxmmtT8AAAAJ"
    ]
    assert PdfsSpider.check_arguments({"limit": "3", **job})["limit"] == 3
    assert ImportPagesSpider.check_arguments({"files": str(page), **job})["files"] == [str(page)]
    for spider, arguments in (
        (ScholarSpider, {"ids": "RxmmtT8AAAAJ"}),
        (PdfsSpider, {}),
        (ImportPagesSpider, {"files": str(page)}),
    ):
        with pytest.raises(
            SpiderArgumentError, match=f"unknown argument dry_runn: the {spider.name}"
        ):
            spider.check_arguments({**arguments, "dry_runn": "1"})
