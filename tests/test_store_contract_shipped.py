"""The store contract cstool ships to store authors (``cstool.testing.StoreContract``), run
on both bundled stores: the workspace's folder, and a real PostgreSQL server (skipped with
a reason where none answers)."""

from __future__ import annotations

import pytest

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
