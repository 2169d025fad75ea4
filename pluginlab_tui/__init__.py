"""pluginlab-tui: a live debugger in the terminal for ChatGPT plugins and GPT Actions."""

__version__ = "0.1.0"
