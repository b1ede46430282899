"""http_client, the standard-library HTTP(S) client under the web sessions: cookies, form and multipart
bodies, redirects when asked, keep-alive reuse, timeouts and failures as HttpError subclasses."""

from __future__ import annotations

import email.parser
import http.server
import socket
import ssl
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.transport import http_client

ADDRESS = "127.81.0.1"          # this file's loopback range: 127.81.0.0/16


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def log_message(self, *args):
        pass

    def _reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = urlsplit(self.path)
        Handler.seen.append(("GET", self.path, self.headers.get("Cookie"), self.client_address[1]))
        if path.path == "/login":
            self._reply(302, headers=[("Location", "/top"), ("Set-Cookie", "sid=abc; Path=/; HttpOnly"),
                                      ("Set-Cookie", "lang=en")])
        elif path.path == "/top":
            self._reply(200, "Grüße".encode("utf-8"), [("Content-Type", "text/html; charset=utf-8")])
        elif path.path == "/logout":
            self._reply(200, b"bye", [("Set-Cookie", "sid=; Max-Age=0")])
        elif path.path == "/slow":
            time.sleep(0.6)
            self._reply(200, b"late")
        elif path.path == "/cut":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"only part")
            self.close_connection = True
        elif path.path == "/loop":
            self._reply(302, headers=[("Location", "/loop")])
        else:
            self._reply(200, ("q=%s" % parse_qs(path.query)).encode())

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        Handler.seen.append(("POST", self.path, self.headers.get("Content-Type"), body))
        if self.path == "/form":
            self._reply(303, headers=[("Location", "/done")])
        else:
            self._reply(200, body)


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer((ADDRESS, 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://%s:%d" % (ADDRESS, httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


def test_cookies_redirects_and_keep_alive(server):
    Handler.seen.clear()
    client = http_client.HttpClient()
    answer = client.request("GET", server + "/login", allow_redirects=True, timeout=2)
    assert answer.status_code == 200 and answer.url == server + "/top" and answer.text == "Grüße"
    assert answer.encoding == "utf-8"
    assert sorted(c.name for c in client.cookies) == ["lang", "sid"]
    assert Handler.seen[-1][2] in ("sid=abc; lang=en", "lang=en; sid=abc")
    ports = {entry[3] for entry in Handler.seen}
    assert len(ports) == 1                                     # one keep-alive connection for both
    bye = client.request("GET", server + "/logout", timeout=2)
    assert bye.cookies == {"sid": ""} and [c.name for c in client.cookies] == ["lang"]
    client.close()


def test_redirect_not_followed_unless_asked(server):
    client = http_client.HttpClient()
    answer = client.request("GET", server + "/login", timeout=2)
    assert answer.status_code == 302 and answer.is_redirect and answer.headers.get("Location") == "/top"
    assert answer.cookies == {"sid": "abc", "lang": "en"}


def test_params_form_post_and_303_becomes_get(server):
    Handler.seen.clear()
    client = http_client.HttpClient()
    echoed = client.request("GET", server + "/echo", params={"a": "1 2", "b": "x"}, timeout=2)
    assert echoed.text == "q=%s" % {"a": ["1 2"], "b": ["x"]}
    done = client.request("POST", server + "/form", data={"user": "7654321", "pin": "a&b"}, allow_redirects=True,
                          timeout=2)
    post = [e for e in Handler.seen if e[0] == "POST"][0]
    assert post[2] == "application/x-www-form-urlencoded" and parse_qs(post[3].decode()) == {
        "user": ["7654321"], "pin": ["a&b"]}
    assert done.status_code == 200 and urlsplit(done.url).path == "/done" and Handler.seen[-1][0] == "GET"


def test_multipart_upload_carries_fields_and_files(server):
    Handler.seen.clear()
    client = http_client.HttpClient()
    jar = bytes(range(256)) * 4
    client.request("POST", server + "/upload", data={"mode": "install"},
                   files={"file": ("app.jar", jar, "application/java-archive"), "lic": ("a.lic", b"Serial: 1")},
                   timeout=2)
    _method, _path, content_type, body = Handler.seen[-1]
    assert content_type.startswith("multipart/form-data; boundary=")
    message = email.parser.BytesParser().parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    parts = {part.get_param("name", header="content-disposition"): part for part in message.get_payload()}
    assert parts["mode"].get_payload(decode=True) == b"install"
    assert parts["file"].get_payload(decode=True) == jar and parts["file"].get_filename() == "app.jar"
    assert parts["file"].get_content_type() == "application/java-archive"
    assert parts["lic"].get_payload(decode=True) == b"Serial: 1"


def test_read_timeout_refused_cut_body_and_redirect_loop(server):
    client = http_client.HttpClient()
    with pytest.raises(http_client.ReadTimeout):
        client.request("GET", server + "/slow", timeout=(2, 0.2))
    with pytest.raises(http_client.HttpError) as cut:
        client.request("GET", server + "/cut", timeout=2)
    assert "IncompleteRead" in str(cut.value)
    with pytest.raises(http_client.HttpError):
        client.request("GET", server + "/loop", allow_redirects=True, timeout=2)
    closed = socket.socket()
    closed.bind((ADDRESS, 0))
    port = closed.getsockname()[1]
    closed.close()                                         # nothing listens there now
    with pytest.raises(http_client.ConnectionFailed) as refused:
        client.request("GET", "http://%s:%d/" % (ADDRESS, port), timeout=2)
    assert isinstance(refused.value.__cause__, ConnectionRefusedError)


def test_a_connection_the_server_closed_is_replaced(server):
    client = http_client.HttpClient()
    assert client.request("GET", server + "/echo", timeout=2).status_code == 200
    for connection in client._connections.values():
        connection.sock.shutdown(socket.SHUT_RDWR)          # as if the device dropped it between requests
    assert client.request("GET", server + "/echo", timeout=2).status_code == 200


def test_tls_failures_are_tls_errors_with_the_ssl_cause():
    """A server that answers a ClientHello with plain text: the handshake fails, as TlsError."""
    listener = socket.socket()
    listener.bind((ADDRESS, 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def garbage():
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        conn.close()
    threading.Thread(target=garbage, daemon=True).start()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    client = http_client.HttpClient(context)
    with pytest.raises(http_client.TlsError) as failed:
        client.request("GET", "https://%s:%d/" % (ADDRESS, port), timeout=2)
    assert isinstance(failed.value.__cause__, ssl.SSLError)
    listener.close()


def raw_answer(payload: bytes):
    """A one-shot server that reads one request and writes ``payload`` as it is, then closes: the URL and
    the request it saw (a list filled once it arrived)."""
    listener = socket.socket()
    listener.bind((ADDRESS, 0))
    listener.listen(1)
    seen = []

    def serve():
        conn, _ = listener.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        seen.append(data)
        conn.sendall(payload)
        conn.close()
        listener.close()
    threading.Thread(target=serve, daemon=True).start()
    return "http://%s:%d/x" % listener.getsockname(), seen


def test_chunked_body_folded_header_interim_answer_and_http10_close():
    url, seen = raw_answer(b"HTTP/1.1 100 Continue\r\n\r\n"
                           b"HTTP/1.0 200 OK\r\nContent-Type: text/html;\r\n charset=ISO-8859-1\r\n"
                           b"Transfer-Encoding: chunked\r\nSet-Cookie: a=\"q v\"; Path=/\r\n"
                           b"Set-Cookie: gone=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n"
                           b"5;ext=1\r\nhello\r\n6\r\n w\xf6rld\r\n0\r\nTrailer: x\r\n\r\n")
    client = http_client.HttpClient()
    answer = client.request("GET", url, headers={"X-Test": "1"}, timeout=2)
    assert answer.status_code == 200 and answer.content == b"hello w\xf6rld"
    assert answer.encoding == "iso-8859-1" and answer.text == "hello wörld"
    assert answer.headers.get("content-type") == "text/html; charset=ISO-8859-1"
    assert answer.cookies == {"a": "q v", "gone": "1"} and client.cookies.get("a") == "q v"
    assert client.cookies.get("gone") is None
    assert not client._connections[("http", ADDRESS, int(url.split(":")[2].split("/")[0]))].sock  # 1.0: closed
    request = seen[0].decode("latin-1")
    assert request.startswith("GET /x HTTP/1.1\r\n") and "\r\nHost: %s:" % ADDRESS in request
    assert "\r\nX-Test: 1\r\n" in request and "Content-Length" not in request


@pytest.mark.parametrize("payload, words", [
    (b"ICY 200 OK\r\n\r\n", "not an HTTP status line"),
    (b"HTTP/1.1 200 OK\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n", "more than 100 headers"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort", "IncompleteRead"),
    (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", "longer than 65536"),
])
def test_answers_that_are_not_http_are_protocol_errors(payload, words):
    url, _seen = raw_answer(payload)
    with pytest.raises(http_client.HttpError) as failed:
        http_client.HttpClient().request("GET", url, timeout=2)
    assert words in str(failed.value)


def test_a_close_without_answer_is_a_reset_and_a_body_without_length_ends_with_the_connection():
    url, _seen = raw_answer(b"")
    with pytest.raises(http_client.ConnectionFailed) as failed:
        http_client.HttpClient().request("GET", url, timeout=2)
    assert isinstance(failed.value.__cause__, ConnectionResetError)
    url, _seen = raw_answer(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")
    assert http_client.HttpClient().request("GET", url, timeout=2).content == b"until the end"


def test_header_values_with_line_breaks_are_refused_before_sending():
    url, seen = raw_answer(b"HTTP/1.1 204 No Content\r\n\r\n")
    with pytest.raises(http_client.HttpError):
        http_client.HttpClient().request("GET", url, headers={"X-Evil": "a\r\nInjected: 1"}, timeout=2)
    time.sleep(0.05)
    assert seen == [] or b"Injected" not in seen[0]


def test_the_client_does_not_load_http_client_or_the_email_package():
    import subprocess
    import sys
    code = ("import sys; from ansible_collections.printfleet.canon.plugins.module_utils.transport import http_client;"
            "print(sorted(m for m in ('http.client', 'email', 'http.cookies', 'mimetypes', 'uuid') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": ":".join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
