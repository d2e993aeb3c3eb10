"""A small round-robin TCP load balancer for tests: each new connection goes to the next upstream in turn, as
a deployment's balancer spreads devices over gridapi's web processes. Clients that open a connection per
request are spread request by request."""

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class RoundRobinBalancer:
    """Listens on 127.0.0.1 (``url``) and relays each connection to the next of ``upstreams`` (ports)."""

    def __init__(self, upstreams: list[int]) -> None:
        self.upstreams = upstreams
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections: Counter[int] = Counter()  # per upstream port
        self._turn = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            port = self.upstreams[self._turn % len(self.upstreams)]
            self._turn += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", port))
            except OSError:
                client.close()
                continue
            self.connections[port] += 1
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        outward = threading.Thread(target=self._pump, args=(client, upstream), daemon=True)
        outward.start()
        self._pump(upstream, client)
        outward.join()
        client.close()
        upstream.close()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)  # half-close: the other direction may still be sending

    def close(self) -> None:
        self._closed = True
        self.listener.close()


@contextmanager
def round_robin(upstreams: list[str]) -> Iterator[RoundRobinBalancer]:
    """A balancer in front of the base URLs ``upstreams`` (``http://127.0.0.1:<port>``)."""
    balancer = RoundRobinBalancer([int(url.rsplit(":", 1)[1]) for url in upstreams])
    try:
        yield balancer
    finally:
        balancer.close()
