"""Webhook connections kept alive: one HTTP client per receiver address, per worker process.

A delivery used to open a new client, and so a new TCP connection (and TLS handshake), for every request. Here a
worker process keeps one ``httpx.Client`` per *(scheme, host name, port, checked address)* and reuses its
connections from one delivery to the next.

The host name is part of the key on purpose: deliveries are sent to the address the SSRF check resolved, with
the name in ``Host`` and TLS SNI (see ``attempts._pinned``). A connection is verified against the name it was
opened for, so two names served from one address must never share one — each gets its own client. A name that
resolves elsewhere later gets a new client for the new address; the old one ages out of the pool.
"""

import functools
import os
import ssl
import threading
from collections import OrderedDict

import certifi
import httpx
from django.conf import settings

# Receivers a worker process keeps connections to; the least recently used beyond it is closed.
MOST_RECEIVERS = 64
# Idle connections older than this are not reused: receivers close idle keep-alive connections themselves (a
# gunicorn after 2 s, an nginx after 75 s), and a request sent down a connection being closed is a failed attempt.
KEEPALIVE_SECONDS = 2.0
# What is read of an answer's body so that its connection can carry the next request; beyond it the connection
# is closed instead (receivers owe us nothing but the status).
MOST_BODY_BYTES = 64 * 1024

Key = tuple[str, str, int, str]  # scheme, host name, port, the address connected to

_lock = threading.Lock()
_clients: "OrderedDict[tuple[int, float, Key], httpx.Client]" = OrderedDict()


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle costs ~20 ms of CPU: once per process, not once per delivery.
    return ssl.create_default_context(cafile=certifi.where())


def _new_client(timeout: float) -> httpx.Client:
    # No redirects (they could lead anywhere, past the SSRF check) and no proxy from the environment, so the
    # address checked is the address connected to.
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        verify=_tls(),
        limits=httpx.Limits(
            max_connections=4, max_keepalive_connections=4, keepalive_expiry=KEEPALIVE_SECONDS
        ),
    )


def client_for(key: Key) -> httpx.Client:
    """The client of this process for one receiver address (made on first use)."""
    # The process id keeps a client made before a fork from being used by the child (the sockets are shared);
    # the timeout, so that a changed setting takes effect.
    full = (os.getpid(), float(settings.GRIDAPI_WEBHOOK_TIMEOUT_SECONDS), key)
    with _lock:
        client = _clients.get(full)
        if client is not None:
            _clients.move_to_end(full)
            return client
        client = _clients[full] = _new_client(full[1])
        evicted = [_clients.popitem(last=False) for _ in range(len(_clients) - MOST_RECEIVERS)]
    for (pid, _timeout, _key), old in evicted:
        if pid == full[0]:
            old.close()
    return client


def clients_close() -> None:
    """Close every client of this process (tests)."""
    with _lock:
        mine = [_clients.pop(full) for full in list(_clients) if full[0] == os.getpid()]
    for client in mine:
        client.close()


def answer_drain(response: httpx.Response) -> None:
    """Read what is left of an answer's body, up to ``MOST_BODY_BYTES``, so that its connection goes back to the
    pool; a longer body is left unread and the connection is closed with the response."""
    read = 0
    for chunk in response.iter_raw():
        read += len(chunk)
        if read > MOST_BODY_BYTES:
            return
