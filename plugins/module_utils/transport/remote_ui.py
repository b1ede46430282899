# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remote UI (HTTP/HTTPS) sessions for both Canon Remote UI flavours.

Every Remote-UI module (address books now; settings, policy, certificates, MEAP, firmware later)
talks to a device through ``RemoteUiSession``. Paths, fields, cookies, ports and page markers come
from ``protocol_table.py``; nothing is spelled here.

Rules this file enforces, because devices punish clients that break them:

* the login is sent once; an authentication failure or a lockout is never retried (devices lock
  accounts after a few failures);
* only transient states are retried, with bounded back-off: ``device_busy`` (``busy_retries``) and
  ``device_starting`` (for ``start_wait`` seconds); an expired session is logged in again once;
* the classic Remote UI enforces its page order and a ``Referer`` naming the page the browser
  showed last; both flavours want the current form token on every POST;
* TLS 1.2 is the minimum unless ``allow_legacy_tls``; ``verify`` is passed on every request;
* secrets never appear in messages, details or ``repr``.

The documentation twin of the argument spec below is ``plugins/doc_fragments/remote_ui.py``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import urljoin, urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import ERROR_CODES, CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import web_session as ws
# Re-exported: callers and tests of this module know them by these names.
from ansible_collections.printfleet.canon.plugins.module_utils.transport.web_session import (  # noqa: F401 pylint: disable=unused-import
    LEGACY_CIPHERS, MASK, WebSession, build_ssl_context, legacy_tls_version)

FLAVOUR_CHOICES: Tuple[str, ...] = ("auto",) + pt.FLAVOURS
AUTH_METHODS: Tuple[str, ...] = ("system_manager", "user")
MAX_REDIRECTS = 5
MAX_MESSAGE = 600                        # characters of device page text kept in an error

# GET chains that open a functional area after login; the last page carries the form token.
# ``cache_buster`` adds CLASSIC_CACHE_BUSTER_FIELD=<epoch ms> as the classic pages expect.
AREA_PAGES: Mapping[str, Mapping[str, Tuple[Tuple[str, Mapping[str, str], bool], ...]]] = {
    "address_book": {
        pt.CLASSIC: (
            ("nativetop", dict(pt.CLASSIC_NATIVETOP_QUERY,
                               **{pt.CLASSIC_PAGE_TAG_FIELD: pt.CLASSIC_PAGE_TAGS["address_book"]}), True),
            ("address_lists", dict(pt.CLASSIC_ADDRESS_LIST_QUERY), True),
        ),
        pt.PORTAL: (("io_page", {}, False),),
    },
}

# =============================================================================================
# Options
# =============================================================================================
REMOTE_UI_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = {
    "host": {"type": "str", "required": True},
    "rui_flavour": {"type": "str", "default": "auto", "choices": list(FLAVOUR_CHOICES)},
    "rui_port": {"type": "int"},
    "use_https": {"type": "bool", "default": True},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "allow_legacy_tls": {"type": "bool", "default": False},
    "rui_timeout": {"type": "float", "default": 30.0},
    "auth_method": {"type": "str", "default": "system_manager", "choices": list(AUTH_METHODS)},
    "system_manager_id": {"type": "str", "no_log": True,
                          "fallback": (env_fallback, ["PRINTFLEET_RUI_SYSTEM_MANAGER_ID"])},
    "system_manager_pin": {"type": "str", "no_log": True,
                           "fallback": (env_fallback, ["PRINTFLEET_RUI_SYSTEM_MANAGER_PIN"])},
    "username": {"type": "str", "fallback": (env_fallback, ["PRINTFLEET_RUI_USERNAME"])},
    "password": {"type": "str", "no_log": True, "fallback": (env_fallback, ["PRINTFLEET_RUI_PASSWORD"])},
    "busy_retries": {"type": "int", "default": 3},
    "busy_delay": {"type": "float", "default": 2.0},
    "start_wait": {"type": "float", "default": 0.0},
    "rui_min_interval": {"type": "float", "default": 0.0},
}


