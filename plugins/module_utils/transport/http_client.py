# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP(S) client under the device web sessions (Remote UI, SMS), on the standard library.

It replaced requests because a device module is one Python process per host: importing requests
(with urllib3, charset detection and idna) cost each process 45-70 ms of CPU, more than logging in
to a device and reading a page, and the web sessions use little of it: one keep-alive connection to
one device, form posts, multipart uploads, cookies of that one host, redirects when asked, and the
TLS context the session builds. ``HttpClient.request`` keeps the call shape the sessions used
(``method, url, headers, params, data, files, verify, timeout, allow_redirects``) and answers a
``Response`` with ``status_code``, ``headers``, ``content``, ``encoding``, ``text`` and ``url``.

Failures are raised as ``HttpError`` subclasses with the socket or TLS exception as their cause, so
the session's error mapping (certificate, legacy TLS, reset, refused, timeout) sees the real reason.
"""

from __future__ import annotations

import http.client
import mimetypes
import os
import select
import socket
import ssl
import uuid
from http.cookies import CookieError, SimpleCookie
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlencode, urljoin, urlsplit

MAX_REDIRECTS = 10
REDIRECTS = (301, 302, 303, 307, 308)


class HttpError(Exception):
    """Any failure of an exchange (the base the session maps last)."""


class TlsError(HttpError):
    """The TLS handshake failed (certificate, versions, ciphers)."""


class ConnectTimeout(HttpError):
    """No connection within the timeout."""


class ReadTimeout(HttpError):
    """Connected, but no (complete) answer within the timeout."""


class ConnectionFailed(HttpError):
    """Refused, reset, or closed by the server without an answer."""


class Cookie:
    __slots__ = ("name", "value")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value


class CookieJar:
    """The cookies of one device: name -> value, set from Set-Cookie, sent back on every request."""

    def __init__(self) -> None:
        self._values: Dict[str, str] = {}

    def __iter__(self) -> Iterator[Cookie]:
        return iter([Cookie(name, value) for name, value in self._values.items()])

    def __len__(self) -> int:
        return len(self._values)

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self._values.get(name, default)

    def clear(self) -> None:
        self._values.clear()

    def header(self) -> str:
        return "; ".join("%s=%s" % item for item in self._values.items())

    def update_from(self, message: http.client.HTTPMessage) -> Dict[str, str]:
        """Take the Set-Cookie headers of an answer; the cookies it set (name -> value)."""
        set_here: Dict[str, str] = {}
        for raw in message.get_all("Set-Cookie") or []:
            parsed: SimpleCookie = SimpleCookie()
            try:
                parsed.load(raw)
            except CookieError:
                name, _sep, rest = raw.partition("=")       # lenient: device firmware is not RFC-perfect
                if name.strip():
                    self._values[name.strip()] = set_here[name.strip()] = rest.split(";", 1)[0].strip()
                continue
            for name, morsel in parsed.items():
                set_here[name] = morsel.value
                expired = morsel["max-age"] in ("0", "-1") or "1970" in (morsel["expires"] or "")
                if expired or (morsel.value == "" and morsel["max-age"]):
                    self._values.pop(name, None)
                else:
                    self._values[name] = morsel.value
        return set_here


class Response:
    """One answer: status, headers, body, the cookies it set; ``url`` is where it came from."""

    def __init__(self, url: str, status_code: int, headers: http.client.HTTPMessage, content: bytes,
                 cookies: Optional[Dict[str, str]] = None) -> None:
        self.url = url
        self.cookies: Dict[str, str] = cookies or {}
        self.status_code = status_code
        self.headers = headers
        self.content = content
        charset = headers.get_content_charset() if headers is not None else None
        self.encoding: Optional[str] = charset or None

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding or "utf-8", "replace")

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def is_redirect(self) -> bool:
        return self.status_code in REDIRECTS and bool(self.headers.get("Location"))


def _multipart(data: Optional[Mapping[str, Any]], files: Mapping[str, Any]) -> Tuple[bytes, str]:
    """A multipart/form-data body: the form fields, then each file as (filename, bytes[, type])."""
    boundary = uuid.uuid4().hex
    parts: List[bytes] = []
    for name, value in (data or {}).items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % (boundary, name)).encode()
                         + str(item).encode("utf-8") + b"\r\n")
    for name, spec in files.items():
        if isinstance(spec, (tuple, list)):
            filename, payload = spec[0], spec[1]
            content_type = spec[2] if len(spec) > 2 and spec[2] else None
        else:
            filename, payload, content_type = os.path.basename(getattr(spec, "name", name)), spec, None
        if hasattr(payload, "read"):
            payload = payload.read()
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        content_type = content_type or mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
        head = '--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: %s\r\n\r\n' % (
            boundary, name, filename or "", content_type)
        parts.append(head.encode("utf-8") + bytes(payload) + b"\r\n")
    parts.append(("--%s--\r\n" % boundary).encode())
    return b"".join(parts), "multipart/form-data; boundary=%s" % boundary


class HttpClient:
    """One device's HTTP(S) conversation: a keep-alive connection per scheme/host/port, its cookies."""

    def __init__(self, ssl_context: Optional[ssl.SSLContext] = None, user_agent: str = "printfleet.canon") -> None:
        self.ssl_context = ssl_context
        self.headers: Dict[str, str] = {"User-Agent": user_agent, "Accept": "*/*", "Accept-Encoding": "identity"}
        self.cookies = CookieJar()
        self._connections: Dict[Tuple[str, str, int], http.client.HTTPConnection] = {}
        self._ca_loaded: Optional[str] = None

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    def _context(self, verify: Union[bool, str, None]) -> Optional[ssl.SSLContext]:
        context = self.ssl_context
        if context is None or not verify or not isinstance(verify, str) or self._ca_loaded == verify:
            return context
        if os.path.isdir(verify):
            context.load_verify_locations(capath=verify)
        else:
            context.load_verify_locations(cafile=verify)
        self._ca_loaded = verify
        return context

    def _connection(self, scheme: str, host: str, port: int, timeout: float,
                    verify: Union[bool, str, None]) -> Tuple[http.client.HTTPConnection, bool]:
        key = (scheme, host, port)
        connection = self._connections.get(key)
        if connection is not None and connection.sock is not None:
            readable, _unused, _unused2 = select.select([connection.sock], [], [], 0)
            if not readable:
                return connection, True
            connection.close()          # the server closed it (or sent something unasked): a fresh one
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._context(verify))
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        self._connections[key] = connection
        return connection, False

    def request(self, method: str, url: str, headers: Optional[Mapping[str, str]] = None,
                params: Optional[Mapping[str, Any]] = None, data: Optional[Any] = None,
                files: Optional[Mapping[str, Any]] = None, verify: Union[bool, str, None] = True,
                timeout: Union[float, Tuple[float, float]] = 30.0, allow_redirects: bool = False) -> Response:
        connect_timeout, read_timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        if params:
            url = url + ("&" if urlsplit(url).query else "?") + urlencode(params, doseq=True)
        body: Optional[bytes] = None
        content_type: Optional[str] = None
        if files:
            body, content_type = _multipart(data if isinstance(data, Mapping) else None, files)
        elif isinstance(data, Mapping):
            body, content_type = urlencode(data, doseq=True).encode("utf-8"), "application/x-www-form-urlencoded"
        elif isinstance(data, (bytes, str)):
            body = data.encode("utf-8") if isinstance(data, str) else data
        response = self._exchange(method, url, headers, body, content_type, verify, connect_timeout, read_timeout)
        for _hop in range(MAX_REDIRECTS):
            if not allow_redirects or not response.is_redirect:
                return response
            url = urljoin(response.url, response.headers.get("Location", ""))
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, body, content_type = "GET", None, None
            response = self._exchange(method, url, headers, body, content_type, verify, connect_timeout,
                                      read_timeout)
        raise HttpError("more than %d redirects from %s" % (MAX_REDIRECTS, url))

    def _exchange(self, method: str, url: str, headers: Optional[Mapping[str, str]], body: Optional[bytes],
                  content_type: Optional[str], verify: Union[bool, str, None], connect_timeout: float,
                  read_timeout: float) -> Response:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        host = parts.hostname or ""
        connection, _reused = self._connection(scheme, host, port, connect_timeout, verify)
        sent = dict(self.headers)
        sent.update(headers or {})
        if content_type:
            sent["Content-Type"] = content_type
        if len(self.cookies):
            sent["Cookie"] = self.cookies.header()
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        if connection.sock is None:
            try:
                connection.connect()
            except (socket.timeout, TimeoutError) as exc:
                connection.close()
                raise ConnectTimeout("no connection to %s:%d within %gs" % (host, port, connect_timeout)) from exc
            except ssl.SSLError as exc:    # certificate failures are ssl.SSLCertVerificationError (a subclass)
                connection.close()
                raise TlsError(str(exc)) from exc
            except ssl.CertificateError as exc:
                connection.close()
                raise TlsError(str(exc)) from exc
            except OSError as exc:
                connection.close()
                raise ConnectionFailed(str(exc)) from exc
        connection.sock.settimeout(read_timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            content = answer.read()
        except (socket.timeout, TimeoutError) as exc:
            connection.close()
            raise ReadTimeout("no answer from %s:%d within %gs" % (host, port, read_timeout)) from exc
        except ssl.SSLError as exc:
            connection.close()
            raise TlsError(str(exc)) from exc
        except (http.client.IncompleteRead, http.client.HTTPException) as exc:
            connection.close()
            if isinstance(exc, http.client.RemoteDisconnected):
                raise ConnectionFailed(str(exc)) from exc
            raise HttpError("%s: %s" % (type(exc).__name__, exc)) from exc
        except OSError as exc:
            connection.close()
            raise ConnectionFailed(str(exc)) from exc
        set_here = self.cookies.update_from(answer.headers)
        if answer.will_close:
            connection.close()
        return Response(url, answer.status, answer.headers, content, set_here)
