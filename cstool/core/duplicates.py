"""What an import does with a row whose ``external_id`` is already stored (``--on-duplicate``).

Kept apart from the importer so that the command line can offer the choices without
importing the importer (~12 ms) on every command.
"""

ON_DUPLICATE = (
    "skip",  # count it under "duplicates" and leave the stored record as it is (the default)
    "update",  # change the stored record's fields to the row's, as `update --set` would
    "error",  # refuse the whole import, naming the row
)