def remote_ui_argument_spec(**extra: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The shared Remote UI options plus a module's own (``host`` is the same as the SNMP block's)."""
    spec = {key: dict(value) for key, value in REMOTE_UI_ARGUMENT_SPEC.items()}
    spec.update(extra)
    return spec


@dataclass
class RemoteUiOptions:
    """How to reach and log in to one device's Remote UI (secrets are left out of ``repr``)."""

    host: str
    flavour: str = "auto"
    port: Optional[int] = None
    use_https: bool = True
    validate_certs: bool = True
    ca_path: Optional[str] = None
    allow_legacy_tls: bool = False
    timeout: float = 30.0
    auth_method: str = "system_manager"
    system_manager_id: Optional[str] = field(default=None, repr=False)
    system_manager_pin: Optional[str] = field(default=None, repr=False)
    username: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    busy_retries: int = 3
    busy_delay: float = 2.0
    start_wait: float = 0.0
    min_interval: float = 0.0          # pacing: seconds between requests (portal devices want >= 2)

    def validate(self) -> None:
        """Refuse incomplete or contradictory options before any packet is sent."""
        def bad(text: str) -> CanonError:
            return CanonError("invalid_argument", text)

        if not self.host or not str(self.host).strip():
            raise bad("host is required")
        if self.flavour not in FLAVOUR_CHOICES:
            raise bad("rui_flavour must be one of %s" % ", ".join(FLAVOUR_CHOICES))
        if self.port is not None and not 0 < int(self.port) < 65536:
            raise bad("rui_port must be between 1 and 65535")
        if self.auth_method not in AUTH_METHODS:
            raise bad("auth_method must be one of %s" % ", ".join(AUTH_METHODS))
        if self.auth_method == "system_manager" and (not self.system_manager_id or not self.system_manager_pin):
            # the factory default (protocol_table.DEFAULT_*) is never assumed: say it explicitly
            raise bad("auth_method=system_manager needs system_manager_id and system_manager_pin")
        if self.auth_method == "user" and not self.password:
            raise bad("auth_method=user needs password (and username on the classic Remote UI)")
        if self.timeout is None or self.timeout <= 0:
            raise bad("rui_timeout must be greater than 0")
        if self.busy_retries < 0 or self.busy_delay < 0 or self.start_wait < 0 or self.min_interval < 0:
            raise bad("busy_retries, busy_delay, start_wait and rui_min_interval must not be negative")
        if self.ca_path and not os.path.exists(self.ca_path):
            raise bad("ca_path %s does not exist" % self.ca_path)

    @property
    def verify(self) -> Union[bool, str]:
        """The ``verify=`` value of every request: False, True or the CA file/directory."""
        if not self.validate_certs:
            return False
        return self.ca_path or True

    def secrets(self) -> Tuple[str, ...]:
        """Values that must never appear in a message (longest first, so masking is complete)."""
        values = {self.system_manager_pin, self.password}
        if self.auth_method == "system_manager" and len(self.system_manager_id or "") >= 4:
            values.add(self.system_manager_id)   # the factory ID equals the factory PIN
        return tuple(sorted((v for v in values if v), key=len, reverse=True))


def options_from_params(params: Mapping[str, Any]) -> RemoteUiOptions:
    """RemoteUiOptions from a module's params (names of ``REMOTE_UI_ARGUMENT_SPEC``), validated."""
    def value(name: str) -> Any:
        found = params.get(name)
        return REMOTE_UI_ARGUMENT_SPEC[name].get("default") if found is None else found

    options = RemoteUiOptions(
        host=params.get("host") or "",
        flavour=value("rui_flavour"),
        port=params.get("rui_port"),
        use_https=bool(value("use_https")),
        validate_certs=bool(value("validate_certs")),
        ca_path=params.get("ca_path"),
        allow_legacy_tls=bool(value("allow_legacy_tls")),
        timeout=float(value("rui_timeout")),
        auth_method=value("auth_method"),
        system_manager_id=params.get("system_manager_id"),
        system_manager_pin=params.get("system_manager_pin"),
        username=params.get("username"),
        password=params.get("password"),
        busy_retries=int(value("busy_retries")),
        busy_delay=float(value("busy_delay")),
        start_wait=float(value("start_wait")),
        min_interval=float(value("rui_min_interval")),
    )
    options.validate()
    return options


