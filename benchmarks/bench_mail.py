"""`cstool mail fetch` from a real IMAP server (Debian's dovecot, started here on a free port),
and `cstool worker` left running (issue 36).

    .venv/bin/python benchmarks/bench_mail.py [MESSAGES] [WORKER_MINUTES]   # default 10000, 10

Side by side in one run: the floor (the same messages fetched over IMAP and parsed by the
standard library, nothing stored), `cstool mail fetch` into a folder workspace and into
PostgreSQL (a schema of the bench server, CSTOOL_BENCH_PG), and the
peak memory of each at two sizes (a tenth, and all): memory must not grow with the
mailbox. Goal: at least 100 messages/s, memory flat. Then the worker, with its jobs every
10 s (escalate, mail), for WORKER_MINUTES: its memory at the start and the end.
"""

from __future__ import annotations

import email.utils
import imaplib
import os
import random
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

from _common import CSTOOL, ENV, TEXTS, WORK

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from mailserver import start_dovecot  # noqa: E402

NAMES = ["张三", "李四", "王五", "Alice Chen", "Bob Li", "赵六"]


def messages(count: int, seed: int = 1):
    """New complaints, a fifth of them replies to an earlier one (In-Reply-To), a tenth auto-replies."""
    rng = random.Random(seed)
    for n in range(count):
        mail = EmailMessage()
        name = rng.choice(NAMES)
        mail["From"] = f"{name} <c{n % 3000}@example.cn>"
        mail["To"] = "kefu@shop.example"
        mail["Subject"] = rng.choice(["投诉：", "Complaint: ", "关于订单 "]) + str(n)
        mail["Message-ID"] = f"<m{n}@example.cn>"
        mail["Date"] = email.utils.format_datetime(email.utils.localtime())
        if n >= 10 and rng.random() < 0.2:
            mail["In-Reply-To"] = f"<m{rng.randrange(n)}@example.cn>"
        if rng.random() < 0.1:
            mail["Auto-Submitted"] = "auto-replied"
        mail.set_content(rng.choice(TEXTS) * rng.randint(1, 4), charset="utf-8")
        yield bytes(mail)


def fill(server, user: str, password: str, count: int) -> float:
    start = time.perf_counter()
    imap = server.connect(user, password)
    stamp = imaplib.Time2Internaldate(time.time() - 3600)
    for raw in messages(count):
        imap.append("INBOX", None, stamp, raw)
    imap.logout()
    return time.perf_counter() - start


