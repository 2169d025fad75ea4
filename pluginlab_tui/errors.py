"""Errors that end a command with one clear line and exit code 2."""


class UsageError(Exception):
    """Bad usage or environment: a wrong flag, a missing file, a port in use."""
