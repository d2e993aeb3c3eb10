"""The project's JSON parser: orjson, which refuses what the standard library lets through.

``json.loads`` accepts a lone UTF-16 surrogate (``"\\ud800"``), which then fails with UnicodeEncodeError
wherever the text is encoded (the database driver, a hash), and recurses once per nesting level, so
5,000 nested arrays are a RecursionError. Both were 500s. orjson refuses both while parsing (it has a
nesting limit of 1,024 and accepts only well-formed UTF-8 and escapes), so they are a 400 like any other
malformed body — in every view, the sign-in included, before any code sees the data.
"""

from typing import Any

import orjson
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser


class JSONParser(BaseParser):
    """``application/json`` bodies, parsed with orjson."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        if stream is None:  # no body
            return None
        # Django's request as the stream: read through ``body``, which keeps the bytes, so a view may still
        # hash ``request.body`` (the push's Idempotency-Key) after reading ``request.data``.
        raw = stream.body if isinstance(stream, HttpRequest) else stream.read()
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            detail = _("JSON parse error: %(reason)s") % {"reason": str(exc)[:200]}
            raise ParseError(detail) from exc
