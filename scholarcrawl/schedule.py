"""Scheduling crawls on scrapyd so that every job is a run from before it starts.

:func:`schedule_run` validates the spider arguments here, creates the ``queued`` run row and
commits it, then asks scrapyd for a job whose id is the run id. When scrapyd refuses or cannot
be reached, the run is marked ``failed`` with the reason and :class:`ScheduleFailed` is raised.
The job's :class:`~scholarcrawl.extensions.runs.RunTracker` takes the queued row over.

:func:`work_due` says whether there is anything for a ``resume=due`` or a ``pdfs`` job to do,
so that cron can call ``scholarcrawl schedule --due`` (or ``--pdfs``) every few minutes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader
from sqlalchemy import Engine

from scholarcrawl.scrapyd import ScrapydClient, ScrapydError
from scholarcrawl.store.pdfqueue import PdfQueue
from scholarcrawl.store.queue import ContinuationQueue
from scholarcrawl.store.runs import RunStore


class ScheduleFailed(RuntimeError):
    """scrapyd did not take the job; the run (``run_id``) is marked failed with ``str(self)``."""

    def __init__(self, message: str, run_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass(frozen=True, slots=True)
class JobRequest:
    """A spider with its arguments (as scrapyd passes them: strings) and extra settings."""

    spider: str
    arguments: dict[str, str]
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Scheduled:
    run_id: str
    jobid: str
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
    return dict(json.loads(json.dumps(validated, default=str)))


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
    run_id = runs.create(request.spider, arguments)
    try:
        jobid = client.schedule(
            project,
            request.spider,
            jobid=run_id,
            arguments=request.arguments,
            settings=request.settings,
        )
    except (ScrapydError, ValueError) as exc:
        message = f"not scheduled: {exc}"
        runs.fail_queued(run_id, message)
        raise ScheduleFailed(message, run_id) from None
    return Scheduled(run_id=run_id, jobid=jobid, spider=request.spider, url=client.url)


def work_due(engine: Engine, spider: str, arguments: Mapping[str, Any]) -> int:
    """How many rows a job would find due now: PDF rows for ``pdfs`` (with ``download``, the
    rows still to download too), continuation rows for ``scholar -a resume=due``."""
    if spider == "pdfs":
        return PdfQueue(engine).due_count(download=bool(arguments.get("download")))
    return len(ContinuationQueue(engine).due())
