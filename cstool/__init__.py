"""cstool: a plugin-based command-line toolkit for customer-service departments."""

__version__ = "0.3.0"
