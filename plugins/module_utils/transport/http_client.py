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

HTTP/1.1 itself (request line, headers, Content-Length and chunked bodies, keep-alive) is written here
rather than taken from http.client: importing http.client pulls in the email package and cost each web
module process about 8 ms, more than the rest of this file; Set-Cookie is parsed here for the same
reason (http.cookies).
"""

from __future__ import annotations

import binascii
import os
import select
import socket
import ssl
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlencode, urljoin, urlsplit

MAX_REDIRECTS = 10
REDIRECTS = (301, 302, 303, 307, 308)
#: Limits on what a device may send before the body (as http.client has them).
MAX_LINE = 65536
MAX_HEADERS = 100
DEFAULT_PORTS = {"http": 80, "https": 443}


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

    def update_from(self, headers: "Headers") -> Dict[str, str]:
        """Take the Set-Cookie headers of an answer; the cookies it set (name -> value)."""
        set_here: Dict[str, str] = {}
        for raw in headers.get_all("Set-Cookie"):
            pair, *attributes = raw.split(";")
            name, _sep, value = pair.partition("=")
            name, value = name.strip(), value.strip()
            if not name or any(ord(char) < 32 or char in ' ",;\\' for char in name):
                continue
            if len(value) > 1 and value[0] == value[-1] == '"':
                value = value[1:-1]
            options = {}
            for attribute in attributes:
                key, _sep, setting = attribute.partition("=")
                options[key.strip().lower()] = setting.strip()
            set_here[name] = value
            max_age = options.get("max-age")
            if max_age in ("0", "-1") or "1970" in options.get("expires", "") or (value == "" and max_age):
                self._values.pop(name, None)
            else:
                self._values[name] = value
        return set_here


class Headers:
    """The headers of an answer, in order; names compare without case."""

    def __init__(self, pairs: List[Tuple[str, str]]) -> None:
        self._pairs = pairs

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        wanted = name.lower()
        for key, value in self._pairs:
            if key.lower() == wanted:
                return value
        return default

    def get_all(self, name: str) -> List[str]:
        wanted = name.lower()
        return [value for key, value in self._pairs if key.lower() == wanted]

    def get_content_charset(self) -> Optional[str]:
        for parameter in (self.get("Content-Type") or "").split(";")[1:]:
            key, _sep, value = parameter.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"').lower()
        return None


class Response:
    """One answer: status, headers, body, the cookies it set; ``url`` is where it came from."""

    def __init__(self, url: str, status_code: int, headers: Headers, content: bytes,
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
    boundary = binascii.hexlify(os.urandom(16)).decode("ascii")
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
        content_type = content_type or "application/octet-stream"   # the sessions name theirs
        head = '--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: %s\r\n\r\n' % (
            boundary, name, filename or "", content_type)
        parts.append(head.encode("utf-8") + bytes(payload) + b"\r\n")
    parts.append(("--%s--\r\n" % boundary).encode())
    return b"".join(parts), "multipart/form-data; boundary=%s" % boundary


class ProtocolError(HttpError):
    """The device's answer is not HTTP as written (status line, headers, or a body cut short)."""


class Disconnected(ConnectionResetError, HttpError):
    """The device closed the connection without answering: a reset, as the session's error mapping sees it
    (as http.client's RemoteDisconnected is)."""


