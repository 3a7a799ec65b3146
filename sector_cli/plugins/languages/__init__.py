"""Built-in language plugins."""
