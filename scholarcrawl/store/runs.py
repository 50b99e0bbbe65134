"""The ``crawl_runs`` table: every crawl from before it starts to after it ends.

A run scheduled through scrapyd is created ``queued`` by ``scholarcrawl schedule`` (its id is
the scrapyd job id); a crawl started by hand is created ``running`` when its spider opens.
:class:`scholarcrawl.extensions.runs.RunTracker` marks it ``running``, writes a heartbeat with
its counters and progress every ``RUNS_HEARTBEAT_SECONDS``, and its end status when it closes.
A process killed without closing leaves a ``running`` row whose heartbeat goes stale:
:meth:`RunStore.reap` marks it ``failed`` (the next run does, and ``scholarcrawl runs reap``).

``run_scholars`` says what each run did to each profile (:meth:`RunStore.for_scholar`).
Every method is one transaction; datetimes are timezone-aware UTC both ways.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from scholarcrawl.store.models import CrawlRun, RunScholar
from scholarcrawl.store.repository import as_utc, utcnow

QUEUED = "queued"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
STATUSES = (QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED)
FINISHED = (COMPLETED, FAILED, CANCELLED)


class RunNotFound(LookupError):
    """No run has this id (or the prefix is ambiguous)."""


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _json_ready(record: Any) -> dict[str, Any]:
    """A record's fields, datetimes in ISO 8601."""
    values: dict[str, Any] = {}
    for name in record.__slots__:
        value = getattr(record, name)
        values[name] = value.isoformat() if isinstance(value, datetime) else value
    return values


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A detached snapshot of a ``crawl_runs`` row."""

    id: str
    spider: str
    arguments: dict[str, Any]
    status: str
    stats: dict[str, Any]
    counters: dict[str, Any]
    progress: dict[str, Any]
    error: str | None
    scrapyd_job_id: str | None
    scrapyd_url: str | None
    node: str | None
    stale_after_seconds: float | None
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row: CrawlRun) -> RunRecord:
        return cls(
            id=row.id,
            spider=row.spider,
            arguments=dict(row.arguments or {}),
            status=row.status,
            stats=dict(row.stats or {}),
            counters=dict(row.counters or {}),
            progress=dict(row.progress or {}),
            error=row.error,
            scrapyd_job_id=row.scrapyd_job_id,
            scrapyd_url=row.scrapyd_url,
            node=row.node,
            stale_after_seconds=row.stale_after_seconds,
            created_at=as_utc(row.created_at),
            started_at=_utc(row.started_at),
            heartbeat_at=_utc(row.heartbeat_at),
            finished_at=_utc(row.finished_at),
        )

    def as_json(self) -> dict[str, Any]:
        """JSON-ready, for ``--json`` output."""
        return _json_ready(self)

    def is_stale(self, stale_after_seconds: float, now: datetime) -> bool:
        """Running without a heartbeat for longer than its own limit and ``stale_after_seconds``
        (the rule :meth:`RunStore.reap` applies)."""
        beat = self.heartbeat_at or self.started_at
        limit = max(stale_after_seconds, self.stale_after_seconds or 0.0)
        return self.status == RUNNING and beat is not None and (now - beat).total_seconds() > limit


@dataclass(frozen=True, slots=True)
class ScholarRun:
    """One run's outcome for one profile, with the run's own status."""

    run_id: str
    spider: str
    run_status: str
    scholar_status: str
    reason: str | None
    pages_fetched: int
    rows_seen: int
    started_at: datetime | None
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        """JSON-ready, for ``--json`` output."""
        return _json_ready(self)


@dataclass(frozen=True, slots=True)
class RunProfile:
    """One profile's outcome in a run."""

    scholar_id: str
    status: str
    reason: str | None
    pages_fetched: int
    rows_seen: int

    def as_json(self) -> dict[str, Any]:
        """JSON-ready, for ``--json`` output."""
        return _json_ready(self)


@dataclass(frozen=True, slots=True)
class Adoption:
    """What :meth:`RunStore.begin` did: the run id, and whether a queued row was taken over."""

    run_id: str
    adopted: bool
    note: str | None = None  # why a scrapyd job got a row of its own


