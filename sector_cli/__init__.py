"""Sector: a terminal-first learning and coding assistant."""

__version__ = "0.1.0"
