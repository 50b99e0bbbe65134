"""A client of scrapyd's JSON API, on ``requests``: for the command line, never inside a crawl.

Settings: ``SCRAPYD_URL`` (the ``SCRAPYD_URL`` environment variable wins) and
``SCRAPYD_PROJECT``. Credentials come from the ``SCRAPYD_USERNAME`` and ``SCRAPYD_PASSWORD``
environment variables (the ones scrapyd itself reads), never from the URL: a URL holding
``user:password@`` is refused. No message, log record or ``repr`` shows the password.

Every failure is a :class:`ScrapydError`: :class:`ScrapydUnreachable` (connection refused,
timeout, unknown host), :class:`ScrapydAuthFailed` (401), :class:`ScrapydRefused` (scrapyd
answered ``{"status": "error"}`` or an HTTP error status; its message is kept) and
:class:`ScrapydConfigError` (a bad URL or half the credentials).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import urlsplit

import requests

from scholarcrawl.events import log_event

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:6800"
DEFAULT_PROJECT = "scholarcrawl"
URL_VAR = "SCRAPYD_URL"
USERNAME_VAR = "SCRAPYD_USERNAME"
PASSWORD_VAR = "SCRAPYD_PASSWORD"
# Form fields schedule.json takes for itself: a spider argument of that name would be swallowed.
RESERVED_ARGUMENTS = frozenset(
    {"project", "spider", "jobid", "priority", "setting", "_version", "_job"}
)
BODY_EXCERPT = 200


class ScrapydError(Exception):
    """scrapyd could not be used; the message says why, with the URL and never a password."""


class ScrapydConfigError(ScrapydError, ValueError):
    """The URL or the credentials are unusable (credentials in the URL, half of them set)."""


class ScrapydUnreachable(ScrapydError):
    """No answer: connection refused, timeout, unknown host."""


class ScrapydNoAnswer(ScrapydUnreachable):
    """The request was sent and no answer came in time: scrapyd may have acted on it."""


class ScrapydAuthFailed(ScrapydError):
    """scrapyd answered 401: credentials missing or wrong."""


class ScrapydRefused(ScrapydError):
    """scrapyd answered, and refused: ``{"status": "error", "message": ...}`` or an HTTP error."""

    def __init__(self, message: str, *, reason: str, status_code: int) -> None:
        super().__init__(message)
        self.reason = reason  # scrapyd's own message, or an excerpt of the body
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class ScrapydAuth:
    """HTTP Basic credentials for scrapyd; the password never appears in a repr."""

    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.username or not self.password:
            raise ScrapydConfigError("scrapyd credentials need both a username and a password")
        if ":" in self.username:
            raise ScrapydConfigError("a scrapyd username cannot contain ':' (HTTP Basic)")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ScrapydAuth | None:
        """``SCRAPYD_USERNAME`` and ``SCRAPYD_PASSWORD``: both, or neither (None)."""
        env = os.environ if environ is None else environ
        username = env.get(USERNAME_VAR, "")
        password = env.get(PASSWORD_VAR, "")
        if not username and not password:
            return None
        if not password:
            raise ScrapydConfigError(f"{USERNAME_VAR} is set but {PASSWORD_VAR} is not: set both")
        if not username:
            raise ScrapydConfigError(f"{PASSWORD_VAR} is set but {USERNAME_VAR} is not: set both")
        return cls(username, password)


class JobLists(TypedDict):
    """``listjobs.json``: one dict per job (``id``, ``spider``, times, ``log_url``, ...)."""

    pending: list[dict[str, Any]]
    running: list[dict[str, Any]]
    finished: list[dict[str, Any]]


def redact_url(url: str) -> str:
    """The URL without any ``user:password@`` part, for messages (an unparsable URL: its
    scheme only)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split(":", 1)[0] + ":…"
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def check_url(url: str) -> str:
    """The scrapyd base URL without a trailing slash; refuses credentials and non-HTTP URLs."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        raise ScrapydConfigError(f"not a scrapyd URL: {redact_url(text)!r}") from None
    if "@" in parts.netloc:
        raise ScrapydConfigError(
            f"the scrapyd URL {redact_url(text)!r} holds credentials: give them in "
            f"{USERNAME_VAR} and {PASSWORD_VAR} instead"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ScrapydConfigError(f"the scrapyd URL must be http(s)://HOST[:PORT], not {text!r}")
    return text.rstrip("/")


def scrapyd_url(
    settings: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """``SCRAPYD_URL`` from the environment, else the setting, else the default."""
    env = os.environ if environ is None else environ
    value = env.get(URL_VAR) or (settings.get(URL_VAR) if settings is not None else None)
    return check_url(str(value or DEFAULT_URL))


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything behind it (urllib3 keeps the socket error in ``reason``)."""
    found: list[BaseException] = []
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if any(current is seen for seen in found):
            continue
        found.append(current)
        for attribute in ("reason", "__cause__", "__context__"):
            inner = getattr(current, attribute, None)
            if isinstance(inner, BaseException):
                stack.append(inner)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return found


