"""The Simulator: files, sign-in, then every operation, the way ChatGPT uses a plugin.

    with Simulator(url, profile="plugin", auth=AuthSetup(...)) as simulator:
        simulator.run(rounds=1)            # or fetch_files(), sign_in(), call(op) in turn
        simulator.session.calls            # each request with its verdict

`transport` (an httpx transport, e.g. httpx.MockTransport) replaces the network in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pluginlab_tui.contract.document import Operation
from pluginlab_tui.simulate import calls, discovery
from pluginlab_tui.simulate.client import Call, Client
from pluginlab_tui.simulate.identity import Identity
from pluginlab_tui.simulate.signin import AuthSetup, sign_in
from pluginlab_tui.validation.validator import ContractValidator


@dataclass
class Session:
    """What the simulator learned: the files as served, and the signed-in credentials."""

    manifest: dict[str, Any] | None = None
    spec: dict[str, Any] = field(default_factory=dict)
    validator: ContractValidator | None = None
    authorization: tuple[str, str] | None = None
    calls: list[Call] = field(default_factory=list)


#: Extra headers for a call (the demo's out-of-contract switch), by operation.
FaultHook = Callable[[Operation], dict[str, str]]


class Simulator:
    """Plays ChatGPT's part against the plugin at `base_url`."""

    def __init__(
        self,
        base_url: str,
        *,
        profile: str = "plugin",
        auth: AuthSetup | None = None,
        grant_secret: bytes | None = None,
        timeout_s: float = 60.0,
        gpt_id: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.auth = auth or AuthSetup()
        self.session = Session()
        self.client = Client(
            self.base_url,
            self.session.calls,
            grant_secret=grant_secret,
            timeout_s=timeout_s,
            transport=transport,
        )
        self.identity = Identity.for_base(self.base_url, gpt_id)
        #: Values learned from answers (ids of things just made), by parameter name.
        self.learned: dict[str, Any] = {}

    @property
    def grant_secret(self) -> bytes | None:
        """The store's replay secret the requests are signed with (None: recorded as live)."""
        return self.client.grant_secret

    @grant_secret.setter
    def grant_secret(self, secret: bytes | None) -> None:
        self.client.grant_secret = secret

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def proxy_store(self) -> tuple[Path | None, str | None]:
        """The local proxy's store, from its health route (see discovery.proxy_store)."""
        return discovery.proxy_store(self.client)

    def fetch_files(self) -> Session:
        """The manifest and the spec as served, and the spec's contract, into the session."""
        files = discovery.fetch_files(self.client, self.profile)
        self.session.manifest = files.manifest
        self.session.spec = files.spec
        self.session.validator = files.validator
        return self.session

    def sign_in(self) -> None:
        """Sign in as the manifest (plugin profile) or the config (actions) says."""
        self.session.authorization = sign_in(
            self.client,
            self.auth,
            profile=self.profile,
            manifest=self.session.manifest,
            gpt_id=self.identity.gpt_id,
        )

    def plan(self) -> list[Operation]:
        """The spec's operations in a conversation's order."""
        return calls.plan(self.session.spec)

    def call(self, operation: Operation, extra_headers: dict[str, str] | None = None) -> Call:
        """Call one operation as ChatGPT, signed in; the Call with its verdict."""
        return calls.call_operation(
            self.client,
            operation,
            spec=self.session.spec,
            validator=self.session.validator,
            headers=self.identity.headers(self.profile),
            authorization=self.session.authorization,
            extra_headers=extra_headers,
            learned=self.learned,
        )

    def run(self, *, rounds: int = 1, fault: FaultHook | None = None) -> Session:
        """Files, sign-in, then every operation `rounds` times."""
        self.fetch_files()
        self.sign_in()
        for _ in range(max(rounds, 1)):
            for operation in self.plan():
                self.call(operation, fault(operation) if fault is not None else None)
        return self.session

    @property
    def failures(self) -> list[Call]:
        return [c for c in self.session.calls if c.broke_contract]
