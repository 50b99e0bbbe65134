"""Egresses: proxies from every form of the setting, redaction, rotation around cooldowns."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings

from scholarcrawl.egress import (
    DIRECT,
    Egress,
    EgressPool,
    ProxySettingError,
    read_proxies,
    redact_proxy,
    slot_names,
)

SECRET = "s3cr3t-pa55"


def test_no_proxies_means_the_machine_itself() -> None:
    pool = EgressPool.from_settings(Settings({"SCHOLAR_DOWNLOAD_SLOT": "scholar"}))
    [egress] = pool.egresses
    assert (egress.name, egress.proxy, egress.slot, egress.label) == (
        DIRECT,
        None,
        "scholar",
        "direct",
    )


@pytest.mark.parametrize(
    "value",
    [
        ["http://u:" + SECRET + "@10.0.0.1:3128", "https://10.0.0.2:8443"],
        "http://u:" + SECRET + "@10.0.0.1:3128, https://10.0.0.2:8443",
        "http://u:" + SECRET + "@10.0.0.1:3128\nhttps://10.0.0.2:8443",
    ],
)
def test_proxies_from_a_list_or_a_string(value: object) -> None:
    assert read_proxies(value) == ["http://u:" + SECRET + "@10.0.0.1:3128", "https://10.0.0.2:8443"]


def test_proxies_from_a_file_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "proxies.txt"
    path.write_text(
        "# our pool\nhttp://u:" + SECRET + "@10.0.0.1:3128  # rack 1\n\nhttp://10.0.0.3:3128\n",
        encoding="utf-8",
    )
    pool = EgressPool.from_settings(
        Settings({"SCHOLAR_PROXIES": str(path), "SCHOLAR_DOWNLOAD_SLOT": "scholar"})
    )
    assert [e.name for e in pool.egresses] == ["proxy-10.0.0.1:3128", "proxy-10.0.0.3:3128"]
    assert [e.slot for e in pool.egresses] == ["scholar-proxy-1", "scholar-proxy-2"]
    assert pool.egresses[0].proxy == "http://u:" + SECRET + "@10.0.0.1:3128"
    assert pool.egresses[0].label == "proxy-10.0.0.1:3128"
    assert all(SECRET not in e.label for e in pool.egresses)


def test_egress_names_follow_the_proxy_not_its_place_in_the_list() -> None:
    first = EgressPool.from_settings(Settings({"SCHOLAR_PROXIES": "http://a:1,http://b:2"}))
    swapped = EgressPool.from_settings(Settings({"SCHOLAR_PROXIES": "http://b:2,http://a:1"}))
    assert {e.name: e.proxy for e in first.egresses} == {e.name: e.proxy for e in swapped.egresses}
    twice = EgressPool.from_settings(Settings({"SCHOLAR_PROXIES": "http://a:1,http://u:p@a:1"}))
    assert [e.name for e in twice.egresses] == ["proxy-a:1", "proxy-a:1#2"]


@pytest.mark.parametrize(
    "value",
    ["socks5://u:" + SECRET + "@10.0.0.1:1080", "10.0.0.1:3128", "http://h:notaport"],
)
def test_bad_proxies_are_refused_without_showing_credentials(value: str) -> None:
    with pytest.raises(ProxySettingError) as raised:
        read_proxies([value])
    assert SECRET not in str(raised.value)
    assert "SCHOLAR_PROXIES" in str(raised.value)


def test_redact_proxy_keeps_scheme_host_and_port_only() -> None:
    assert redact_proxy("http://user:" + SECRET + "@proxy.example:3128/x?y=1") == (
        "http://proxy.example:3128"
    )


def test_slot_names_follow_the_proxies() -> None:
    settings = Settings({"SCHOLAR_DOWNLOAD_SLOT": "gs", "SCHOLAR_PROXIES": "http://a:1,http://b:2"})
    assert slot_names(settings) == ["gs-proxy-1", "gs-proxy-2"]
    assert slot_names(Settings({"SCHOLAR_DOWNLOAD_SLOT": "gs"})) == ["gs"]


def test_rotation_skips_cooling_egresses_and_reports_the_earliest_end() -> None:
    now = [1000.0]
    egresses = [Egress(f"proxy-{i}", f"http://10.0.0.{i}:1", f"s{i}") for i in (1, 2, 3)]
    pool = EgressPool(egresses, clock=lambda: now[0])
    assert [pool.choose().name for _ in range(4)] == ["proxy-1", "proxy-2", "proxy-3", "proxy-1"]
    egresses[1].cooldown_until = 1100.0
    assert [pool.choose().name for _ in range(3)] == ["proxy-3", "proxy-1", "proxy-3"]
    assert not pool.all_cooling() and pool.earliest_cooldown_end() == 0.0
    egresses[0].cooldown_until = 1050.0
    egresses[2].cooldown_until = 2000.0
    assert pool.choose() is None and pool.all_cooling()
    assert pool.earliest_cooldown_end() == 1050.0
    now[0] = 1050.0  # a cooldown ends at its instant
    assert pool.choose() is egresses[0]
