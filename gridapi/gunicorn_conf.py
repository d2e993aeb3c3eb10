"""gunicorn settings for gridapi (read from ``gunicorn.conf.py`` in the checkout, or ``-c python:…``).

- Request line and header limits fit the API's documented maximums: a pull or feed ``cursor`` is at most
  4,096 characters, so with the path and the other parameters a request line stays under 8,190 bytes
  (gunicorn's largest setting; its default of 4,094 refused valid cursors).
- What gunicorn itself refuses before Django sees the request (a longer request line: 414, headers over
  the limit: 431, a malformed request: 400) is answered as a problem document like every other error,
  not gunicorn's HTML page.
- ``faulthandler`` is on in every process, so a crash in C code (a segfault, an abort) logs the Python
  stack of each thread to stderr before the worker dies.
"""

import faulthandler
import json
from typing import Any

from gunicorn import util

limit_request_line = 8190
limit_request_field_size = 8190
limit_request_fields = 100

__all__ = ["limit_request_field_size", "limit_request_fields", "limit_request_line", "post_fork"]

faulthandler.enable()

_CODES = {
    400: "bad_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "request_header_fields_too_large",
    500: "server_error",
    501: "not_implemented",
}


def problem_bytes(status_int: int, reason: str, mesg: str) -> bytes:
    """A whole HTTP/1.1 response carrying an RFC 9457 problem document (English: no request to localise by)."""
    code = _CODES.get(status_int, "bad_request")
    body = json.dumps(
        {
            "type": "/problems/" + code.replace("_", "-"),
            "title": reason,
            "status": status_int,
            "code": code,
            "detail": mesg[:200],
        },
        ensure_ascii=False,
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def _write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    util.write_nonblock(sock, problem_bytes(status_int, reason, mesg))


# Workers answer the requests gunicorn refuses through ``util.write_error``; it is looked up at call time.
util.write_error = _write_problem


def post_fork(server: Any, worker: Any) -> None:
    faulthandler.enable()  # each worker's own stderr handler (inherited, but re-armed after fork to be sure)
