"""Pytest fixtures for testing cstool plugins, yours or ours.

Enable them in a plugin's ``tests/conftest.py``::

    pytest_plugins = ["cstool.testing"]

    @pytest.fixture
    def cstool_plugins():
        import cstool_warranty
        return {"warranty": cstool_warranty}

Then a test asks for ``cstool`` and runs commands against a fresh workspace::

    def test_record(cstool):
        done = cstool("record", "warranty_claim", "--set", "serial=SN1", "--format", "json")
        assert done.exit_code == 0, done.stderr
        assert done.json()["id"].startswith("WC-")

Each test gets its own home folder and workspace, the bundled plugins and the plugins
``cstool_plugins`` names, and none of the plugins installed on the machine: the test sees
what it declares, whatever else the developer has installed.

Each test also runs at a fixed instant, so that it passes on any day: under the tests
cstool reads "now" from the environment variable ``CSTOOL_TEST_NOW`` (ISO 8601; read in
UTC without an offset) wherever it would read the clock, in this process and in the
processes a test starts with ``python -m cstool.testing ARGS`` (the ``cstool`` command
itself never reads it: its events take the real clock). The ``cstool_now`` fixture gives
the instant; override it to test at another one, or set ``CSTOOL_TEST_NOW`` yourself with
``monkeypatch.setenv`` inside a test::

    @pytest.fixture
    def cstool_now():
        return "2027-01-01T00:00:00+08:00"
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CliResult", "StoreContract", "run_cli"]


@dataclass
class CliResult:
    """What one command did: exit code, standard output, standard error (with plugin warnings)."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        import orjson

        return orjson.loads(self.stdout)


def run_cli(
    *args: str, plugins: dict[str, object] | None = None, input: str | None = None, entry_points: bool = False
) -> CliResult:
    """Run one cstool command in this process, as the ``cstool`` program would.

    ``plugins`` maps plugin names to plugin objects (usually modules) registered beside the
    bundled ones; installed entry points are skipped unless ``entry_points`` is true.
    """
    from click.testing import CliRunner

    from cstool.cli import prepare

    argv = [str(arg) for arg in args]
    loading = io.StringIO()  # warnings about plugins are printed while they load
    with contextlib.redirect_stderr(loading):
        cli = prepare(argv, extra_plugins=tuple((plugins or {}).items()), entry_points=entry_points)
    result = CliRunner().invoke(cli, argv, input=input, prog_name="cstool", catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, loading.getvalue() + result.stderr)


@pytest.fixture
def cstool_now() -> str:
    """The instant the test runs at (``CSTOOL_TEST_NOW``). Override it in your conftest.py."""
    return "2026-12-01T10:00:00+08:00"


