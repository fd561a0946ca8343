"""Errors that are the user's to fix: the CLI prints them as plain lines and exits 1."""


class CstoolError(Exception):
    """Input or data refused. The message names what and where (file, row, field, line)."""


class WorkspaceNotFound(CstoolError):
    pass


class PolicyError(CstoolError):
    pass


class StoreError(CstoolError):
    pass


class StoreConflict(StoreError):
    """A backend's transaction lost to a concurrent one (a serialization failure, a
    deadlock): nothing of it was kept, and running it again is safe."""


class NotFound(CstoolError):
    pass


class FieldError(CstoolError):
    """One field of one record is wrong."""

    def __init__(self, field: str | None, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RecordInvalid(CstoolError):
    """A record failed validation; ``errors`` holds every FieldError found."""

    def __init__(self, errors: list[FieldError], where: str = ""):
        self.errors = errors
        lines = [f"{where}{e.field}: {e.message}" for e in errors]
        super().__init__("\n".join(lines))
