"""Where the bundled default policy and templates are.

In a wheel they sit in ``cstool/_data``; in a checkout (editable install) they sit at
the top of the repository, where people edit them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def bundled_root() -> Path:
    package = Path(__file__).resolve().parent.parent
    installed = package / "_data"
    if (installed / "policy.toml").is_file():
        return installed
    checkout = package.parent
    if (checkout / "policy.toml").is_file() and (checkout / "templates").is_dir():
        return checkout
    raise FileNotFoundError(f"the bundled policy.toml and templates/ are missing beside {package}")


def default_policy_path() -> Path:
    return bundled_root() / "policy.toml"


def templates_dir() -> Path:
    return bundled_root() / "templates"


def user_state_dir() -> Path:
    """This person's own cstool state (what they have been told), never in a shared workspace:
    ``$XDG_STATE_HOME/cstool``, else ``~/.local/state/cstool``."""
    import os

    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "cstool"
