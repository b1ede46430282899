"""A small HTTP/1.1 server on asyncio, shared by the control API and the simulated Remote UI.

It runs on the same event loop as the SNMP agent, so device state is only ever touched from one
thread. Keep-alive, Content-Length bodies, optional TLS; enough for requests/urllib clients.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Awaitable, Callable, Dict, List, Optional, Tuple, Union
from urllib.parse import parse_qs, urlsplit

from . import faults

MAX_BODY = 64 * 1024 * 1024
HANDSHAKE_TIMEOUT = 30.0
# TLS record: alert (21), TLS 1.2, length 2, fatal (2), handshake_failure (40)
TLS_ALERT_HANDSHAKE_FAILURE = bytes([21, 3, 3, 0, 2, 2, 40])


@dataclass
class Request:
    method: str
    target: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]          # lower-case names
    body: bytes
    peer: Tuple[str, int]
    local: Tuple[str, int]           # (address, port) the request arrived on
    tls: bool

    def json(self):
        return json.loads(self.body.decode("utf-8") or "null")

    def form(self) -> Dict[str, str]:
        """application/x-www-form-urlencoded body (last value wins)."""
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}

    def cookies(self) -> Dict[str, str]:
        out = {}
        for part in self.headers.get("cookie", "").split(";"):
            if "=" in part:
                k, v = part.split("=", 1)
                out[k.strip()] = v.strip()
        return out

    def arg(self, name: str, default: Optional[str] = None) -> Optional[str]:
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class Response:
    status: int = 200
    body: Union[bytes, str] = b""
    headers: List[Tuple[str, str]] = field(default_factory=list)
    content_type: str = "text/html; charset=utf-8"

    @classmethod
    def json(cls, data, status: int = 200) -> "Response":
        return cls(status, json.dumps(data, indent=1, sort_keys=True, default=str), content_type="application/json")


Handler = Callable[[Request], Union[Response, Awaitable[Response]]]


async def tls_handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, context: ssl.SSLContext,
                        address: str, timeout: float = HANDSHAKE_TIMEOUT) -> bool:
    """The server side of the TLS handshake: True, the connection now speaks TLS; False, it failed
    (the connection is closed). Every TLS listener of the simulator (Remote UI with SMS, HttpServer)
    accepts plain TCP and calls this, so a fault acts before the handshake, per device address.

    With a TLS fault (simulator/faults.py ``tls_fail``) the handshake fails for real: after the
    ClientHello the server sends a fatal handshake_failure alert (``alert``), hangs up (``close``),
    answers plain text instead of a ServerHello (``garbage``) or presents a certificate no CA
    signed (``untrusted``)."""
    mode = faults.tls_fault(address)
    if mode == "untrusted":
        context = faults.untrusted_context()
    elif mode is not None:
        try:
            head = await asyncio.wait_for(reader.readexactly(5), timeout)   # record header
            await asyncio.wait_for(reader.readexactly(int.from_bytes(head[3:5], "big")), timeout)
            if mode == "alert":
                writer.write(TLS_ALERT_HANDSHAKE_FAILURE)
            elif mode == "garbage":
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            pass
        writer.close()
        return False
    try:
        await writer.start_tls(context, ssl_handshake_timeout=timeout)
    except (ConnectionError, OSError, ssl.SSLError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        writer.transport.abort()
        return False
    return True


class HttpServer:
    """One listener per (address, port, tls) with a request handler."""

    def __init__(self, handler: Handler, server_header: str = "printfleet-simulator") -> None:
        self.handler = handler
        self.server_header = server_header
        self._servers: List[asyncio.AbstractServer] = []

    async def listen(self, address: str, port: int, ssl_context: Optional[ssl.SSLContext] = None) -> int:
        """Listen; a TLS listener accepts TCP and upgrades each connection itself (``_handshake``), so a
        fault can make the handshake of one device's connections fail for real."""
        server = await asyncio.start_server(lambda r, w: self._accept(r, w, ssl_context),
                                            address, port, reuse_address=True,
                                            backlog=512)
        self._servers.append(server)
        return server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for s in self._servers:
            s.close()
        for s in self._servers:
            try:
                await asyncio.wait_for(s.wait_closed(), 2)
            except (asyncio.TimeoutError, Exception):
                pass
        self._servers = []

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      context: Optional[ssl.SSLContext]) -> None:
        if context is not None:
            local = writer.get_extra_info("sockname") or ("", 0)
            if not await tls_handshake(reader, writer, context, local[0]):
                return
        await self._serve(reader, writer, context is not None)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tls: bool) -> None:
        """The HTTP/1.1 loop of one connection (TLS, if any, already set up by ``tls_handshake``)."""
        peer = writer.get_extra_info("peername") or ("", 0)
        local = writer.get_extra_info("sockname") or ("", 0)
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
                    return
                if not line:
                    return
                try:
                    method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
                except ValueError:
                    await self._write(writer, Response(400, b"bad request line"), False)
                    return
                headers: Dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _unused, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length > MAX_BODY:
                    await self._write(writer, Response(413, b"too large"), False)
                    return
                body = await reader.readexactly(length) if length else b""
                split = urlsplit(target)
                request = Request(method.upper(), target, split.path, parse_qs(split.query, keep_blank_values=True),
                                  headers, body, peer[:2], local[:2], tls)
                fault = await faults.http_request(local[0], request.method)
                if fault == "reset":
                    writer.transport.abort()
                    return
                if fault:
                    await self._write(writer, Response(int(fault.split(":")[1]), b"fault injected: busy"), False)
                    return
                try:
                    result = self.handler(request)
                    if asyncio.iscoroutine(result):
                        result = await result
                    response = result
                except Exception as exc:  # a handler bug must not kill the listener
                    response = Response(500, ("internal error: %s" % exc).encode())
                keep = version.upper() == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                if faults.http_truncate(local[0]):
                    await self._write(writer, response, False, truncate=True)
                    return
                await self._write(writer, response, keep)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            return
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _write(self, writer: asyncio.StreamWriter, response: Response, keep: bool,
                     truncate: bool = False) -> None:
        body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = "Status"
        head = ["HTTP/1.1 %d %s" % (response.status, reason), "Server: " + self.server_header,
                "Content-Length: %d" % len(body), "Connection: " + ("keep-alive" if keep else "close")]
        if not any(k.lower() == "content-type" for k, _unused in response.headers):
            head.append("Content-Type: " + response.content_type)
        head.extend("%s: %s" % (k, v) for k, v in response.headers)
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body[:len(body) // 2] if truncate else body))
        await writer.drain()
