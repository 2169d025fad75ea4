"""A backend that misbehaves on purpose, at the TCP level: resets, garbage, short bodies."""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Literal

Mode = Literal[
    "reset", "garbage", "short", "close", "hang", "odd_fields", "cut_stream", "whole_stream"
]

#: The one frame the `cut_stream` mode sends, on an event stream it then cuts (no last chunk),
#: in the same write: the frame and the end of the connection reach the proxy together. The
#: `whole_stream` mode sends it with the last chunk in the same write instead: the frame and
#: the stream's end reach the proxy together.
CUT_FRAME = b'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n'

#: What the `odd_fields` mode answers with: fields that HTTP/1 parsers take and writers refuse
#: (controls) or may re-encode (UTF-8, and a byte that is not UTF-8).
ODD_FIELDS = (
    (b"X-Control", b"a\x01b\x7fc"),
    (b"X-Utf8", "caf\u00e9".encode()),
    (b"X-Latin1", b"caf\xe9"),
)


class RogueBackend:
    """Accepts connections on a loopback port and answers every request the way `mode` says."""

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RogueBackend:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.sock.close()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
            except OSError:
                return
            if self.mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif self.mode == "garbage":
                conn.sendall(b"\x00\x01\x02 this is not HTTP at all\r\n\r\n")
            elif self.mode == "short":
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 100\r\n\r\n{"todos": ['
                )
            elif self.mode == "odd_fields":
                fields = b"".join(name + b": " + value + b"\r\n" for name, value in ODD_FIELDS)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + fields
                    + b"Content-Length: 2\r\nConnection: close\r\n\r\n[]"
                )
            elif self.mode in ("cut_stream", "whole_stream"):
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                    + f"{len(CUT_FRAME):x}\r\n".encode()
                    + CUT_FRAME
                    + (b"\r\n0\r\n\r\n" if self.mode == "whole_stream" else b"\r\n")
                )
            elif self.mode == "hang":
                time.sleep(10)
