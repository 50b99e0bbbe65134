"""Scheduling crawls on scrapyd so that every job is a run from before it starts.

:func:`schedule_run` validates the spider arguments here, creates the ``queued`` run row and
commits it, then asks scrapyd for a job whose id is the run id. When scrapyd refuses or cannot
be reached, the run is marked ``failed`` with the reason and :class:`ScheduleFailed` is raised.
The job's :class:`~scholarcrawl.extensions.runs.RunTracker` takes the queued row over.

:func:`work_due` says whether there is anything for a ``resume=due`` or a ``pdfs`` job to do,
so that cron can call ``scholarcrawl schedule --due`` (or ``--pdfs``) every few minutes.
:func:`settle_queued` fails the queued runs whose jobs will never start them, and
:func:`cancel_run` cancels a run's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader
from sqlalchemy import Engine

from scholarcrawl.extensions.runs import json_safe
from scholarcrawl.scrapyd import ScrapydClient, ScrapydError, ScrapydNoAnswer
from scholarcrawl.store.pdfqueue import PdfQueue
from scholarcrawl.store.queue import ContinuationQueue
from scholarcrawl.store.repository import utcnow
from scholarcrawl.store.runs import FAILED, QUEUED, RunStore


class ScheduleFailed(RuntimeError):
    """scrapyd did not take the job (or did not say): ``status`` is what the run is now,
    ``failed`` with ``str(self)`` as its error, or still ``queued`` when the job may exist."""

    def __init__(self, message: str, run_id: str, status: str = FAILED) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.status = status


@dataclass(frozen=True, slots=True)
class JobRequest:
    """A spider with its arguments (as scrapyd passes them: strings) and extra settings."""

    spider: str
    arguments: dict[str, str]
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A queued run and its scrapyd job, whose id is the run id."""

    run_id: str
    spider: str
    url: str


def check_job(request: JobRequest, project_settings: BaseSettings) -> dict[str, Any]:
    """The spider's validated arguments (JSON-ready), or ValueError with the spider's message.

    The same check runs again when the job starts on scrapyd: a bad argument is refused here,
    before any run row or job exists.
    """
    loader = SpiderLoader.from_settings(project_settings)
    try:
        spidercls = loader.load(request.spider)
    except KeyError:
        raise ValueError(
            f"no spider {request.spider!r} (the spiders are {', '.join(loader.list())})"
        ) from None
    check = getattr(spidercls, "check_arguments", None)
    validated = check(request.arguments) if check is not None else dict(request.arguments)
    return json_safe(validated)


def schedule_run(
    engine: Engine,
    client: ScrapydClient,
    project: str,
    request: JobRequest,
    arguments: Mapping[str, Any],
) -> Scheduled:
    """Create the queued run (committed), then the scrapyd job with ``jobid=<run id>``.

    ``arguments`` are the validated ones (:func:`check_job`), recorded on the run.
    """
    runs = RunStore(engine)
    run_id = runs.create(request.spider, arguments, scrapyd_url=client.url)
    try:
        jobid = client.schedule(
            project,
            request.spider,
            jobid=run_id,
            arguments=request.arguments,
            settings=request.settings,
        )
    except ScrapydNoAnswer as exc:
        # the job may exist: the run stays queued for `runs reap --scrapyd` to settle
        raise ScheduleFailed(
            f"{exc}; the run stays queued until `scholarcrawl runs reap --scrapyd` learns "
            "whether the job exists",
            run_id,
            status=QUEUED,
        ) from None
    except (ScrapydError, ValueError) as exc:
        message = f"not scheduled: {exc}"
        if not runs.fail_queued(run_id, message):
            message += f" (yet the run is {runs.get(run_id).status}: its job started)"
        raise ScheduleFailed(message, run_id) from None
    if jobid != run_id:
        message = f"scrapyd at {client.url} gave the job the id {jobid!r}, not the run's"
        runs.fail_queued(run_id, message)
        raise ScheduleFailed(message, run_id)
    return Scheduled(run_id=run_id, spider=request.spider, url=client.url)


def work_due(engine: Engine, spider: str, arguments: Mapping[str, Any]) -> int:
    """How many rows a job would find due now: PDF rows for ``pdfs`` (with ``download``, the
    rows still to download too), continuation rows for ``scholar -a resume=due``."""
    if spider == "pdfs":
        return PdfQueue(engine).due_count(download=bool(arguments.get("download")))
    return len(ContinuationQueue(engine).due())


def settle_queued(
    engine: Engine, client: ScrapydClient, project: str, *, min_age_seconds: float = 60.0
) -> list[tuple[str, str]]:
    """Fail the queued runs whose scrapyd job will never start them; (run id, why) of each.

    A job that scrapyd reports ``finished`` while its run is still queued died before the
    spider opened (its log says why); one scrapyd does not know was lost (scrapyd forgets
    finished jobs when it restarts, and a job cancelled while pending). Pending and running
    jobs are left alone, and so are runs queued less than ``min_age_seconds`` ago, whose
    ``schedule.json`` may still be on its way, and runs scheduled on another scrapyd.
    Raises :class:`ScrapydError` when scrapyd cannot be asked.
    """
    runs = RunStore(engine)
    settled = []
    young = utcnow() - timedelta(seconds=min_age_seconds)
    for run in runs.recent(status=QUEUED, limit=None):
        if run.created_at > young or run.scrapyd_url != client.url:
            continue  # schedule.json may be on its way; or another scrapyd holds the job
        state = client.job_status(project, run.id)
        if state in ("pending", "running"):
            continue
        if state == "finished":
            why = (
                "its scrapyd job finished without starting the run "
                f"(the job's log on {client.url} says why)"
            )
        else:
            why = f"scrapyd at {client.url} does not know its job (cancelled, or scrapyd restarted)"
        if runs.fail_queued(run.id, why):
            settled.append((run.id, why))
    return settled


def cancel_run(
    engine: Engine, client: ScrapydClient, project: str, run_id: str
) -> tuple[bool, str]:
    """Cancel a run's scrapyd job; whether scrapyd had one to cancel, and what happened.

    A pending job's run is marked ``cancelled`` here; a running job is sent SIGINT by scrapyd
    and its run tracker records ``cancelled`` when the crawl closes.
    """
    runs = RunStore(engine)
    run = runs.get(run_id)
    job = run.scrapyd_job_id or run.id
    before = client.cancel(project, job)
    if before == "pending":
        if runs.cancel_queued(run.id, "cancelled in scrapyd before it started"):
            return True, f"run {run.id} cancelled before it started"
        return (
            True,
            f"run {run.id}: its pending job is cancelled; the run is {runs.get(run.id).status}",
        )
    if before == "running":
        return (
            True,
            f"run {run.id}: scrapyd stops its job; the run records `cancelled` when it closes",
        )
    return False, (
        f"run {run.id} is {run.status}: scrapyd at {client.url} has no pending or running job {job}"
    )
