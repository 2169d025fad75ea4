"""Template text left in a plugin's files: `$host`, PLUGIN_HOSTNAME, your-app-url.com, <...>."""

from __future__ import annotations

import re

_PATTERN = re.compile(
    r"""
    \$\{?[A-Za-z_][A-Za-z0-9_]*\}?                  # $host, ${HOST}, $PLUGIN_HOSTNAME
    | \bPLUGIN_HOSTNAME\b
    | \byour[-_. ](?:app|domain|site|website|server|host|api|plugin|company|service|
        verification|client|token|url|email|logo|legal|name|secret|id)\b
    | \byour(?:domain|website|site|app|server|host)\.(?:com|org|net)\b
    | <[^<>]*[A-Za-z][^<>]*>                        # <your domain>, <token from ...>
    | \{\{[^{}]*\}\}                                # {{host}}
    | ^\s*e\.g\.                                    # "e.g. https://..."
    | \bexample\.(?:com|org|net)\b
    | (?-i:\b(?:REPLACE_?ME|CHANGE_?ME|YOUR_[A-Z_]+|TODO|FIXME)\b)
    """,
    re.VERBOSE | re.IGNORECASE,
)


def placeholder_in(value: str) -> str | None:
    """The placeholder text found in the value, or None."""
    match = _PATTERN.search(value)
    return match.group(0).strip() if match else None
