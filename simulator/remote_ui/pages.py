"""HTML pages and small HTTP helpers of the simulated Remote UIs.

Pages are plain and short: what a client reads from them is the marker sentence of
``protocol_table`` (rendered verbatim), hidden form inputs, and the table rows documented in
``docs/simulator-remote-ui.md``.
"""

from __future__ import annotations

import html
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

from ..httpserver import Response
from .table import protocol

# The "invalid token" page: its sentence must contain the PAGE_MARKERS entry for stale tokens.
INVALID_TOKEN_TEXT = "Invalid token. Reload the page and try again."
assert any(marker in INVALID_TOKEN_TEXT.lower() for marker, _code in protocol.PAGE_MARKERS)
NOT_FOUND_TEXT = "The page cannot be found."
NO_ADDRESS_BOOK_TEXT = "This device has no address book."


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def cookie(name: str, value: str, http_only: bool = True) -> Tuple[str, str]:
    return ("Set-Cookie", "%s=%s; Path=/%s" % (name, value, "; HttpOnly" if http_only else ""))


def page(title: str, body: str, status: int = 200, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    text = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"
            "<body>\n%s\n</body></html>\n" % (esc(title), body))
    return Response(status, text, list(headers or []))


def message(text: str, title: str = "Remote UI", details: Sequence[str] = (), status: int = 200,
            headers: Optional[List[Tuple[str, str]]] = None, extra: str = "") -> Response:
    """A page whose one sentence tells what happened (a PAGE_MARKERS sentence)."""
    body = "<p class=\"message\" id=\"message\">%s</p>" % esc(text)
    if details:
        body += "\n<ul class=\"details\">%s</ul>" % "".join(
            "<li class=\"failed\">%s</li>" % esc(item) for item in details)
    return page(title, body + extra, status, headers)


def redirect(location: str, headers: Optional[List[Tuple[str, str]]] = None, status: int = 302) -> Response:
    return Response(status, b"", [("Location", location)] + list(headers or []))


def not_found() -> Response:
    return message(NOT_FOUND_TEXT, "Not Found", status=404)


def hidden(name: str, value: str) -> str:
    return "<input type=\"hidden\" name=\"%s\" value=\"%s\">" % (esc(name), esc(value))


def text_input(name: str, value: str = "", kind: str = "text", maxlength: Optional[int] = None) -> str:
    limit = " maxlength=\"%d\"" % maxlength if maxlength else ""
    return "<input type=\"%s\" name=\"%s\" value=\"%s\"%s>" % (kind, esc(name), esc(value), limit)


def form(action: str, inner: str, method: str = "post", multipart: bool = False) -> str:
    enctype = " enctype=\"multipart/form-data\"" if multipart else ""
    return "<form method=\"%s\" action=\"%s\"%s>\n%s\n</form>" % (method, esc(action), enctype, inner)


def info_table(facts: Mapping[str, str], lists: Iterable[Tuple[str, int, int]]) -> str:
    """The book_info table (format in protocol_table next to BOOK_INFO_KEYS)."""
    rows = ["<tr><th>%s</th><td>%s</td></tr>" % (esc(key), esc(facts[key])) for key in protocol.BOOK_INFO_KEYS]
    rows += ["<tr class=\"list\" data-list=\"%s\"><td>%d</td><td>%d</td></tr>" % (esc(name), count, capacity)
             for name, count, capacity in lists]
    return "<table class=\"book-info\">\n%s\n</table>" % "\n".join(rows)


def download(data: str, content_type: str, filename: str) -> Response:
    return Response(200, data.encode("utf-8"), [("Content-Disposition", "attachment; filename=\"%s\"" % filename)],
                    content_type=content_type)
