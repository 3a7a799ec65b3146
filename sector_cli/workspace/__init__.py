"""Projects and their source files."""
