"""The project's JSON renderer: DRF's output, written by orjson.

A feed page or a pull page is a thousand records; the standard library's encoder took as long to write one
as gridapi took to read, unseal and project it. orjson writes the same document several times faster. What
DRF's renderer does beyond plain JSON is kept: datetimes and the types orjson does not know go through DRF's
own encoder (``…Z`` for UTC, lazy translations, decimals), U+2028/U+2029 are escaped so the output stays a
JavaScript subset, and what orjson refuses (integers beyond 64 bits) or cannot do (``indent=4`` asked by
the client) is rendered by DRF's renderer itself.
"""

from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class JSONRenderer(renderers.JSONRenderer):
    """``application/json`` responses, rendered with orjson."""

    _encoder = JSONEncoder()

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=self._encoder.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _LINE_SEPARATOR in body or _PARAGRAPH_SEPARATOR in body:
            body = body.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
        return body
