"""Who ChatGPT says it is: its user agent and the openai-* headers, stable within a run."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

USER_AGENT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; "
    "+https://openai.com/bot"
)


@dataclass(frozen=True)
class Identity:
    """One conversation's ids; openai-gpt-id is sent in the actions profile only."""

    conversation_id: str
    ephemeral_user_id: str
    gpt_id: str

    @classmethod
    def for_base(cls, base_url: str, gpt_id: str | None = None) -> Identity:
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        # Ephemeral user ids reset every day at midnight UTC: stable within a day and a base.
        seed = hashlib.sha256(f"{day}|{base_url}".encode()).hexdigest()
        return cls(
            conversation_id=str(uuid.uuid4()),
            ephemeral_user_id=str(uuid.UUID(seed[:32])),
            gpt_id=gpt_id or "g-" + hashlib.md5(base_url.encode()).hexdigest(),  # noqa: S324
        )

    def headers(self, profile: str) -> dict[str, str]:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
            "openai-conversation-id": self.conversation_id,
            "openai-ephemeral-user-id": self.ephemeral_user_id,
        }
        if profile == "actions":
            headers["openai-gpt-id"] = self.gpt_id
        else:
            headers["openai-subdivision-1-iso-code"] = "US-CA"
        return headers
