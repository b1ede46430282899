"""multipart/form-data bodies (RFC 7578), enough for browser and ``requests`` uploads.

The standard library's ``cgi`` module is deprecated, and ``email`` parsing copies large files
several times; this splits the body once on the boundary.
"""

from __future__ import annotations

import re
from typing import Dict, Union

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PARAM = re.compile(r'(\w+)\*?="((?:[^"\\]|\\.)*)"|(\w+)=([^;\s]+)')


class MultipartError(ValueError):
    """The body is not multipart/form-data or is damaged."""


def parse_form_data(content_type: str, body: bytes) -> Dict[str, Union[str, bytes]]:
    """Fields by name: file parts (with a filename) as bytes, other parts as text."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise MultipartError("the upload must be multipart/form-data, not %r" % content_type.split(";")[0])
    match = _BOUNDARY.search(content_type)
    if not match:
        raise MultipartError("multipart/form-data without a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise MultipartError("the multipart body is incomplete")
    fields: Dict[str, Union[str, bytes]] = {}
    for chunk in chunks[1:-1]:
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise MultipartError("a multipart part has no header end")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _colon, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                disposition = value
        params = {}
        for quoted_key, quoted, plain_key, plain in _PARAM.findall(disposition):
            if quoted_key:
                params[quoted_key.lower()] = quoted.replace('\\"', '"')
            else:
                params[plain_key.lower()] = plain
        name = params.get("name")
        if name is None:
            continue
        fields[name] = content if "filename" in params else content.decode("utf-8", "replace")
    return fields
