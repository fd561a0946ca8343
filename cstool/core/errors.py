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

    def __init__(self, errors: list[FieldError], where: str = "", kind=None):
        self.errors = errors
        lines = [f"{where}{_field_named(kind, e.field)}: {e.message}" for e in errors]
        super().__init__("\n".join(lines))


def _field_named(kind, name: str | None) -> str | None:
    """A field as an error names it: its id, and in Chinese its title beside it (staff know
    the form's 投诉人, not customer_name; scripts and English readers match on the id)."""
    from cstool.core.i18n import language

    field = kind.field(name) if kind is not None and name else None
    if field is None or language() != "zh" or field.title("zh") == name:
        return name
    return f"{name}（{field.title('zh')}）"