def floor(server, user: str, password: str) -> tuple[float, int]:
    """Every message fetched and parsed by the standard library, in batches of 100: what a
    script of one's own would do before storing anything."""
    code = f"""
import imaplib, email, resource, time
from email import policy
start = time.perf_counter()
imap = imaplib.IMAP4("127.0.0.1", {server.port}); imap.login({user!r}, {password!r}); imap.select("INBOX")
uids = imap.uid("SEARCH", None, "ALL")[1][0].split()
for i in range(0, len(uids), 100):
    for item in imap.uid("FETCH", b",".join(uids[i:i+100]).decode(), "(BODY.PEEK[])")[1]:
        if isinstance(item, tuple):
            email.message_from_bytes(item[1], policy=policy.default).get_body(("plain",)).get_content()
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]) // 1024


def fetch(workspace: Path, password: str, store: str | None = None) -> tuple[float, int, str]:
    """(seconds, its own peak RSS in MB, what it filed) of one `mail fetch`."""
    import json

    out = WORK / "fetch.json"
    start = time.perf_counter()
    with out.open("w") as written:
        process = subprocess.Popen(
            [*CSTOOL, "--workspace", str(workspace), "mail", "fetch", "--format", "json"],
            stdout=written,
            env={**ENV, "CSTOOL_MAIL_PASSWORD": password, **({"CSTOOL_STORE_URL": store} if store else {})},
        )
        _pid, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - start
    peak = int(usage.ru_maxrss // 1024)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit("mail fetch failed")
    inbox = json.loads(out.read_text())["inboxes"][0]
    said = f"{len(inbox['new'])} new, {len(inbox['replies'])} replies, {inbox['automatic']} automatic"
    return took, peak, said


def workspace_for(server, user: str, name: str) -> Path:
    folder = WORK / name
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    subprocess.run([*CSTOOL, "init", str(folder)], env=ENV, check=True, capture_output=True)
    with (folder / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write(f'\n[mail.inboxes.support]\nlocation = "imap://{user}@127.0.0.1:{server.port}/INBOX"\n')
    return folder


def postgres_schema(name: str) -> str | None:
    """A fresh schema of the bench server, as a store URL (None without a server)."""
    server = os.environ.get("CSTOOL_BENCH_PG", "postgresql://postgres@127.0.0.1/test")
    try:
        import psycopg

        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            admin.execute(f"CREATE SCHEMA {name}")
    except Exception as exc:  # no server here: the folder alone is measured
        print(f"(PostgreSQL skipped: {exc})")
        return None
    return f"{server}?options=-csearch_path%3D{name}"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker(server, minutes: float) -> None:
    user, password = server.mailbox()
    folder = workspace_for(server, user, "mail-worker")
    with (folder / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write('\n[worker]\nescalate = "10s"\nmail = "10s"\nmonthly = "off"\n')
    log = WORK / "worker.log"
    process = subprocess.Popen(
        [*CSTOOL, "--workspace", str(folder), "worker"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env={**ENV, "CSTOOL_MAIL_PASSWORD": password},
    )
    readings = []
    end = time.monotonic() + minutes * 60
    while time.monotonic() < end:
        time.sleep(10)
        server.deliver(
            user, password, next(messages(1, seed=int(time.time()))).replace(b"<m0@", f"<w{time.time_ns()}@".encode())
        )
        readings.append(rss_mb(process.pid))
    process.terminate()
    process.wait(timeout=120)
    runs = sum(1 for line in log.read_text(encoding="utf-8").splitlines() if line[20:].startswith("mail"))
    print(f"worker, jobs every 10 s for {minutes:g} min ({runs} mail runs, a message every 10 s):")
    print(
        f"  RSS first {readings[0]:.1f} MB, after a minute {readings[min(5, len(readings) - 1)]:.1f} MB, last {readings[-1]:.1f} MB, max {max(readings):.1f} MB"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    minutes = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    WORK.mkdir(exist_ok=True)
    server, stop = start_dovecot()
    try:
        print(f"{'messages':>9} {'what':<34} {'seconds':>8} {'msg/s':>7} {'peak MB':>8}  outcome")
        for size in (count // 10, count):
            user, password = server.mailbox()
            filled = fill(server, user, password, size)
            took, peak = floor(server, user, password)
            print(f"{size:>9} {'floor: imaplib + email, no store':<34} {took:>8.1f} {size / took:>7.0f} {peak:>8}")
            workspace = workspace_for(server, user, f"mail-{size}")
            took, peak, said = fetch(workspace, password)
            print(f"{size:>9} {'cstool mail fetch (folder)':<34} {took:>8.1f} {size / took:>7.0f} {peak:>8}  {said}")
            took_again, _peak, said_again = fetch(workspace, password)
            print(f"{size:>9} {'again (nothing unseen)':<34} {took_again:>8.1f} {'':>7} {'':>8}  {said_again}")
            store = postgres_schema(f"cstool_bench_mail_{size}")
            if store:
                user, password = server.mailbox()
                fill(server, user, password, size)
                workspace = workspace_for(server, user, f"mail-pg-{size}")
                took, peak, said = fetch(workspace, password, store)
                print(
                    f"{size:>9} {'cstool mail fetch (PostgreSQL)':<34} {took:>8.1f} {size / took:>7.0f} {peak:>8}  {said}"
                )
            print(f"          (filled by IMAP APPEND in {filled:.1f} s)")
        if minutes > 0:
            worker(server, minutes)
    finally:
        stop()


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent)
    main()
