"""How far each requested profile got in this run (in memory, one entry per profile).

The spider updates it; the store pipeline writes it to ``scholars`` when the run closes and
the summary extension reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Closed vocabulary of profile outcomes.
PENDING = "pending"
COMPLETE = "complete"
ROBOTS_DISALLOWED = "robots_disallowed"
UNAVAILABLE = "unavailable"
BLOCKED = "blocked"
ERROR = "error"
INCOMPLETE = "incomplete"
DEFERRED = "deferred"  # a page was not sent (cooldown, max_pages, max_seconds): queued for later
CLAIMED_ELSEWHERE = "claimed_elsewhere"  # another run holds this profile's queue row


@dataclass(slots=True)
class ProfileProgress:
    scholar_id: str
    status: str = PENDING
    reason: str | None = None
    pages_fetched: int = 0
    rows_seen: int = 0
    next_cstart: int | None = None  # the first page not fetched, when the profile has more
    pages_before: int = 0  # pages of this profile stored by earlier runs (a continuation)
    rows_before: int = 0


@dataclass(slots=True)
class RunProgress:
    """Progress of every profile requested in this run, in request order."""

    profiles: dict[str, ProfileProgress] = field(default_factory=dict)

    def add(self, scholar_id: str) -> ProfileProgress:
        return self.profiles.setdefault(scholar_id, ProfileProgress(scholar_id))

    def get(self, scholar_id: str) -> ProfileProgress:
        return self.add(scholar_id)

    def page_fetched(self, scholar_id: str, rows: int) -> None:
        progress = self.get(scholar_id)
        progress.pages_fetched += 1
        progress.rows_seen += rows

    def finish(
        self,
        scholar_id: str,
        status: str,
        reason: str | None = None,
        next_cstart: int | None = None,
    ) -> None:
        progress = self.get(scholar_id)
        progress.status = status
        progress.reason = reason
        progress.next_cstart = next_cstart

    def by_status(self, status: str) -> list[ProfileProgress]:
        return [p for p in self.profiles.values() if p.status == status]

    def report(self) -> dict[str, int]:
        """Pages done of pages known, and profiles done of profiles requested.

        A profile not yet started has one known page; one still being fetched has one more
        than it fetched (the next page it asked for); a finished one, the pages it fetched.
        """
        pages_done = pages_known = profiles_done = 0
        for entry in self.profiles.values():
            pages_done += entry.pages_fetched
            if entry.status == PENDING:
                pages_known += entry.pages_fetched + 1
            else:
                pages_known += entry.pages_fetched
                profiles_done += 1
        return {
            "pages_done": pages_done,
            "pages_known": pages_known,
            "profiles_done": profiles_done,
            "profiles": len(self.profiles),
        }
