"""The store contract cstool ships to store authors (``cstool.testing.StoreContract``), run
on both bundled stores: the workspace's folder, and a real PostgreSQL server (skipped with
a reason where none answers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cstool import api
from cstool.testing import (  # noqa: F401  the fixtures StoreContract asks for, as a store author's conftest gives them
    StoreContract,
    cstool_env,
    cstool_now,
    cstool_plugins,
    cstool_workspace,
)


class TestFolderStore(StoreContract):
    pass


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store_url(self, pg_url):
        return pg_url


class TestPostgresThroughPgBouncer(StoreContract):
    """The same contract with 200 desks' pooler between cstool and the server: no lock or
    prepared statement may outlive a transaction."""

    @pytest.fixture
    def store_url(self, pgbouncer_url):
        return pgbouncer_url

    def test_one_leads_at_a_time(self, app):
        pytest.skip("a session advisory lock has no session behind a transaction pooler: workers connect directly")


class SideStore:
    """An outside plugin adding a store, through the one hook: ``side://FOLDER`` keeps the
    records in a folder of its own (as a real one would in a service); nothing in
    cstool/cli or cstool/core knows it."""

    @staticmethod
    @api.hookimpl
    def cstool_store(url, app):
        if not url.startswith("side://"):
            return None
        from cstool.stores.folder import FolderStore

        root = Path(url.removeprefix("side://"))
        (root / "data").mkdir(parents=True, exist_ok=True)
        store = FolderStore(root, {k.name for k in app.kinds if k.high_volume})
        store.description = api.redact_url(url)
        return store


class TestAStorePluginFromOutside(StoreContract):
    @pytest.fixture
    def store_url(self, tmp_path):
        return f"side://{tmp_path / 'elsewhere'}"

    @pytest.fixture
    def cstool_plugins(self):
        return {"side-store": SideStore}

    def test_the_records_live_where_the_plugin_keeps_them(self, app, tmp_path):
        self._complaints(app, 1)
        assert list((tmp_path / "elsewhere" / "data").rglob("*.json"))
        assert not list((app.workspace.root / "data").rglob("*.json"))
