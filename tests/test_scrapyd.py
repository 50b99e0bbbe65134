"""The scrapyd client on answers mocked with ``responses`` (a real scrapyd: test_scrapyd_server)."""

from __future__ import annotations

import base64
import logging
import socket
import traceback
from urllib.parse import parse_qsl

import pytest
import requests
import responses

from scholarcrawl import settings as project_settings
from scholarcrawl.scrapyd import (
    DEFAULT_URL,
    ScrapydAuth,
    ScrapydAuthFailed,
    ScrapydClient,
    ScrapydConfigError,
    ScrapydError,
    ScrapydRefused,
    ScrapydUnreachable,
    scrapyd_url,
)
from tests.support.postgres import free_port

URL = "http://127.0.0.1:6800"
PASSWORD = "pa55-w0rd-never-shown"
JOBID = "6487ec79947edab326d6db28a2d86511"


def form_of(call: responses.Call) -> list[tuple[str, str]]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return parse_qsl(text, keep_blank_values=True)


@responses.activate
def test_schedule_sends_the_job_id_every_argument_and_every_setting_as_form_fields() -> None:
    responses.post(f"{URL}/schedule.json", json={"status": "ok", "jobid": JOBID, "node_name": "n"})
    client = ScrapydClient(URL)

    jobid = client.schedule(
        "scholarcrawl",
        "scholar",
        jobid=JOBID,
        arguments={"ids": "RxmmtT8AAAAJ,gM5i-iYAAAAJ", "max_pages": "3"},
        settings={"SCHOLAR_PAGINATION": "all", "LOG_LEVEL": "INFO", "X": "a=b"},
    )

    assert jobid == JOBID
    (call,) = responses.calls
    assert call.request.method == "POST"
    assert form_of(call) == [
        ("project", "scholarcrawl"),
        ("spider", "scholar"),
        ("jobid", JOBID),
        ("ids", "RxmmtT8AAAAJ,gM5i-iYAAAAJ"),
        ("max_pages", "3"),
        ("setting", "SCHOLAR_PAGINATION=all"),
        ("setting", "LOG_LEVEL=INFO"),
        ("setting", "X=a=b"),
    ]
    assert "Authorization" not in call.request.headers


@responses.activate
def test_schedule_returns_the_job_id_scrapyd_reports() -> None:
    responses.post(f"{URL}/schedule.json", json={"status": "ok", "jobid": "other"})
    assert ScrapydClient(URL).schedule("p", "s", jobid=JOBID) == "other"


def test_schedule_refuses_arguments_that_schedule_json_keeps_for_itself() -> None:
    client = ScrapydClient(URL)
    for name in ("priority", "setting", "jobid", "_job", "project", "spider", "_version"):
        with pytest.raises(ValueError, match=name):
            client.schedule("p", "s", jobid=JOBID, arguments={name: "1"})
    with pytest.raises(ValueError, match="setting name"):
        client.schedule("p", "s", jobid=JOBID, settings={"A=B": "1"})
    with pytest.raises(ValueError, match="jobid"):
        client.schedule("p", "s", jobid="")


@responses.activate
def test_an_error_status_is_refused_with_scrapyds_message() -> None:
    responses.post(
        f"{URL}/schedule.json",
        json={"status": "error", "message": "spider 'nope' not found", "node_name": "n"},
    )
    with pytest.raises(ScrapydRefused) as caught:
        ScrapydClient(URL).schedule("scholarcrawl", "nope", jobid=JOBID)
    assert caught.value.reason == "spider 'nope' not found"
    assert caught.value.status_code == 200
    assert str(caught.value) == (f"scrapyd at {URL} refused schedule.json: spider 'nope' not found")


@responses.activate
def test_an_http_error_is_refused_with_its_status_and_body() -> None:
    responses.get(f"{URL}/listjobs.json", status=500, body="<html><b>Internal</b>\n error</html>")
    with pytest.raises(ScrapydRefused) as caught:
        ScrapydClient(URL).list_jobs("scholarcrawl")
    assert caught.value.status_code == 500
    assert "HTTP 500" in str(caught.value)
    assert "<html><b>Internal</b> error</html>" in str(caught.value)


@responses.activate
def test_an_http_error_with_scrapyds_json_keeps_its_message() -> None:
    responses.post(
        f"{URL}/cancel.json",
        status=400,
        json={"status": "error", "message": "'job' parameter is required"},
    )
    with pytest.raises(ScrapydRefused, match=r"\(HTTP 400\): 'job' parameter is required"):
        ScrapydClient(URL).cancel("scholarcrawl", JOBID)


@responses.activate
def test_an_answer_that_is_not_json_is_refused() -> None:
    responses.get(f"{URL}/daemonstatus.json", body="not json")
    with pytest.raises(ScrapydRefused, match="not json"):
        ScrapydClient(URL).daemon_status()


