"""The pluginlab addon: one root that loads the config and runs the stages in order.

Stages are small classes with one concern each. The root's hooks run them itself (they are not
mitmproxy addons of their own), so that the pipeline fails closed: a stage that raises ends the
exchange there (proxy/pipeline.py). Embedded (`serve`) it is given a ready Runtime; under stock
mitmdump it reads the file named by the `pluginlab_config` option
(`mitmdump -s addons/pluginlab.py --set pluginlab_config=F`).
"""

from __future__ import annotations

import gc
import math
from pathlib import Path
from typing import Any

from mitmproxy import ctx, exceptions
from mitmproxy.addonmanager import Loader

from pluginlab_tui.config import find_config, load_config
from pluginlab_tui.errors import UsageError
from pluginlab_tui.proxy.checks import RequestChecks, ResponseChecks
from pluginlab_tui.proxy.cors import Cors
from pluginlab_tui.proxy.forward import Forward
from pluginlab_tui.proxy.gate import AuthGate, IpGate
from pluginlab_tui.proxy.head import HeadAnswers
from pluginlab_tui.proxy.intake import Intake
from pluginlab_tui.proxy.issuer_metadata import IssuerMetadata
from pluginlab_tui.proxy.messages import Messages, MessagesIn, MessagesOut
from pluginlab_tui.proxy.oauth_routes import OAuthRoutes
from pluginlab_tui.proxy.pipeline import Pipeline
from pluginlab_tui.proxy.recorder import Recorder
from pluginlab_tui.proxy.relay import Relay
from pluginlab_tui.proxy.routes import Routes
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.proxy.trailers import install as read_trailers


def stages(runtime: Runtime) -> list[Any]:
    """The addons, in the order an exchange meets them."""
    relay = Relay(runtime)
    messages = Messages(runtime, relay)
    external = [IssuerMetadata(runtime)] if runtime.auth.issuer is not None else []
    return [
        Intake(runtime),
        IpGate(runtime),
        Cors(runtime),
        Routes(runtime),
        *external,
        OAuthRoutes(runtime),
        AuthGate(runtime),
        RequestChecks(runtime),
        MessagesIn(messages),
        Forward(runtime, relay),
        relay,
        MessagesOut(messages),
        ResponseChecks(runtime),
        HeadAnswers(),
        Recorder(runtime),
    ]


class PluginLab(Pipeline):
    name = "pluginlab"

    def __init__(self, runtime: Runtime | None = None) -> None:
        read_trailers()
        super().__init__(runtime, [] if runtime is None else stages(runtime))

    async def running(self) -> None:
        # What start-up made lives as long as the proxy: kept out of the collector's full passes,
        # which would otherwise walk all of it and hold the loop (about 100 ms here).
        gc.freeze()
        await super().running()

    def load(self, loader: Loader) -> None:
        loader.add_option(
            "pluginlab_config",
            str,
            "",
            "Path to pluginlab.toml (default: ./pluginlab.toml).",
        )

    def configure(self, updated: set[str]) -> None:
        if "connection_strategy" in updated or self.runtime is None:
            # Eager connections drop the client when the backend is down; the proxy forwards
            # itself and answers 502/504, so mitmproxy never needs to connect upstream.
            if ctx.options.connection_strategy != "lazy":
                ctx.options.update(connection_strategy="lazy")
        if self.runtime is not None:
            self._limit_bodies(self.runtime)
            return
        path = Path(ctx.options.pluginlab_config) if ctx.options.pluginlab_config else find_config()
        try:
            runtime = Runtime(load_config(path))
            runtime.start()
        except UsageError as exc:
            raise exceptions.OptionsError(str(exc)) from None
        self.runtime = runtime
        self.stages = stages(runtime)
        self._limit_bodies(runtime)

    @staticmethod
    def _limit_bodies(runtime: Runtime) -> None:
        """mitmproxy stops reading a request body past proxy.max_body_bytes (by Content-Length
        before reading it, chunked as it arrives) and answers 413; the error stage records it."""
        limit = str(runtime.config.proxy.max_body_bytes)
        if ctx.options.body_size_limit != limit:
            ctx.options.update(body_size_limit=limit)
        # mitmproxy closes connections idle for tcp_timeout: never before mcp.stream_idle_s.
        idle = math.ceil(runtime.config.mcp.stream_idle_s) + 1
        if runtime.config.mcp.enabled and ctx.options.tcp_timeout < idle:
            ctx.options.update(tcp_timeout=idle)
