"""The full-screen Textual front end (`sector tui`): screens and widgets over the services.

Nothing here holds business logic: every action calls a service (workspace, runs), and
Textual is imported only by this package and the `tui` command."""
