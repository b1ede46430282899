"""Local receivers for notification tests: a small SMTP server (STARTTLS, SMTPS, AUTH) and a webhook endpoint.

Both listen on 127.0.0.1 on a free port, in a background thread, and record what they receive.
Python 3.12 removed smtpd, so the SMTP side is written out here; it speaks just enough of
RFC 5321 / 3207 / 4954 for smtplib: EHLO/HELO, STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA,
RSET, NOOP, QUIT.
"""

from __future__ import annotations

import base64
import datetime
import email
import email.policy
import ipaddress
import json
import os
import socket
import socketserver
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple


def self_signed_certificate(directory: str) -> Tuple[str, str]:
    """(certificate path, key path) for CN=localhost with SANs localhost and 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(directory, "sink-cert.pem"), os.path.join(directory, "sink-key.pem")
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return cert_path, key_path


class SmtpSink:
    """An SMTP server that stores every accepted message in ``messages``.

    ``mode``: "starttls" (plain, offers STARTTLS, AUTH only after it), "ssl" (TLS from the start)
    or "plain" (no TLS at all). ``users``: accepted logins; empty = no AUTH advertised.
    """

    def __init__(self, mode: str = "starttls", users: Optional[Dict[str, str]] = None) -> None:
        self.mode = mode
        self.users = dict(users or {})
        self.messages: List[Dict[str, Any]] = []
        self.failed_logins: List[str] = []
        self.dir = tempfile.mkdtemp(prefix="printfleet-smtp-")
        self.cert, self.key = self_signed_certificate(self.dir)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(self.cert, self.key)
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                sink._session(self.connection)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # one SMTP session -------------------------------------------------------------------------
    def _session(self, conn: socket.socket) -> None:
        secure = False
        if self.mode == "ssl":
            conn = self.tls.wrap_socket(conn, server_side=True)
            secure = True
        reader = conn.makefile("rb")

        def send(line: str) -> None:
            conn.sendall((line + "\r\n").encode())

        def read() -> str:
            return reader.readline().decode("utf-8", "replace").rstrip("\r\n")

        send("220 sink.localhost ESMTP printfleet test sink")
        envelope: Dict[str, Any] = {"from": None, "to": [], "tls": secure, "user": None}
        while True:
            line = read()
            if not line and reader.closed:
                return
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb):].strip()
            if verb in ("EHLO", "HELO"):
                if verb == "HELO":
                    send("250 sink.localhost")
                    continue
                extensions = ["sink.localhost", "8BITMIME", "SIZE 10485760"]
                if self.mode == "starttls" and not secure:
                    extensions.append("STARTTLS")
                if self.users and (secure or self.mode == "plain"):
                    extensions.append("AUTH PLAIN LOGIN")
                for i, ext in enumerate(extensions):
                    send(("250 " if i == len(extensions) - 1 else "250-") + ext)
            elif verb == "STARTTLS" and self.mode == "starttls" and not secure:
                send("220 go ahead")
                conn = self.tls.wrap_socket(conn, server_side=True)
                reader = conn.makefile("rb")
                secure = True
                envelope = {"from": None, "to": [], "tls": True, "user": None}
            elif verb == "AUTH":
                user = self._auth(arg, send, read)
                if user is None:
                    send("535 5.7.8 authentication failed")
                else:
                    envelope["user"] = user
                    send("235 2.7.0 authenticated")
            elif verb == "MAIL":
                if self.users and not envelope["user"]:
                    send("530 5.7.0 authentication required")
                    continue
                envelope["from"] = arg.split(":", 1)[1].strip().split(" ")[0].strip("<>")
                envelope["to"] = []
                send("250 ok")
            elif verb == "RCPT":
                envelope["to"].append(arg.split(":", 1)[1].strip().strip("<>"))
                send("250 ok")
            elif verb == "DATA":
                send("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    raw = reader.readline()
                    if raw in (b".\r\n", b".\n", b""):
                        break
                    lines.append(raw[1:] if raw.startswith(b"..") else raw)
                data = b"".join(lines)
                self.messages.append(dict(envelope, data=data,
                                          message=email.message_from_bytes(data, policy=email.policy.default)))
                send("250 queued")
            elif verb in ("RSET", "NOOP"):
                send("250 ok")
            elif verb == "QUIT":
                send("221 bye")
                return
            elif not line:
                return
            else:
                send("502 not implemented")

    def _auth(self, arg: str, send, read) -> Optional[str]:
        parts = arg.split()
        mech = parts[0].upper() if parts else ""
        try:
            if mech == "PLAIN":
                blob = parts[1] if len(parts) > 1 else (send("334 ") or read())
                _, user, password = base64.b64decode(blob).decode().split("\x00")
            elif mech == "LOGIN":
                if len(parts) > 1:
                    user = base64.b64decode(parts[1]).decode()
                else:
                    send("334 " + base64.b64encode(b"Username:").decode())
                    user = base64.b64decode(read()).decode()
                send("334 " + base64.b64encode(b"Password:").decode())
                password = base64.b64decode(read()).decode()
            else:
                return None
        except (ValueError, IndexError):
            return None
        if self.users.get(user) == password:
            return user
        self.failed_logins.append(user)
        return None


class WebhookSink:
    """An HTTP endpoint that records every request (method, path, headers, JSON body)."""

    def __init__(self, status: int = 200) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.status = status
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    parsed = json.loads(body.decode("utf-8"))
                except ValueError:
                    parsed = None
                sink.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers.items()),
                                      "body": body, "json": parsed})
                self.send_response(sink.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/hooks/printers" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