class Connection:
    """One HTTP/1.1 connection to a device: the socket (TLS for https) and a buffered reader of it."""

    def __init__(self, scheme: str, host: str, port: int, timeout: float,
                 context: Optional[ssl.SSLContext]) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.timeout = timeout
        self.context = context
        self.sock: Optional[socket.socket] = None
        self._reader: Any = None

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.scheme == "https":
                context = self.context or ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self._reader = sock.makefile("rb")

    def close(self) -> None:
        reader, sock, self._reader, self.sock = self._reader, self.sock, None, None
        if reader is not None:
            reader.close()
        if sock is not None:
            sock.close()

    def host_header(self) -> str:
        host = "[%s]" % self.host if ":" in self.host else self.host
        return host if DEFAULT_PORTS.get(self.scheme) == self.port else "%s:%d" % (host, self.port)

    def send(self, method: str, path: str, headers: Mapping[str, str], body: Optional[bytes]) -> None:
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: " + self.host_header()]
        if body is not None:
            lines.append("Content-Length: %d" % len(body))
        elif method in ("POST", "PUT", "PATCH"):
            lines.append("Content-Length: 0")
        for name, value in headers.items():
            text = "%s: %s" % (name, value)
            if "\r" in text or "\n" in text:
                raise HttpError("header %s carries a line break" % name)
            lines.append(text)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))

    def _line(self) -> bytes:
        line = self._reader.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ProtocolError("a line of the answer is longer than %d bytes" % MAX_LINE)
        return line

    def receive(self, method: str) -> Tuple[int, Headers, bytes, bool]:
        """(status, headers, body, whether the device closes the connection after this answer)."""
        while True:
            line = self._line()
            if not line:
                raise Disconnected("the device closed the connection without an answer")
            parts = line.decode("iso-8859-1").strip().split(None, 2)
            if (len(parts) < 2 or not parts[0].startswith("HTTP/") or len(parts[1]) != 3
                    or not parts[1].isdigit()):
                raise ProtocolError("not an HTTP status line: %r" % line[:80])
            version, status = parts[0], int(parts[1])
            pairs: List[Tuple[str, str]] = []
            while True:
                line = self._line()
                if line in (b"\r\n", b"\n", b""):
                    break
                if len(pairs) >= MAX_HEADERS:
                    raise ProtocolError("more than %d headers" % MAX_HEADERS)
                text = line.decode("iso-8859-1").rstrip("\r\n")
                if text[:1] in (" ", "\t") and pairs:       # a folded line continues the header before
                    pairs[-1] = (pairs[-1][0], pairs[-1][1] + " " + text.strip())
                    continue
                name, sep, value = text.partition(":")
                if sep:
                    pairs.append((name.strip(), value.strip()))
            if not 100 <= status < 200 or status == 101:
                break                                       # an interim 1xx answer: the real one follows
        headers = Headers(pairs)
        connection_header = (headers.get("Connection") or "").lower()
        will_close = "close" in connection_header or (version == "HTTP/1.0" and "keep-alive" not in connection_header)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return status, headers, b"", will_close
        if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
            return status, headers, self._chunked(), will_close
        length = headers.get("Content-Length")
        if length is not None and length.strip().isdigit():
            wanted = int(length)
            body = self._reader.read(wanted)
            if len(body) < wanted:
                raise ProtocolError("IncompleteRead(%d bytes read, %d more expected)" % (len(body), wanted - len(body)))
            return status, headers, body, will_close
        return status, headers, self._reader.read(), True     # no length: the body ends with the connection

    def _chunked(self) -> bytes:
        chunks: List[bytes] = []
        while True:
            line = self._line()
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError("IncompleteRead: bad chunk size %r" % line[:40]) from None
            if size == 0:
                while self._line() not in (b"\r\n", b"\n", b""):
                    pass                                    # trailers
                return b"".join(chunks)
            chunk = self._reader.read(size)
            if len(chunk) < size or self._reader.read(2) not in (b"\r\n",):
                raise ProtocolError("IncompleteRead(%d bytes read in a chunk of %d)" % (len(chunk), size))
            chunks.append(chunk)


class HttpClient:
    """One device's HTTP(S) conversation: a keep-alive connection per scheme/host/port, its cookies."""

    def __init__(self, ssl_context: Optional[ssl.SSLContext] = None, user_agent: str = "printfleet.canon") -> None:
        self.ssl_context = ssl_context
        self.headers: Dict[str, str] = {"User-Agent": user_agent, "Accept": "*/*", "Accept-Encoding": "identity"}
        self.cookies = CookieJar()
        self._connections: Dict[Tuple[str, str, int], Connection] = {}
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
                    verify: Union[bool, str, None]) -> Tuple[Connection, bool]:
        key = (scheme, host, port)
        connection = self._connections.get(key)
        if connection is not None and connection.sock is not None:
            readable, _unused, _unused2 = select.select([connection.sock], [], [], 0)
            if not readable:
                return connection, True
            connection.close()          # the server closed it (or sent something unasked): a fresh one
        connection = Connection(scheme, host, port, timeout, self._context(verify) if scheme == "https" else None)
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
        port = parts.port or DEFAULT_PORTS.get(scheme, 80)
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
            connection.send(method, path, sent, body)
            status, answer_headers, content, will_close = connection.receive(method)
        except (socket.timeout, TimeoutError) as exc:
            connection.close()
            raise ReadTimeout("no answer from %s:%d within %gs" % (host, port, read_timeout)) from exc
        except ssl.SSLError as exc:
            connection.close()
            raise TlsError(str(exc)) from exc
        except Disconnected as exc:
            connection.close()
            raise ConnectionFailed(str(exc)) from exc
        except HttpError:
            connection.close()
            raise
        except OSError as exc:
            connection.close()
            raise ConnectionFailed(str(exc)) from exc
        set_here = self.cookies.update_from(answer_headers)
        if will_close:
            connection.close()
        return Response(url, status, answer_headers, content, set_here)
