"""The TUI's screens: the workspace, the folder that is not a project, the help."""
