"""What ``cstool worker`` runs, and when: jobs (each a cstool command, run as its own process,
so that each is all-or-nothing as the command is, and the worker's memory stays what it is),
their intervals from ``[worker]`` in policy, and which are due. Pure: the loop that runs them
is in cli/worker_command.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cstool.core.errors import CstoolError
from cstool.core.i18n import _

MONTHLY = "monthly"  # once a month, the first run on or after the 1st (in the workspace's zone)
OFF = "off"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
SHORTEST = timedelta(seconds=10)


@dataclass(frozen=True)
class WorkerJob:
    """A job of ``cstool worker``: the cstool command it runs (``args``, without ``cstool``;
    ``{month}`` in an argument is replaced with the month a monthly job runs for), how often
    by default (``"5m"``, ``"1h"``, ``"1d"``, ``"monthly"``; ``[worker] NAME = "…"`` or
    ``"off"`` in policy overrides), and ``summary(json) -> str``, the line the worker logs
    from the command's JSON output (None: its exit status alone). ``on_policy_change``: run
    it again as soon as the policy in force changes, not only at its interval (what it keeps
    was reckoned under the old one: remembered clocks)."""

    name: str
    args: tuple[str, ...]
    every: str
    summary: Callable[[Any], str] | None = field(default=None, compare=False)
    needs: str | None = None  # a policy key that must be set for the job to run (a mail inbox)
    on_policy_change: bool = False


def parse_every(text: str) -> timedelta | str:
    """``"90s"``, ``"5m"``, ``"1h"``, ``"1d"`` as a timedelta (10 s at least), or ``monthly`` / ``off``."""
    value = str(text).strip().lower()
    if value in (MONTHLY, OFF):
        return value
    found = re.fullmatch(r"(\d+)\s*([smhd])", value)
    if not found:
        raise CstoolError(_("{text!r} is not an interval: write 30s, 5m, 1h, 1d, monthly or off").format(text=text))
    every = timedelta(seconds=int(found.group(1)) * UNITS[found.group(2)])
    if every < SHORTEST:
        raise CstoolError(_("{text!r}: a job runs at most every 10 seconds").format(text=text))
    return every


def planned(jobs: Iterable[WorkerJob], settings: Mapping[str, Any], policy_get: Callable[[str], Any]) -> list:
    """Each job that runs, with its interval: ``[(job, timedelta | "monthly")]``."""
    out = []
    for job in jobs:
        every = parse_every(settings.get(job.name, job.every))
        if every == OFF or (job.needs and not policy_get(job.needs)):
            continue
        out.append((job, every))
    return out


def month_before(now: datetime, tz) -> str:
    """The month before the one ``now`` falls in: the month a monthly report covers."""
    first = now.astimezone(tz).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


class Schedule:
    """When each job runs next: at once when the worker starts, then every interval after the
    previous run began (a run that took longer starts the next at once, never two at a time);
    a monthly job when the month it would cover has not been covered (``done_months``, kept
    in the store, so a worker restarted, or another taking over, never sends it twice)."""

    def __init__(self, plan: list):
        self.plan = plan
        self.next_at: dict[str, float] = {job.name: 0.0 for job, _every in plan}

    def due(self, clock: float, now: datetime, tz, done_months: Mapping[str, str]) -> list[tuple[WorkerJob, str]]:
        """The jobs due at ``clock`` (monotonic seconds), each with the month it covers ("" if none)."""
        out = []
        for job, every in self.plan:
            if every == MONTHLY:
                month = month_before(now, tz)
                if done_months.get(job.name) != month and clock >= self.next_at[job.name]:
                    out.append((job, month))
            elif clock >= self.next_at[job.name]:
                out.append((job, ""))
        return out

    def ran(self, job: WorkerJob, started: float, ok: bool) -> None:
        every = dict((j.name, e) for j, e in self.plan)[job.name]
        if every == MONTHLY:  # done: the month is kept; failed: try again in 10 minutes
            self.next_at[job.name] = started + (0 if ok else 600)
        else:
            self.next_at[job.name] = started + every.total_seconds()

    def policy_changed(self) -> list[str]:
        """The policy in force changed: the jobs that keep what it decides are due at once."""
        again = [job.name for job, every in self.plan if job.on_policy_change and every != MONTHLY]
        for name in again:
            self.next_at[name] = 0.0
        return again

    def wait(self, clock: float) -> float:
        """Seconds until the next job is due (at most 60: monthly jobs are looked at each minute)."""
        soonest = min(self.next_at.values(), default=clock + 60)
        return max(0.5, min(60.0, soonest - clock))


def core_jobs() -> list[WorkerJob]:
    def escalated(result: Mapping[str, Any]) -> str:
        return _("{count} escalated; {delivered} notices delivered, {held} held").format(
            count=len(result.get("actions", [])), delivered=result.get("delivered", 0), held=result.get("held", 0)
        )

    def purged(result: Mapping[str, Any]) -> str:
        return _("{count} records anonymised").format(count=sum(len(ids) for ids in result.get("records", {}).values()))

    def judged(result: Mapping[str, Any]) -> str:
        return _("{count} clocks judged and remembered").format(
            count=sum(row.get("count", 0) for row in result.get("rows", []))
        )

    return [
        WorkerJob("escalate", ("escalate", "--format", "json"), "5m", escalated),
        # every clock judged and remembered ahead of the people who read them: at once after a
        # policy change, so the first `report sla` or monthly report after it is not the one
        # that waits (at 1,000,000 records: 147 s against 6 s remembered)
        WorkerJob("clocks", ("report", "sla", "--format", "json"), "1h", judged, on_policy_change=True),
        WorkerJob("purge", ("privacy", "purge", "--format", "json"), "1d", purged, needs="privacy.retain_closed_days"),
    ]
