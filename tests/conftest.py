"""Test isolation: no installed plugins, no home folder, no inherited workspace."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from mailserver import free_port, listening

from cstool.core.i18n import set_language
from cstool.core.timeutil import allow_test_clock, fixed_now, zone
from cstool.testing import CliResult, run_cli

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


# The instant every test runs at: under the tests (this process, and `python -m cstool.testing`
# in the processes they start) cstool reads no real clock while CSTOOL_TEST_NOW is set.
# `CSTOOL_TEST_NOW=2028-02-29T09:30+08:00 make test` runs the whole suite on another day;
# `make test-dates` runs it on each of TEST_DATES in the Makefile.
TEST_NOW = os.environ.get("CSTOOL_TEST_NOW") or "2026-12-01T10:00:00+08:00"
allow_test_clock()
TEST_MONTH = fixed_now(TEST_NOW).astimezone(zone("Asia/Shanghai")).strftime("%Y-%m")  # of the default policy's zone


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CSTOOL_TEST_NOW", TEST_NOW)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CSTOOL_LOAD_ENTRYPOINTS", "0")
    monkeypatch.setenv("CSTOOL_USER", "tester")
    # Assertions read English messages; the Chinese ones are tested with --lang zh.
    monkeypatch.setenv("CSTOOL_LANG", "en")
    set_language("en")  # for tests calling the core directly, whatever an earlier test chose
    for name in ("CSTOOL_WORKSPACE", "CSTOOL_BLOCK_PLUGINS", "CSTOOL_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def invoke(*args: str, input: str | None = None) -> CliResult:
    """Run cstool in this process, as `main` would (plugins loaded for the args' workspace)."""
    return run_cli(*args, input=input)


def run_process(
    *args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120, prefix: list[str] = ()
) -> subprocess.CompletedProcess:
    """Run cstool as a real process (behind ``prefix``, a command that runs it, when given)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "cstool.testing", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
    )


def permissions_bind_root() -> list[str]:
    """A command prefix under which file permissions bind the process even when it runs as root
    (as CI does): the capabilities that override them are dropped. Empty for other users."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and no setpriv to drop the permission override")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture
def cli():
    return invoke


@pytest.fixture
def workspace(tmp_path) -> Path:
    path = tmp_path / "ws"
    result = invoke("init", str(path))
    assert result.exit_code == 0, result.stderr
    return path


@pytest.fixture
def ws_cli(workspace):
    """cstool bound to the test workspace."""

    def run(*args: str, input: str | None = None) -> CliResult:
        return invoke("--workspace", str(workspace), *args, input=input)

    return run


# A department of named people for tests of roles: this machine's login (and any database
# superuser named in `admins`, and CSTOOL_USER=tester) is the administrator; the rest act through --as.
DIRECTORY = """
[people."管理员"]
name = {{ en = "Admin" }}
logins = {logins}
role = "administrator"

[people."王经理"]
name = {{ en = "Manager Wang" }}
logins = ["wang"]
department = "customer_service"
role = "manager"

[people."李主管"]
name = {{ en = "Supervisor Li" }}
logins = ["li"]
department = "customer_service"
role = "supervisor"

[people."小李"]
name = {{ en = "Xiao Li" }}
logins = ["xiaoli"]
department = "customer_service"
role = "agent"

[people."小王"]
name = {{ en = "Xiao Wang" }}
logins = ["xiaowang"]
department = "customer_service"
role = "agent"

[people."小陈"]
name = {{ en = "Xiao Chen" }}
logins = ["xiaochen"]
department = "after_sales"
role = "agent"

[people."审计员"]
name = {{ en = "Auditor" }}
logins = ["audit"]
role = "auditor"
"""


def add_directory(workspace: Path, admins: tuple[str, ...] = ()) -> None:
    """Name the department's people in ``workspace``'s policy (DIRECTORY above)."""
    from cstool.core.files import atomic_write
    from cstool.stores.base import login_name

    logins = "[" + ", ".join(f'"{name}"' for name in (login_name(), "tester", *admins)) + "]"
    policy = workspace / "policy.toml"
    atomic_write(policy, (policy.read_text(encoding="utf-8") + DIRECTORY.format(logins=logins)).encode())


def complaint_args(**overrides: str) -> list[str]:
    values = {"customer_name": "张伟", "channel": "phone", "content": "电水壶漏水", "contact_phone": "13812341234"}
    values.update(overrides)
    args = []
    for name, value in values.items():
        args += ["--set", f"{name}={value}"]
    return args