# =============================================================================================
# Pages
# =============================================================================================
class _HtmlScan(HTMLParser):
    """One pass over a page: form inputs, visible text and table rows."""

    _BLOCK_TAGS = frozenset({"br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "title", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: Dict[str, str] = {}
        self.forms: List[Dict[str, Any]] = []   # {"name", "action", "method", "fields", "seen"}
        self._form: Optional[Dict[str, Any]] = None
        self.text: List[str] = []
        self.rows: List[Tuple[Dict[str, str], List[Tuple[str, str]]]] = []
        self._skip = 0
        self._row: Optional[Tuple[Dict[str, str], List[Tuple[str, str]]]] = None
        self._cell: Optional[Tuple[str, List[str]]] = None

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        attributes = {name: (val or "") for name, val in attrs}
        if tag == "form":
            self._form = {"name": attributes.get("name", ""), "action": attributes.get("action", ""),
                          "method": attributes.get("method", "get").lower(), "fields": {}, "seen": []}
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea") and attributes.get("name"):
            name = attributes["name"]
            if tag == "input":
                self.inputs[name] = attributes.get("value", "")
            if self._form is not None:
                self._form["seen"].append(name)
                kind = attributes.get("type", "text").lower()
                if kind in ("radio", "checkbox"):
                    if "checked" in attributes:
                        self._form["fields"][name] = attributes.get("value", "on")
                elif kind not in ("submit", "button", "file", "image", "reset"):
                    self._form["fields"][name] = attributes.get("value", "")
        elif tag in ("script", "style"):
            self._skip += 1
        elif tag == "tr":
            self._close_row()
            self._row = (attributes, [])
        elif tag in ("td", "th") and self._row is not None:
            self._close_cell()
            self._cell = (tag, [])
        if tag in self._BLOCK_TAGS:
            self.text.append(" ")

    def handle_startendtag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            self._close_cell()
        elif tag == "tr":
            self._close_row()
        if tag in self._BLOCK_TAGS:
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell[1].append(data)

    def _close_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row[1].append((self._cell[0], " ".join("".join(self._cell[1]).split())))
        self._cell = None

    def _close_row(self) -> None:
        self._close_cell()
        if self._row is not None:
            self.rows.append(self._row)
        self._row = None

    def close(self) -> None:
        super().close()
        self._close_row()


@dataclass
class Page:
    """One Remote UI answer (after redirects): where it came from and what it holds."""

    name: str
    method: str
    url: str
    status: int
    content_type: str
    content: bytes
    encoding: Optional[str] = None
    cookies: Tuple[str, ...] = ()
    redirected: bool = False
    _scan: Optional[_HtmlScan] = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding or "utf-8", "replace")

    @property
    def is_html(self) -> bool:
        if "html" in self.content_type.lower():
            return True
        head = self.content[:256].lstrip().lower()
        return not self.content_type and (head.startswith(b"<!doctype html") or head.startswith(b"<html"))

    def _scanned(self) -> _HtmlScan:
        if self._scan is None:
            scan = _HtmlScan()
            scan.feed(self.text)
            scan.close()
            self._scan = scan
        return self._scan

    @property
    def fields(self) -> Dict[str, str]:
        """``<input name=... value=...>`` of the page (hidden form tokens among them)."""
        return dict(self._scanned().inputs) if self.is_html else {}

    @property
    def forms(self) -> List[Dict[str, Any]]:
        """The page's forms: name, action, method, the fields a browser would send (checked radios
        and boxes only) and every control name seen."""
        return [dict(form, fields=dict(form["fields"]), seen=list(form["seen"]))
                for form in self._scanned().forms] if self.is_html else []

    @property
    def visible_text(self) -> str:
        return " ".join("".join(self._scanned().text).split()) if self.is_html else ""

    @property
    def rows(self) -> List[Tuple[Dict[str, str], List[Tuple[str, str]]]]:
        """Table rows as (tr attributes, [(cell tag, cell text), ...])."""
        return list(self._scanned().rows) if self.is_html else []


def find_marker(page: Page) -> Optional[Tuple[str, str]]:
    """(error code, device sentence and what follows) of the first PAGE_MARKERS text on a page."""
    if not page.is_html:
        return None
    text = page.visible_text
    lowered = text.lower()
    for marker, code in pt.PAGE_MARKERS:
        position = lowered.find(marker)
        if position >= 0:
            return code, text[position:position + MAX_MESSAGE]
    return None


def identify_flavour(page: Page) -> Optional[str]:
    """Which Remote UI answered ``GET /``: by the cookies it sets, then by the login form it shows."""
    cookies = set(page.cookies)
    if pt.PORTAL_SESSION_COOKIE in cookies or pt.PORTAL_LANGUAGE_COOKIE in cookies:
        return pt.PORTAL
    if pt.CLASSIC_SESSION_COOKIE in cookies or pt.CLASSIC_CONTEXT_COOKIE in cookies:
        return pt.CLASSIC
    if not page.is_html:
        return None
    body = page.text
    if pt.PORTAL_ENDPOINTS["login"].path in body or pt.PORTAL_TOKEN_FIELD in page.fields:
        return pt.PORTAL
    if (pt.CLASSIC_LOGIN_FIELDS["id"] in page.fields or pt.CLASSIC_ENDPOINTS["indicate"].path in body
            or pt.CLASSIC_ENDPOINTS["nativetop"].path in body):
        return pt.CLASSIC
    return None


def find_login_form(page: Page) -> Optional[Dict[str, Any]]:
    """The form of a page that carries one of the public login variants (LOGIN_FORM_VARIANTS)."""
    for form in page.forms:
        seen = set(form["seen"])
        if any(set(fields) <= seen for fields in pt.LOGIN_FORM_VARIANTS.values()):
            return form
    return None


def login_fields(form: Mapping[str, Any], options: "RemoteUiOptions") -> Dict[str, str]:
    """The body a browser sends for this login form, the credentials filled into the fields it has.

    Variants (canon-public-protocol-facts.md §1): classic ``deptid``/``password`` (+ the form's
    ``uri``, ``user_type_generic``, ``loginType``, ``password2`` as served); portal ``i0012``
    (System Manager mode) with ``i0014`` ID and ``i0016`` PIN; MF660C-style ``i0019`` ID and
    ``i2101`` PIN; PIN-only ``i0016``; ``tryLogin.cgi`` ``0001`` ID and ``0002`` PIN. General-user
    login: ``i0017=2`` + ``i2101`` (portal) or ``username``/``password`` (classic, when served).
    A form with none of these raises ``rui_login_form_unknown`` naming the fields it has.
    """
    seen = set(form["seen"])
    body = dict(form["fields"])
    manager = options.auth_method == "system_manager"
    ident, pin = options.system_manager_id or "", options.system_manager_pin or ""
    if {"deptid", "password"} <= seen:
        if manager:
            body.update(deptid=ident, password=pin)
            if not body.get("username"):
                body.pop("username", None)
        elif "username" in seen:
            body.update(username=options.username or "", password=options.password or "")
            body.pop("deptid", None)
        else:
            raise CanonError("rui_login_form_unknown", "The classic login form has no user-name field (fields: %s); "
                             "use auth_method=system_manager." % ", ".join(sorted(seen)), fields=sorted(seen))
        return body
    if {"loginM", "0000", "0001", "0002"} <= seen:
        body.update({"0001": ident if manager else (options.username or ""),
                     "0002": pin if manager else (options.password or "")})
        return body
    if not manager:
        if "i2101" in seen and "i0017" in seen:
            body.pop("i0012", None)
            body.update(i0017="2", i2101=options.password or "")
            body.pop("i0014", None)
            body.pop("i0016", None)
            return body
        raise CanonError("rui_login_form_unknown", "The login form offers no general-user login (fields: %s)."
                         % ", ".join(sorted(seen)), fields=sorted(seen))
    if "i0012" in seen or "i0016" in seen or "i2101" in seen:
        body.pop("i0017", None)
        if "i0012" in seen:
            body["i0012"] = "1"
        if {"i0014", "i0016"} <= seen:
            body.update(i0014=ident, i0016=pin)
            body.pop("i2101", None)
            return body
        if {"i0019", "i2101"} <= seen:
            body.update(i0019=ident, i2101=pin)
            return body
        if "i0016" in seen:                 # PIN-only (LBP6030w): the System Manager PIN alone
            body["i0016"] = pin
            return body
    raise CanonError("rui_login_form_unknown", "The device's login form has fields the client does not know: %s."
                     % (", ".join(sorted(seen)) or "(none)"), fields=sorted(seen))


# =============================================================================================
# Transport
# =============================================================================================
_exception_chain = ws.exception_chain
_is_cert_failure = ws.is_cert_failure
_url_host = ws.url_host


def _epoch_ms() -> str:
    return str(int(time.time() * 1000))


class _TransientLoginError(Exception):
    """The login POST met a busy or starting device (internal: the login is tried again)."""

    def __init__(self, error: CanonError) -> None:
        super().__init__(error.error_code)
        self.error = error


# =============================================================================================
# Session
# =============================================================================================
class RemoteUiSession(WebSession):
    """A logged-in conversation with one device's Remote UI.

    Use as a context manager (``with RemoteUiSession(options) as rui:``): entering logs in,
    leaving logs out (``WebSession``). ``get_page``/``post_form``/``post_multipart`` take endpoint
    names of the protocol table for the session's flavour. ``request_count`` counts HTTP
    exchanges (tests, measurements).
    """

    user_agent = "printfleet.canon remote_ui"

    def __init__(self, options: RemoteUiOptions, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        options.validate()
        super().__init__(options, sleep=sleep, clock=clock)
        self.options: RemoteUiOptions = options
        self._flavour: Optional[str] = None if options.flavour == "auto" else options.flavour
        self._port: Optional[int] = None
        self._last_page: Optional[str] = None
        self._token: Optional[str] = None
        self._area: Optional[str] = None
        self._top_loaded = False
        self._top_page: Optional[Page] = None
        self._relogins = 0
        self.password_nag_answered = False

    # ------------------------------------------------------------------ properties --------
    @property
    def flavour(self) -> Optional[str]:
        return self._flavour

    @property
    def port(self) -> Optional[int]:
        return self._port

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise CanonError("rui_unreachable", "the Remote UI port is not known yet (call connect or login)")
        return "%s://%s:%d" % (self._scheme, _url_host(self.options.host), self._port)

    @property
    def token(self) -> Optional[str]:
        """The form token the next POST carries (classic ``Token`` / portal ``iToken``)."""
        return self._token

    @property
    def login_posts(self) -> int:
        """How many times credentials were sent (at most 2: the login and one re-login)."""
        return self._login_posts

    # ------------------------------------------------------------------ low level ----------
    def _endpoint(self, name: str) -> pt.Endpoint:
        table = pt.CLASSIC_ENDPOINTS if self._flavour == pt.CLASSIC else pt.PORTAL_ENDPOINTS
        if name not in table:
            raise self._error("unsupported_capability",
                              "The %s Remote UI has no %r page." % (self._flavour, name), page=name)
        return table[name]

    def _token_field(self) -> Optional[str]:
        if self._flavour == pt.CLASSIC:
            return pt.CLASSIC_TOKEN_FIELD
        if self._flavour == pt.PORTAL:
            return pt.PORTAL_TOKEN_FIELD
        return None

    def _exchange(self, name: str, method: str, path: str, params: Optional[Mapping[str, str]] = None,
                  data: Optional[Mapping[str, str]] = None, files: Optional[Mapping[str, Any]] = None,
                  check: bool = True, referer: Optional[str] = None) -> Page:
        """One request plus its redirects; tracks the last page and the form token; reads markers.

        ``referer`` defaults to the page shown last. A page that answers with an error marker or
        status does not become the last page: the browser's next step starts from the page before.
        """
        url = self.base_url + path
        referer = self._last_page if referer is None else referer
        response = self._send(method, url, referer=referer, params=dict(params) if params else None,
                              data=dict(data) if data is not None else None, files=files)
        redirected = False
        cookies = set(response.cookies.keys())
        for _hop in range(MAX_REDIRECTS):
            if not response.is_redirect:
                break
            target = urljoin(response.url, response.headers.get("Location", ""))
            if urlsplit(target)[:2] != urlsplit(self.base_url)[:2]:
                raise self._error("rui_unexpected_response", "The %s page redirected to another server (%s)."
                                  % (name, urlsplit(target).netloc), page=name)
            redirected = True
            response = self._send("GET", target, referer=referer)
            cookies.update(response.cookies.keys())
        else:
            raise self._error("rui_unexpected_response", "The %s page redirected too often." % name, page=name)
        page = Page(name=name, method=method, url=response.url, status=response.status_code,
                    content_type=response.headers.get("Content-Type", ""), content=response.content,
                    encoding=response.encoding if "charset" in response.headers.get("Content-Type", "") else None,
                    cookies=tuple(sorted(cookies)), redirected=redirected)
        if check:
            self._check(page)
        if page.is_html:
            fields = page.fields
            token_names = [self._token_field()] if self._flavour else [pt.CLASSIC_TOKEN_FIELD, pt.PORTAL_TOKEN_FIELD]
            if method == "GET" or redirected or any(name and fields.get(name) for name in token_names):
                self._last_page = page.url     # the page shown: a GET, a redirect target or a form answer
            for token_name in token_names:
                if token_name and fields.get(token_name):
                    self._token = fields[token_name]
        return page

    def _check(self, page: Page) -> None:
        """Raise the error class of a page marker or an unexpected HTTP status."""
        found = find_marker(page)
        if found:
            code, sentence = found
            raise self._error(code, "%s Device page: %s" % (ERROR_CODES[code][0], sentence),
                              page=page.name, status=page.status, device_message=sentence)
        if page.status in (404, 405, 501):
            raise self._error("unsupported_capability", "The device has no %s page (%s, HTTP %d)."
                              % (page.name, urlsplit(page.url).path, page.status), page=page.name,
                              status=page.status)
        if page.status == 503:
            raise self._error("device_busy", "The device answered the %s page with HTTP 503." % page.name,
                              page=page.name, status=page.status)
        if page.status >= 300:
            said = page.visible_text[:MAX_MESSAGE] if page.is_html else ""
            raise self._error("rui_unexpected_response", "The device answered the %s page (%s) with HTTP %d.%s"
                              % (page.name, urlsplit(page.url).path, page.status,
                                 " Device page: %s" % said if said else ""), page=page.name, status=page.status)

    def _request(self, name: str, method: str, params: Optional[Mapping[str, str]] = None,
                 data: Optional[Mapping[str, str]] = None, files: Optional[Mapping[str, Any]] = None) -> Page:
        endpoint = self._endpoint(name)
        if endpoint.method != method:
            raise self._error("invalid_argument", "The %s page is a %s endpoint, not %s."
                              % (name, endpoint.method, method))

        referer = self._last_page      # a retry is a reload: it sends the first attempt's Referer

        def action() -> Page:
            body = None
            if method == "POST":
                body = dict(data or {})
                token_field = self._token_field()
                if self._token and token_field and token_field not in body:
                    body[token_field] = self._token
            return self._exchange(name, method, endpoint.path, params=params, data=body, files=files,
                                  referer=referer or "")

        return self._with_retries(action)

    def _call(self, name: str, method: str, params: Optional[Mapping[str, str]] = None,
              data: Optional[Mapping[str, str]] = None, files: Optional[Mapping[str, Any]] = None) -> Page:
        """A request of a logged-in session; an expired session is logged in again once."""
        if not self._logged_in:
            self.login()
        try:
            return self._request(name, method, params=params, data=data, files=files)
        except CanonError as exc:
            if exc.error_code != "rui_session_expired" or self._relogins >= 1:
                raise
        self._relogins += 1
        self._login_with_transient_retries()
        if self._area:
            self.open_area(self._area)
        return self._request(name, method, params=params, data=data, files=files)

    # ------------------------------------------------------------------ connect ------------
    def _candidate_ports(self) -> List[Tuple[int, Optional[str]]]:
        if self.options.port is not None:
            return [(int(self.options.port), self._flavour)]
        flavours = pt.FLAVOURS if self._flavour is None else (self._flavour,)
        index = 1 if self.options.use_https else 0
        return [(pair[index], flavour) for flavour in flavours for pair in pt.PORTS[flavour]]

    def connect(self) -> None:
        """Find the port and flavour: GET / on the given port or on the flavour's known ports."""
        if self._port is not None:
            return
        wanted = None if self.options.flavour == "auto" else self.options.flavour
        tried: List[str] = []
        mismatched: List[str] = []
        reasons: List[str] = []
        tls_failure: Optional[CanonError] = None     # something listens there: its TLS handshake failed or it
        # cut the request (the first such error says more than "did not answer")
        for port, group_flavour in self._candidate_ports():
            self._port = port
            try:
                page = self._with_retries(self._probe_top)
            except CanonError as exc:
                self._port = None
                if exc.error_code != "rui_unreachable" or self.options.port is not None:
                    raise
                if exc.details.get("reason") in ("tls_handshake", "reset") and tls_failure is None:
                    tls_failure = exc
                reasons.append(str(exc.details.get("reason")))
                tried.append(str(port))
                continue
            seen = identify_flavour(page)
            if wanted and seen and seen != wanted:
                self._port = None
                if self.options.port is not None:
                    raise self._error("rui_port_mismatch", "Port %d of %s serves the %s Remote UI, not the %s one."
                                      % (port, self.options.host, seen, wanted), port=port, flavour=seen)
                mismatched.append("%d (%s)" % (port, seen))
                continue
            flavour = seen or wanted or group_flavour
            if flavour is None:
                self._port = None
                raise self._error("rui_port_mismatch", "Port %d of %s answers HTTP but not as a Canon Remote UI."
                                  % (port, self.options.host), port=port)
            self._flavour = flavour
            self._top_loaded = True     # the probe was the login's first page; keep its cookies
            self._top_page = page
            return
        if mismatched:
            raise self._error("rui_port_mismatch", "No %s Remote UI on %s; found: %s."
                              % (wanted, self.options.host, ", ".join(mismatched)), tried=tried)
        if tls_failure is not None:       # say what failed where, not "did not answer"
            raise tls_failure
        if reasons and all(reason == "refused" for reason in reasons):
            # the host is up (it refuses), but no Remote UI listens where Canon devices have one
            raise self._error("rui_port_mismatch", "No Remote UI answered on %s (%s ports tried: %s)."
                              % (self.options.host, self._scheme.upper(), ", ".join(tried)), tried=tried)
        raise self._error("rui_unreachable", "%s did not answer on any Remote UI port (%s)."
                          % (self.options.host, ", ".join(tried)), tried=tried)

    def _probe_top(self) -> Page:
        """GET / without judging the status (any HTTP answer tells the port is open); markers still count."""
        page = self._exchange("top", "GET", pt.CLASSIC_ENDPOINTS["top"].path, check=False)
        if find_marker(page) or page.status == 503:    # 503: the port is right, the device busy (device_busy)
            self._check(page)
        return page

    def _reset(self) -> None:
        """Forget cookies, token and page history (before a login)."""
        self._http.cookies.clear()
        self._token = None
        self._last_page = None
        self._logged_in = False

    # ------------------------------------------------------------------ login --------------
    def _login(self) -> None:
        """WebSession extension point: find the port, then log in (``login()`` never repeats a refusal)."""
        self.connect()
        self._login_with_transient_retries()

    def _login_with_transient_retries(self) -> None:
        """The whole login again when the login POST met a busy or starting device.

        Such a device checked no credentials, so sending them again cannot count towards a
        lockout; failures of the other pages are already retried where they happen.
        """
        busy_attempts = 0
        started = self._clock()
        while True:
            try:
                self._login_sequence()
                return
            except _TransientLoginError as wrapped:
                exc = wrapped.error
                if exc.error_code == "device_busy" and busy_attempts < self.options.busy_retries:
                    self._sleep(self.options.busy_delay * (2 ** busy_attempts))
                    busy_attempts += 1
                elif exc.error_code == "device_starting" and self._clock() - started < self.options.start_wait:
                    remaining = self.options.start_wait - (self._clock() - started)
                    self._sleep(min(max(self.options.busy_delay, 0.1), remaining))
                else:
                    raise exc from None

    def _credentials(self) -> Dict[str, str]:
        opts = self.options
        if self._flavour == pt.CLASSIC:
            fields = pt.CLASSIC_LOGIN_FIELDS
            if opts.auth_method == "system_manager":
                return {fields["uri"]: pt.CLASSIC_ENDPOINTS["top"].path, fields["id"]: opts.system_manager_id or "",
                        fields["pin"]: opts.system_manager_pin or ""}
            return {fields["uri"]: pt.CLASSIC_ENDPOINTS["top"].path, fields["user"]: opts.username or "",
                    fields["password"]: opts.password or ""}
        fields = pt.PORTAL_LOGIN_FIELDS
        if opts.auth_method == "system_manager":
            mode_field, mode_value = fields["mode_manager"]
            return {mode_field: mode_value, fields["id"]: opts.system_manager_id or "",
                    fields["pin"]: opts.system_manager_pin or ""}
        mode_field, mode_value = fields["mode_user"]
        return {mode_field: mode_value, fields["password"]: opts.password or ""}

    def _login_sequence(self) -> None:
        """GET / -> the served login form filled and posted -> (classic: nag, indicate, nativetop)."""
        if self._top_loaded and self._top_page is not None:   # connect() has just shown / in this jar
            top = self._top_page
            self._top_loaded = False
        else:
            self._reset()
            top = self._with_retries(lambda: self._exchange("top", "GET", self._endpoint("top").path))
        form = find_login_form(top)
        if form is None:
            seen = sorted({name for item in top.forms for name in item["seen"]})
            raise self._error("rui_login_form_unknown", "The device's first page (%s) has no login form the client "
                              "knows; fields seen: %s." % (urlsplit(top.url).path, ", ".join(seen) or "(none)"),
                              fields=seen)
        body = login_fields(form, self.options)
        token_field = self._token_field()
        if self._token and token_field and token_field in form["seen"]:
            body[token_field] = self._token
        action = urlsplit(urljoin(top.url, form["action"] or self._endpoint("login").path)).path
        self._login_posts += 1
        try:
            page = self._exchange("login", "POST", action, data=body)
        except CanonError as exc:
            if exc.error_code in ("device_busy", "device_starting"):
                raise _TransientLoginError(exc) from None
            raise
        if not page.redirected or find_login_form(page) is not None:
            raise self._error("rui_auth_failed", "The device did not accept the Remote UI login (%s)."
                              % ("no redirect" if not page.redirected else "the login form came back"),
                              page="login", status=page.status)
        jar = {cookie.name for cookie in self._http.cookies}
        if not jar & set(pt.LOGIN_SESSION_COOKIES):
            raise self._error("rui_auth_failed", "The device redirected the login but set no session cookie (%s)."
                              % (", ".join(sorted(jar)) or "none"), page="login")
        if self._flavour == pt.PORTAL and urlsplit(page.url).path != pt.PORTAL_LOGIN_SUCCESS_PATH:
            raise self._error("rui_auth_failed", "The device answered the login with %s instead of %s."
                              % (urlsplit(page.url).path, pt.PORTAL_LOGIN_SUCCESS_PATH), page="login")
        self._logged_in = True
        nag = pt.CLASSIC_PASSWORD_NAG.path
        if urlsplit(page.url).path == nag or any(urlsplit(f["action"]).path == nag for f in page.forms):
            # the default-password nag (CN2): keep the PIN (the collection never changes it silently)
            self.password_nag_answered = True
            self._exchange("password_nag", "POST", nag, data={"conf": "no"})
        if self._flavour == pt.CLASSIC:
            self._request("indicate", "GET")
            self._request("nativetop", "GET", params=self._classic_params(
                dict(pt.CLASSIC_NATIVETOP_QUERY, **{pt.CLASSIC_PAGE_TAG_FIELD: pt.CLASSIC_PAGE_TAGS["status"]})))

    @staticmethod
    def _classic_params(params: Mapping[str, str]) -> Dict[str, str]:
        return dict(params, **{pt.CLASSIC_CACHE_BUSTER_FIELD: _epoch_ms()})

    def _logout(self) -> None:
        """WebSession extension point: the flavour's logout page (classic: /rps/logout.cgi?Dummy=<ms>)."""
        params = self._classic_params({}) if self._flavour == pt.CLASSIC else None
        self._exchange("logout", "GET", self._endpoint("logout").path, params=params, check=False)

    def logout(self) -> None:
        """End the session on the device and forget token and page history."""
        super().logout()
        self._token = None
        self._last_page = None

    # ------------------------------------------------------------------ public pages -------
    def open_area(self, area: str) -> Page:
        """Walk the page chain that opens a functional area; its last page holds the form token."""
        chains = AREA_PAGES.get(area)
        if not self._logged_in:
            self.login()
        if not chains or self._flavour not in chains:
            raise self._error("unsupported_capability", "The %s Remote UI has no %s pages." % (self._flavour, area))
        self._area = area
        pages = [self._call(name, "GET", params=self._classic_params(params) if cache_buster else params)
                 for name, params, cache_buster in chains[self._flavour]]
        return pages[-1]

    def refresh_form(self) -> Page:
        """Load the open area's form page again, as a browser shows a form before submitting it."""
        if not self._area:
            raise self._error("invalid_argument", "no Remote UI area is open")
        name, params, cache_buster = AREA_PAGES[self._area][self._flavour][-1]  # type: ignore[index]
        return self._call(name, "GET", params=self._classic_params(params) if cache_buster else params)

    def get_page(self, name: str, params: Optional[Mapping[str, str]] = None) -> Page:
        """GET a page of the protocol table by name."""
        return self._call(name, "GET", params=params)

    def post_form(self, name: str, fields: Mapping[str, str]) -> Page:
        """POST an urlencoded form; the current form token is added."""
        return self._call(name, "POST", data=fields)

    def post_multipart(self, name: str, fields: Mapping[str, str],
                       files: Mapping[str, Tuple[str, bytes, str]]) -> Page:
        """POST a multipart form (files: field -> (file name, bytes, content type)); token added."""
        return self._call(name, "POST", data=fields, files=files)
