"""The project deployed to a real scrapyd 1.6, and jobs run from the deployed egg."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from scholarcrawl.scrapyd import ScrapydAuth, ScrapydAuthFailed, ScrapydClient, ScrapydRefused
from tests.support.scrapyd import ScrapydServer, project_egg

pytestmark = pytest.mark.slow

SPIDERS = ["import_pages", "pdfs", "scholar"]
SCHOLAR_ID = "RxmmtT8AAAAJ"


def test_the_egg_holds_the_package_the_migrations_and_the_settings_entry_point() -> None:
    with zipfile.ZipFile(BytesIO(project_egg())) as egg:
        names = set(egg.namelist())
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert "scholarcrawl/settings.py" in names
    assert "scholarcrawl/spiders/scholar.py" in names
    assert "scholarcrawl/store/migrations/env.py" in names
    assert "scholarcrawl/store/migrations/script.py.mako" in names
    assert "scholarcrawl/store/migrations/versions/0001_initial.py" in names
    assert "[scrapy]\nsettings = scholarcrawl.settings" in entry_points
    assert not any(name.startswith(("tests/", "bench/")) for name in names)


def test_scrapyd_lists_exactly_the_projects_spiders(scrapyd_server: ScrapydServer) -> None:
    loader = SpiderLoader.from_settings(get_project_settings())
    assert sorted(loader.list()) == SPIDERS
    assert scrapyd_server.client.list_projects() == ["scholarcrawl"]
    assert sorted(scrapyd_server.client.list_spiders("scholarcrawl")) == SPIDERS


def test_a_dry_run_job_of_the_scholar_spider_finishes(
    scrapyd_server: ScrapydServer, tmp_path: Path
) -> None:
    jobid = scrapyd_server.schedule(
        "scholar",
        arguments={"ids": SCHOLAR_ID, "dry_run": "1"},
        settings={"SCHOLARCRAWL_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
    )

    job = scrapyd_server.wait_for_job("scholar", jobid, timeout=120)

    assert job.ok, job.explain()
    assert "Spider closed (finished)" in job.log, job.explain()
    jobs = scrapyd_server.client.list_jobs("scholarcrawl")
    assert jobid in [finished["id"] for finished in jobs["finished"]]


def test_an_unknown_spider_is_refused_with_scrapyds_message(
    scrapyd_server: ScrapydServer,
) -> None:
    with pytest.raises(ScrapydRefused, match="spider 'nope' not found"):
        scrapyd_server.schedule("nope")


def test_a_job_migrates_a_new_database_from_the_deployed_egg(
    scrapyd_server: ScrapydServer, tmp_path: Path
) -> None:
    jobid = scrapyd_server.schedule(
        "pdfs",
        settings={
            "SCHOLARCRAWL_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "UNPAYWALL_EMAIL": "tests@example.org",
            "UNPAYWALL_API_URL": "http://127.0.0.1:9",
        },
    )

    job = scrapyd_server.wait_for_job("pdfs", jobid, timeout=120)

    assert job.ok, job.explain()
    assert (tmp_path / "db.sqlite3").exists()


def test_scrapyd_asks_for_the_credentials_of_its_environment_and_takes_the_clients() -> None:
    auth = ScrapydAuth("ops", "a-password-for-the-test")
    server = ScrapydServer(
        env={"SCRAPYD_USERNAME": auth.username, "SCRAPYD_PASSWORD": auth.password}, auth=auth
    ).start()
    try:
        assert server.client.daemon_status()["running"] == 0
        with pytest.raises(ScrapydAuthFailed, match="asks for credentials"):
            ScrapydClient(server.url).daemon_status()
        with pytest.raises(ScrapydAuthFailed, match="refused the credentials"):
            ScrapydClient(server.url, auth=ScrapydAuth("ops", "wrong")).daemon_status()
    finally:
        server.stop()