def _why_unreachable(exc: requests.RequestException) -> str:
    causes = _causes(exc)
    if any(isinstance(cause, socket.gaierror) for cause in causes) or any(
        type(cause).__name__ == "NameResolutionError" for cause in causes
    ):
        return "host name not resolved"
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "connection refused"
    if any(isinstance(cause, TimeoutError) for cause in causes):
        return "timed out"
    if any(isinstance(cause, ConnectionResetError) for cause in causes):
        return "connection reset"
    return type(exc).__name__


def _excerpt(text: str) -> str:
    collapsed = " ".join(text.split())
    if len(collapsed) > BODY_EXCERPT:
        return collapsed[:BODY_EXCERPT] + "…"
    return collapsed or "(empty body)"


class ScrapydClient:
    """Schedules, cancels and lists jobs on one scrapyd (``SCRAPYD_URL``, ``SCRAPYD_PROJECT``).

    Blocking (``requests``): for the CLI and tests, never from a spider or pipeline.
    """

    def __init__(self, url: str, *, auth: ScrapydAuth | None = None, timeout: float = 10.0) -> None:
        self.url = check_url(url)
        self.auth = auth
        self.timeout = timeout
        self._session = requests.Session()
        if auth is not None:
            self._session.auth = (auth.username, auth.password)

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> ScrapydClient:
        """The ``SCRAPYD_URL`` (environment, then setting), credentials from the environment."""
        return cls(
            scrapyd_url(settings, environ),
            auth=ScrapydAuth.from_environment(environ),
            timeout=timeout,
        )

    def __repr__(self) -> str:
        user = f", username={self.auth.username!r}" if self.auth else ""
        return f"ScrapydClient(url={self.url!r}{user}, timeout={self.timeout})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> ScrapydClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the API ---------------------------------------------------------------------------

    def schedule(
        self,
        project: str,
        spider: str,
        *,
        jobid: str,
        arguments: Mapping[str, str] | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> str:
        """Queue a job; returns the job id scrapyd reports (the ``jobid`` given).

        Each spider argument is a form field (scrapyd passes it as ``-a NAME=VALUE``), each
        setting a ``setting=NAME=VALUE`` field (``-s NAME=VALUE``).
        """
        if not jobid:
            raise ValueError("a scrapyd job needs a jobid")
        arguments = dict(arguments or {})
        settings = dict(settings or {})
        clashing = sorted(name for name in arguments if name in RESERVED_ARGUMENTS)
        if clashing:
            raise ValueError(
                f"spider argument{'s' if len(clashing) > 1 else ''} {', '.join(clashing)} "
                "cannot go through scrapyd: schedule.json takes these names for itself"
            )
        for name in settings:
            if not name or "=" in name:
                raise ValueError(f"not a setting name: {name!r}")
        form: list[tuple[str, str]] = [("project", project), ("spider", spider), ("jobid", jobid)]
        form += [(name, str(value)) for name, value in arguments.items()]
        form += [("setting", f"{name}={value}") for name, value in settings.items()]
        data = self._request("POST", "schedule.json", data=form)
        reported = data.get("jobid")
        if not isinstance(reported, str) or not reported:
            raise ScrapydRefused(
                f"scrapyd at {self.url} answered schedule.json without a job id",
                reason="no jobid",
                status_code=200,
            )
        log_event(
            logger,
            logging.INFO,
            "scrapyd.job_scheduled",
            project=project,
            spider=spider,
            jobid=reported,
            url=self.url,
        )
        return reported

    def cancel(self, project: str, jobid: str) -> str | None:
        """Cancel a job; returns its state before (``pending``, ``running``), None if neither."""
        data = self._request("POST", "cancel.json", data={"project": project, "job": jobid})
        prevstate = data.get("prevstate")
        log_event(
            logger,
            logging.INFO,
            "scrapyd.job_cancelled",
            project=project,
            jobid=jobid,
            prevstate=prevstate,
            url=self.url,
        )
        return str(prevstate) if prevstate else None

    def job_status(self, project: str, jobid: str) -> str | None:
        """``pending``, ``running``, ``finished``, or None for a job scrapyd does not know."""
        data = self._request("GET", "status.json", params={"project": project, "job": jobid})
        state = data.get("currstate")
        return str(state) if state else None

    def list_jobs(self, project: str) -> JobLists:
        """The project's pending, running and finished jobs (scrapyd keeps the last finished)."""
        data = self._request("GET", "listjobs.json", params={"project": project})

        def jobs(state: str) -> list[dict[str, Any]]:
            value = data.get(state) or []
            return [job for job in value if isinstance(job, dict)]

        return JobLists(pending=jobs("pending"), running=jobs("running"), finished=jobs("finished"))

    def daemon_status(self) -> dict[str, Any]:
        """``daemonstatus.json``: counts of pending, running and finished jobs, ``node_name``."""
        return self._request("GET", "daemonstatus.json")

    def list_projects(self) -> list[str]:
        return [str(name) for name in self._request("GET", "listprojects.json").get("projects", [])]

    def list_spiders(self, project: str) -> list[str]:
        """The spiders of the project's latest version (scrapyd runs ``scrapy list`` for it)."""
        data = self._request("GET", "listspiders.json", params={"project": project})
        return [str(name) for name in data.get("spiders", [])]

    def add_version(self, project: str, version: str, egg: bytes) -> int:
        """Upload an egg as a new version of the project; returns how many spiders it has."""
        data = self._request(
            "POST",
            "addversion.json",
            data={"project": project, "version": version},
            files={"egg": ("project.egg", egg)},
        )
        log_event(
            logger,
            logging.INFO,
            "scrapyd.version_added",
            project=project,
            version=version,
            spiders=data.get("spiders"),
            url=self.url,
        )
        return int(data.get("spiders", 0))

    # --- transport -------------------------------------------------------------------------

    def _request(self, method: str, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        where = f"scrapyd at {self.url}"
        try:
            response = self._session.request(
                method, f"{self.url}/{endpoint}", timeout=self.timeout, **kwargs
            )
        # requests' own messages repeat the URL and the urllib3 internals: ours say it once.
        except requests.ReadTimeout:
            raise ScrapydNoAnswer(
                f"{where} did not answer {endpoint} within {self.timeout:g} s "
                "(the request reached it: it may have acted on it)"
            ) from None
        except requests.Timeout:
            raise ScrapydUnreachable(
                f"{where} did not answer {endpoint} within {self.timeout:g} s"
            ) from None
        except requests.RequestException as exc:
            raise ScrapydUnreachable(
                f"cannot reach {where} ({endpoint}): {_why_unreachable(exc)}"
            ) from None
        if response.status_code == 401:
            if self.auth is None:
                hint = f"it asks for credentials: set {USERNAME_VAR} and {PASSWORD_VAR}"
            else:
                hint = f"it refused the credentials of user {self.auth.username!r}"
            raise ScrapydAuthFailed(f"{where} answered 401 to {endpoint}: {hint}")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = None
        if response.status_code >= 400 or data is None or data.get("status") == "error":
            if data is not None and data.get("message"):
                reason = str(data["message"]).strip()
            else:
                reason = _excerpt(response.text)
            status = f" (HTTP {response.status_code})" if response.status_code != 200 else ""
            raise ScrapydRefused(
                f"{where} refused {endpoint}{status}: {reason}",
                reason=reason,
                status_code=response.status_code,
            )
        return data