# The PostgreSQL server the store tests use (CI and the development machines run one with
# trust authentication); each test gets a schema of its own, dropped afterwards.
PG_SERVER = os.environ.get("CSTOOL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin():
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[test]')")
    try:
        return psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.skip(f"no PostgreSQL server at {PG_SERVER} ({' '.join(str(exc).split())[:120]})")


@pytest.fixture
def pg_url():
    """A URL for an empty schema of the test server, dropped after the test."""
    import uuid

    admin = _pg_admin()
    schema = f"cstool_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


@pytest.fixture
def pgbouncer_url():
    """A URL for an empty database of the test server reached through Debian's PgBouncer in
    transaction mode (how a department's 200 desk processes share one server), started on a
    free port for the test. A database, not a schema: PgBouncer passes no search_path."""
    import uuid

    binary = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if binary is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)")
    admin = _pg_admin()
    database = f"cstool_bouncer_{uuid.uuid4().hex[:10]}"
    admin.execute(f"CREATE DATABASE {database}")
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="cstool-pgbouncer-"))  # not under tmp_path: nobody must reach it
    port = free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n* = host=127.0.0.1 port=5432\n[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\npool_mode = transaction\n"
        "max_client_conn = 200\ndefault_pool_size = 4\nignore_startup_parameters = extra_float_digits\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
    )
    for path in (folder, *folder.iterdir()):
        path.chmod(0o777 if path.is_dir() else 0o666)  # PgBouncer refuses to run as root: it runs as nobody
    command = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "nobody"]
    bouncer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            log = (folder / "pgbouncer.log").read_text(errors="replace") if (folder / "pgbouncer.log").exists() else ""
            pytest.fail(f"pgbouncer did not start: {log[-500:]}")
        yield f"postgresql://postgres@127.0.0.1:{port}/{database}"
    finally:
        bouncer.terminate()
        bouncer.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
        admin.execute(f"DROP DATABASE {database} WITH (FORCE)")
        admin.close()


@pytest.fixture(params=["folder", "postgresql"])
def backend(request, monkeypatch) -> str:
    """Run the test on each store: the folder, and PostgreSQL through CSTOOL_STORE_URL."""
    if request.param == "postgresql":
        monkeypatch.setenv("CSTOOL_STORE_URL", request.getfixturevalue("pg_url"))
    return request.param


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared real data folder {SHARED_DATA} is absent")
    return SHARED_DATA


def record_file(workspace: Path, record_id: str) -> Path:
    """The data file holding the record ``record_id``, found as the store finds it (from the id)."""
    from cstool.core.context import Context
    from cstool.core.host import build_host

    ctx = Context(build_host(workspace, entry_points=False), workspace)
    kind = ctx.kinds.kind_of_id(record_id).name
    return ctx.store.path(kind, ctx.store.partition_of_id(kind, record_id))


def kind_file(workspace: Path, kind: str) -> Path:
    """The one data file of a kind that is not stored by month (customer, survey, ...)."""
    return workspace / "data" / f"{kind}.json"


def data_snapshot(workspace: Path) -> dict[str, bytes]:
    """Every data file's bytes: equal before and after, a command wrote nothing."""
    data = workspace / "data"
    return {str(path.relative_to(data)): path.read_bytes() for path in sorted(data.rglob("*.json"))}


# A writer process for concurrency tests: `python -c WRITER WORKSPACE NAME COUNT` adds COUNT
# complaints, one transaction each, through the core API.
WRITER = """
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from cstool.core.context import Context
from cstool.core.host import build_host
workspace, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = Context(build_host(workspace, entry_points=False), workspace, user=name)
kind = ctx.kinds.get("complaint")
for i in range(count):
    ctx.book.create(kind, {"customer_name": f"{name}-{i}", "channel": "phone", "content": "并发写入",
                           "created_at": "2026-11-16T10:00:00+08:00"})
"""


def start_writer(workspace: Path, name: str, count: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(workspace), name, str(count)], cwd=ROOT, stderr=subprocess.PIPE
    )


@dataclass
class Venv:
    """A fresh virtual environment that borrows this one's installed libraries (no network)."""

    root: Path
    python: Path
    site: Path

    def pip_install(self, source: Path | str) -> None:
        """``pip install`` a project folder or wheel into this environment, as a user would."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--no-build-isolation",
                "-q",
                "--target",
                str(self.site),
                str(source),
            ],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr

    def run(self, *args, cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "PYTHONPATH": "", **(env or {})}
        return subprocess.run(
            [str(self.python), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=timeout
        )


def make_venv(folder: Path, *, with_checkout: bool) -> Venv:
    """A venv in ``folder``; ``with_checkout`` puts this checkout's cstool on its path.

    The fresh venv gets its dependencies from this one through a .pth line; .pth lines add
    folders but are not themselves scanned for .pth files, so this checkout's editable
    install stays out of it unless ``with_checkout`` adds the checkout itself.
    """
    import sysconfig
    import venv

    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    paths = [sysconfig.get_paths()["purelib"]] + ([str(ROOT)] if with_checkout else [])
    (site / "deps.pth").write_text("\n".join(paths) + "\n", encoding="utf-8")
    return Venv(folder, python, site)


# ---- a real SMTP server (aiosmtpd in its own process), for the notifiers ----------


@pytest.fixture
def smtp_server(tmp_path):
    port = free_port()
    mailbox = tmp_path / "mailbox"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(mailbox),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if not listening(port, server):
        server.kill()
        pytest.fail("the SMTP server did not start: " + server.stderr.read().decode())
    yield port, mailbox
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def imap_server():
    """A real IMAP server (dovecot) on a free port, with a configuration of its own under a
    temporary folder; no system service touched. Skipped with a reason where there is none."""
    from mailserver import DovecotUnavailable, start_dovecot

    try:
        server, stop = start_dovecot()
    except DovecotUnavailable as exc:
        pytest.skip(str(exc))
    yield server
    stop()
