"""``cstool desk``: the full-screen workbench (``session``: what it shows and does, ``app``:
the Textual screens). Imported only by the ``desk`` command: Textual loads with it."""
