"""A department's webhook receiver for tests: a real HTTP server on 127.0.0.1 in a thread.

It records every request (headers and body) and answers from a programmable queue of responses, then with
the default status once the queue is empty. ``delay`` makes it slow (it sleeps before answering).
"""

import contextlib
import datetime as dt
import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what it was answered
    at: dt.datetime  # when it arrived
    peer: str = ""  # the sender's address and port: one per connection

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    url: str = ""
    default: int = 200
    delay: float = 0.0
    body: bytes = b""  # the body of every answer
    drop_reused: bool = False  # take the second and later requests of a connection, close it unanswered
    drop_all: bool = False  # take every request and close its connection unanswered
    requests: list[Received] = field(default_factory=list)
    answered: set[int] = field(default_factory=set)  # indexes into ``requests``
    _answers: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        """Queue the statuses of the next responses (each with ``headers``)."""
        with self._lock:
            self._answers.extend((status, headers or {}) for status in statuses)

    def next_answer(self) -> tuple[int, dict[str, str]]:
        with self._lock:
            return self._answers.popleft() if self._answers else (self.default, {})

    def record(self, received: Received) -> int:
        with self._lock:
            self.requests.append(received)
            return len(self.requests) - 1

    def done(self, index: int) -> None:
        with self._lock:
            self.answered.add(index)

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def unanswered(self) -> list[Received]:
        """Requests that arrived and are still waiting for their answer."""
        with self._lock:
            return [r for i, r in enumerate(self.requests) if i not in self.answered]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        served = 0  # requests of this connection so far

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers_in = {k.lower(): v for k, v in self.headers.items()}
            peer = f"{self.client_address[0]}:{self.client_address[1]}"
            self.served += 1
            if receiver.drop_all or (receiver.drop_reused and self.served > 1):
                receiver.record(Received(self.path, headers_in, body, 0, dt.datetime.now(dt.UTC), peer))
                self.close_connection = True
                return
            status, headers = receiver.next_answer()
            # Recorded on arrival: a request counts as received even if the sender dies before the answer.
            index = receiver.record(
                Received(self.path, headers_in, body, status, dt.datetime.now(dt.UTC), peer)
            )
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(receiver.body)))
            self.end_headers()
            self.wfile.write(receiver.body)
            self.wfile.flush()
            receiver.done(index)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog: 5 by default, which a receiver under a burst overflows

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        self.connections.add(connection)
        return connection, address

    def close_connections(self) -> None:
        """Close the kept-alive connections too: a sender's pooled connection must not reach this receiver's
        handler after it stopped (nor a later receiver given the same port)."""
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a sender killed mid-answer is expected
            super().handle_error(request, client_address)


@contextmanager
def receiver(default: int = 200, delay: float = 0.0) -> Iterator[Receiver]:
    """Serve a Receiver on a free port of 127.0.0.1 for the duration of the block."""
    state = Receiver(default=default, delay=delay)
    server = _Server(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/gridapi"
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.close_connections()
        server.server_close()
