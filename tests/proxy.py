"""A TCP proxy in front of the test database that a test can cut, as a PostgreSQL restart looks to gridapi:
every open connection drops (mid-transaction or not), and new ones are refused until it is back."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import quote

from django.db import connection


def _database_address() -> tuple[int, Any]:
    """(family, address) of the database pytest-django uses: its Unix socket or its TCP host and port."""
    s = connection.settings_dict
    host, port = s["HOST"] or "/var/run/postgresql", int(s["PORT"] or 5432)
    if host.startswith("/"):
        return socket.AF_UNIX, f"{host}/.s.PGSQL.{port}"
    return socket.AF_INET, (host, port)


class CuttableProxy:
    """Listens on 127.0.0.1:``port`` and relays to the database; ``cut(seconds)`` drops everything."""

    def __init__(self) -> None:
        self.family, self.target = _database_address()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down_until = 0.0
        self.cuts = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self.down_until:
                client.close()  # "the database system is starting up": no connection
                continue
            upstream = socket.socket(self.family, socket.SOCK_STREAM)
            try:
                upstream.connect(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
        with self._lock:
            self._open -= {source, sink}

    def cut(self, seconds: float) -> None:
        """Drop every open connection and refuse new ones for ``seconds``."""
        self.down_until = time.monotonic() + seconds
        self.cuts += 1
        with self._lock:
            ends = list(self._open)
        for end in ends:
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def database_url(self) -> str:
        s = connection.settings_dict
        user = quote(s["USER"] or "postgres", safe="")
        password = (":" + quote(s["PASSWORD"], safe="")) if s["PASSWORD"] else ""
        return f"postgis://{user}{password}@127.0.0.1:{self.port}/{s['NAME']}"

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        self.cut(0)


@contextmanager
def cuttable_database() -> Iterator[CuttableProxy]:
    proxy = CuttableProxy()
    try:
        yield proxy
    finally:
        proxy.close()
