"""What a lint run knows besides the files: profile, limits, root domain, public URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pluginlab_tui.config import Limits
from pluginlab_tui.plugin.documents import Document
from pluginlab_tui.plugin.findings import Finding, Severity
from pluginlab_tui.plugin.urls import is_local_url, root_domain

Profile = Literal["plugin", "actions"]
PROFILES: tuple[Profile, ...] = ("plugin", "actions")

#: (endpoint summary/description, parameter description) per profile, as OpenAI documented.
DESCRIPTION_LIMITS: dict[str, tuple[int, int]] = {"plugin": (200, 200), "actions": (300, 700)}


@dataclass(frozen=True)
class LintOptions:
    profile: Profile = "plugin"
    limits: Limits = field(default_factory=Limits)
    domain: str | None = None
    public_url: str | None = None

    @classmethod
    def make(
        cls,
        profile: str = "plugin",
        domain: str | None = None,
        public_url: str | None = None,
        limits: Limits | None = None,
    ) -> LintOptions:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r} (plugin or actions)")
        return cls(
            profile="actions" if profile == "actions" else "plugin",
            limits=limits if limits is not None else Limits(),
            domain=domain,
            public_url=public_url,
        )

    @property
    def root_domain(self) -> str | None:
        return root_domain(self.domain, self.public_url)

    @property
    def public_is_local(self) -> bool:
        """Served from this machine only: localhost and plain http are then expected."""
        return self.domain is None and is_local_url(self.public_url)

    @property
    def reachability_severity(self) -> Severity:
        """localhost and plain http: a warning unless the plugin is only served locally."""
        return "info" if self.public_is_local else "warning"

    @property
    def endpoint_description_limit(self) -> int:
        configured = self.limits.endpoint_description
        return configured if configured is not None else DESCRIPTION_LIMITS[self.profile][0]

    @property
    def parameter_description_limit(self) -> int:
        configured = self.limits.parameter_description
        return configured if configured is not None else DESCRIPTION_LIMITS[self.profile][1]

    @property
    def description_severity(self) -> Severity:
        """Plugins: the store did not enforce the 200; the GPT editor refuses longer text."""
        return "error" if self.profile == "actions" else "warning"


class Rules:
    """One lint run over one document: where the rules add their findings."""

    def __init__(self, doc: Document, options: LintOptions) -> None:
        self.doc = doc
        self.options = options
        self.findings: list[Finding] = []

    def add(self, rule: str, severity: Severity, where: str, message: str) -> None:
        self.findings.append(self.doc.finding(rule, severity, where, message))