@pytest.fixture
def cstool_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cstool_now: str) -> Path:
    """An isolated environment: own home folder, no CSTOOL_* settings from the shell, user
    ``tester``, "now" fixed at ``cstool_now``.

    Returns the temporary folder the test runs in.
    """
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CSTOOL_USER", "tester")
    from cstool.core.timeutil import allow_test_clock

    allow_test_clock()
    monkeypatch.setenv("CSTOOL_TEST_NOW", cstool_now)
    for name in ("CSTOOL_WORKSPACE", "CSTOOL_LANG", "CSTOOL_BLOCK_PLUGINS", "CSTOOL_LOAD_ENTRYPOINTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cstool_plugins() -> dict[str, object]:
    """The plugins under test, by name. Override it in your conftest.py; empty by default."""
    return {}


@pytest.fixture
def cstool_workspace(cstool_env: Path, cstool_plugins: dict[str, object]) -> Path:
    """A new workspace (``cstool init``) with the default policy, in the test's own folder."""
    path = cstool_env / "workspace"
    done = run_cli("init", str(path), plugins=cstool_plugins)
    if done.exit_code != 0:
        raise AssertionError(f"cstool init failed: {done.stderr}")
    return path


@pytest.fixture
def cstool(cstool_workspace: Path, cstool_plugins: dict[str, object]) -> Callable[..., CliResult]:
    """``cstool(*args, input=None)``: run a command in the test workspace with your plugins loaded."""

    def run(*args: str, input: str | None = None) -> CliResult:
        return run_cli("--workspace", str(cstool_workspace), *args, plugins=cstool_plugins, input=input)

    return run


# ---- the store contract ----------------------------------------------------------


class StoreContract:
    """What every store must do (docs/storage.md), as tests a store's author runs on their own
    store. Subclass it in a test module, naming the store by URL (None: the workspace's
    folder) and the plugin that opens it::

        from cstool.testing import StoreContract

        class TestMemoryStore(StoreContract):
            @pytest.fixture
            def store_url(self):
                return "memory://test"

            @pytest.fixture
            def cstool_plugins(self):
                import cstool_memory_store
                return {"memory-store": cstool_memory_store}

    cstool runs the same class on its folder and on PostgreSQL (tests/test_store_contract.py).
    """

    @pytest.fixture
    def store_url(self) -> str | None:
        return None

    @pytest.fixture
    def app(self, cstool_workspace: Path, cstool_plugins: dict[str, object], store_url, monkeypatch):
        from cstool.core.context import Context
        from cstool.core.host import build_host

        if store_url:
            monkeypatch.setenv("CSTOOL_STORE_URL", store_url)
        else:
            monkeypatch.delenv("CSTOOL_STORE_URL", raising=False)
        host = build_host(cstool_workspace, entry_points=False, extra=tuple(cstool_plugins.items()))
        context = Context(host, cstool_workspace, lang="en")
        yield context
        context.finish()

    @staticmethod
    def _complaints(app, count: int) -> list[dict]:
        kind = app.kinds.get("complaint")
        return [
            app.book.create(
                kind,
                {
                    "customer_name": f"客户{i}",
                    "channel": ("phone", "email")[i % 2],
                    "content": f"第{i}件",
                    "created_at": f"2026-11-{10 + i % 3}T09:00:00+08:00",
                },  # fmt: skip
            )
            for i in range(count)
        ]

    def test_records_come_back_as_stored_by_every_way_of_reading(self, app):
        from cstool.stores.base import EVERYTHING, Selection, count_values

        made = self._complaints(app, 6)
        store = app.store
        kept = store.records("complaint", fresh=True)
        assert sorted(r["id"] for r in kept) == sorted(r["id"] for r in made)
        for record in made:
            assert store.get("complaint", record["id"]) == record
        email = Selection(equals=(("channel", "email"),))
        wanted = [r for r in kept if r["channel"] == "email"]
        assert store.select("complaint", email) == wanted
        assert list(store.stream("complaint", email)) == wanted
        assert store.tally("complaint", EVERYTHING, ("channel",), app.tz) == count_values(kept, ("channel",), app.tz)
        assert store.get("complaint", "CMP-20991231-0001") is None

    def test_a_failed_transaction_keeps_nothing(self, app):
        self._complaints(app, 1)
        before = (app.store.records("complaint", fresh=True), app.store.sequences("complaint"))
        try:
            with app.store.transaction("complaint") as tx:
                record = dict(tx.all()[0], id=tx.new_id("CMP", "20261111"))
                tx.insert([record])
                raise RuntimeError("the body fails")
        except RuntimeError:
            pass
        assert (app.store.records("complaint", fresh=True), app.store.sequences("complaint")) == before

    def test_records_are_found_by_external_id_with_this_transaction_s_own(self, app):
        """An import looks up each batch with one call: stored records as they stand, and
        the ones this transaction wrote, told apart."""
        stored = dict(self._complaints(app, 2)[0])
        stored["external_id"] = "EXT-STORED"
        with app.store.transaction("complaint") as tx:
            tx.replace([stored])
        with app.store.transaction("complaint") as tx:
            assert tx.by_external_id(["EXT-STORED", "EXT-NEW"]) == {"EXT-STORED": (stored, False)}
            added = dict(stored, id=tx.new_id("CMP", "20261111"), external_id="EXT-NEW")
            tx.insert([added])
            found = tx.by_external_id(["EXT-NEW", "EXT-STORED"])
            assert found == {"EXT-NEW": (added, True), "EXT-STORED": (stored, False)}
            assert tx.by_external_id([]) == {}

    def test_a_selection_between_two_instants_of_a_stamp(self, app):
        from datetime import datetime, timedelta, timezone

        from cstool.stores.base import Selection

        made = self._complaints(app, 3)
        closed = [dict(made[0], closed_at="2026-11-20T09:00:00+08:00"), dict(made[1], closed_at="2026-11-21T01:00:00Z")]
        with app.store.transaction("complaint") as tx:
            tx.replace(closed)
        utc = UTC
        late = Selection(between=(("closed_at", datetime(2026, 11, 20, 12, tzinfo=utc), None),))
        assert [r["id"] for r in app.store.select("complaint", late)] == [made[1]["id"]]
        before = datetime(2026, 11, 20, 9, tzinfo=timezone(timedelta(hours=8)))
        early = Selection(between=(("closed_at", None, before),))
        assert app.store.select("complaint", early) == []
        every = Selection(between=(("closed_at", None, None),))
        assert sorted(r["id"] for r in app.store.select("complaint", every)) == sorted(r["id"] for r in closed)

    def test_numbers_are_never_handed_out_again(self, app):
        made = self._complaints(app, 2)
        day = made[0]["id"].split("-")[1]
        with app.store.transaction("complaint") as tx:
            tx.keep_sequences({day: 40})
        with app.store.transaction("complaint") as tx:
            assert tx.new_id("CMP", day) == f"CMP-{day}-0041"

    def test_replacing_a_record_that_is_not_there_is_refused(self, app):
        from cstool.core.errors import StoreError

        made = self._complaints(app, 1)[0]
        with pytest.raises(StoreError):
            with app.store.transaction("complaint") as tx:
                tx.replace([dict(made, id="CMP-20991231-0001")])

    def test_shared_values_and_logs(self, app):
        store = app.store
        with store.shared_state("contract-state") as state:
            assert state.load() is None
            state.save({"held": [1, 2]})
        with store.shared_state("contract-state") as state:
            assert state.load() == {"held": [1, 2]}
        store.append_log("contract-log", [{"n": 1}, {"n": 2}])
        store.append_log("contract-log", [{"n": 3}])
        assert [e["n"] for e in store.read_log("contract-log")] == [1, 2, 3]
        assert "contract-log" in store.log_names()
        store.replace_log("contract-log", [{"n": 9}])
        assert list(store.read_log("contract-log")) == [{"n": 9}]
        assert all(isinstance(part, str) for part in store.workspace_parts())

    def test_files_are_kept_by_their_content(self, app):
        """Optional (``KeepsFiles``): a store without it keeps no attachments."""
        import hashlib

        from cstool.stores.base import KeepsFiles

        store = app.store
        if not isinstance(store, KeepsFiles):
            pytest.skip("this store keeps no attachments")
        data = b"\xff\xd8\xff\xe0 a photo of an invoice"
        digest = store.put_file(data)
        assert digest == hashlib.sha256(data).hexdigest() and store.put_file(data) == digest
        assert store.get_file(digest) == data and digest in store.file_digests()
        store.remove_files([digest])
        assert store.get_file(digest) is None and digest not in store.file_digests()

    def test_one_leads_at_a_time(self, app):
        """Optional (``Leads``): ``cstool worker`` runs one leader per store."""
        from cstool.core.context import Context
        from cstool.stores.base import Leads

        store = app.store
        if not isinstance(store, Leads):
            pytest.skip("this store elects no leader")
        other_app = Context(app.host, app.workspace_path, lang="en")  # another worker's process
        other = other_app.store
        assert isinstance(other, Leads)
        lease = store.lead("contract")
        assert lease is not None and lease.held()
        assert other.lead("contract") is None
        lease.release()
        second = other.lead("contract")
        assert second is not None and second.held()
        second.release()
        other_app.finish()

    def test_a_copy_into_a_folder_and_back_keeps_everything(self, app, tmp_path):
        from cstool.stores.copying import copy_workspace, partitioned_kinds
        from cstool.stores.folder import FolderStore

        self._complaints(app, 4)
        app.store.append_log("outbox", [{"at": "2026-11-10T09:00:00+08:00", "message": "通知"}])
        kinds = app.kinds.names()
        folder = FolderStore(tmp_path / "copy", partitioned_kinds(app))
        folder.data_dir.mkdir(parents=True)
        copy_workspace(app.store, folder, kinds)
        assert folder.records("complaint", fresh=True) == app.store.records("complaint", fresh=True)
        assert folder.sequences("complaint") == app.store.sequences("complaint")
        assert list(folder.read_log("outbox")) == list(app.store.read_log("outbox"))
        from cstool.stores.base import KeepsFiles, RecordStore

        source: RecordStore = app.store
        if isinstance(source, KeepsFiles):
            digest = source.put_file(b"%PDF-1.7 kept")
            (tmp_path / "copy2" / "data").mkdir(parents=True)
            copy_workspace(source, FolderStore(tmp_path / "copy2", partitioned_kinds(app)), kinds)
            assert FolderStore(tmp_path / "copy2", set()).get_file(digest) == b"%PDF-1.7 kept"


if __name__ == "__main__":  # python -m cstool.testing ARGS: the cstool command, on the tests' clock
    from cstool.cli import main
    from cstool.core.timeutil import allow_test_clock

    allow_test_clock()
    main(prog_name="cstool")
