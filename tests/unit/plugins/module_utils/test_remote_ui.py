# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Remote UI client against a small in-process fake of both Remote UI flavours.

The fake (stdlib http.server in a thread, on this worker's 127.131.<n>.0/24) enforces what the
client must get right: cookies on IP-literal hosts, the classic page order and Referer, the form
token on every POST; and it can answer with the device's busy, starting, expired, failed-login and
lockout pages, speak only TLS 1.0, or never answer.
"""

from __future__ import annotations

import datetime
import html
import ipaddress
import itertools
import os
import socket
import ssl
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from ansible_collections.printfleet.canon.plugins.doc_fragments.remote_ui import ModuleDocFragment
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport import remote_ui
from ansible_collections.printfleet.canon.plugins.module_utils.transport import http_client
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (
    RemoteUiOptions,
    RemoteUiSession,
    options_from_params,
    remote_ui_argument_spec,
)
from tests.integration.simfleet import worker_octet

SM_ID = "7654321"
SM_PIN = "5518-secret-pin"
USER = "fleetadmin"
USER_PASSWORD = "Fleet-Pass-0042"
NET = "127.131.%d" % worker_octet(1)
_hosts = itertools.count(10)


def next_address() -> str:
    """A fresh loopback address per fake, so fixed Remote UI ports never collide between tests."""
    return "%s.%d" % (NET, next(_hosts))


# =============================================================================================
# Certificates
# =============================================================================================
def _write_pem(path: str, data: bytes) -> str:
    with open(path, "wb") as fh:
        fh.write(data)
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Dict[str, str]:
    """A CA, a server certificate it signed for every address of NET, and a stranger CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    directory = str(tmp_path_factory.mktemp("pki"))
    now = datetime.datetime.now(datetime.timezone.utc)

    def key():
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def ca(name: str):
        ca_key = key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .sign(ca_key, hashes.SHA256()))
        return ca_key, cert

    ca_key, ca_cert = ca("printfleet test CA")
    _stranger_key, stranger_cert = ca("somebody else's CA")
    server_key = key()
    sans = [x509.IPAddress(ipaddress.ip_address("%s.%d" % (NET, n))) for n in range(1, 255)]
    server_cert = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "canon-device")]))
                   .issuer_name(ca_cert.subject).public_key(server_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False)
                   .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return {
        "ca": _write_pem(os.path.join(directory, "ca.pem"), ca_cert.public_bytes(pem)),
        "stranger_ca": _write_pem(os.path.join(directory, "stranger.pem"), stranger_cert.public_bytes(pem)),
        "cert": _write_pem(os.path.join(directory, "server.pem"), server_cert.public_bytes(pem)),
        "key": _write_pem(os.path.join(directory, "server.key"), server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
    }


def server_context(pki: Dict[str, str], legacy_only: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if legacy_only:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1
    context.load_cert_chain(pki["cert"], pki["key"])
    return context


# =============================================================================================
# The fake Remote UI
# =============================================================================================
def page(body: str, inputs: Optional[Dict[str, str]] = None) -> str:
    fields = "".join('<input type="hidden" name="%s" value="%s">' % (html.escape(k), html.escape(v))
                     for k, v in (inputs or {}).items())
    return "<!DOCTYPE html><html><head><title>Remote UI</title></head><body><p>%s</p><form>%s</form></body></html>" % (
        body, fields)


# The login forms as the devices serve them (canon-public-protocol-facts.md §1: CN2, WRY, MEA, HAC).
CLASSIC_LOGIN_PAGE = (
    '<!DOCTYPE html><html><head><title>Remote UI</title></head><body><p>Remote UI login</p>'
    '<form name="login" action="/login" method="post"><input type="hidden" name="uri" value="/">'
    '<input type="text" name="deptid" value=""><input type="password" name="password" value="">'
    '<input type="text" name="username" value=""><input type="submit" value="Log In"></form></body></html>')
PORTAL_LOGIN_PAGE = (
    '<!DOCTYPE html><html><head><title>Remote UI</title></head><body><p>Login</p>'
    '<form name="loginFrm" action="/checkLogin.cgi" method="post"><input type="hidden" name="iToken" value="%s">'
    '<input type="radio" name="i0012" value="1" checked><input type="text" name="i0014" value="">'
    '<input type="password" name="i0016" value=""><input type="radio" name="i0017" value="2">'
    '<input type="password" name="i2101" value=""><input type="submit" value="Login"></form></body></html>')


class FakeRemoteUi:
    """Just enough of a classic or portal Remote UI to hold the client to the protocol table."""

    def __init__(self, flavour: str, address: str, port: int = 0, tls: Optional[ssl.SSLContext] = None) -> None:
        self.flavour = flavour
        self.tls = tls
        self.locked = False
        self.echo_credentials = False        # a careless firmware repeating the PIN on its error page
        self.starting = 0                   # answers "starting up" to this many requests
        self.busy: Dict[str, int] = {}      # path -> how many more busy answers
        self.expire: Dict[str, int] = {}    # path -> how many more "session expired" answers
        self.status: Dict[str, int] = {}    # path -> HTTP status to answer with
        self.sessions: Dict[str, Dict[str, Any]] = {}
        self.requests: List[Dict[str, Any]] = []
        self.violations: List[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                if isinstance(self.request, ssl.SSLSocket):
                    self.request.settimeout(5)
                    self.request.do_handshake()
                super().setup()

            def do_GET(self) -> None:
                fake._dispatch(self)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self):
                sock, addr = self.socket.accept()
                if fake.tls is not None:
                    sock = fake.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                return sock, addr

            def handle_error(self, request, client_address) -> None:
                pass

        self.server = Server((address, port), Handler)
        self.address, self.port = self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ helpers ------------
    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r["method"] == method and r["path"] == path)

    @property
    def endpoints(self) -> Dict[str, pt.Endpoint]:
        return pt.CLASSIC_ENDPOINTS if self.flavour == pt.CLASSIC else pt.PORTAL_ENDPOINTS

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        split = urlsplit(handler.path)
        cookies = {}
        for part in (handler.headers.get("Cookie") or "").split(";"):
            if "=" in part:
                name, value = part.split("=", 1)
                cookies[name.strip()] = value.strip()
        content_type = handler.headers.get("Content-Type") or ""
        fields = ({k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
                  if "urlencoded" in content_type else {})
        if "multipart" in content_type:
            fields = {"_multipart": body.decode("utf-8", "replace")}
        scheme = "https" if self.tls else "http"
        request = {"method": handler.command, "path": split.path, "query": parse_qs(split.query),
                   "referer": handler.headers.get("Referer"), "cookies": cookies, "fields": fields,
                   "url": "%s://%s%s" % (scheme, handler.headers.get("Host"), handler.path)}
        with self._lock:
            self.requests.append(request)
            status, headers, text, ctype = self._answer(request)
        data = text.encode("utf-8")
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    # ------------------------------------------------------------------ behaviour ----------
    def _answer(self, req: Dict[str, Any]) -> Tuple[int, List[Tuple[str, str]], str, str]:
        html_type = "text/html; charset=utf-8"
        path = req["path"]
        if self.starting > 0:
            self.starting -= 1
            return 200, [], page(pt.STARTING_TEXT), html_type
        if path in self.status:
            return self.status[path], [], page("status %d" % self.status[path]), html_type
        if self.busy.get(path):
            self.busy[path] -= 1
            return 200, [], page(pt.BUSY_REASONS["address_list_open"]), html_type
        if self.flavour == pt.CLASSIC:
            return self._classic(req, html_type)
        return self._portal(req, html_type)

    def _new_session(self) -> Tuple[str, Dict[str, Any]]:
        sid = "s%d" % next(self._ids)
        self.sessions[sid] = {"logged_in": False, "last_page": None, "token": None, "steps": []}
        return sid, self.sessions[sid]

    def _session(self, req: Dict[str, Any], cookie_name: str) -> Optional[Dict[str, Any]]:
        return self.sessions.get(req["cookies"].get(cookie_name, ""))

    def _expired(self, session: Optional[Dict[str, Any]], why: str) -> Tuple[int, list, str, str]:
        self.violations.append(why)
        if session is not None:
            session["logged_in"] = False
        return 200, [], page(pt.SESSION_EXPIRED_TEXT), "text/html; charset=utf-8"

    def _login_failed(self, fields: Dict[str, str]) -> str:
        text = pt.LOGIN_FAILED_TEXT
        if self.echo_credentials:
            text += " You entered %s / %s." % tuple(html.escape(v) for v in list(fields.values())[-2:])
        return page(text)

    def _classic(self, req, html_type):
        ep = self.endpoints
        path, method = req["path"], req["method"]
        session = self._session(req, pt.CLASSIC_SESSION_COOKIE)
        if path == ep["top"].path:
            sid, session = self._new_session() if session is None else (
                req["cookies"][pt.CLASSIC_SESSION_COOKIE], session)
            session["last_page"] = req["url"]
            if session.get("logged_in"):
                return 200, [], page("Remote UI: Portal"), html_type
            return 200, [("Set-Cookie", "%s=%s; Path=/" % (pt.CLASSIC_SESSION_COOKIE, sid))], CLASSIC_LOGIN_PAGE, html_type
        if session is None:
            return self._expired(None, "no session cookie on %s" % path)
        if path == ep["login"].path:
            if self.locked:
                return 200, [], page(pt.LOCKED_OUT_TEXT), html_type
            f = req["fields"]
            good = ((f.get(pt.CLASSIC_LOGIN_FIELDS["id"]), f.get(pt.CLASSIC_LOGIN_FIELDS["pin"])) == (SM_ID, SM_PIN)
                    or (f.get(pt.CLASSIC_LOGIN_FIELDS["user"]), f.get(pt.CLASSIC_LOGIN_FIELDS["password"]))
                    == (USER, USER_PASSWORD))
            if not good:
                return 200, [], self._login_failed(f), html_type
            session.update(logged_in=True, steps=["login"])
            return 302, [("Location", ep["top"].path)], "", html_type
        if path == ep["logout"].path:
            session["logged_in"] = False
            return 200, [], page("Logged out."), html_type
        if not session["logged_in"]:
            return self._expired(session, "not logged in for %s" % path)
        if self.expire.get(path):
            self.expire[path] -= 1
            return self._expired(session, "expired by the test")
        if req["referer"] != session["last_page"]:
            return self._expired(session, "Referer %r is not the last page %r" % (req["referer"], session["last_page"]))
        needs = {ep["indicate"].path: "login", ep["nativetop"].path: ep["indicate"].path,
                 ep["address_lists"].path: ep["nativetop"].path}
        if path in needs and needs[path] not in session["steps"]:
            return self._expired(session, "page order: %s before %s" % (path, needs[path]))
        headers = []
        if method == "GET":
            session["last_page"] = req["url"]
            session["steps"].append(path)
        if path == ep["nativetop"].path:
            headers.append(("Set-Cookie", "%s=ctx%d; Path=/" % (pt.CLASSIC_CONTEXT_COOKIE, next(self._ids))))
        if path == ep["address_lists"].path:
            if pt.CLASSIC_CONTEXT_COOKIE not in req["cookies"]:
                return self._expired(session, "no iR cookie")
            session["token"] = "T%d" % next(self._ids)
            return 200, headers, page("Address Lists", {pt.CLASSIC_TOKEN_FIELD: session["token"]}), html_type
        if method == "POST":
            if req["fields"].get(pt.CLASSIC_TOKEN_FIELD) != session["token"] and "_multipart" not in req["fields"]:
                self.violations.append("token")
                return 200, [], page("Invalid token."), html_type
            if path == ep["csv_export"].path:
                return 200, [], "# exported %s\r\n" % req["fields"].get(pt.ABOOK_LIST_FIELD), "text/csv"
            if path == ep["csv_import"].path:
                return 200, [], page(pt.IMPORT_FAILED_TEXT + " entry 2 ('Sales'): address too long"), html_type
        return 200, headers, page("page %s" % path), html_type

    def _portal(self, req, html_type):
        ep = self.endpoints
        path, method = req["path"], req["method"]
        session = self._session(req, pt.PORTAL_SESSION_COOKIE)
        if path == ep["top"].path:
            sid, session = self._new_session()
            session["token"] = str(next(self._ids) * 7919)
            return 200, [("Set-Cookie", "%s=%s; Path=/" % (pt.PORTAL_SESSION_COOKIE, sid)),
                         ("Set-Cookie", "%s=en; Path=/" % pt.PORTAL_LANGUAGE_COOKIE)], (
                PORTAL_LOGIN_PAGE % session["token"]), html_type
        if session is None:
            return self._expired(None, "no session cookie on %s" % path)
        if method == "POST" and req["fields"].get(pt.PORTAL_TOKEN_FIELD) != session["token"]:
            self.violations.append("iToken")
            return 200, [], page("Invalid token."), html_type
        if path == ep["login"].path:
            if self.locked:
                return 200, [], page(pt.LOCKED_OUT_TEXT), html_type
            f = req["fields"]
            manager_field, manager_value = pt.PORTAL_LOGIN_FIELDS["mode_manager"]
            good = (f.get(manager_field) == manager_value
                    and (f.get(pt.PORTAL_LOGIN_FIELDS["id"]), f.get(pt.PORTAL_LOGIN_FIELDS["pin"])) == (SM_ID, SM_PIN))
            if not good:
                return 200, [], self._login_failed(f), html_type
            session["logged_in"] = True
            return 302, [("Location", pt.PORTAL_LOGIN_SUCCESS_PATH)], "", html_type
        if path == ep["logout"].path:
            session["logged_in"] = False
            return 200, [], page("Logged out."), html_type
        if not session["logged_in"]:
            return self._expired(session, "not logged in for %s" % path)
        if self.expire.get(path):
            self.expire[path] -= 1
            return self._expired(session, "expired by the test")
        if path == ep["io_page"].path:
            session["token"] = str(next(self._ids) * 7919)
            return 200, [], page("Import/Export", {pt.PORTAL_TOKEN_FIELD: session["token"]}), html_type
        if path == ep["csv_export"].path:
            return 200, [], "# exported %s\r\n" % req["fields"].get(pt.ABOOK_LIST_FIELD), "text/csv"
        return 200, [], page("page %s" % path), html_type


@pytest.fixture
def fakes():
    started: List[FakeRemoteUi] = []

    def start(flavour: str, port: int = 0, address: Optional[str] = None, **kwargs: Any) -> FakeRemoteUi:
        fake = FakeRemoteUi(flavour, address or next_address(), port, **kwargs)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.close()


def options(fake: FakeRemoteUi, **overrides: Any) -> RemoteUiOptions:
    values: Dict[str, Any] = dict(host=fake.address, port=fake.port, flavour=fake.flavour,
                                  use_https=fake.tls is not None, system_manager_id=SM_ID,
                                  system_manager_pin=SM_PIN, timeout=3.0, busy_delay=0.01)
    values.update(overrides)
    return RemoteUiOptions(**values)


class Sleeper:
    """A fake time.sleep that records the waits and advances a fake clock."""

    def __init__(self) -> None:
        self.waits: List[float] = []
        self.now = 0.0

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def session(opts: RemoteUiOptions, sleeper: Optional[Sleeper] = None) -> RemoteUiSession:
    sleeper = sleeper or Sleeper()
    return RemoteUiSession(opts, sleep=sleeper, clock=sleeper.clock)


# =============================================================================================
# Options, argument spec and documentation
# =============================================================================================
def test_system_manager_credentials_are_required_not_defaulted():
    with pytest.raises(CanonError) as err:
        RemoteUiOptions(host="127.131.0.1").validate()
    assert err.value.error_code == "invalid_argument"
    with pytest.raises(CanonError):
        options_from_params({"host": "127.131.0.1", "system_manager_id": pt.DEFAULT_SYSTEM_MANAGER_ID})
    with pytest.raises(CanonError):
        options_from_params({"host": "127.131.0.1", "auth_method": "user", "username": "x"})
    with pytest.raises(CanonError):
        options_from_params({"host": "127.131.0.1", "system_manager_id": "1", "system_manager_pin": "2",
                             "ca_path": "/nonexistent/ca.pem"})


def test_options_from_params_fills_defaults_and_hides_secrets():
    params = {name: None for name in remote_ui_argument_spec()}
    params.update(host="127.131.0.1", system_manager_id=SM_ID, system_manager_pin=SM_PIN)
    opts = options_from_params(params)
    assert (opts.flavour, opts.port, opts.use_https, opts.validate_certs, opts.timeout) == ("auto", None, True, True, 30.0)
    assert (opts.busy_retries, opts.busy_delay, opts.start_wait, opts.allow_legacy_tls) == (3, 2.0, 0.0, False)
    assert opts.verify is True
    assert SM_PIN not in repr(opts) and SM_ID not in repr(opts)
    assert RemoteUiOptions(host="h", validate_certs=False).verify is False
    assert RemoteUiOptions(host="h", ca_path="/etc").verify == "/etc"


def test_argument_spec_matches_the_doc_fragment_and_marks_secrets():
    spec = remote_ui_argument_spec()
    docs = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert set(spec) == set(docs)
    for name, option in spec.items():
        doc = docs[name]
        assert doc["type"] == option.get("type", "str"), name
        assert doc.get("default") == option.get("default"), name
        assert doc.get("choices") == option.get("choices"), name
        assert bool(doc.get("required", False)) == bool(option.get("required", False)), name
    for secret in ("system_manager_pin", "password", "system_manager_id"):
        assert spec[secret]["no_log"] is True
    assert remote_ui_argument_spec(lists={"type": "dict"})["lists"] == {"type": "dict"}


# =============================================================================================
# Login, page order, cookies, tokens
# =============================================================================================
def test_classic_login_follows_the_page_order_with_referer_cookies_and_token(fakes):
    fake = fakes(pt.CLASSIC)
    with session(options(fake, use_https=False)) as rui:
        assert (rui.flavour, rui.port, rui.base_url) == (pt.CLASSIC, fake.port, "http://%s:%d" % (fake.address, fake.port))
        form = rui.open_area("address_book")
        token = form.fields[pt.CLASSIC_TOKEN_FIELD]
        assert rui.token == token
        exported = rui.post_form("csv_export", {pt.ABOOK_LIST_FIELD: "address_list_1"})
        assert exported.content == b"# exported address_list_1\r\n"
        assert not exported.is_html
    assert fake.violations == []
    order = [(r["method"], r["path"]) for r in fake.requests]
    ep = pt.CLASSIC_ENDPOINTS
    assert order == [("GET", "/"), ("POST", ep["login"].path), ("GET", "/"),
                     ("GET", ep["indicate"].path), ("GET", ep["nativetop"].path), ("GET", ep["nativetop"].path),
                     ("GET", ep["address_lists"].path), ("POST", ep["csv_export"].path), ("GET", ep["logout"].path)]
    # the IP-literal host's cookies came back on every request after the first
    assert all(pt.CLASSIC_SESSION_COOKIE in r["cookies"] for r in fake.requests[1:])
    after_context = fake.requests[fake.requests.index(next(r for r in fake.requests
                                                           if r["path"] == ep["nativetop"].path)) + 1:]
    assert all(pt.CLASSIC_CONTEXT_COOKIE in r["cookies"] for r in after_context)
    nativetop = [r for r in fake.requests if r["path"] == ep["nativetop"].path]
    assert [r["query"][pt.CLASSIC_PAGE_TAG_FIELD] for r in nativetop] == [
        [pt.CLASSIC_PAGE_TAGS["status"]], [pt.CLASSIC_PAGE_TAGS["address_book"]]]
    assert all(pt.CLASSIC_CACHE_BUSTER_FIELD in r["query"] for r in nativetop)
    export = fake.requests[-2]
    assert export["referer"] == fake.requests[-3]["url"]       # the address list page, shown last
    assert export["fields"][pt.CLASSIC_TOKEN_FIELD] == token
    login = fake.requests[1]["fields"]
    assert login[pt.CLASSIC_LOGIN_FIELDS["uri"]] == pt.CLASSIC_ENDPOINTS["top"].path
    assert set(login) == {pt.CLASSIC_LOGIN_FIELDS[k] for k in ("uri", "id", "pin")}


def test_classic_user_login(fakes):
    fake = fakes(pt.CLASSIC)
    opts = options(fake, use_https=False, auth_method="user", username=USER, password=USER_PASSWORD,
                   system_manager_id=None, system_manager_pin=None)
    with session(opts) as rui:
        assert rui.logged_in
    login = [r for r in fake.requests if r["method"] == "POST"][0]["fields"]
    assert login[pt.CLASSIC_LOGIN_FIELDS["user"]] == USER
    assert login[pt.CLASSIC_LOGIN_FIELDS["password"]] == USER_PASSWORD


def test_portal_login_sends_the_itoken_of_the_last_form_on_every_post(fakes):
    fake = fakes(pt.PORTAL)
    with session(options(fake, use_https=False)) as rui:
        assert rui.flavour == pt.PORTAL
        form = rui.open_area("address_book")
        token = form.fields[pt.PORTAL_TOKEN_FIELD]
        assert rui.token == token
        rui.post_form("csv_export", {pt.ABOOK_LIST_FIELD: "coded_dial"})
        rui.refresh_form()
        assert rui.token != token
        rui.post_form("csv_export", {pt.ABOOK_LIST_FIELD: "favorites"})
    assert fake.violations == []
    posts = [r for r in fake.requests if r["method"] == "POST"]
    assert [p["path"] for p in posts] == [pt.PORTAL_ENDPOINTS["login"].path] + [pt.PORTAL_ENDPOINTS["csv_export"].path] * 2
    assert all(p["fields"].get(pt.PORTAL_TOKEN_FIELD) for p in posts)
    assert fake.count("GET", pt.PORTAL_LOGIN_SUCCESS_PATH) == 1


def test_get_page_rejects_names_of_the_other_flavour(fakes):
    fake = fakes(pt.PORTAL)
    with session(options(fake, use_https=False)) as rui:
        with pytest.raises(CanonError) as err:
            rui.get_page("nativetop")
        assert err.value.error_code == "unsupported_capability"
        with pytest.raises(CanonError) as err:
            rui.get_page("csv_export")             # a POST endpoint
        assert err.value.error_code == "invalid_argument"


# =============================================================================================
# Flavour detection and ports
# =============================================================================================
def test_auto_flavour_probes_classic_then_portal_ports(fakes):
    address = next_address()
    portal_http = pt.PORTS[pt.PORTAL][1][0]             # 18080: 80 and 8000 are closed on this address
    fake = fakes(pt.PORTAL, port=portal_http, address=address)
    opts = RemoteUiOptions(host=address, use_https=False, system_manager_id=SM_ID, system_manager_pin=SM_PIN,
                           timeout=3.0)
    with RemoteUiSession(opts) as rui:
        assert (rui.flavour, rui.port) == (pt.PORTAL, portal_http)
    assert fake.violations == []

    classic_address = next_address()
    classic_http = pt.PORTS[pt.CLASSIC][0][0]
    fakes(pt.CLASSIC, port=classic_http, address=classic_address)
    with RemoteUiSession(RemoteUiOptions(host=classic_address, use_https=False, system_manager_id=SM_ID,
                                         system_manager_pin=SM_PIN, timeout=3.0)) as rui:
        assert (rui.flavour, rui.port) == (pt.CLASSIC, classic_http)


def test_auto_flavour_on_a_given_port(fakes):
    fake = fakes(pt.CLASSIC)
    with session(options(fake, use_https=False, flavour="auto")) as rui:
        assert rui.flavour == pt.CLASSIC


def test_port_serving_the_other_flavour_is_a_port_mismatch(fakes):
    fake = fakes(pt.PORTAL)
    with pytest.raises(CanonError) as err:
        session(options(fake, use_https=False, flavour=pt.CLASSIC)).login()
    assert err.value.error_code == "rui_port_mismatch"
    assert fake.count("POST", pt.PORTAL_ENDPOINTS["login"].path) == 0


def test_probing_that_finds_no_remote_ui_is_a_port_mismatch_and_a_closed_port_unreachable(fakes):
    address = next_address()
    opts = RemoteUiOptions(host=address, use_https=False, system_manager_id=SM_ID, system_manager_pin=SM_PIN,
                           timeout=2.0)
    with pytest.raises(CanonError) as err:
        RemoteUiSession(opts).login()
    assert err.value.error_code == "rui_port_mismatch"
    assert err.value.details["tried"] == ["8000", "80", "18080"]

    opts.port = 8000
    with pytest.raises(CanonError) as err:
        RemoteUiSession(opts).login()
    assert err.value.error_code == "rui_unreachable" and err.value.details["reason"] == "refused"


def test_a_server_that_never_answers_times_out_as_unreachable():
    address = next_address()
    listener = socket.socket()
    listener.bind((address, 0))
    listener.listen(5)                                      # accepts connections, never answers
    try:
        opts = RemoteUiOptions(host=address, port=listener.getsockname()[1], flavour=pt.CLASSIC, use_https=False,
                               system_manager_id=SM_ID, system_manager_pin=SM_PIN, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(CanonError) as err:
            RemoteUiSession(opts).login()
        assert err.value.error_code == "rui_unreachable" and err.value.details["reason"] == "timeout"
        assert time.monotonic() - started < 5
    finally:
        listener.close()


# =============================================================================================
# Authentication: never retried
# =============================================================================================
@pytest.mark.parametrize("flavour", [pt.CLASSIC, pt.PORTAL])
def test_failed_login_is_sent_once_and_never_again(fakes, flavour):
    fake = fakes(flavour)
    rui = session(options(fake, use_https=False, system_manager_pin="wrong-pin", busy_retries=5))
    with pytest.raises(CanonError) as err:
        rui.login()
    assert err.value.error_code == "rui_auth_failed"
    with pytest.raises(CanonError) as again:
        rui.login()                                         # the same error, no second attempt
    assert again.value is err.value
    with pytest.raises(CanonError):
        rui.get_page("top")
    login_path = fake.endpoints["login"].path
    assert fake.count("POST", login_path) == 1 and rui.login_posts == 1


def test_context_manager_does_not_retry_a_failed_login(fakes):
    fake = fakes(pt.CLASSIC)
    with pytest.raises(CanonError) as err:
        with session(options(fake, use_https=False, system_manager_pin="nope")):
            pass
    assert err.value.error_code == "rui_auth_failed"
    assert fake.count("POST", pt.CLASSIC_ENDPOINTS["login"].path) == 1


@pytest.mark.parametrize("flavour", [pt.CLASSIC, pt.PORTAL])
def test_lockout_is_reported_and_not_retried(fakes, flavour):
    fake = fakes(flavour)
    fake.locked = True
    sleeper = Sleeper()
    rui = session(options(fake, use_https=False, start_wait=60, busy_retries=5), sleeper)
    with pytest.raises(CanonError) as err:
        rui.login()
    assert err.value.error_code == "rui_locked_out"
    assert fake.count("POST", fake.endpoints["login"].path) == 1
    assert sleeper.waits == []


def test_no_secret_in_exception_text_even_when_the_device_echoes_it(fakes):
    fake = fakes(pt.CLASSIC)
    fake.echo_credentials = True
    wrong_pin = "Wr0ng-Secret-PIN-77"
    with pytest.raises(CanonError) as err:
        session(options(fake, use_https=False, system_manager_pin=wrong_pin)).login()
    exc = err.value
    assert exc.error_code == "rui_auth_failed"
    assert "Login failed" in exc.msg
    rendered = " ".join([str(exc), repr(exc), exc.msg, str(exc.hint), repr(exc.details), repr(exc.to_result())])
    assert wrong_pin not in rendered and SM_ID not in rendered
    assert remote_ui.MASK in exc.msg                       # the echoed PIN was masked, not dropped silently


# =============================================================================================
# Transient states: busy, starting, expired
# =============================================================================================
def test_busy_is_retried_with_exponential_backoff_then_succeeds(fakes):
    fake = fakes(pt.CLASSIC)
    sleeper = Sleeper()
    with session(options(fake, use_https=False, busy_retries=3, busy_delay=0.5), sleeper) as rui:
        rui.open_area("address_book")
        fake.busy[pt.CLASSIC_ENDPOINTS["csv_export"].path] = 2
        page = rui.post_form("csv_export", {pt.ABOOK_LIST_FIELD: "address_list_2"})
        assert page.content.startswith(b"# exported")
    assert sleeper.waits == [0.5, 1.0]
    assert fake.count("POST", pt.CLASSIC_ENDPOINTS["csv_export"].path) == 3


def test_busy_retries_are_bounded(fakes):
    fake = fakes(pt.PORTAL)
    sleeper = Sleeper()
    with session(options(fake, use_https=False, busy_retries=2, busy_delay=1.0), sleeper) as rui:
        fake.busy[pt.PORTAL_ENDPOINTS["book_info"].path] = 100
        with pytest.raises(CanonError) as err:
            rui.get_page("book_info")
    assert err.value.error_code == "device_busy"
    assert err.value.details["attempts"] == 3
    assert "address list is open" in err.value.msg
    assert sleeper.waits == [1.0, 2.0]
    assert fake.count("GET", pt.PORTAL_ENDPOINTS["book_info"].path) == 3


def test_starting_device_is_waited_for_within_start_wait(fakes):
    fake = fakes(pt.CLASSIC)
    fake.starting = 3
    sleeper = Sleeper()
    with session(options(fake, use_https=False, start_wait=30, busy_delay=1.0), sleeper) as rui:
        assert rui.logged_in
    assert len(sleeper.waits) == 3 and sum(sleeper.waits) <= 30
    assert fake.violations == []


def test_starting_device_fails_at_once_without_start_wait(fakes):
    fake = fakes(pt.PORTAL)
    fake.starting = 1
    sleeper = Sleeper()
    with pytest.raises(CanonError) as err:
        session(options(fake, use_https=False), sleeper).login()
    assert err.value.error_code == "device_starting" and sleeper.waits == []
    fake.starting = 1000
    sleeper = Sleeper()
    with pytest.raises(CanonError) as err:
        session(options(fake, use_https=False, start_wait=10, busy_delay=2.0), sleeper).login()
    assert err.value.error_code == "device_starting"
    assert 10 <= sum(sleeper.waits) <= 10.001


@pytest.mark.parametrize("flavour", [pt.CLASSIC, pt.PORTAL])
def test_expired_session_logs_in_again_once(fakes, flavour):
    fake = fakes(flavour)
    export = fake.endpoints["csv_export"].path
    with session(options(fake, use_https=False)) as rui:
        rui.open_area("address_book")
        fake.expire[export] = 1
        page = rui.post_form("csv_export", {pt.ABOOK_LIST_FIELD: "x"})
        assert page.content.startswith(b"# exported")
        assert rui.login_posts == 2
        fake.expire[export] = 1                          # a second expiry in the same session fails
        with pytest.raises(CanonError) as err:
            rui.post_form("csv_export", {pt.ABOOK_LIST_FIELD: "x"})
        assert err.value.error_code == "rui_session_expired"
    assert fake.count("POST", fake.endpoints["login"].path) == 2


def test_expired_twice_in_a_row_fails_after_one_relogin(fakes):
    fake = fakes(pt.CLASSIC)
    info = pt.CLASSIC_ENDPOINTS["book_info"].path
    with session(options(fake, use_https=False)) as rui:
        rui.open_area("address_book")
        fake.expire[info] = 2
        with pytest.raises(CanonError) as err:
            rui.get_page("book_info")
        assert err.value.error_code == "rui_session_expired"
    assert fake.count("POST", pt.CLASSIC_ENDPOINTS["login"].path) == 2


def test_markers_and_statuses_map_to_error_codes(fakes):
    fake = fakes(pt.CLASSIC)
    with session(options(fake, use_https=False)) as rui:
        rui.open_area("address_book")
        with pytest.raises(CanonError) as err:
            rui.post_multipart("csv_import", {pt.ABOOK_LIST_FIELD: "address_list_1"},
                               {pt.ABOOK_FILE_FIELD: ("list.csv", b"data", "text/csv")})
        assert err.value.error_code == "addressbook_import_failed"
        assert "entry 2 ('Sales'): address too long" in err.value.msg
        assert err.value.details["device_message"].startswith(pt.IMPORT_FAILED_TEXT)
        fake.status[pt.CLASSIC_ENDPOINTS["book_info"].path] = 404
        with pytest.raises(CanonError) as err:
            rui.get_page("book_info")
        assert err.value.error_code == "unsupported_capability"
        fake.status[pt.CLASSIC_ENDPOINTS["book_info"].path] = 500
        with pytest.raises(CanonError) as err:
            rui.get_page("book_info")
        assert err.value.error_code == "rui_unexpected_response" and err.value.details["status"] == 500


def test_marker_text_in_a_data_file_is_not_an_error(fakes):
    fake = fakes(pt.PORTAL)
    with session(options(fake, use_https=False)) as rui:
        rui.open_area("address_book")
        page = rui.post_form("csv_export", {pt.ABOOK_LIST_FIELD: "Login failed"})   # echoed into text/csv
    assert b"Login failed" in page.content


# =============================================================================================
# TLS
# =============================================================================================
def test_https_with_ca_path_verifies(fakes, pki):
    fake = fakes(pt.CLASSIC, tls=server_context(pki))
    with session(options(fake, ca_path=pki["ca"])) as rui:
        assert rui.base_url.startswith("https://")
        rui.open_area("address_book")
    assert fake.violations == []


def test_untrusted_certificate_is_rui_tls_cert(fakes, pki):
    fake = fakes(pt.CLASSIC, tls=server_context(pki))
    for ca_path in (None, pki["stranger_ca"]):
        with pytest.raises(CanonError) as err:
            session(options(fake, ca_path=ca_path)).login()
        assert err.value.error_code == "rui_tls_cert", ca_path
    assert fake.requests == []
    with session(options(fake, validate_certs=False)) as rui:       # the operator's explicit choice
        assert rui.logged_in


def test_hostname_mismatch_is_rui_tls_cert(fakes, pki):
    fake = fakes(pt.PORTAL, tls=server_context(pki), address="127.131.255.254")   # not in the certificate
    with pytest.raises(CanonError) as err:
        session(options(fake, ca_path=pki["ca"])).login()
    assert err.value.error_code == "rui_tls_cert"


def test_tls10_only_device_is_rui_tls_legacy_unless_allowed(fakes, pki):
    fake = fakes(pt.PORTAL, tls=server_context(pki, legacy_only=True))
    with pytest.raises(CanonError) as err:
        session(options(fake, validate_certs=False)).login()
    assert err.value.error_code == "rui_tls_legacy"
    assert err.value.details["tls_version"] == "TLSv1"
    assert fake.requests == []
    with session(options(fake, validate_certs=False, allow_legacy_tls=True)) as rui:
        assert rui.logged_in
    with session(options(fake, ca_path=pki["ca"], allow_legacy_tls=True)) as rui:   # verified, too
        assert rui.logged_in


def test_tls12_is_the_default_minimum():
    context = remote_ui.build_ssl_context(False)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert remote_ui.build_ssl_context(True).minimum_version == ssl.TLSVersion.TLSv1


def test_verify_is_passed_on_every_request(fakes, pki, monkeypatch):
    fake = fakes(pt.CLASSIC, tls=server_context(pki))
    seen: List[Any] = []
    original = http_client.HttpClient.request

    def spy(self, method, url, **kwargs):
        seen.append(kwargs.get("verify", "missing"))
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(http_client.HttpClient, "request", spy)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", pki["stranger_ca"])   # ignored: the client never reads the environment
    with session(options(fake, ca_path=pki["ca"])) as rui:
        rui.open_area("address_book")
    assert len(seen) == len(fake.requests) and set(seen) == {pki["ca"]}