class RunStore:
    """Reads and writes ``crawl_runs`` and ``run_scholars``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # --- writing ---------------------------------------------------------------------------

    def create(
        self,
        spider: str,
        arguments: Mapping[str, Any],
        *,
        status: str = QUEUED,
        run_id: str | None = None,
        scrapyd_job_id: str | None = None,
        scrapyd_url: str | None = None,
        node: str | None = None,
        stale_after_seconds: float | None = None,
    ) -> str:
        """A new run row (committed when this returns); its id."""
        if status not in (QUEUED, RUNNING):
            raise ValueError(f"a run is created queued or running, not {status!r}")
        now = utcnow()
        run_id = run_id or str(uuid.uuid4())
        with self._session() as session:
            session.add(
                CrawlRun(
                    id=run_id,
                    spider=spider,
                    arguments=dict(arguments),
                    status=status,
                    stats={},
                    counters={},
                    progress={},
                    scrapyd_job_id=scrapyd_job_id,
                    scrapyd_url=scrapyd_url,
                    node=node if status == RUNNING else None,
                    stale_after_seconds=stale_after_seconds,
                    created_at=now,
                    started_at=now if status == RUNNING else None,
                    heartbeat_at=now if status == RUNNING else None,
                )
            )
        return run_id

    def begin(
        self,
        spider: str,
        arguments: Mapping[str, Any],
        *,
        node: str,
        scrapyd_job_id: str | None = None,
        stale_after_seconds: float | None = None,
    ) -> Adoption:
        """Mark the run ``running``: the queued row of this scrapyd job, else a new row.

        ``scholarcrawl schedule`` uses the run id as the job id, so a job finds its row by id.
        A job scheduled some other way (scrapyd's own API, another database) gets a row of its
        own that keeps the job id. Either way the row gets the arguments as the spider
        validated them, so every run records them in the same form.
        """
        now = utcnow()
        note = None
        if scrapyd_job_id is not None and is_uuid(scrapyd_job_id):
            with self._session() as session:
                # conditional: a run failed or cancelled meanwhile is never taken back
                result = session.execute(
                    update(CrawlRun)
                    .where(
                        CrawlRun.id == scrapyd_job_id,
                        CrawlRun.status == QUEUED,
                        CrawlRun.spider == spider,
                    )
                    .values(
                        status=RUNNING,
                        arguments=dict(arguments),
                        scrapyd_job_id=scrapyd_job_id,
                        node=node,
                        stale_after_seconds=stale_after_seconds,
                        started_at=now,
                        heartbeat_at=now,
                        finished_at=None,
                        error=None,
                    )
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    return Adoption(scrapyd_job_id, adopted=True)
                row = session.get(CrawlRun, scrapyd_job_id)
                if row is not None:
                    note = f"its run is {row.status} (spider {row.spider}), not a queued {spider}"
        if scrapyd_job_id is not None and note is None:
            note = "no queued run has this job id"
        run_id = self.create(
            spider,
            arguments,
            status=RUNNING,
            scrapyd_job_id=scrapyd_job_id,
            node=node,
            stale_after_seconds=stale_after_seconds,
        )
        return Adoption(run_id, adopted=False, note=note)

    def heartbeat(
        self,
        run_id: str,
        *,
        counters: Mapping[str, Any],
        progress: Mapping[str, Any],
    ) -> bool:
        """Renew a running row's heartbeat with its figures; False when it is not running."""
        with self._session() as session:
            result = session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id, CrawlRun.status == RUNNING)
                .values(heartbeat_at=utcnow(), counters=dict(counters), progress=dict(progress))
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def finish(
        self,
        run_id: str,
        status: str,
        *,
        stats: Mapping[str, Any] | None = None,
        counters: Mapping[str, Any] | None = None,
        progress: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> str | None:
        """Write the run's end; the status it had before (None when there is no such run).

        The process that ran knows better than a reaper that guessed from a stale heartbeat,
        so a row reaped while its process was still alive gets its real end.
        """
        if status not in FINISHED:
            raise ValueError(f"a run finishes {', '.join(FINISHED)}, not {status!r}")
        now = utcnow()
        with self._session() as session:
            row = session.get(CrawlRun, run_id)
            if row is None:
                return None
            before = row.status
            row.status = status
            row.error = error
            if stats is not None:
                row.stats = dict(stats)
            if counters is not None:
                row.counters = dict(counters)
            if progress is not None:
                row.progress = dict(progress)
            row.finished_at = now
            if row.started_at is not None:
                row.heartbeat_at = now
            return before

    def fail_queued(self, run_id: str, error: str) -> bool:
        """A queued run that will never start (scrapyd refused or lost it): ``failed``."""
        return self._end_queued(run_id, FAILED, error)

    def cancel_queued(self, run_id: str, reason: str) -> bool:
        """A queued run taken off scrapyd before it started: ``cancelled``."""
        return self._end_queued(run_id, CANCELLED, reason)

    def _end_queued(self, run_id: str, status: str, error: str) -> bool:
        """End a run that is still queued; False when it is not (it started, or ended)."""
        with self._session() as session:
            result = session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id, CrawlRun.status == QUEUED)
                .values(status=status, error=error, finished_at=utcnow())
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def reap(self, stale_after: timedelta, *, now: datetime | None = None) -> list[RunRecord]:
        """Mark ``failed`` every running row whose heartbeat is older than ``stale_after`` and
        than the run's own limit (``stale_after_seconds``: a run with a slow heartbeat is not
        taken for dead by a process with a quicker one).

        The update is conditional on the stale heartbeat, so a run that beats meanwhile is
        left alone and two reapers never both claim a row.
        """
        now = now or utcnow()
        limit = now - stale_after
        stale = and_(
            CrawlRun.status == RUNNING,
            or_(
                CrawlRun.heartbeat_at < limit,
                and_(CrawlRun.heartbeat_at.is_(None), CrawlRun.started_at < limit),
            ),
        )
        reaped: list[RunRecord] = []
        with self._session() as session:
            rows = session.execute(select(CrawlRun).where(stale)).scalars().all()
            for row in rows:
                if not RunRecord.of(row).is_stale(stale_after.total_seconds(), now):
                    continue  # its own limit is longer: the reaper's is not its to apply
                beat = _utc(row.heartbeat_at or row.started_at)
                error = (
                    f"no heartbeat since {beat.isoformat(timespec='seconds') if beat else '?'}"
                    f" (on {row.node or 'an unknown node'}): the process was killed or lost"
                )
                result = session.execute(
                    update(CrawlRun)
                    .where(CrawlRun.id == row.id, stale)
                    .values(status=FAILED, error=error, finished_at=now)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    session.refresh(row)
                    reaped.append(RunRecord.of(row))
        return reaped

    # --- reading ---------------------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord:
        """The run with this id, or the only one whose id starts with it (at least 4 chars)."""
        with self._session() as session:
            row = session.get(CrawlRun, run_id)
            if row is None and len(run_id) >= 4:
                rows = (
                    session.execute(
                        select(CrawlRun).where(CrawlRun.id.startswith(run_id, autoescape=True))
                    )
                    .scalars()
                    .all()
                )
                if len(rows) > 1:
                    raise RunNotFound(f"{len(rows)} runs start with {run_id!r}: give more of it")
                row = rows[0] if rows else None
            if row is None:
                row = session.execute(  # a job id scrapyd's own API reused: the newest
                    select(CrawlRun)
                    .where(CrawlRun.scrapyd_job_id == run_id)
                    .order_by(CrawlRun.created_at.desc())
                    .limit(1)
                ).scalar_one_or_none()
            if row is None:
                raise RunNotFound(f"no run {run_id!r}")
            return RunRecord.of(row)

    def recent(
        self,
        *,
        status: str | Sequence[str] | None = None,
        spider: str | None = None,
        limit: int | None = 20,
    ) -> list[RunRecord]:
        """The newest runs first."""
        query = select(CrawlRun).order_by(CrawlRun.created_at.desc(), CrawlRun.id)
        if isinstance(status, str):
            query = query.where(CrawlRun.status == status)
        elif status is not None:
            query = query.where(CrawlRun.status.in_(list(status)))
        if spider is not None:
            query = query.where(CrawlRun.spider == spider)
        if limit is not None:
            query = query.limit(limit)
        with self._session() as session:
            return [RunRecord.of(row) for row in session.execute(query).scalars()]

    def counts(self) -> dict[str, int]:
        """Runs by status."""
        with self._session() as session:
            rows = session.execute(
                select(CrawlRun.status, func.count()).group_by(CrawlRun.status)
            ).all()
        return {status: int(count) for status, count in rows}

    def for_scholar(self, scholar_id: str, *, limit: int | None = None) -> list[ScholarRun]:
        """The runs that touched a profile, newest first, with the profile's outcome in each."""
        query = (
            select(RunScholar, CrawlRun)
            .join(CrawlRun, CrawlRun.id == RunScholar.run_id)
            .where(RunScholar.scholar_id == scholar_id)
            .order_by(CrawlRun.created_at.desc(), CrawlRun.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._session() as session:
            return [
                ScholarRun(
                    run_id=run.id,
                    spider=run.spider,
                    run_status=run.status,
                    scholar_status=touched.status,
                    reason=touched.reason,
                    pages_fetched=touched.pages_fetched,
                    rows_seen=touched.rows_seen,
                    started_at=_utc(run.started_at),
                    updated_at=as_utc(touched.updated_at),
                )
                for touched, run in session.execute(query).all()
            ]

    def scholars_of(self, run_id: str) -> list[RunProfile]:
        """The profiles a run touched, with their outcomes, in the order it recorded them."""
        query = select(RunScholar).where(RunScholar.run_id == run_id).order_by(RunScholar.id)
        with self._session() as session:
            return [
                RunProfile(row.scholar_id, row.status, row.reason, row.pages_fetched, row.rows_seen)
                for row in session.execute(query).scalars()
            ]
