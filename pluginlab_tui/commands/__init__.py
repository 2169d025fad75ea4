"""One module per verb of the `pluginlab-tui` command."""
