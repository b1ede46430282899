# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Serve one file to devices that pull it (firmware), for the duration of one task only.

Why: Canon devices *pull* firmware from a distribution server (EMC's Local CDS or an agent). The
collection plays that server for the one file a task distributes: bound to one address and port,
over HTTPS with a certificate generated for this run (or plain HTTP), under an unguessable path,
and stopped on every exit path (context manager; ``stop`` is idempotent), so nothing is left
listening after the task.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import os
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
import urllib.parse
from typing import Any, Dict, List, Optional

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

CHUNK = 64 * 1024


def generate_certificate(directory: str, address: str) -> Dict[str, str]:
    """A self-signed certificate and key for ``address`` (PEM files in ``directory``); returns their paths."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        raise CanonError("missing_dependency", "serving over HTTPS needs the Python package 'cryptography'",
                         hint="Install requirements.txt, or set serve_protocol: http.") from None
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "printfleet.canon file server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        alt: Any = x509.IPAddress(ipaddress.ip_address(address))
    except ValueError:
        alt = x509.DNSName(address)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .sign(key, hashes.SHA256()))
    paths = {"cert": os.path.join(directory, "cert.pem"), "key": os.path.join(directory, "key.pem")}
    with open(paths["key"], "wb") as fh:
        os.chmod(paths["key"], 0o600)
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    with open(paths["cert"], "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    return paths


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "printfleet-file-server"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:    # noqa: A002 - stdlib signature
        return     # never to stderr: module output must stay JSON

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        owner: "FileServer" = self.server.owner    # type: ignore[attr-defined]
        path = urllib.parse.urlsplit(self.path).path
        if path != owner.url_path:
            owner.requests.append({"path": "(other)", "status": 404, "peer": self.client_address[0]})
            self.send_error(404)
            return
        with owner.transfers:
            owner.sending += 1
        try:
            self._send_file(owner)
        finally:
            with owner.transfers:
                owner.sending -= 1
                owner.transfers.notify_all()

    def _send_file(self, owner: "FileServer") -> None:
        size = os.path.getsize(owner.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        with open(owner.path, "rb") as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                self.wfile.write(chunk)
                sent += len(chunk)
        owner.requests.append({"path": "(file)", "status": 200, "peer": self.client_address[0], "bytes": sent})


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: Any, handler: Any, family: int) -> None:
        self.address_family = family
        super().__init__(address, handler)


class FileServer:
    """One file at ``url`` until ``stop()`` (or the end of the ``with`` block)."""

    def __init__(self, path: str, bind_address: str, port: int = 0, protocol: str = "https") -> None:
        if protocol not in ("http", "https"):
            raise CanonError("invalid_argument", "serve_protocol must be http or https")
        if not os.path.isfile(path):
            raise CanonError("invalid_argument", "%s is not a file" % path)
        try:
            family = socket.AF_INET6 if ipaddress.ip_address(bind_address).version == 6 else socket.AF_INET
        except ValueError:
            raise CanonError("invalid_argument", "serve_from must be an IP address of the controller, not %r"
                             % bind_address) from None
        self.path = path
        self.bind_address = bind_address
        self.protocol = protocol
        self.url_path = "/%s/%s" % (secrets.token_urlsafe(16), urllib.parse.quote(os.path.basename(path)))
        self.requests: List[Dict[str, Any]] = []
        # transfers in progress: a client can hold the last byte before its handler has recorded it
        self.transfers = threading.Condition()
        self.sending = 0
        self._tmp: Optional[str] = None
        self._thread: Optional[threading.Thread] = None
        try:
            self._server = _Server((bind_address, int(port)), _Handler, family)
        except OSError as exc:
            raise CanonError("invalid_argument", "cannot listen on %s:%s: %s" % (bind_address, port, exc.strerror),
                             hint="serve_from must be an address of the controller the device can reach; "
                                  "pick a free serve_port.") from None
        self._server.owner = self     # type: ignore[attr-defined]
        try:
            if protocol == "https":
                self._tmp = tempfile.mkdtemp(prefix="printfleet-serve-")
                paths = generate_certificate(self._tmp, bind_address)
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                context.load_cert_chain(paths["cert"], paths["key"])
                self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        except BaseException:
            self.stop()
            raise
        self.port = self._server.server_address[1]

    @property
    def url(self) -> str:
        host = self.bind_address if ":" not in self.bind_address else "[%s]" % self.bind_address
        return "%s://%s:%d%s" % (self.protocol, host, self.port, self.url_path)

    @property
    def downloads(self) -> int:
        """Complete transfers of the file, once those in progress have ended (waits at most 2 s)."""
        with self.transfers:
            self.transfers.wait_for(lambda: self.sending == 0, timeout=2)
        return sum(1 for r in self.requests if r["status"] == 200)

    def start(self) -> "FileServer":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="printfleet-file-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and remove the generated key (idempotent)."""
        server = getattr(self, "_server", None)
        if server is not None:
            if self._thread is not None:
                server.shutdown()
                self._thread.join(5)
                self._thread = None
            server.server_close()
            self._server = None     # type: ignore[assignment]
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> "FileServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
