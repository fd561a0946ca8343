"""The domain core: pure functions and the store, with no knowledge of the CLI."""