@responses.activate
def test_a_connection_error_is_unreachable() -> None:
    responses.post(
        f"{URL}/schedule.json",
        body=requests.ConnectionError(socket.gaierror(-2, "Name or service not known")),
    )
    with pytest.raises(ScrapydUnreachable) as caught:
        ScrapydClient(URL).schedule("p", "s", jobid=JOBID)
    assert (
        str(caught.value)
        == f"cannot reach scrapyd at {URL} (schedule.json): host name not resolved"
    )
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@responses.activate
def test_a_timeout_is_unreachable() -> None:
    responses.get(f"{URL}/listjobs.json", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(ScrapydUnreachable, match=r"did not answer listjobs.json within 2.5 s"):
        ScrapydClient(URL, timeout=2.5).list_jobs("p")


def test_a_closed_port_is_unreachable_with_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ScrapydUnreachable, match="connection refused"):
        ScrapydClient(url, timeout=5).daemon_status()


@responses.activate
def test_cancel_returns_the_previous_state() -> None:
    responses.post(f"{URL}/cancel.json", json={"status": "ok", "prevstate": "running"})
    responses.post(f"{URL}/cancel.json", json={"status": "ok", "prevstate": None})
    client = ScrapydClient(URL)
    assert client.cancel("scholarcrawl", JOBID) == "running"
    assert client.cancel("scholarcrawl", JOBID) is None
    assert form_of(responses.calls[0]) == [("project", "scholarcrawl"), ("job", JOBID)]


@responses.activate
def test_list_jobs_parses_the_three_lists() -> None:
    running = {"id": "r1", "project": "scholarcrawl", "spider": "pdfs", "pid": 42}
    finished = {"id": "f1", "spider": "scholar", "log_url": "/logs/scholarcrawl/scholar/f1.log"}
    responses.get(
        f"{URL}/listjobs.json",
        json={"status": "ok", "pending": [], "running": [running], "finished": [finished]},
    )
    jobs = ScrapydClient(URL).list_jobs("scholarcrawl")
    assert jobs == {"pending": [], "running": [running], "finished": [finished]}
    assert responses.calls[0].request.url == f"{URL}/listjobs.json?project=scholarcrawl"


@responses.activate
def test_list_jobs_gives_three_lists_even_when_scrapyd_leaves_one_out() -> None:
    responses.get(f"{URL}/listjobs.json", json={"status": "ok", "running": []})
    assert ScrapydClient(URL).list_jobs("p") == {"pending": [], "running": [], "finished": []}


@responses.activate
def test_status_spiders_projects_and_daemon_status() -> None:
    responses.get(f"{URL}/status.json", json={"status": "ok", "currstate": "finished"})
    responses.get(f"{URL}/listspiders.json", json={"status": "ok", "spiders": ["pdfs", "scholar"]})
    responses.get(f"{URL}/listprojects.json", json={"status": "ok", "projects": ["scholarcrawl"]})
    responses.get(
        f"{URL}/daemonstatus.json",
        json={"status": "ok", "pending": 0, "running": 1, "finished": 2, "node_name": "n"},
    )
    client = ScrapydClient(URL + "/")
    assert client.job_status("scholarcrawl", JOBID) == "finished"
    assert client.list_spiders("scholarcrawl") == ["pdfs", "scholar"]
    assert client.list_projects() == ["scholarcrawl"]
    assert client.daemon_status()["running"] == 1
    assert responses.calls[0].request.url == f"{URL}/status.json?project=scholarcrawl&job={JOBID}"


@responses.activate
def test_add_version_uploads_the_egg() -> None:
    responses.post(
        f"{URL}/addversion.json",
        json={"status": "ok", "project": "scholarcrawl", "version": "7", "spiders": 3},
    )
    assert ScrapydClient(URL).add_version("scholarcrawl", "7", b"PK\x03\x04egg") == 3
    body = responses.calls[0].request.body
    assert isinstance(body, bytes) and b"PK\x03\x04egg" in body and b'name="version"' in body


# --- credentials ------------------------------------------------------------------------------


def test_credentials_come_from_the_environment_both_or_neither() -> None:
    auth = ScrapydAuth.from_environment({"SCRAPYD_USERNAME": "ops", "SCRAPYD_PASSWORD": PASSWORD})
    assert auth == ScrapydAuth("ops", PASSWORD)
    assert ScrapydAuth.from_environment({}) is None
    assert ScrapydAuth.from_environment({"SCRAPYD_USERNAME": "", "SCRAPYD_PASSWORD": ""}) is None
    with pytest.raises(ScrapydConfigError, match="SCRAPYD_USERNAME is set but SCRAPYD_PASSWORD"):
        ScrapydAuth.from_environment({"SCRAPYD_USERNAME": "ops"})
    with pytest.raises(ScrapydConfigError, match="SCRAPYD_PASSWORD is set but SCRAPYD_USERNAME"):
        ScrapydAuth.from_environment({"SCRAPYD_PASSWORD": PASSWORD})
    with pytest.raises(ScrapydConfigError, match="':'"):
        ScrapydAuth("a:b", PASSWORD)


