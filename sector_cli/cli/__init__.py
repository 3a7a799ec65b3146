"""The Typer front end: one module per command group, each thin over a service."""
