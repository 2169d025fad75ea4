"""The MCP endpoint's stages: each JSON-RPC message one event, recorded as it completes.

`MessagesIn` (a request stage, after the auth gate, before Forward) reads a POST's messages;
`MessagesOut` (after the relay) reads the answer: a JSON body when it has come, an SSE stream
frame by frame as the relay tees it. mcp/track.py pairs them; each record done is handed to the
writer as a PendingMessage, checked there. On the loop only what pairing and the session state
need is parsed. On an endpoint in oauth mode each message the client sent is held to what it
needs (a tools/call to its tool's scopes: access/tool_scopes.py) before the server is called,
and each catalogue seen teaches the tools' schemes. An exchange whose messages are its events
is not recorded itself; one without a message (a GET stream, a DELETE, an empty POST, a refusal)
is, with rpc_method null and, for a stream, its frames.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

from mitmproxy import http

from pluginlab_tui.access.tool_scopes import Refusal
from pluginlab_tui.mcp import strict
from pluginlab_tui.mcp.checks import check
from pluginlab_tui.mcp.jsonrpc import Message as RpcMessage
from pluginlab_tui.mcp.jsonrpc import RequestId, invalid, parse_body
from pluginlab_tui.mcp.sessions import SESSION_HEADER, VERSION_HEADER, session_id_problem
from pluginlab_tui.mcp.sse import (
    Frame,
    Overflow,
    Parser,
    endpoint_target,
    first_event_end,
    rewrite_endpoint,
    write_frame,
)
from pluginlab_tui.mcp.track import Record, Tracker, parse_frame
from pluginlab_tui.mcp.versions import CatalogueVersions
from pluginlab_tui.proxy.answers import json_response
from pluginlab_tui.proxy.bodies import decoded, replace_content
from pluginlab_tui.proxy.catalogue_probe import CatalogueProbe
from pluginlab_tui.proxy.checks import answer_strictly
from pluginlab_tui.proxy.exchange import Exchange, exchange_of, request_stage
from pluginlab_tui.proxy.fields import header_dict, header_pairs, pretty_url
from pluginlab_tui.proxy.forward import backend_url
from pluginlab_tui.proxy.message_event import Http, Part, PendingMessage
from pluginlab_tui.proxy.pipeline import describe, fault
from pluginlab_tui.proxy.recorder import ANSWERED_STATUS
from pluginlab_tui.proxy.relay import Relay, is_event_stream
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.store.event import MAX_FRAMES, iso_now
from pluginlab_tui.store.parts import Rpc
from pluginlab_tui.validation.validator import RequestCheck, too_large_to_check
from pluginlab_tui.validation.violations import Violation

log = logging.getLogger(__name__)

type Rec = Record["Carried"]

#: An HTTP+SSE stream's start held back at most, waiting for its first event to be whole.
MAX_HELD = 64 * 1024
#: An SSE frame's id or event name as the events list it, at most this many characters: every
#: event of a stream lists the stream's frames, so a backend's 1 MB ids are not copied into each.
MAX_FRAME_NAME = 128


@dataclass(slots=True, eq=False)
class Carried:
    """What the stages keep of one HTTP exchange on the MCP endpoint."""

    flow: http.HTTPFlow
    exchange: Exchange
    session_id: str | None
    #: The version in force on this exchange (its requests', else its session's).
    version: str | None = None
    #: The records of what the client sent in it (a POST's body).
    records: list[Record[Carried]] = field(default_factory=list)
    #: Its requests, by id: the answers on its stream are theirs first.
    own: dict[RequestId, Record[Carried]] = field(default_factory=dict)
    #: The session the answer's Mcp-Session-Id names (an initialize's answer opens it).
    answer_session: str | None = None
    parser: Parser | None = None
    frames: list[dict[str, Any]] = field(default_factory=list)
    #: HTTP+SSE: a GET on the SSE endpoint, whose first event announces the message path.
    announces: bool = False
    #: HTTP+SSE: a POST to an announced message path (its answers come on the GET stream).
    legacy: bool = False
    #: The start of an announcing stream, held back until its first event is whole.
    held: bytearray | None = None
    #: Its body was too large to read: its answer is its own event's, answering nothing read.
    unread: bool = False
    #: Records done, to be recorded once the bytes that completed them are kept.
    ready: list[Record[Carried]] = field(default_factory=list)


class Messages:
    """The state both stages share: the tracker, the exchanges in flight, the waits."""

    def __init__(self, runtime: Runtime, relay: Relay) -> None:
        self.runtime = runtime
        self.relay = relay
        self.tracker: Tracker[Carried] = Tracker(slow_ms=runtime.config.proxy.slow_ms)
        self.carried: dict[int, Carried] = {}
        #: Requests waiting for an answer outside their own exchange (a server's request for the
        #: client's POST, an HTTP+SSE POST's request for its stream), with the timer that ends
        #: the wait, by id(record).
        self.timers: dict[int, tuple[asyncio.TimerHandle, Record[Carried]]] = {}
        #: The catalogue's versions: used in the writer thread only.
        self.versions = CatalogueVersions()
        #: The proxy's own tools/list, before a catalogue-less session's first tools/call.
        self.probe = CatalogueProbe(runtime)
        runtime.mcp_tables = self.tables

    def tables(self) -> dict[str, int]:
        """How much MCP state the proxy holds (the health route's `mcp`): every table is bounded."""
        return {
            "sessions": len(self.tracker.sessions),
            "waiting": len(self.tracker),
            "waiting_bytes": self.tracker.waiting_bytes,
            "learned_paths": len(self.runtime.mcp_paths),
            "streams": len(tees := [r.tee for r in self.relay.relayed.values() if r.tee]),
            "stream_bytes_kept": sum(len(tee.kept) for tee in tees),
        }

    # -- the request ---------------------------------------------------------------------------

    async def request(self, flow: http.HTTPFlow, exchange: Exchange) -> None:
        request = flow.request
        headers = request.headers
        session_id = headers.get(SESSION_HEADER)
        carried = Carried(flow, exchange, session_id)
        path = request.path.split("?", 1)[0]
        if request.method == "GET" and self.runtime.mcp_paths.is_stream(path):
            carried.announces = True
        elif session_id is None and self.runtime.mcp_paths.is_messages(path):
            carried.legacy = True  # HTTP+SSE: the session is the one the query names
            carried.session_id = session_id = request.query.get("session_id")
        carried.version = self.tracker.sessions.version(session_id, headers.get(VERSION_HEADER))
        self.carried[id(flow)] = carried
        problem = None if session_id is None else session_id_problem(session_id)
        if problem is not None:
            carried.session_id = None
            self._refuse_session(flow, exchange, problem, legacy=carried.legacy)
            return
        if request.method != "POST" or not request.raw_content:
            return
        body = decoded(request, self.runtime.config.proxy.max_inflated_bytes, exchange)
        if body.too_large:  # as on the OpenAPI path: not read, not called a bad message
            carried.unread = True
            exchange.check = RequestCheck(None, None, [too_large_to_check("request")])
            if self._refused(flow, exchange, [], legacy=carried.legacy, unread=True):
                return  # unread, it needs what a signed-in request needs
            if self.runtime.config.proxy.strict:
                answer_strictly(flow, exchange, exchange.check.violations)
            return
        records, evicted = self.tracker.client_body(
            carried,
            header_dict(headers),
            body.content,
            time.monotonic(),
            exchange.ts,
            exchange.event_id,
            query_session=session_id,
            transport="sse" if carried.legacy else "streamable-http",
        )
        carried.records = records
        for record in records:
            if record.direction == "client" and record.pending is not None:
                if record.message.id is not None:
                    carried.own.setdefault(record.message.id, record)
                if carried.version is None or record is records[0]:
                    carried.version = record.context.version
            elif record.answer_carrier is carried:
                self._stop_waiting(record)
        if records:
            exchange.messages = True
            exchange.answers = ",".join(dict.fromkeys(r.event_id for r in records))
        self._record_all(evicted)
        if not self.tracker.has_tools():
            try:
                await self._list_tools(flow, exchange, records)
            except Exception as exc:  # the call goes on, checked without a catalogue
                log.exception("listing the tools for a tools/call failed")
                note = f"the proxy could not list the tools: {describe(exc)}"
                for record in records:
                    record.context = replace(record.context, catalogue_note=note)
        if self._refused(flow, exchange, records, legacy=carried.legacy):
            return
        # HTTP+SSE: the client reads answers on its stream only, so none is given in the POST's
        if self.runtime.config.proxy.strict and records and not carried.legacy:
            self._strict(flow, exchange, records, batch=body.content.lstrip()[:1] == b"[")

    @staticmethod
    def _refuse_session(
        flow: http.HTTPFlow, exchange: Exchange, problem: str, *, legacy: bool
    ) -> None:
        """A session id that no session can have (mcp/sessions.py) is answered here with 400,
        in every mode: the server is not called, and the id is kept nowhere."""
        where = "query.session_id" if legacy else "header.Mcp-Session-Id"
        violation = Violation("mcp_session", "request", where, problem)
        exchange.check = RequestCheck(None, None, [violation])
        exchange.answered_by = "proxy"
        answer = strict.bad_session(violation)
        flow.response = json_response(answer.status, answer.body)

    def _refused(
        self,
        flow: http.HTTPFlow,
        exchange: Exchange,
        records: list[Rec],
        *,
        legacy: bool,
        unread: bool = False,
    ) -> bool:
        """OAuth on the endpoint: a message that needs a token or scopes the caller lacks
        (access/tool_scopes.py) is answered here, the server not called. A lone tools/call
        gets the isError result ChatGPT acts on; anything else (and any HTTP+SSE POST, whose
        answers the client reads on its stream only) the HTTP 401 or 403. A body too large to
        read (`unread`) is a message the proxy cannot read: it needs a signed-in caller's."""
        resource = self.runtime.auth.resource
        if resource is None or resource.tools is None:
            return False
        found: list[tuple[Rec | None, Refusal]] = [
            (record, refusal)
            for record in records
            if record.direction == "client"
            and (refusal := resource.tools.refusal(record.message, exchange.scopes)) is not None
        ]
        if unread:
            unreadable = invalid("a body too large to read (proxy.max_inflated_bytes)")
            refused = resource.tools.refusal(unreadable, exchange.scopes)
            found += [] if refused is None else [(None, refused)]
        if not found:
            return False
        record, refusal = found[0]
        exchange.auth_result = refusal.result
        exchange.answered_by = "proxy"
        text = refusal.message
        challenge = resource.challenge("insufficient_scope", text, refusal.scopes)
        message = None if record is None else record.message
        lone = not legacy and len(records) == 1 and refusal.tool is not None
        if lone and record is not None and message is not None and message.id is not None:
            answer = strict.sign_in(message.id, record.context.version, text, challenge)
            flow.response = json_response(answer.status, answer.body)
            return True
        status = 403
        if refusal.result == "missing":
            status, challenge = 401, resource.challenge(scopes=refusal.scopes)
        metadata = resource.metadata_url
        body = {"error": refusal.result, "message": text, "resource_metadata": metadata}
        flow.response = json_response(status, body, {"WWW-Authenticate": challenge})
        return True

    async def _list_tools(
        self, flow: http.HTTPFlow, exchange: Exchange, records: list[Rec]
    ) -> None:
        """No tools/list seen yet: the proxy lists the tools itself for the POST's tools/calls
        (proxy/catalogue_probe.py), or each says why it could not."""
        calls = [
            r
            for r in records
            if r.direction == "client"
            and r.pending is not None
            and r.message.method == "tools/call"
            and not check(r.message, r.context).violations
        ]
        if not calls:
            return  # nothing to check, or a call that broke the contract: it is not listed for
        first = calls[0]
        listed = await self.probe.tools(flow, exchange, first.context, first.message.params)
        if listed.why_not is not None:
            for record in calls:
                record.context = replace(record.context, catalogue_note=listed.why_not)
            return
        if not self.tracker.has_tools():  # none seen while the proxy listed them
            catalogue = self.tracker.learn_tools(listed.pages)
            self._learn()
            count = len(catalogue.tools or ())
            who = first.context.session_id
            where = f" in session {who}" if who else ""
            first.notes.append(
                f"no tools/list seen yet{where}: the proxy listed the server's tools itself"
                f" ({count} tool{'s' if count != 1 else ''})"
            )
        for record in calls:
            record.context = replace(record.context, catalogue=self.tracker.catalogue)

    def _strict(
        self, flow: http.HTTPFlow, exchange: Exchange, records: list[Rec], *, batch: bool
    ) -> None:
        """Strict mode: a request that breaks the contract is answered here (mcp/strict.py),
        the server not called; a batch with one is answered whole (strict.for_batch)."""
        if not batch:
            answer = self._strict_answer(records[0])
        else:
            answer = strict.for_batch(
                [
                    (
                        r.message.id,
                        r.message.kind == "request" and r.direction == "client",
                        self._strict_answer(r),
                    )
                    for r in records
                    if r.direction == "client"  # not a server request the batch answers
                ],
                records[0].context.era,
            )
        if answer is None:
            return
        exchange.answered_by = "proxy"
        flow.response = json_response(answer.status, answer.body)

    def _strict_answer(self, record: Rec) -> strict.Answer | None:
        """Strict mode's answer to one message the client sent, or None (it goes through)."""
        message = record.message
        if record.direction != "client" or message.kind not in ("request", "invalid"):
            return None
        if message.kind == "request" and record.pending is None:
            return None
        ctx = record.context
        verdict = check(message, ctx)
        return strict.for_request(message.id, ctx.version, ctx.era, verdict.violations)

    # -- the answer ----------------------------------------------------------------------------

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        carried = self.carried.get(id(flow))
        if carried is None or flow.response is None:
            return
        carried.answer_session = flow.response.headers.get(SESSION_HEADER)
        relayed = self.relay.relayed.get(id(flow))
        coding = str(flow.response.headers.get("content-encoding", "identity")).strip().lower()
        if relayed is not None and relayed.tee is not None and coding != "identity":
            exchange = carried.exchange  # asked for identity (proxy/relay.py), sent compressed
            exchange.error = exchange.error or (
                f"the event stream came with Content-Encoding {coding[:40]!r}: its messages"
                " could not be read as they passed, so none of them is recorded or checked"
            )
        elif relayed is not None and relayed.tee is not None and not carried.unread:
            carried.parser = Parser()
            if carried.announces:
                carried.held = bytearray()
            relayed.tee.listener = lambda chunk: self._chunk(carried, chunk)
            relayed.tee.settled = lambda: self._settled(carried)

    def response(self, flow: http.HTTPFlow) -> None:
        carried = self.carried.pop(id(flow), None)
        if carried is None:
            return
        response = flow.response
        try:
            if response is not None and not is_event_stream(response):
                self._json_answer(carried, response)
            if (
                flow.request.method == "DELETE"
                and response is not None
                and 200 <= response.status_code < 300
            ):
                self.tracker.ended(carried.session_id)
            status = "none" if response is None else str(response.status_code)
            why = f"its HTTP answer (status {status}) held no answer to it"
            unread = carried.exchange.error if carried.parser is None else None
            self._finish(carried, why if unread is None else f"{why}: {unread}")
        except Exception:
            carried.exchange.messages = False  # the exchange is recorded itself, with the fault
            raise

    def error(self, flow: http.HTTPFlow) -> None:
        carried = self.carried.pop(id(flow), None)
        if carried is None:
            return
        exchange = carried.exchange
        why = exchange.error or (flow.error.msg if flow.error else None) or "the exchange failed"
        try:
            self._finish(carried, f"no answer came: {why}")
        except Exception:
            exchange.messages = False
            raise

    def done(self) -> None:
        """The proxy stops: what is still waiting is recorded as unanswered."""
        for carried in list(self.carried.values()):
            self._finish(carried, "the proxy stopped before the answer came", wait=True)
            carried.exchange.recorded = carried.exchange.recorded or carried.exchange.messages
        self.carried.clear()
        for handle, record in list(self.timers.values()):
            handle.cancel()
            if self.tracker.give_up(record, "the proxy stopped before the answer came"):
                self._record(record, wait=True)
        self.timers.clear()

    def _json_answer(self, carried: Carried, response: http.Response) -> None:
        kind = str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()
        if kind != "application/json" or not response.raw_content or carried.unread:
            return
        body = decoded(response, self.runtime.config.proxy.max_inflated_bytes, carried.exchange)
        if body.too_large:
            self._unread_answer(carried, response)
            return
        messages = parse_body(body.content, carried.version)
        share = len(body.content) // len(messages) + 1
        answered: list[Any] = []
        replaced = False
        for message in messages:
            answered.append(message.value)
            if message.kind == "invalid" and not carried.own:
                continue  # a JSON body that is not JSON-RPC, answering nothing: the exchange's
            replacement = self._server(carried, message, None, rewrite=True, size=share)
            if replacement is not None:
                answered[-1], replaced = replacement.body, True
        if replaced:  # strict mode: the results that broke the contract, each replaced
            batch = body.content.lstrip()[:1] == b"["
            text = json.dumps(answered if batch else answered[0]).encode()
            replace_content(response, text, carried.exchange)
            response.headers["content-type"] = "application/json"
        self._record_all(carried.ready)  # with the answer as the caller gets it
        carried.ready.clear()

    def _unread_answer(self, carried: Carried, response: http.Response) -> None:
        """A JSON answer too large to read (proxy.max_inflated_bytes), flagged as on the OpenAPI
        path: the requests of its POST are recorded unanswered with the violation; in strict
        mode the answer to a lone request is replaced by -32603 naming it."""
        violation = too_large_to_check("response")
        carried.exchange.response_violations = [violation]
        waiting = [r for r in carried.own.values() if r.waits]
        lone = waiting[0] if len(waiting) == 1 else None
        if self.runtime.config.proxy.strict and lone is not None and lone.message.id is not None:
            answer = strict.invalid_result(lone.message.id, [violation], lone.context.era)
            exchange = carried.exchange
            exchange.bodies = [(m, b) for m, b in exchange.bodies if m is not response]
            response.headers.pop("content-encoding", None)
            response.content = json.dumps(answer.body).encode()
            response.headers["content-type"] = "application/json"
            exchange.answered_by = "proxy"
        for record in waiting:
            if self.tracker.give_up(record, f"{violation.message}: the answer was not read"):
                self._record(record)

    def _chunk(self, carried: Carried, chunk: bytes) -> bytes | None:
        """One chunk of an SSE answer as it is relayed: the bytes to send instead (strict
        mode's rewritten frames), or None; never raises into the stream."""
        parser = carried.parser
        if parser is None:
            return None
        held = carried.held
        try:
            if held is not None:
                return self._hold(carried, parser, held, chunk)
            whole = parser.idle
            items = parser.feed(chunk)
            out = [self._frame(carried, item) for item in items]
            if any(o is not None for o in out) and whole and parser.idle:
                return b"".join(
                    write_frame(o) if o is not None else write_frame(i)
                    for i, o in zip(items, out, strict=True)
                    if isinstance(i, Frame)
                )
        except Exception as exc:
            carried.parser = None  # no more of this stream is read
            log.exception("reading an MCP event stream failed")
            carried.exchange.faults.append(fault(exc, self, "response"))
            carried.exchange.error = carried.exchange.error or describe(exc)
            carried.exchange.messages = False
            if held is not None:
                carried.held = None
                return bytes(held)  # what was held back goes on as it came
        return None

    def _hold(self, carried: Carried, parser: Parser, held: bytearray, chunk: bytes) -> bytes:
        """An announcing stream's start: held back until its first event is whole (or
        MAX_HELD bytes came, or the stream ended), then sent with that event pointed at the
        proxy when it is the `endpoint` event, the rest as it came."""
        held += chunk
        end = first_event_end(bytes(held))
        if end is None and chunk and len(held) <= MAX_HELD:
            return b""
        carried.held = None
        start = bytes(held)
        items = parser.feed(start)
        out = [self._frame(carried, item) for item in items]
        first = out[0] if end is not None and out and isinstance(items[0], Frame) else None
        return start if first is None else write_frame(first) + start[end:]

    def _settled(self, carried: Carried) -> None:
        """The chunk is kept: the records it completed are recorded (with it)."""
        ready, carried.ready = carried.ready, []
        try:
            self._record_all(ready)
        except Exception:
            log.exception("recording MCP messages failed")

    def _frame(self, carried: Carried, item: Frame | Overflow) -> Frame | None:
        """Read one frame; the frame to send instead (strict mode), or None."""
        at_ms = round((time.perf_counter() - carried.exchange.started) * 1000, 1)
        if len(carried.frames) < MAX_FRAMES:
            carried.frames.append(_frame_entry(item, at_ms))
        if isinstance(item, Overflow):
            return None
        if item.event == "endpoint" and carried.announces:
            return self._endpoint(carried, item)
        if item.event != "message":
            return None
        if item.id is not None and not self.tracker.sessions.first_sight(
            carried.session_id, item.id
        ):
            return None  # a resumed stream's replay: relayed, recorded once already
        message = parse_frame(item.data)
        if message is None:
            return None
        replaced = self._server(carried, message, item.data, rewrite=True)
        if replaced is None:
            return None
        return Frame(json.dumps(replaced.body), item.event, item.id, item.retry)

    def _endpoint(self, carried: Carried, frame: Frame) -> Frame | None:
        """HTTP+SSE: the message path the stream announces is learned as MCP traffic, the
        stream's session is the one it names, and the event is pointed at the proxy: at
        proxy.public_url when it is set (a tunnel's URL, the one clients come by), else at a path
        the client resolves against the URL it opened, whichever name of the proxy that was (the
        SDK's client refuses an endpoint on another origin). An endpoint that is not a plain path
        on the backend is passed on as it came, and the stream's event says so."""
        relayed = self.relay.relayed.get(id(carried.flow))
        if relayed is None:
            return None
        request = carried.flow.request
        target = endpoint_target(frame.data, str(backend_url(relayed.backend, request.path)))
        if target is None or self.runtime.mcp_paths.learn(target.path) is None:
            exchange = carried.exchange
            exchange.error = exchange.error or (
                f"the endpoint event names {frame.data.strip()[:200]!r}, not a path on the backend"
                " the proxy relays: passed on as it came, so the client's messages may not pass"
                " through the proxy"
            )
            return None
        carried.session_id = target.session_id
        proxy = self.runtime.config.proxy
        absolute = "public_url" in proxy.model_fields_set
        data = rewrite_endpoint(target, proxy.public_url, absolute=absolute)
        return Frame(data, frame.event, frame.id, frame.retry)

    def _server(
        self,
        carried: Carried,
        message: RpcMessage,
        text: str | None,
        *,
        rewrite: bool = False,
        size: int | None = None,
    ) -> strict.Answer | None:
        """A server message: its records (recorded once `ready` is flushed); in strict mode
        with `rewrite`, the -32603 answer that replaces a result breaking the contract."""
        if carried.announces:  # the session it names was opened on it after it began
            carried.version = self.tracker.sessions.version(carried.session_id, None)
        seen = self.tracker.server_message(
            carried,
            message,
            time.monotonic(),
            iso_now(),
            session_id=carried.session_id,
            version=carried.version,
            answer_session=carried.answer_session,
            own=carried.own,
            text=text,
            size=size,
        )
        for record in seen.done:
            owner = record.carrier
            if owner is not carried and id(owner.flow) in self.carried:
                owner.ready.append(record)  # its POST is still open: recorded when it ends
            else:
                carried.ready.append(record)
        carried.ready += seen.evicted
        if any(record.taught is not None for record in seen.done):
            self._learn()
        for record in seen.waiting:
            timeout = self.runtime.config.proxy.timeout_s
            self._wait(record, f"the client did not answer within {timeout:g} s (proxy.timeout_s)")
        if not (rewrite and self.runtime.config.proxy.strict):
            return None
        for record in seen.done:
            answer, ctx = record.answer, record.answer_context
            if record.direction != "client" or answer is None or ctx is None:
                continue
            if answer.kind != "result" or answer.id is None:
                continue
            found = check(answer, ctx).violations
            if found:
                return strict.invalid_result(answer.id, found, ctx.era)
        return None

    def _learn(self) -> None:
        """A new catalogue: its tools' securitySchemes are what the scope checks follow."""
        resource = self.runtime.auth.resource
        catalogue = self.tracker.catalogue
        if resource is not None and resource.tools is not None and catalogue is not None:
            if catalogue.tools is not None:
                resource.tools.learn(catalogue.tools)

    def _finish(self, carried: Carried, why: str, *, wait: bool = False) -> None:
        """The exchange is over: its records not recorded yet are recorded now."""
        self._record_all(carried.ready)
        carried.ready.clear()
        response = carried.flow.response
        accepted = response is not None and 200 <= response.status_code < 300
        timeout = self.runtime.config.proxy.timeout_s
        for record in carried.records:
            if record.pending is not None and record.direction == "client":
                if carried.legacy and accepted and record.waits and not wait:
                    # HTTP+SSE: the answer comes on the session's stream, later
                    why_late = f"no answer came on the event stream within {timeout:g} s"
                    self._wait(record, why_late + " (proxy.timeout_s)")
                elif self.tracker.give_up(record, why):
                    self._record(record, wait=wait)
            else:
                self._record(record, wait=wait)
        if carried.announces and carried.session_id is not None:
            self._stream_ended(carried.session_id, wait=wait)
        exchange = carried.exchange
        exchange.rpc = Rpc(
            session_id=carried.session_id,
            protocol_version=carried.version,
            exchange_id=exchange.event_id,
            frames=tuple(carried.frames),
        )

    # -- server requests waiting for the client -----------------------------------------------

    def _wait(self, record: Record[Carried], why: str) -> None:
        """Wait proxy.timeout_s for the answer; then the request is recorded unanswered."""
        loop = asyncio.get_running_loop()

        def expire() -> None:
            self.timers.pop(id(record), None)
            if self.tracker.give_up(record, why):
                self._record(record)

        handle = loop.call_later(self.runtime.config.proxy.timeout_s, expire)
        self.timers[id(record)] = (handle, record)

    def _stop_waiting(self, record: Record[Carried]) -> None:
        waiting = self.timers.pop(id(record), None)
        if waiting is not None:
            waiting[0].cancel()

    def _stream_ended(self, session_id: str, *, wait: bool) -> None:
        """An HTTP+SSE stream ended, and its session with it: its requests get no answer now."""
        self.tracker.ended(session_id)
        for _, record in list(self.timers.values()):
            context = record.context
            if record.direction == "client" and context.session_id == session_id:
                if self.tracker.give_up(record, "the session's event stream ended first"):
                    self._record(record, wait=wait)

    # -- to the writer -------------------------------------------------------------------------

    def _record_all(self, records: list[Record[Carried]]) -> None:
        for record in records:
            self._record(record)

    def _record(self, record: Record[Carried], *, wait: bool = False) -> None:
        self._stop_waiting(record)
        pending = PendingMessage(
            record,
            self._http(record),
            self.runtime.config.store.body_cap_bytes,
            self.runtime.redactor,
            self.versions,
        )
        writer = self.runtime.writer
        if wait:
            writer.submit(pending, timeout_s=self.runtime.config.store.queue_wait_ms / 1000)
        elif not writer.offer(pending):
            writer.not_stored(1, writer.refusal())

    def _http(self, record: Record[Carried]) -> Http:
        """The HTTP side of a record's event, taken now (bodies at most what the store keeps)."""
        carrier = record.carrier
        flow, exchange = carrier.flow, carrier.exchange
        request = flow.request
        cap = self.runtime.config.store.body_cap_bytes
        client_sent = record.context.direction == "client"
        now = time.monotonic()
        if client_sent:
            request_part = self._part(request, exchange, cap)
            response_part = None if flow.response is None else self._answer_part(carrier, cap)
            # without a response, the status the front answered with itself (its 502), if any
            status = (
                flow.metadata.get(ANSWERED_STATUS)
                if flow.response is None
                else flow.response.status_code
            )
            ts = exchange.ts
            stream, answered = record.answer_carrier, record.answer
            if stream is not None and answered is not None and stream.flow.response is not None:
                # the answer came on another exchange's stream (HTTP+SSE): its frame is the body
                text = record.answer_text or _dumps(answered.value)
                stream_headers = header_pairs(stream.flow.response.headers)
                response_part = Part(stream_headers, write_frame(Frame(text))[:cap])
        else:
            text = record.text if record.text is not None else _dumps(record.message.value)
            request_part = Part(header_pairs(request.headers), text.encode())
            answer = record.answer_carrier
            response_part = None
            status = None if flow.response is None else flow.response.status_code
            if answer is not None:
                response_part = self._part(answer.flow.request, answer.exchange, cap)
                if answer.flow.response is not None:
                    status = answer.flow.response.status_code
            ts = record.ts
        duration = (
            record.answer_context.duration_ms
            if record.answer_context is not None and record.answer_context.duration_ms
            else (now - record.started) * 1000
        )
        path, _, query = request.path.partition("?")
        return Http(
            event_id=record.event_id,
            ts=ts,
            method=request.method,
            url=pretty_url(request),
            path=path,
            query=query,
            request=request_part,
            response=response_part,
            status=status,
            duration_ms=duration,
            auth=exchange.auth(),
            source=exchange.source,
            replay_of=exchange.replay_of,
            client_ip=exchange.client_ip,
            error=exchange.error,
            exchange_id=exchange.event_id,
            frames=tuple(carrier.frames),
            # the proxy's faults, and what it could not read of the answer (too large)
            faults=list(exchange.faults) + (exchange.response_violations or [])
            if client_sent
            else [],
        )

    def _part(self, message: http.Message, exchange: Exchange, cap: int) -> Part:
        body = decoded(message, self.runtime.config.proxy.max_inflated_bytes, exchange)
        content = None if message.raw_content is None else body.content[:cap]
        complete = body.complete and (content is None or len(content) == len(body.content))
        return Part(header_pairs(message.headers), content, complete, body.decoded_size)

    def _answer_part(self, carrier: Carried, cap: int) -> Part:
        """The answer as relayed so far: a stream's bytes up to now, else the whole body."""
        response = carrier.flow.response
        assert response is not None
        relayed = self.relay.relayed.get(id(carrier.flow))
        tee = None if relayed is None else relayed.tee
        if tee is None:
            return self._part(response, carrier.exchange, cap)
        kept = bytes(tee.kept[:cap])
        headers = header_pairs(response.headers)
        return Part(headers, kept, tee.complete and len(kept) == len(tee.kept), tee.size)


def _frame_entry(item: Frame | Overflow, at_ms: float) -> dict[str, Any]:
    """A frame as the event lists it: when (since the request), its SSE id and name, its size."""
    if isinstance(item, Overflow):
        return {"at_ms": at_ms, "id": None, "event": None, "size": item.size}
    size = len(item.data.encode("utf-8", "replace"))
    return {"at_ms": at_ms, "id": _short(item.id), "event": _short(item.event), "size": size}


def _short(name: str | None) -> str | None:
    if name is None or len(name) <= MAX_FRAME_NAME:
        return name
    return name[:MAX_FRAME_NAME] + "…"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class MessagesIn:
    """The request side (after the auth gate: what it refused is never read here)."""

    def __init__(self, messages: Messages) -> None:
        self.messages = messages

    @request_stage
    async def request(self, flow: http.HTTPFlow, exchange: Exchange) -> None:
        if exchange.mcp:
            await self.messages.request(flow, exchange)


class MessagesOut:
    """The answer side (after the relay, before the recorder)."""

    def __init__(self, messages: Messages) -> None:
        self.messages = messages

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        if exchange_of(flow) is not None:
            self.messages.responseheaders(flow)

    def response(self, flow: http.HTTPFlow) -> None:
        self.messages.response(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self.messages.error(flow)

    async def done(self) -> None:
        self.messages.done()
        await self.messages.probe.done()
