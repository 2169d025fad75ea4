"""The OAuth error answer every OAuth module raises (RFC 6749 section 5.2, RFC 7591 3.2.2)."""

from __future__ import annotations


class OAuthError(Exception):
    """An OAuth error answer: the `error` code, a description, the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        #: The auth_result it stands for on the event, when it names one.
        self.result: str | None = "invalid_grant" if error == "invalid_grant" else None