def test_a_url_holding_credentials_is_refused_without_showing_them() -> None:
    with pytest.raises(ScrapydConfigError) as caught:
        ScrapydClient(f"http://ops:{PASSWORD}@127.0.0.1:6800")
    assert PASSWORD not in str(caught.value)
    assert "http://***@127.0.0.1:6800" in str(caught.value)
    assert "SCRAPYD_USERNAME" in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://host", "127.0.0.1:6800", "http://", "http://h:port"])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(ScrapydConfigError):
        ScrapydClient(url)


@pytest.mark.parametrize("url", ["http://[::1", f"http://ops:{PASSWORD}@[::1"])
def test_an_unparsable_url_is_refused_as_a_setting_error_without_its_credentials(
    url: str,
) -> None:
    with pytest.raises(ScrapydConfigError) as caught:
        ScrapydClient(url)
    assert PASSWORD not in str(caught.value)


def test_the_url_comes_from_the_environment_then_the_setting_then_the_default() -> None:
    assert project_settings.SCRAPYD_URL == DEFAULT_URL == "http://127.0.0.1:6800"
    assert project_settings.SCRAPYD_PROJECT == "scholarcrawl"
    setting = {"SCRAPYD_URL": "http://setting:1/"}
    assert scrapyd_url(setting, {"SCRAPYD_URL": "http://env:2"}) == "http://env:2"
    assert scrapyd_url(setting, {}) == "http://setting:1"
    assert scrapyd_url(None, {}) == DEFAULT_URL
    with pytest.raises(ScrapydConfigError):
        scrapyd_url(None, {"SCRAPYD_URL": f"http://u:{PASSWORD}@h"})


@responses.activate
def test_environment_credentials_go_as_a_basic_header() -> None:
    responses.get(f"{URL}/daemonstatus.json", json={"status": "ok", "running": 0})
    client = ScrapydClient.from_settings(
        {"SCRAPYD_URL": URL},
        environ={"SCRAPYD_USERNAME": "ops", "SCRAPYD_PASSWORD": PASSWORD},
    )
    client.daemon_status()
    expected = base64.b64encode(f"ops:{PASSWORD}".encode()).decode()
    assert responses.calls[0].request.headers["Authorization"] == f"Basic {expected}"


@responses.activate
def test_a_401_is_an_authentication_failure() -> None:
    responses.get(f"{URL}/daemonstatus.json", status=401, body="Unauthorized")
    with pytest.raises(ScrapydAuthFailed, match="set SCRAPYD_USERNAME and SCRAPYD_PASSWORD"):
        ScrapydClient(URL).daemon_status()
    with pytest.raises(ScrapydAuthFailed, match="refused the credentials of user 'ops'"):
        ScrapydClient(URL, auth=ScrapydAuth("ops", PASSWORD)).daemon_status()


def everything_shown(caught: list[BaseException], records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    shown = [formatter.format(record) for record in records]
    shown += [repr(record.__dict__) for record in records]
    for exc in caught:
        shown += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    return "\n".join(shown)


def test_the_password_is_never_in_a_message_a_log_record_or_a_repr(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3's connection logs too
    auth = ScrapydAuth("ops", PASSWORD)
    caught: list[BaseException] = []

    def attempt(call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except ScrapydError as exc:
            caught.append(exc)

    with responses.RequestsMock() as mocked:
        client = ScrapydClient(URL, auth=auth)
        mocked.get(f"{URL}/daemonstatus.json", status=401, body="Unauthorized")
        mocked.post(f"{URL}/schedule.json", json={"status": "error", "message": "no such spider"})
        mocked.get(f"{URL}/listjobs.json", status=500, body="boom")
        mocked.post(f"{URL}/cancel.json", body=requests.ReadTimeout("timed out"))
        mocked.get(f"{URL}/listspiders.json", body=requests.ConnectionError("refused"))
        mocked.get(f"{URL}/listprojects.json", json={"status": "ok", "projects": []})
        mocked.post(f"{URL}/addversion.json", json={"status": "ok", "spiders": 3})
        attempt(client.daemon_status)
        attempt(lambda: client.schedule("p", "nope", jobid=JOBID))
        attempt(lambda: client.list_jobs("p"))
        attempt(lambda: client.cancel("p", JOBID))
        attempt(lambda: client.list_spiders("p"))
        client.list_projects()
        client.add_version("p", "1", b"PK")
    # and a real connection, refused, with urllib3's own logging
    attempt(
        lambda: ScrapydClient(f"http://127.0.0.1:{free_port()}", auth=auth, timeout=5).list_jobs(
            "p"
        )
    )
    attempt(lambda: ScrapydClient(f"http://ops:{PASSWORD}@127.0.0.1:6800"))
    attempt(lambda: ScrapydAuth.from_environment({"SCRAPYD_PASSWORD": PASSWORD}))

    assert len(caught) == 8
    assert any(record.name.startswith("urllib3") for record in caplog.records)
    shown = everything_shown(caught, caplog.records)
    shown += repr(client) + repr(auth) + str(auth)
    assert "ops" in shown  # the username may be shown
    assert PASSWORD not in shown
    assert base64.b64encode(f"ops:{PASSWORD}".encode()).decode() not in shown
