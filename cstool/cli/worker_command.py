"""``cstool worker``: the department's jobs on their own (mail, escalation, notices, the
monthly report, retention), each run as the cstool command it is, by the one worker of the
store that leads; a line per run; SIGTERM ends it between jobs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime

import click

from cstool.core.errors import CstoolError
from cstool.core.i18n import _
from cstool.stores.base import Leads


def register(cli: click.Group) -> None:
    cli.add_command(worker_command)


STATE = "worker"  # {"months": {job: the month it last covered}}: shared by every worker of a store
FOLLOW_SECONDS = 5.0  # how often a worker that does not lead asks again
STOP_GRACE_SECONDS = 60  # a job running at SIGTERM is let finish this long, then stopped


def _command() -> list[str]:
    """This cstool, as the process that runs it was started (the tests' clock included)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    module = spec.name if spec is not None and spec.name.startswith("cstool") else "cstool"
    return [sys.executable, "-m", module.removesuffix(".__main__")]


class Worker:
    def __init__(self, app, jobs: list, echo=click.echo):
        from cstool.core.worker import Schedule

        self.app, self.echo = app, echo
        self.schedule = Schedule(jobs)
        self.stop = threading.Event()
        self.lease = None
        self.waiting_said = False
        self.policy_seen: str | None = None  # the text of the policy in force when last looked at

    def log(self, message: str) -> None:
        stamp = datetime.now().astimezone(self.app.tz).strftime("%Y-%m-%d %H:%M:%S")
        self.echo(f"{stamp} {message}")

    # ---- leading ------------------------------------------------------------------------

    def _leads(self) -> bool:
        """Whether this worker leads now: a lease kept, or one taken; a store away is said and waited out."""
        if self.lease is not None:
            if self.lease.held():
                return True
            self.log(_("lost the lead (the store went away); asking again"))
            self.lease.release()
            self.lease = None
        store = self.app.store
        try:
            forget = getattr(store, "forget", None)
            if forget is not None:
                forget()
            self.lease = store.lead("worker")
        except CstoolError as exc:
            self.log(_("the store cannot be reached: {error}").format(error=exc))
            return False
        if self.lease is None:
            if not self.waiting_said:
                self.log(_("another worker leads this store; waiting to take over"))
                self.waiting_said = True
            return False
        self.waiting_said = False
        self.log(_("leading: the jobs of this store run here"))
        return True

    # ---- running ------------------------------------------------------------------------

    def run(self, once: bool = False) -> None:
        jobs = ", ".join(
            f"{job.name} ({every if isinstance(every, str) else _every(every)})" for job, every in self.schedule.plan
        )
        self.log(
            _("worker started for {workspace}: {jobs}").format(workspace=self.app.workspace.root, jobs=jobs or "-")
        )
        try:
            while not self.stop.is_set():
                if self._leads():
                    self._run_due()
                    if once:
                        break
                    pause = self.schedule.wait(time.monotonic())
                else:
                    if once:
                        break
                    pause = FOLLOW_SECONDS
                self.stop.wait(pause)
        finally:
            if self.lease is not None:
                self.lease.release()
            self.log(_("worker stopped"))

    def _run_due(self) -> None:
        try:
            months = (self.app.store.read_state(STATE) or {}).get("months", {})
        except CstoolError as exc:
            self.log(_("the store cannot be reached: {error}").format(error=exc))
            return
        self._look_at_policy()
        started = time.monotonic()
        for job, month in self.schedule.due(started, self.app.now(), self.app.tz, months):
            if self.stop.is_set() or self.lease is None or not self.lease.held():
                return
            ok = self._run(job, month)
            self.schedule.ran(job, started, ok)
            if ok and month:
                self._covered(job.name, month)

    def _look_at_policy(self) -> None:
        """A policy changed since the last look (``cstool policy set`` at any desk) makes the
        jobs that keep what it decides due at once."""
        from cstool.core import policy_history

        try:
            shared = policy_history.current(self.app.store) if self.app.store_url is not None else None
            text = shared["text"] if shared is not None else self.app.workspace.policy_path.read_text(encoding="utf-8")
        except (OSError, CstoolError):
            return  # unreadable now: looked at again next time
        if self.policy_seen is not None and text != self.policy_seen:
            again = self.schedule.policy_changed()
            if again:
                self.log(_("the policy changed: {jobs} run again now").format(jobs=", ".join(again)))
        self.policy_seen = text

    def _run(self, job, month: str) -> bool:
        args = [arg.replace("{month}", month) for arg in job.args]
        command = [*_command(), "--workspace", str(self.app.workspace.root), "--no-input", *args]
        env = {**os.environ, "CSTOOL_USER": self.app.user}  # the worker's person, as it was started
        began = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        out, err = self._finish(process)
        took = time.monotonic() - began
        name = f"{job.name} {month}".strip()
        if process.returncode != 0:
            said = _last_line(err) or _last_line(out) or _("exit status {code}").format(code=process.returncode)
            self.log(_("{job}: failed ({seconds:.1f} s): {said}").format(job=name, seconds=took, said=said))
            return False
        said = _summary(job, out) or _last_line(err) or _("done")
        self.log(_("{job}: {said} ({seconds:.1f} s)").format(job=name, said=said, seconds=took))
        return True

    def _finish(self, process: subprocess.Popen) -> tuple[str, str]:
        """The job's output; at SIGTERM it is let finish (a command is all or nothing), up to a
        minute, then stopped as SIGTERM stops any cstool command."""
        deadline = None
        while True:
            try:
                return process.communicate(timeout=1)
            except subprocess.TimeoutExpired:
                if self.stop.is_set():
                    deadline = deadline or time.monotonic() + STOP_GRACE_SECONDS
                    if time.monotonic() > deadline:
                        process.terminate()

    def _covered(self, name: str, month: str) -> None:
        try:
            with self.app.store.shared_state(STATE) as state:
                value = state.load() or {}
                value.setdefault("months", {})[name] = month
                state.save(value)
        except CstoolError as exc:
            self.log(_("{job}: done, but the month was not kept ({error})").format(job=name, error=exc))


def _every(delta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _summary(job, out: str) -> str:
    if job.summary is not None:
        try:
            return job.summary(json.loads(out))
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
    return _last_line(out)


def _echo_now(line: str) -> None:
    click.echo(line)
    sys.stdout.flush()  # a log read as it is written (journald, a pipe, tail -f)


def worker_jobs(app) -> list:
    """The core's jobs and every plugin's (``cstool_worker_jobs``), each name once."""
    from cstool.core.worker import core_jobs

    jobs = {job.name: job for job in core_jobs()}
    for declared in app.hook.cstool_worker_jobs():
        for job in declared or []:
            if job.name in jobs:
                app.warn(_("worker job {name!r} is declared twice; the first is kept").format(name=job.name))
                continue
            jobs[job.name] = job
    return list(jobs.values())


@click.command("worker")
@click.option("--once", is_flag=True, help="Run each job that is due once, then exit (for cron).")
@click.pass_obj
def worker_command(app, once):
    """后台任务: run the department's jobs on their own: mail fetched, clocks escalated and
    notices delivered, the monthly report sent on the 1st, personal data purged past retention
    (intervals in [worker]; each job is the cstool command of that name). Of several workers on
    one store, one leads and runs the jobs; the others take over if it stops. SIGTERM or Ctrl-C
    ends it between jobs; a line is written for each run."""
    from cstool.core.worker import planned

    settings = app.policy.get("worker") or {}
    if not isinstance(settings, dict):
        raise CstoolError(_("policy.toml: [worker] must be a table of job = interval"))
    plan = planned(worker_jobs(app), settings, app.policy.get)
    if not isinstance(app.store, Leads):
        raise CstoolError(
            _("the store {store} cannot elect a leader: run one worker").format(store=app.store.description)
        )
    worker = Worker(app, plan, echo=_echo_now)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: worker.stop.set())
    worker.run(once=once)
