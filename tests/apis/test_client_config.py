"""API settings, cache keys and Retry-After parsing (the parts of the client without a reactor)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from scholarcrawl.apis.client import (
    ApiClient,
    cache_url,
    request_fingerprint,
    retry_after_seconds,
)
from scholarcrawl.apis.config import ApiConfig, ApiSettingError, api_download_slots
from scholarcrawl.settings import USER_AGENT
from scholarcrawl.store.db import make_engine


def test_a_contact_email_selects_the_polite_pool_and_goes_into_the_user_agent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SCHOLARCRAWL_CONTACT_EMAIL", raising=False)
    config = ApiConfig.from_settings(
        {"SCHOLARCRAWL_CONTACT_EMAIL": "ops@example.org", "USER_AGENT": USER_AGENT}
    )
    assert config.polite and config.contact_email == "ops@example.org"
    assert config.user_agent == f"{USER_AGENT} (mailto:ops@example.org)"
    assert config.crossref.min_interval_seconds == pytest.approx(0.34)
    assert config.crossref.max_in_flight == 3
    assert config.arxiv.min_interval_seconds == 3.0 and config.arxiv.max_in_flight == 1
    assert config.arxiv.cache_ttl.days == 183


def test_without_an_email_the_public_pool_limits_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCHOLARCRAWL_CONTACT_EMAIL", raising=False)
    config = ApiConfig.from_settings({"USER_AGENT": USER_AGENT})
    assert not config.polite and "mailto" not in config.user_agent
    assert config.crossref.min_interval_seconds == 1.0
    assert config.crossref.max_in_flight == 1


def test_the_environment_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHOLARCRAWL_CONTACT_EMAIL", "env@example.org")
    config = ApiConfig.from_settings({"SCHOLARCRAWL_CONTACT_EMAIL": "setting@example.org"})
    assert config.contact_email == "env@example.org"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"SCHOLARCRAWL_CONTACT_EMAIL": "not an address"}, "not an e-mail address"),
        ({"ARXIV_API_URL": "ftp://example.org/api"}, r"not an http\(s\) URL"),
        ({"CROSSREF_MAX_IN_FLIGHT": 0, "SCHOLARCRAWL_CONTACT_EMAIL": "a@b.org"}, "in flight"),
        ({"ARXIV_MIN_INTERVAL_SECONDS": "soon"}, "must be a number"),
        ({"API_CACHE_TTL_DAYS": -1}, "API_CACHE_TTL_DAYS"),
        ({"CROSSREF_ROWS": 5000}, "CROSSREF_ROWS"),
    ],
)
def test_bad_settings_are_refused_with_their_name(
    settings: dict[str, object], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCHOLARCRAWL_CONTACT_EMAIL", raising=False)
    with pytest.raises(ApiSettingError, match=message):
        ApiConfig.from_settings(settings)


def test_a_bad_unpaywall_email_stops_only_the_pdfs_spider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """UNPAYWALL_EMAIL is the pdfs spider's: a bad one must not stop the scholar crawl nor
    take the API slots away."""
    monkeypatch.delenv("UNPAYWALL_EMAIL", raising=False)  # the variable would win
    from scrapy.settings import Settings

    from scholarcrawl.pdfresolve import PdfConfig, PdfSettingError
    from scholarcrawl.spiders.scholar import ScholarSpider

    settings = Settings()
    settings.setmodule("scholarcrawl.settings")
    settings.update({"SCHOLARCRAWL_CONTACT_EMAIL": "a@b.org", "UNPAYWALL_EMAIL": "bogus"})
    ScholarSpider.check_settings(settings)
    assert set(api_download_slots(settings)) == {"api-arxiv", "api-crossref", "api-unpaywall"}
    with pytest.raises(PdfSettingError, match="UNPAYWALL_EMAIL 'bogus' is not an e-mail"):
        PdfConfig.from_settings(settings)
    settings.set("UNPAYWALL_EMAIL", "oa@example.org")
    assert PdfConfig.from_settings(settings).email == "oa@example.org"


def test_api_slots_have_no_scrapy_delay() -> None:
    from scrapy.settings import Settings

    slots = api_download_slots(Settings({"SCHOLARCRAWL_CONTACT_EMAIL": "a@b.org"}))
    assert slots == {
        "api-arxiv": {"concurrency": 1, "delay": 0.0},
        "api-crossref": {"concurrency": 3, "delay": 0.0},
        "api-unpaywall": {"concurrency": 2, "delay": 0.0},
    }


def test_the_cache_key_ignores_the_contact_email_and_parameter_order() -> None:
    one = "https://api.crossref.org/works?query.bibliographic=a+b&rows=5&mailto=x%40y.org"
    two = "https://api.crossref.org/works?rows=5&query.bibliographic=a+b&mailto=other%40y.org"
    three = "https://api.crossref.org/works?rows=5&query.bibliographic=a+c"
    assert "mailto" not in cache_url(one)
    assert request_fingerprint("crossref", one) == request_fingerprint("crossref", two)
    assert request_fingerprint("crossref", one) != request_fingerprint("crossref", three)
    assert request_fingerprint("crossref", one) != request_fingerprint("arxiv", one)


def test_retry_after_as_seconds_or_an_http_date() -> None:
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"30", now) == 30.0
    assert retry_after_seconds("Mon, 23 Nov 2026 12:02:00 GMT", now) == 120.0
    assert retry_after_seconds("Mon, 23 Nov 2026 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds(b"soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_odd_retry_after_values_never_crash() -> None:
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"\xb2", now) is None  # "²" is a digit to str.isdigit()
    assert retry_after_seconds(b"99999999999999", now) == 7 * 86400.0
    assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", now) == 7 * 86400.0


def test_a_permit_holder_is_dead_only_when_it_was_a_gone_process_of_this_machine(
    tmp_path: Path,
) -> None:
    crawler = get_crawler(settings_dict={"DOWNLOAD_TIMEOUT": 10, "RETRY_TIMES": 1})
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    config = ApiConfig.from_settings(crawler.settings)
    client = ApiClient(crawler, engine, config)
    host, pid, _tag = client.holder.split(":")
    assert pid == str(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert client._holder_is_dead(f"{host}:{child.pid}:0000")
    assert not client._holder_is_dead(f"{host}:{os.getppid()}:0000")  # alive
    assert not client._holder_is_dead(client.holder)
    assert not client._holder_is_dead(f"{host}-elsewhere:{child.pid}:0000")  # another machine
    assert not client._holder_is_dead("no pid here")
    # a killed holder elsewhere keeps its permit for the longest wait plus a download
    arxiv = config.services()["arxiv"]
    assert client._lease(arxiv) == arxiv.max_wait_seconds + 10 * 2 + 5
    engine.dispose()
