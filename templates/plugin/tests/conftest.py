import pytest

# cstool's fixtures: cstool_env, cstool_workspace, cstool (run a command), cstool_plugins.
pytest_plugins = ["cstool.testing"]


@pytest.fixture
def cstool_plugins():
    """The plugin under test, registered by name beside cstool's bundled plugins."""
    import {{module}}
    return {"{{plugin}}": {{module}}}
