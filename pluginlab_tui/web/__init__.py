"""`pluginlab-tui web`: the TUI served to browsers by textual-serve, behind a token."""
