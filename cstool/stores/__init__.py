"""Where a workspace's records live, and everything else the desks share.

- ``base``: the interface every store implements (``RecordStore``, ``Transaction``,
  ``SharedState``), the ``Selection`` a command asks of it, and the helpers every store uses.
- ``folder``: the workspace's own folder (TinyDB JSON files under ``data/``), the default.
- ``postgresql``: a database many desks share; a bundled plugin (``cstool_store``) that
  imports only ``cstool.api``, exactly as a store of your own would.
- ``copying``: a whole store's contents (records, sequences, pending notices, logs) moved
  into another store: ``store copy``, backup and restore, through the interface alone.

The contract every store must keep is ``cstool.testing.store_contract`` (run by the
project on both bundled stores, and by a plugin on its own).
"""
