"""The TUI's widgets, one a module; each sends its own messages."""
